// The faultline command line as a user runs it: exit statuses, output lines,
// error messages. `run` needs root (it builds labs); validate and list do not.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

struct Output {
  int status = -1;   // exit status, or -1 if it did not exit normally
  std::string text;  // stdout and stderr together
};

Output RunFaultline(const std::string& args) {
  std::string cmd = std::string(FAULTLINE_BIN) + " " + args + " 2>&1 </dev/null";
  Output out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int st = pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("faultline-cli-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(CliTest, ValidateReportsEachBadFileWithLocation) {
  Write("good.yaml", "name: good\nsteps:\n  - server: listen 80\n");
  std::string bad = Write("sub/bad.yaml", "name: bad\ntimeot: 1s\nsteps:\n  - server: listen 80\n");
  Output o = RunFaultline("validate " + dir_.string());
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.text,
              HasSubstr(bad + ":2:1: unknown key 'timeot' in case (did you mean 'timeout'?)"));
  EXPECT_THAT(o.text, EndsWith("1 valid, 1 invalid\n"));
}

TEST_F(CliTest, ValidateAcceptsTheCaseLibrary) {
  Output o = RunFaultline(std::string("validate ") + FAULTLINE_SOURCE_DIR + "/cases");
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, HasSubstr(" valid, 0 invalid"));
}

TEST_F(CliTest, MissingPathIsAnError) {
  Output o = RunFaultline("validate " + (dir_ / "nope").string());
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.text, HasSubstr("nope"));
}

TEST_F(CliTest, BadCommandLineExitsTwo) {
  EXPECT_EQ(RunFaultline("frobnicate").status, 2);
  EXPECT_EQ(RunFaultline("run").status, 2);
  EXPECT_EQ(RunFaultline("run --jobs 0 x").status, 2);
}

TEST_F(CliTest, ListPrintsNameTagsAndDescription) {
  Write("a.yaml",
        "name: alpha\ntags: [x, y]\ndescription: the first one\n"
        "steps:\n  - server: listen 80\n");
  Output o = RunFaultline("list " + dir_.string());
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_EQ(o.text, "alpha\n  file:     " + (dir_ / "a.yaml").string() +
                        "\n"
                        "  tags:     x, y\n"
                        "  families: ipv4, ipv6\n"
                        "  the first one\n"
                        "\n"
                        "1 case (2 variants)\n");
  Output j = RunFaultline("list --format json --width 50 " + dir_.string());
  EXPECT_EQ(j.status, 0) << j.text;
  EXPECT_THAT(j.text, HasSubstr("\"description\": \"the first one\""));
  EXPECT_EQ(RunFaultline("list --format yaml " + dir_.string()).status, 2);
}

TEST_F(CliTest, RunPassingAndFailingCases) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  Write("pass.yaml",
        "name: refused\nsteps:\n"
        "  - client: {connect: \"server:9\", as: c, expect: {errno: ECONNREFUSED}}\n");
  Output ok = RunFaultline("run --no-color --out " + (dir_ / "out1").string() + " " +
                           (dir_ / "pass.yaml").string());
  EXPECT_EQ(ok.status, 0) << ok.text;
  EXPECT_THAT(ok.text, HasSubstr("refused [ipv4]"));
  EXPECT_THAT(ok.text, HasSubstr("refused [ipv6]"));
  EXPECT_THAT(ok.text, EndsWith("2 passed, 0 failed\n"));
  EXPECT_TRUE(fs::exists(dir_ / "out1" / "junit.xml"));

  std::string failing = Write("fail.yaml",
                              "name: wrong\nfamily: ipv6\nsteps:\n"
                              "  - client: {connect: \"server:9\", as: c, expect: {ret: 0}}\n");
  Output bad = RunFaultline("run --no-color --out " + (dir_ / "out2").string() + " " + failing);
  EXPECT_EQ(bad.status, 1) << bad.text;
  EXPECT_THAT(bad.text, HasSubstr(failing + ":4:5: step 1 (client: connect to server:9 as c): "
                                            "expected ret 0 vs actual ret -1 ECONNREFUSED"));
  EXPECT_THAT(bad.text, EndsWith("0 passed, 1 failed\n"));
}

// Issue 17, finding 2: the output location is checked once, before any case
// starts: one message and exit 2, nothing written through a link or over a
// device.
TEST_F(CliTest, BadOutputLocationIsOneErrorBeforeAnyCase) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to reach the run's start";
  for (const char* n : {"a", "b", "c"}) {
    Write(std::string(n) + ".yaml",
          std::string("name: ") + n +
              "\nsteps:\n  - client: {connect: \"server:9\", as: c, expect: {errno: "
              "ECONNREFUSED}}\n");
  }
  const std::string cases = (dir_ / "a.yaml").string() + " " + (dir_ / "b.yaml").string() + " " +
                            (dir_ / "c.yaml").string();
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  fs::create_directories(dir_ / "elsewhere");
  fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "link");
  const std::string link = (dir_ / "link").string();
  Output o = RunFaultline("run --no-color --out " + link + " " + cases);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(o.text,
            "faultline run: --out " + link + ": a symbolic link; refusing to write through it\n");
  EXPECT_TRUE(fs::is_empty(dir_ / "elsewhere"));

  fs::create_directories(dir_ / "out");
  fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "out" / "pcap");
  o = RunFaultline("run --no-color --out " + (dir_ / "out").string() + " " + cases);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(count(o.text, "faultline run:"), 1u) << o.text;
  EXPECT_THAT(o.text, HasSubstr((dir_ / "out" / "pcap").string() +
                                " is a symbolic link; refusing to write through it"));
  EXPECT_TRUE(fs::is_empty(dir_ / "elsewhere"));

  o = RunFaultline("run --no-color --junit /dev/full --out " + (dir_ / "out2").string() + " " +
                   cases);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(o.text,
            "faultline run: --junit /dev/full: not a regular file (character device); refusing "
            "to replace it\n");
  EXPECT_TRUE(fs::is_character_file("/dev/full"));

  Write("file", "x");
  const std::string under_file = (dir_ / "file" / "out").string();
  o = RunFaultline("run --no-color --out " + under_file + " " + cases);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(count(o.text, "faultline run:"), 1u) << o.text;
  EXPECT_THAT(o.text, HasSubstr("--out " + under_file + ": "));
  EXPECT_THAT(o.text, Not(HasSubstr("PASS")));
}

}  // namespace
}  // namespace faultline
