// A test fixture for code that writes files: a fresh directory per test
// (removed afterwards), holding elsewhere/precious, a file that nothing
// under test may ever write to (the target of the symlinks tests plant).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace faultline::testing {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fl-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ / "elsewhere");
    std::ofstream(dir_ / "elsewhere" / "precious") << "precious";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A path under the scratch directory.
  std::string P(const std::string& rel) const { return (dir_ / rel).string(); }
  // What elsewhere/precious holds now ("precious" unless something wrote it).
  std::string Precious() const { return Slurp(dir_ / "elsewhere" / "precious"); }

  std::filesystem::path dir_;
};

}  // namespace faultline::testing
