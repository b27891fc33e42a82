#include "reports/write_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace faultline {
namespace {

namespace fs = std::filesystem;

// Pieces smaller than, around and larger than the sink's buffer arrive
// whole and in order.
TEST(WriteStreamedFileTest, PiecesOfAnySizeArriveInOrder) {
  const fs::path dir = fs::temp_directory_path() / ("fl-stream-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "r.txt").string();
  std::string want;
  Status st = WriteStreamedFile(path, [&want](TextSink& out) {
    for (size_t n : {size_t{1}, kSinkBuffer - 1, size_t{2}, 3 * kSinkBuffer + 7, size_t{5}}) {
      const std::string piece(n, static_cast<char>('a' + want.size() % 26));
      want += piece;
      out << piece;
    }
  });
  ASSERT_TRUE(st.ok()) << st.message();
  std::ifstream in(path, std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str().size(), want.size());
  EXPECT_TRUE(got.str() == want);
  fs::remove_all(dir);
}

TEST(WriteStreamedFileTest, MissingDirectoryIsAnErrorNamingThePath) {
  Status st = WriteStreamedFile("/nonexistent-dir/x/report.json",
                                [](TextSink& out) { out << "never written"; });
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent-dir/x/report.json"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace faultline
