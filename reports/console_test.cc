#include "reports/console.h"

#include <gtest/gtest.h>

#include "reports/test_results.h"

namespace faultline {
namespace {

std::string LastLine(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::string body = text.substr(0, text.size() - 1);
  size_t nl = body.rfind('\n');
  return nl == std::string::npos ? body : body.substr(nl + 1);
}

TEST(ConsoleDurationTest, MillisecondsThenSeconds) {
  EXPECT_EQ(ConsoleDuration(12'345'678), "12.3ms");
  EXPECT_EQ(ConsoleDuration(850'000), "0.8ms");
  EXPECT_EQ(ConsoleDuration(0), "0.0ms");
  EXPECT_EQ(ConsoleDuration(1'250'000'000), "1.25s");
  EXPECT_EQ(ConsoleDuration(-5), "0.0ms");
}

TEST(ConsoleCaseLineTest, PassIsOneLine) {
  RunResult r = testing::SampleRun();
  EXPECT_EQ(ConsoleCaseLine(r.cases[0], false), "PASS  12.3ms  handshake [ipv4]\n");
}

TEST(ConsoleCaseLineTest, FailAddsIndentedMessage) {
  RunResult r = testing::SampleRun();
  EXPECT_EQ(ConsoleCaseLine(r.cases[1], false),
            "FAIL  1.25s  syn <drop> & \"retry\" [ipv6]\n"
            "    cases/tcp/syn_drop.yaml:12:5: step 2 (client: connect c to server:8080): "
            "expected ret 0 vs actual ret -1 ECONNREFUSED\n");
}

TEST(ConsoleCaseLineTest, MultiLineMessageIndentedEachLine) {
  RunResult r = testing::SampleRun();
  EXPECT_EQ(ConsoleCaseLine(r.cases[2], false),
            "ERROR  0.8ms  udp echo [ipv4]\n"
            "    cases/udp/echo.yaml:1: peer client exited\n"
            "    with status 1\n");
}

TEST(ConsoleCaseLineTest, LocationPrependedWhenMissing) {
  CaseResult c;
  c.name = "x";
  c.variant = "ipv4";
  c.outcome = Outcome::kSkip;
  c.message = "needs cubic";
  c.message_loc = {"a.yaml", 3, 1};
  EXPECT_EQ(ConsoleCaseLine(c, false), "SKIP  0.0ms  x [ipv4]\n    a.yaml:3:1: needs cubic\n");
}

TEST(ConsoleCaseLineTest, ControlBytesEscaped) {
  CaseResult c;
  c.name = std::string("a\x1b[2Jb\0c", 8);
  c.variant = "ipv4";
  EXPECT_EQ(ConsoleCaseLine(c, false), "PASS  0.0ms  a\\x1b[2Jb\\x00c [ipv4]\n");
}

TEST(ConsoleCaseLineTest, ColorWrapsStatusWordOnly) {
  RunResult r = testing::SampleRun();
  std::string line = ConsoleCaseLine(r.cases[0], true);
  EXPECT_EQ(line, "\x1b[32mPASS\x1b[0m  12.3ms  handshake [ipv4]\n");
}

TEST(ConsoleSummaryTest, LastLineCountsAllOutcomes) {
  RunResult r = testing::SampleRun();
  EXPECT_EQ(LastLine(ConsoleSummary(r, false)), "1 passed, 1 failed, 1 error, 1 skipped");
  EXPECT_EQ(LastLine(ConsoleSummary(r, true)), "1 passed, 1 failed, 1 error, 1 skipped");
  r.cases.push_back(r.cases[2]);
  EXPECT_EQ(LastLine(ConsoleSummary(r, false)), "1 passed, 1 failed, 2 errors, 1 skipped");
}

TEST(ConsoleSummaryTest, LastLineOmitsZeroErrorsAndSkips) {
  RunResult r = testing::SampleRun();
  r.cases.resize(2);
  EXPECT_EQ(LastLine(ConsoleSummary(r, false)), "1 passed, 1 failed");
  r.cases.resize(1);
  EXPECT_EQ(LastLine(ConsoleSummary(r, false)), "1 passed, 0 failed");
  r.cases.clear();
  EXPECT_EQ(LastLine(ConsoleSummary(r, false)), "0 passed, 0 failed");
}

TEST(ConsoleSummaryTest, SlowestFiveInOrderAndFailuresRepeated) {
  RunResult r;
  r.duration_ns = 2'000'000'000;
  r.kernel = "6.1.0";
  for (int i = 0; i < 7; ++i) {
    CaseResult c;
    c.name = "c" + std::to_string(i);
    c.variant = "ipv4";
    c.duration_ns = (i + 1) * 10'000'000;
    r.cases.push_back(c);
  }
  r.cases[2].outcome = Outcome::kFail;
  r.cases[2].message = "f.yaml:2: boom";
  std::string s = ConsoleSummary(r, false);
  EXPECT_NE(s.find("Ran 7 cases in 2.00s (kernel 6.1.0)\n"), std::string::npos) << s;
  EXPECT_NE(s.find("Slowest 5:\n"
                   "    70.0ms  c6 [ipv4]\n"
                   "    60.0ms  c5 [ipv4]\n"
                   "    50.0ms  c4 [ipv4]\n"
                   "    40.0ms  c3 [ipv4]\n"
                   "    30.0ms  c2 [ipv4]\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("c1 [ipv4]"), std::string::npos) << s;
  EXPECT_NE(s.find("Failures:\nFAIL  c2 [ipv4]\n    f.yaml:2: boom\n"), std::string::npos) << s;
  EXPECT_EQ(LastLine(s), "6 passed, 1 failed");
}

}  // namespace
}  // namespace faultline
