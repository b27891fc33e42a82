#include "harness/loader/units_parser.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(UnitsParserTest, Rates) {
  EXPECT_EQ(ParseRate("10mbit"), 10'000'000);
  EXPECT_EQ(ParseRate("100kbit"), 100'000);
  EXPECT_EQ(ParseRate("1gbit"), 1'000'000'000);
  EXPECT_EQ(ParseRate("500000bit"), 500'000);
  EXPECT_EQ(ParseRate("1.5Mbit"), 1'500'000);
  EXPECT_EQ(ParseRate("12500000bps"), std::nullopt);
  EXPECT_EQ(ParseRate("10mbps"), std::nullopt);
  EXPECT_EQ(ParseRate("mbit"), std::nullopt);
  EXPECT_EQ(ParseRate("1.2345kbit"), std::nullopt);  // more than 3 decimals
  EXPECT_EQ(ParseRate("1.5bit"), std::nullopt);      // not whole bits
  EXPECT_EQ(ParseRate("10"), std::nullopt);          // a plain integer is read as YAML
  EXPECT_EQ(ParseRate("99999999999999999999gbit"), std::nullopt);
}

TEST(UnitsParserTest, Sizes) {
  EXPECT_EQ(ParseSize("64KB"), 64'000);
  EXPECT_EQ(ParseSize("1MB"), 1'000'000);
  EXPECT_EQ(ParseSize("64KiB"), 65'536);
  EXPECT_EQ(ParseSize("1MiB"), 1'048'576);
  EXPECT_EQ(ParseSize("1GiB"), 1'073'741'824);
  EXPECT_EQ(ParseSize("1.5KB"), 1500);
  EXPECT_EQ(ParseSize("150kb"), 150'000);
  EXPECT_EQ(ParseSize("10kbit"), std::nullopt);
  EXPECT_EQ(ParseSize("KB"), std::nullopt);
}

TEST(UnitsParserTest, FormatRate) {
  EXPECT_EQ(FormatRate(10'000'000), "10mbit");
  EXPECT_EQ(FormatRate(1'500'000), "1500kbit");
  EXPECT_EQ(FormatRate(999), "999bit");
  EXPECT_EQ(FormatRate(100'000'000'000), "100gbit");
}

}  // namespace
}  // namespace faultline
