// The faultline command line as a user runs it: exit statuses, output lines,
// error messages. `run` needs root (it builds labs); validate and list do not.
#include <sys/stat.h>
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

// As RunFaultline, but ended after 20 s (status 124) should it hang.
Output RunFaultlineBounded(const std::string& args) {
  std::string cmd =
      "timeout -s KILL 20 " + std::string(FAULTLINE_BIN) + " " + args + " 2>&1 </dev/null";
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

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
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

// Issue 17, finding 5: --seed -1 became 18446744073709551615.
TEST_F(CliTest, SeedIsRangeChecked) {
  std::string c = Write("a.yaml", "name: a\nsteps:\n  - server: listen 80\n");
  for (const char* bad : {"-1", "abc", "9223372036854775808", "1e3", "\"\""}) {
    Output o = RunFaultline(std::string("run --list --seed ") + bad + " " + c);
    EXPECT_EQ(o.status, 2) << bad << ": " << o.text;
    EXPECT_THAT(o.text, HasSubstr("is not a seed: a non-negative integer below 2^63 is needed"))
        << bad;
  }
  Output ok = RunFaultline("run --list --seed 9223372036854775807 " + c);
  EXPECT_EQ(ok.status, 0) << ok.text;
}

// A FIFO was opened for reading and the run hung; `timeout` bounds the wait
// (124 if it still hangs).
TEST_F(CliTest, FifoAndSymlinkLoopAreClearErrors) {
  std::string fifo = (dir_ / "pipe.yaml").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Output o = RunFaultlineBounded("validate " + fifo);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr(fifo + ": is a FIFO; a case file must be a regular file"));
  Output t = RunFaultlineBounded("run --out " + (dir_ / "out").string() + " " + fifo);
  EXPECT_EQ(t.status, 2) << t.text;

  fs::create_symlink(dir_ / "b.yaml", dir_ / "a.yaml");
  fs::create_symlink(dir_ / "a.yaml", dir_ / "b.yaml");
  Output l = RunFaultline("validate " + (dir_ / "a.yaml").string());
  EXPECT_EQ(l.status, 2);
  EXPECT_THAT(l.text, HasSubstr((dir_ / "a.yaml").string() +
                                ": too many levels of symbolic links (a symlink loop?)"));
}

TEST_F(CliTest, ReportMergeRefusesDevicesAndFifos) {
  Output z = RunFaultlineBounded("report merge --out " + (dir_ / "m").string() + " /dev/zero");
  EXPECT_EQ(z.status, 2) << z.text;
  EXPECT_THAT(z.text, HasSubstr("faultline report merge: /dev/zero: is a character device; a "
                                "report.json must be a regular file"));
  std::string fifo = (dir_ / "r.json").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Output f = RunFaultlineBounded("report merge --out " + (dir_ / "m").string() + " " + fifo);
  EXPECT_EQ(f.status, 2) << f.text;
  EXPECT_THAT(f.text, HasSubstr(fifo + ": is a FIFO; a report.json must be a regular file"));
}

// Issue 17, finding 6: no valid case at all still leaves reports that say so.
TEST_F(CliTest, RunWithOnlyInvalidFilesReportsThem) {
  std::string bad = Write("sub/bad.yaml", "name: bad\ntimeot: 1s\nsteps:\n  - server: listen 80\n");
  fs::path out = dir_ / "out";
  Output o = RunFaultline("run --no-color --out " + out.string() + " " + bad);
  EXPECT_EQ(o.status, 2) << o.text;
  std::string junit = ReadAll(out / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("tests=\"1\""));
  EXPECT_THAT(junit, HasSubstr("errors=\"1\""));
  EXPECT_THAT(junit, HasSubstr("<testcase name=\"" + bad + "\" classname=\"sub.bad\""));
  EXPECT_THAT(junit, HasSubstr("<error message=\"" + bad +
                               ":2:1: unknown key 'timeot' in case (did you mean "
                               "'timeout'?)\" type=\"invalid case file\""));
  EXPECT_THAT(ReadAll(out / "report.json"), HasSubstr("\"invalid_file\": true"));
  EXPECT_THAT(ReadAll(out / "report.html"), HasSubstr("invalid case file: it did not load"));
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

// Issue 17, finding 6: the run exits 2 for an invalid file and every report
// says so (JUnit said 1 test, 0 failures).
TEST_F(CliTest, InvalidFileIsInEveryReport) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  Write("cases/good.yaml",
        "name: refused\nfamily: ipv4\nsteps:\n"
        "  - client: {connect: \"server:9\", as: c, expect: {errno: ECONNREFUSED}}\n");
  std::string bad = Write("cases/bad.yaml", "name: bad\nsteps:\n  - client: slep 1s\n");
  fs::path out = dir_ / "out";
  Output o = RunFaultline("run --no-color --out " + out.string() + " " + (dir_ / "cases").string());
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("refused [ipv4]"));
  const std::string msg = bad +
                          ":3:13: step 1: unknown operation 'slep' (did you mean "
                          "'sleep'?)";
  std::string junit = ReadAll(out / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("tests=\"2\" failures=\"0\" errors=\"1\">"));
  EXPECT_THAT(junit, HasSubstr("<testcase name=\"" + bad + "\" classname=\"cases.bad\""));
  EXPECT_THAT(junit, HasSubstr("<error message=\"" + msg + "\" type=\"invalid case file\""));
  std::string html = ReadAll(out / "report.html");
  EXPECT_THAT(html, HasSubstr("data-outcome=\"error\" data-tags=\"[]\" data-name=\"" + bad));
  EXPECT_THAT(html, HasSubstr("invalid case file: it did not load, nothing ran"));
  std::string json = ReadAll(out / "report.json");
  EXPECT_THAT(json, HasSubstr("\"invalid_file\": true"));
  EXPECT_THAT(json, HasSubstr("\"outcome\": \"error\""));
  EXPECT_THAT(json, HasSubstr("\"error\":1"));
}

// Issue 16: packetdrill scripts (.pkt) are case files. A script that does not
// load is reported like an invalid YAML file, with its location; these hold
// whatever the packetdrill loader's exact wording.
TEST_F(CliTest, ValidateTakesPacketdrillScriptsBesideYaml) {
  Write("suite/good.yaml", "name: good\nsteps:\n  - server: listen 80\n");
  std::string bad = Write("suite/tcp/broken.pkt", "this is not packetdrill\n");
  Output o = RunFaultline("validate " + (dir_ / "suite").string());
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr(bad + ":"));
  EXPECT_THAT(o.text, EndsWith("1 valid, 1 invalid\n"));
  // Named as a file, too.
  o = RunFaultline("validate " + bad);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr(bad + ":"));
  EXPECT_THAT(o.text, EndsWith("0 valid, 1 invalid\n"));
}

TEST_F(CliTest, PacketdrillOptionsAreCheckedAndTaken) {
  std::string good = Write("good.yaml", "name: good\nsteps:\n  - server: listen 80\n");
  for (const char* cmd : {"validate", "list", "run --list"}) {
    Output o = RunFaultline(std::string(cmd) +
                            " -D A=1 -DB=x=y --define C= --ip-version ipv4-mapped-ipv6 " + good);
    EXPECT_EQ(o.status, 0) << cmd << ": " << o.text;
  }
  for (const char* bad : {"A", "=1", "1A=2", "A-B=1"}) {
    Output o = RunFaultline(std::string("validate -D ") + bad + " " + good);
    EXPECT_EQ(o.status, 2) << bad << ": " << o.text;
    EXPECT_THAT(o.text, HasSubstr(std::string("--define: '") + bad +
                                  "' is not a definition: NAME=VALUE is needed (NAME: letters, "
                                  "digits and '_', not starting with a digit)"));
  }
  Output o = RunFaultline("validate --ip-version ipv5 " + good);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("--ip-version: ipv5 not in {ipv4,ipv6,ipv4-mapped-ipv6}"));
  // The options reach the script's loader; a broken script stays broken.
  std::string bad = Write("broken.pkt", "this is not packetdrill\n");
  o = RunFaultline("validate -D A=1 --ip-version ipv6 " + bad);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr(bad + ":"));
}

// Each of -D, --filter and --tag takes one value: the paths after it are
// paths (CLI11 gave a vector option every following argument: `--filter zzz
// a.yaml a.yaml` ran a.yaml, the first path taken as a filter).
TEST_F(CliTest, RepeatableOptionsTakeOneValueEach) {
  std::string a = Write("a.yaml", "name: a\nsteps:\n  - server: listen 80\n");
  std::string b = Write("b.yaml", "name: b\nsteps:\n  - server: listen 80\n");
  Output o = RunFaultline("validate -D A=1 " + a + " " + b);
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, EndsWith("2 valid, 0 invalid\n"));
  o = RunFaultline("run --list -D A=1 " + a + " " + b);
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, EndsWith("4 variants selected\n"));
  o = RunFaultline("run --list --filter zzz " + a + " " + b);
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, EndsWith("0 variants selected\n"));
  o = RunFaultline("run --list --tag zzz " + a + " " + b);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, EndsWith("faultline run: --tag 'zzz': no case has this tag (the cases have "
                               "no tags)\n"));
  o = RunFaultline("run --list --filter a " + a);
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, EndsWith("2 variants selected\n"));
  std::string c = Write("c.yaml",
                        "name: c\nfamily: ipv4\ntags: [fast]\nsteps:\n  - server: "
                        "listen 80\n");
  o = RunFaultline("run --list " + c);
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, EndsWith("1 variant selected\n"));
  o = RunFaultline("run --list --tag fsat " + c);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(o.text, "faultline run: --tag 'fsat': no case has this tag (did you mean 'fast'?)\n");
}

// A directory without case files is a usage error (exit 2), not a failed
// run, for run and validate alike.
TEST_F(CliTest, EmptyDirectoryExitsTwo) {
  fs::create_directories(dir_ / "empty");
  std::string d = (dir_ / "empty").string();
  Output o = RunFaultline("run --out " + (dir_ / "out").string() + " " + d);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(o.text, "faultline run: no case file (*.yaml, *.yml, *.pkt) in " + d + "\n");
  o = RunFaultline("validate " + d);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_EQ(o.text, "faultline validate: no case file (*.yaml, *.yml, *.pkt) in " + d + "\n");
}

// A run with a script that does not load: exit 2, and an error testcase in
// every report, named after the script, as for an invalid YAML file.
TEST_F(CliTest, RunReportsAnInvalidScriptInEveryReport) {
  std::string bad = Write("tcp/broken.pkt", "this is not packetdrill\n");
  fs::path out = dir_ / "out";
  Output o = RunFaultline("run --no-color --out " + out.string() + " " + bad);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr(bad + ":"));
  std::string junit = ReadAll(out / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("tests=\"1\""));
  EXPECT_THAT(junit, HasSubstr("errors=\"1\""));
  EXPECT_THAT(junit, HasSubstr("<testcase name=\"" + bad + "\" classname=\"tcp.broken\""));
  EXPECT_THAT(junit, HasSubstr("<error message=\"" + bad + ":"));
  EXPECT_THAT(junit, HasSubstr("type=\"invalid case file\""));
  EXPECT_THAT(ReadAll(out / "report.json"), HasSubstr("\"invalid_file\": true"));
  EXPECT_THAT(ReadAll(out / "report.html"), HasSubstr("invalid case file: it did not load"));
}

// Both kinds in one run: the YAML case runs, the script that does not load
// is an error testcase beside it.
TEST_F(CliTest, RunMixesYamlCasesAndScripts) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  Write("suite/good.yaml",
        "name: refused\nfamily: ipv4\nsteps:\n"
        "  - client: {connect: \"server:9\", as: c, expect: {errno: ECONNREFUSED}}\n");
  std::string bad = Write("suite/broken.pkt", "this is not packetdrill\n");
  fs::path out = dir_ / "out";
  Output o =
      RunFaultline("run --no-color -D X=1 --out " + out.string() + " " + (dir_ / "suite").string());
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("refused [ipv4]"));
  std::string junit = ReadAll(out / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("tests=\"2\" failures=\"0\" errors=\"1\">"));
  EXPECT_THAT(junit, HasSubstr("<testcase name=\"" + bad + "\""));
}

// Issue 16: %{ }% blocks run, after the script, in one python3 inside the
// lab host's peer, with the tcp_info snapshots taken at their places.
TEST_F(CliTest, PacketdrillCodeBlocksRunWithTheSnapshotValues) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  const std::string dir = std::string(FAULTLINE_SOURCE_DIR) + "/tests/pktdrill/";
  fs::path out = dir_ / "out";
  Output o = RunFaultline("run --no-color --ip-version ipv4 --out " + out.string() + " " + dir +
                          "tcp-info-blocks.pkt");
  EXPECT_EQ(o.status, 0) << o.text;
  std::string json = ReadAll(out / "report.json");
  EXPECT_THAT(json, HasSubstr("\"tcpi_snd_mss\":1000"));
  EXPECT_THAT(json, HasSubstr("\"tcpi_state\":10"));  // the listener's block

  const std::string fails = dir + "failing/tcp-info-block-fails.pkt";
  o = RunFaultline("run --no-color --ip-version ipv4 --out " + (dir_ / "out2").string() + " " +
                   fails);
  EXPECT_EQ(o.status, 1) << o.text;
  EXPECT_THAT(o.text, HasSubstr(fails + ":12:1: BLOCK 1 (" + fails + ":12): AssertionError: 1"));
}

}  // namespace
}  // namespace faultline
