#include "harness/common/line_matcher.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace faultline {
namespace {

using LT = LineMatcher::Test;

TEST(LineMatcherTest, PlainTextIsTheWholeLine) {
  LineMatcher m(LT::kEquals, "ready", 100);
  EXPECT_EQ(m.Feed("not ready\nready now\n"), std::nullopt);
  EXPECT_EQ(m.Feed("ready\n"), "ready");
  EXPECT_TRUE(m.matched());
  EXPECT_EQ(m.Feed("ready\n"), std::nullopt);  // once
}

TEST(LineMatcherTest, ALineSplitAcrossReadsWaitsForItsNewline) {
  LineMatcher m(LT::kEquals, "listening on 9000", 100);
  EXPECT_EQ(m.Feed("start\nlisten"), std::nullopt);
  EXPECT_EQ(m.Feed("ing on "), std::nullopt);
  EXPECT_EQ(m.Feed("9000"), std::nullopt);  // no newline yet
  EXPECT_FALSE(m.matched());
  EXPECT_EQ(m.Feed("\nmore"), "listening on 9000");
}

TEST(LineMatcherTest, ALastLineWithoutNewlineNeverMatches) {
  LineMatcher m(LT::kContains, "ready", 100);
  EXPECT_EQ(m.Feed("ready"), std::nullopt);
  EXPECT_FALSE(m.matched());
}

TEST(LineMatcherTest, CrlfLineEndsDropTheCarriageReturn) {
  LineMatcher m(LT::kEquals, "ready", 100);
  EXPECT_EQ(m.Feed("ready\r"), std::nullopt);
  EXPECT_EQ(m.Feed("\n"), "ready");
  LineMatcher re(LT::kMatches, "^ready$", 100);
  EXPECT_EQ(re.Feed("x\r\nready\r\n"), "ready");
}

TEST(LineMatcherTest, ContainsAndMatchesTestEachLineAlone) {
  LineMatcher c(LT::kContains, "port 80", 100);
  EXPECT_EQ(c.Feed("on port\n80\n"), std::nullopt);  // not across lines
  EXPECT_EQ(c.Feed("bound to port 8080\n"), "bound to port 8080");
  LineMatcher r(LT::kMatches, R"(^up \d+$)", 100);
  EXPECT_EQ(r.Feed("up\nup 12 x\nup 12\n"), "up 12");
  LineMatcher bad(LT::kMatches, "(", 100);
  EXPECT_EQ(bad.Feed("(\n"), std::nullopt);
}

TEST(LineMatcherTest, AHugeLineIsTestedOnItsFirstMaxBytesAndTheRestSkipped) {
  LineMatcher m(LT::kEquals, "aaaa", 4);
  EXPECT_EQ(m.Feed("aaaabbbb"), "aaaa");  // cut at 4 bytes, without its newline
  LineMatcher skip(LT::kEquals, "bbbb", 4);
  EXPECT_EQ(skip.Feed("aaaabb"), std::nullopt);
  EXPECT_EQ(skip.Feed("bb\nbb"), std::nullopt);  // the rest of the cut line is skipped
  EXPECT_EQ(skip.Feed("bb\n"), "bbbb");
  LineMatcher exact(LT::kEquals, "abcd", 4);
  EXPECT_EQ(exact.Feed("abcd"), std::nullopt);  // exactly max bytes: waits for the newline
  EXPECT_EQ(exact.Feed("\n"), "abcd");
}

TEST(LineMatcherTest, ALineOfMegabytesInSmallReadsKeepsOnlyMaxBytes) {
  LineMatcher m(LT::kEquals, "end", 48 * 1024);
  const std::string chunk(16384, 'x');
  for (int i = 0; i < 64; ++i) EXPECT_EQ(m.Feed(chunk), std::nullopt);
  EXPECT_EQ(m.Feed("\nend\n"), "end");
}

TEST(LineMatcherTest, EmptyLines) {
  LineMatcher m(LT::kEquals, "", 10);
  EXPECT_EQ(m.Feed("x\n\n"), "");
}

}  // namespace
}  // namespace faultline
