#include "harness/common/safe_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::Slurp;

class SafeFileTest : public testing::ScratchDirTest {};

TEST_F(SafeFileTest, ReplacesARegularFileWholeAndLeavesNoTemporary) {
  std::ofstream(P("r.xml")) << "old content";
  ASSERT_TRUE(ReplaceFile(P("r.xml"), "new").ok());
  EXPECT_EQ(Slurp(P("r.xml")), "new");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path().filename() != "elsewhere";
  EXPECT_EQ(entries, 1);
}

TEST_F(SafeFileTest, SymlinkAtTheOldTemporaryNameIsNotFollowed) {
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("r.xml.tmp"));
  ASSERT_TRUE(ReplaceFile(P("r.xml"), "report").ok());
  EXPECT_EQ(Slurp(P("r.xml")), "report");
  EXPECT_EQ(Precious(), "precious");
  EXPECT_TRUE(fs::is_symlink(P("r.xml.tmp")));  // not ours: left alone
}

// Links planted at every temporary name the writer may pick
// (".NAME.PID-N.tmp", N counting up from 0 in this process): none is
// followed; each is skipped, and after 100 the write gives up.
TEST_F(SafeFileTest, SymlinksAtTheTemporaryNamesAreNeverFollowed) {
  std::vector<std::string> links;
  for (int n = 0; n < 1000; ++n) {
    links.push_back(P(".r.xml." + std::to_string(getpid()) + "-" + std::to_string(n) + ".tmp"));
    fs::create_symlink(dir_ / "elsewhere" / "precious", links.back());
  }
  Status st = ReplaceFile(P("r.xml"), "report");
  EXPECT_EQ(st.message(), "cannot create a temporary file for " + P("r.xml") + ": 100 names taken");
  EXPECT_EQ(Precious(), "precious");
  EXPECT_FALSE(fs::exists(P("r.xml")));
  for (const std::string& l : links) ASSERT_TRUE(fs::is_symlink(l)) << l;
  for (const std::string& l : links) fs::remove(l);
  ASSERT_TRUE(ReplaceFile(P("r.xml"), "report").ok());
  EXPECT_EQ(Slurp(P("r.xml")), "report");
}

TEST_F(SafeFileTest, SymlinkAtTheFinalNameIsRefusedNotWrittenThrough) {
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("r.xml"));
  Status st = ReplaceFile(P("r.xml"), "report");
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(),
            P("r.xml") + ": not a regular file (symbolic link); refusing to replace it");
  EXPECT_TRUE(fs::is_symlink(P("r.xml")));
  EXPECT_EQ(Precious(), "precious");
}

TEST_F(SafeFileTest, FifoAndDeviceAndDirectoryAreRefused) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReplaceFile(P("fifo"), "x").message(),
            P("fifo") + ": not a regular file (FIFO); refusing to replace it");
  EXPECT_TRUE(fs::is_fifo(P("fifo")));
  EXPECT_EQ(ReplaceFile("/dev/null", "x").message(),
            "/dev/null: not a regular file (character device); refusing to replace it");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  fs::create_directories(P("d"));
  EXPECT_THAT(ReplaceFile(P("d"), "x").message(), HasSubstr("not a regular file (directory)"));
}

TEST_F(SafeFileTest, SymlinkedDirectoryIsRefused) {
  fs::create_directory_symlink(dir_ / "elsewhere", P("link"));
  Status st = ReplaceFile(P("link/r.xml"), "x");
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(),
              HasSubstr(P("link") + ": a symbolic link; refusing to write through it"));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "r.xml"));
}

TEST_F(SafeFileTest, OpenDirCreatesParentsAndRefusesALink) {
  StatusOr<UniqueFd> fd = OpenDirNoFollow(P("a/b/c/"), true);
  ASSERT_TRUE(fd.ok()) << fd.status().message();
  EXPECT_TRUE(fs::is_directory(P("a/b/c")));
  fs::create_directory_symlink(dir_ / "elsewhere", P("a/l"));
  EXPECT_EQ(OpenDirNoFollow(P("a/l"), true).status().message(),
            P("a/l") + ": a symbolic link; refusing to write through it");
  EXPECT_EQ(OpenDirNoFollow(P("a/l/sub"), true).status().message(),
            P("a/l") + ": a symbolic link; refusing to write through it");
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "sub"));
  std::ofstream(P("file")) << "x";
  EXPECT_EQ(OpenDirNoFollow(P("file"), true).status().message(),
            P("file") + ": not a directory (regular file)");
}

TEST_F(SafeFileTest, CreateFileExclusiveReplacesAFileButNotALink) {
  std::ofstream(P("c.pcap")) << "previous run";
  {
    StatusOr<UniqueFd> fd = CreateFileExclusive(P("c.pcap"));
    ASSERT_TRUE(fd.ok()) << fd.status().message();
    ASSERT_EQ(write(fd->get(), "new", 3), 3);
  }
  EXPECT_EQ(Slurp(P("c.pcap")), "new");
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("l.pcap"));
  EXPECT_EQ(CreateFileExclusive(P("l.pcap")).status().message(),
            P("l.pcap") + ": not a regular file (symbolic link); refusing to replace it");
  EXPECT_EQ(Precious(), "precious");
}

TEST_F(SafeFileTest, RemoveTreeRemovesLinksNotTheirTargets) {
  fs::create_directories(P("t/sub"));
  std::ofstream(P("t/sub/f")) << "x";
  fs::create_directory_symlink(dir_ / "elsewhere", P("t/sub/out"));
  UniqueFd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(RemoveTreeAt(d.get(), "t", P("t")).ok());
  EXPECT_FALSE(fs::exists(P("t")));
  EXPECT_EQ(Precious(), "precious");
  EXPECT_TRUE(RemoveTreeAt(d.get(), "t", P("t")).ok());  // missing: ok
}

TEST_F(SafeFileTest, WritableDirectoryCheck) {
  UniqueFd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_TRUE(CheckWritableDir(d.get(), dir_.string()).ok());
  if (geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  fs::create_directories(P("ro"));
  fs::permissions(P("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  UniqueFd ro(open(P("ro").c_str(), O_RDONLY | O_DIRECTORY));
  Status st = CheckWritableDir(ro.get(), P("ro"));
  EXPECT_THAT(st.message(), HasSubstr(P("ro") + ": cannot create files in it"));
  fs::permissions(P("ro"), fs::perms::owner_all);
}

TEST(SplitFilePathTest, DirAndName) {
  EXPECT_EQ(SplitFilePath("a.xml")->dir, ".");
  EXPECT_EQ(SplitFilePath("/a.xml")->dir, "/");
  EXPECT_EQ(SplitFilePath("x/y/a.xml/")->dir, "x/y");
  EXPECT_EQ(SplitFilePath("x/y/a.xml/")->name, "a.xml");
  EXPECT_FALSE(SplitFilePath("/").ok());
  EXPECT_FALSE(SplitFilePath("x/..").ok());
}

}  // namespace
}  // namespace faultline
