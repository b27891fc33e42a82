// The work directory of `run:` steps under an output directory: made and
// emptied without following symbolic links (harness/runner/workdir.h).
#include "harness/runner/workdir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class WorkdirTest : public testing::ScratchDirTest {};

TEST_F(WorkdirTest, CreatedUnderOutAndRemovedAfter) {
  {
    StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create(P("out/work/a-ipv4"));
    ASSERT_TRUE(w.ok()) << w.status().message();
    EXPECT_TRUE(fs::is_directory(P("out/work/a-ipv4")));
  }
  EXPECT_FALSE(fs::exists(P("out/work/a-ipv4")));
  EXPECT_TRUE(fs::is_directory(P("out/work")));
}

TEST_F(WorkdirTest, KeptOneIsEmptiedNextTimeWithoutFollowingItsLinks) {
  fs::create_directories(P("out/work/a-ipv4/sub"));
  std::ofstream(P("out/work/a-ipv4/sub/old")) << "old";
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/work/a-ipv4/sub/link"));
  StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create(P("out/work/a-ipv4"));
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_TRUE(fs::is_empty(P("out/work/a-ipv4")));
  EXPECT_TRUE(fs::exists(dir_ / "elsewhere" / "precious"));
}

TEST_F(WorkdirTest, SymlinkedWorkDirectoryIsRefused) {
  fs::create_directories(P("out"));
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/work"));
  StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create(P("out/work/a-ipv4"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().message(),
            "work directory: " + P("out/work") + ": a symbolic link; refusing to write through it");
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "a-ipv4"));
}

TEST_F(WorkdirTest, SymlinkAtTheVariantsNameIsRefused) {
  fs::create_directories(P("out/work"));
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/work/a-ipv4"));
  StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create(P("out/work/a-ipv4"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().message(), "work directory " + P("out/work/a-ipv4") +
                                      ": not a directory (symbolic link); refusing to replace it");
  EXPECT_TRUE(fs::is_symlink(P("out/work/a-ipv4")));
  EXPECT_TRUE(fs::exists(dir_ / "elsewhere" / "precious"));
}

TEST_F(WorkdirTest, TemporaryOneWithoutOut) {
  std::string path;
  {
    StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create("");
    ASSERT_TRUE(w.ok()) << w.status().message();
    path = (*w)->path();
    EXPECT_THAT(path, HasSubstr("faultline-work-"));
    EXPECT_TRUE(fs::is_directory(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace faultline
