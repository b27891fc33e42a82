#include "harness/runner/progress.h"

#include <sstream>

#include <gtest/gtest.h>

namespace faultline {
namespace {

CaseResult Result(const std::string& name, const std::string& variant, Outcome o,
                  uint64_t seed = 1) {
  CaseResult r;
  r.name = name;
  r.variant = variant;
  r.outcome = o;
  r.seed = seed;
  if (o != Outcome::kPass) r.message = "a.yaml:3:5: step 1: broke";
  return r;
}

// The CLI formats lines with reports/console; the runner only prints them.
std::string Line(const CaseResult& r) {
  return std::string(OutcomeName(r.outcome)) + "  " + r.FullName() + "\n";
}

TEST(Progress, PlainWhenNotATerminal) {
  std::ostringstream out;
  Progress p(out, /*live=*/false, 2, Line);
  p.Started();
  p.Started();
  p.Finished(Result("a", "ipv4", Outcome::kPass));
  p.Finished(Result("b", "ipv4", Outcome::kFail));
  p.Done();
  const std::string s = out.str();
  EXPECT_EQ(s.find('\r'), std::string::npos);
  EXPECT_EQ(s.find('\033'), std::string::npos);
  EXPECT_NE(s.find("pass  a [ipv4]\n"), std::string::npos);
  EXPECT_NE(s.find("b [ipv4]\n"), std::string::npos);
}

TEST(Progress, LiveLineIsRedrawnAndErased) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(out, /*live=*/true, 10, Line, clock);
  p.Started();
  p.Started();
  EXPECT_EQ(p.StatusText().substr(0, 28), "[ 0/10]  2 running  0 failed");
  p.Finished(Result("b", "ipv6", Outcome::kError));
  EXPECT_EQ(p.StatusText().substr(0, 28), "[ 1/10]  1 running  1 failed");
  p.Done();
  const std::string s = out.str();
  // The result line is printed on a cleared line, the status line after it,
  // and Done() leaves the cursor on an empty line.
  EXPECT_NE(s.find("\r\033[K"), std::string::npos);
  EXPECT_LT(s.find("b [ipv6]"), s.rfind("[ 1/10]"));
  EXPECT_EQ(s.substr(s.size() - 4), "\r\033[K");
}

TEST(Progress, UnboundedTotal) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(out, true, 0, Line, clock);
  p.Started();
  EXPECT_EQ(p.StatusText(), "[0]  1 running  0 failed  0:00");
}

TEST(Progress, ElapsedTimeComesFromTheClock) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(out, true, 3, Line, clock);
  p.Started();
  clock.Advance(59'999'000'000);
  EXPECT_EQ(p.StatusText(), "[0/3]  1 running  0 failed  0:59");
  clock.Advance(65'000'000'000);
  EXPECT_EQ(p.StatusText(), "[0/3]  1 running  0 failed  2:04");
}

TEST(Progress, PrintsTheCallersLineForEachResult) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(
      out, /*live=*/false, 1, [](const CaseResult& r) { return "<" + r.name + ">\n"; }, clock);
  p.Started();
  p.Finished(Result("a", "ipv4", Outcome::kPass));
  p.Done();
  EXPECT_EQ(out.str(), "<a>\n");
}

TEST(PassCounts, WorstFirstWithFirstFailure) {
  std::vector<CaseResult> rs = {
      Result("a", "ipv4 #1", Outcome::kPass), Result("b", "ipv6 #1", Outcome::kPass),
      Result("a", "ipv4 #2", Outcome::kPass), Result("b", "ipv6 #2", Outcome::kFail, 77),
      Result("a", "ipv4 #3", Outcome::kPass), Result("b", "ipv6 #3", Outcome::kError, 78),
  };
  EXPECT_EQ(PassCounts(rs),
            "pass counts over 3 rounds:\n"
            "     1/3  b [ipv6]  first failure: round 2, seed 77\n"
            "     3/3  a [ipv4]\n");
  EXPECT_EQ(PassCounts({}), "");
}

}  // namespace
}  // namespace faultline
