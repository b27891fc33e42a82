#include "harness/common/text_pattern.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(TextPattern, FindsAnywhereWithLineAnchors) {
  EXPECT_TRUE(PatternFound("status.*ok", "x\nstatus: ok\n"));
  EXPECT_TRUE(PatternFound("^err$", "out\nerr\nmore"));
  EXPECT_TRUE(PatternFound("^connected to [0-9.]+$", "connected to 198.18.2.2\n"));
  EXPECT_FALSE(PatternFound("^err$", "an err here"));
  EXPECT_FALSE(PatternFound("status.ok", "status\nok"));  // . is not a newline
  EXPECT_TRUE(PatternFound("(?i)HELLO", "hello"));
  EXPECT_TRUE(PatternFound("\\(28\\)", "curl: (28) timed out"));
}

TEST(TextPattern, InvalidPatternsGiveRe2sReason) {
  EXPECT_TRUE(CheckPattern("a|b*").ok());
  EXPECT_EQ(CheckPattern("(").message(), "missing ): (");
  EXPECT_EQ(CheckPattern("(a)\\1").message(), "invalid escape sequence: \\1");
  EXPECT_EQ(CheckPattern("(?<=a)b").message(), "invalid perl operator: (?<");
  EXPECT_FALSE(PatternFound("(", "("));
}

TEST(TextPattern, MemoryIsBounded) {
  // Within RE2's repetition limit (1000), beyond kPatternMaxMem.
  EXPECT_TRUE(CheckPattern("\\w{1000}").ok());
  Status st = CheckPattern("\\pL{1000}");
  EXPECT_EQ(st.message(), "pattern too large - compile failed");
}

// libstdc++'s regex engine recursed once per character here and ended the
// runner with SIGSEGV on about 30 KB of output (issue 17, finding 1).
TEST(TextPattern, LongOutputDoesNotCrash) {
  std::string text(64 * 1024, 'x');
  text += "status ok";
  EXPECT_TRUE(PatternFound("status.*ok", text));
  std::string line(64 * 1024, 's');
  EXPECT_FALSE(PatternFound("status.*ok", line));
}

// Exponential backtracking with libstdc++'s engine (over 40 s for 41 characters);
// linear with RE2.
TEST(TextPattern, NestedRepetitionAnswersAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string a(10000, 'a');
  EXPECT_FALSE(PatternFound("^(a+)+$", a + "!"));
  EXPECT_FALSE(PatternFound("^(a|aa)+$", std::string(41, 'a') + "b"));
  EXPECT_TRUE(PatternFound("^(a+)+$", a));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

}  // namespace
}  // namespace faultline
