#include "reports/text_escape.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(Utf8Test, ValidAndInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(SafeTextTest, EscapesInvalidBytesAlways) {
  EXPECT_EQ(SafeText("a\xff"
                     "b",
                     false),
            "a\\xffb");
  EXPECT_EQ(SafeText("\xe2\x82", false), "\\xe2\\x82");
  EXPECT_EQ(SafeText("caf\xc3\xa9", true), "caf\xc3\xa9");
}

TEST(SafeTextTest, ControlsOnlyWhenAsked) {
  std::string s("a\0b\x1b\tc\nd\re\x7f", 11);
  EXPECT_EQ(SafeText(s, false), s);
  EXPECT_EQ(SafeText(s, true), "a\\x00b\\x1b\tc\nd\re\\x7f");
  EXPECT_EQ(SafeText("\xef\xbf\xbe", true), "\\u{FFFE}");
}

TEST(HtmlEscapeTest, EscapesMarkupAndControls) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape(std::string("\0", 1)), "\\x00");
}

TEST(Base64Test, RoundTripAllLengths) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < 10; ++n) {
    std::string s = all.substr(250 - n, n);
    std::optional<std::string> back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, s) << n;
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(*Base64Decode(Base64Encode(all)), all);
}

TEST(Base64Test, RejectsMalformed) {
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("ab!d").has_value());
  EXPECT_FALSE(Base64Decode("a=bc").has_value());
  EXPECT_FALSE(Base64Decode("Zm8=Zm8=").has_value());
}

}  // namespace
}  // namespace faultline
