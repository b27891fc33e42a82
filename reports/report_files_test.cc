// Where reports go and how they are written: exclusively, never through a
// symbolic link, never over a device, FIFO or directory
// (reports/write_file.h, reports/report_files.h).
#include "reports/report_files.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"

#include "reports/junit.h"
#include "reports/test_results.h"
#include "reports/write_file.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::Slurp;

class ReportFilesTest : public testing::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    std::filesystem::create_directories(dir_ / "out");
  }
};

TEST_F(ReportFilesTest, SymlinkAtTheTemporaryNameIsNotFollowed) {
  // The old fixed temporary name, and every name the writer may pick now
  // (".junit.xml.PID-N.tmp"): none is written through.
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("out/junit.xml.tmp"));
  for (int n = 0; n < 1000; ++n) {
    fs::create_symlink(
        dir_ / "elsewhere" / "precious",
        P("out/.junit.xml." + std::to_string(getpid()) + "-" + std::to_string(n) + ".tmp"));
  }
  EXPECT_FALSE(WriteJunit(testing::SampleRun(), P("out/junit.xml")).ok());
  EXPECT_EQ(Precious(), "precious");
  EXPECT_FALSE(fs::exists(P("out/junit.xml")));
}

// Decided: a symbolic link at the report's own name is refused (not
// replaced as a link, never written through): whoever put it there meant
// something by it.
TEST_F(ReportFilesTest, SymlinkAtTheFinalNameIsRefused) {
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("out/junit.xml"));
  Status st = WriteJunit(testing::SampleRun(), P("out/junit.xml"));
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(), "junit report: " + P("out/junit.xml") +
                              ": not a regular file (symbolic link); refusing to replace it");
  EXPECT_EQ(Precious(), "precious");
  EXPECT_TRUE(fs::is_symlink(P("out/junit.xml")));
}

TEST_F(ReportFilesTest, DevNullAndFifoAreRefusedAndKept) {
  Status st = WriteWholeFile("/dev/null", "x");
  EXPECT_EQ(st.message(),
            "/dev/null: not a regular file (character device); refusing to replace it");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  ASSERT_EQ(mkfifo(P("out/fifo.xml").c_str(), 0600), 0);
  EXPECT_EQ(WriteWholeFile(P("out/fifo.xml"), "x").message(),
            P("out/fifo.xml") + ": not a regular file (FIFO); refusing to replace it");
  EXPECT_TRUE(fs::is_fifo(P("out/fifo.xml")));
}

TEST_F(ReportFilesTest, ARegularFileIsReplaced) {
  std::ofstream(P("out/report.json")) << "old";
  ASSERT_TRUE(WriteWholeFile(P("out/report.json"), "new").ok());
  EXPECT_EQ(Slurp(P("out/report.json")), "new");
}

TEST_F(ReportFilesTest, CheckCreatesTheOutputDirectory) {
  EXPECT_TRUE(CheckOutputPaths(P("new/out"), ReportPaths{}, true).ok());
  EXPECT_TRUE(fs::is_directory(P("new/out")));
}

TEST_F(ReportFilesTest, CheckRefusesASymlinkedOutputDirectory) {
  fs::create_directory_symlink(dir_ / "elsewhere", P("link"));
  EXPECT_EQ(CheckOutputPaths(P("link"), ReportPaths{}, true).message(),
            "--out " + P("link") + ": a symbolic link; refusing to write through it");
  std::ofstream(P("file")) << "x";
  EXPECT_EQ(CheckOutputPaths(P("file"), ReportPaths{}, true).message(),
            "--out " + P("file") + ": not a directory (regular file)");
}

TEST_F(ReportFilesTest, CheckRefusesASymlinkedPcapOrWorkDirectory) {
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/pcap"));
  EXPECT_EQ(CheckOutputPaths(P("out"), ReportPaths{}, true).message(),
            "--out " + P("out") + ": " + P("out/pcap") +
                " is a symbolic link; refusing to write through it");
  fs::remove(P("out/pcap"));
  std::ofstream(P("out/work")) << "x";
  EXPECT_EQ(CheckOutputPaths(P("out"), ReportPaths{}, true).message(),
            "--out " + P("out") + ": " + P("out/work") + " is not a directory (regular file)");
}

TEST_F(ReportFilesTest, CheckRefusesADeviceAsJunitAndNamesTheOption) {
  ReportPaths given;
  given.junit = "/dev/full";
  Status st = CheckOutputPaths(P("out"), given, true);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(),
            "--junit /dev/full: not a regular file (character device); refusing to replace it");
  given.junit = P("nodir/junit.xml");
  EXPECT_THAT(CheckOutputPaths(P("out"), given, true).message(),
              HasSubstr("--junit " + P("nodir/junit.xml") + ": opening directory " + P("nodir") +
                        ": No such file or directory"));
}

TEST_F(ReportFilesTest, CheckRefusesAnExistingDefaultReportThatIsNotAFile) {
  ASSERT_EQ(mkfifo(P("out/report.html").c_str(), 0600), 0);
  EXPECT_EQ(
      CheckOutputPaths(P("out"), ReportPaths{}, true).message(),
      "--out " + P("out/report.html") + ": not a regular file (FIFO); refusing to replace it");
}

TEST_F(ReportFilesTest, MergeWithExplicitPathsDoesNotNeedTheOutputDirectory) {
  ReportPaths given{P("j.xml"), P("h.html"), P("r.json")};
  EXPECT_TRUE(CheckOutputPaths(P("never"), given, false).ok());
  EXPECT_FALSE(fs::exists(P("never")));
}

TEST_F(ReportFilesTest, CheckRefusesAnUnwritableOutputDirectory) {
  if (geteuid() == 0) GTEST_SKIP() << "root may write anywhere (the unprivileged run checks this)";
  fs::create_directories(P("ro"));
  fs::permissions(P("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  Status st = CheckOutputPaths(P("ro"), ReportPaths{}, true);
  fs::permissions(P("ro"), fs::perms::owner_all);
  EXPECT_THAT(st.message(), HasSubstr("--out " + P("ro") + ": cannot create files in it"));
}

}  // namespace
}  // namespace faultline
