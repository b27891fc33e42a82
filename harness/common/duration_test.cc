#include "harness/common/duration.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(ParseDuration("1s"), Duration(seconds(1)));
  EXPECT_EQ(ParseDuration("200ms"), Duration(milliseconds(200)));
  EXPECT_EQ(ParseDuration("1.5s"), Duration(milliseconds(1500)));
  EXPECT_EQ(ParseDuration("250us"), Duration(250'000));
  EXPECT_EQ(ParseDuration("7ns"), Duration(7));
  EXPECT_EQ(ParseDuration("2m"), Duration(seconds(120)));
  EXPECT_EQ(ParseDuration("0s"), Duration(0));
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "10", "s", "-1s", "1.s", ".5s", "1..5s", "1h", "1 s", "1sec", "1e3ms"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

TEST(FormatDuration, PicksReadableUnit) {
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(FormatDuration(Duration(850'000)), "850us");
  EXPECT_EQ(FormatDuration(Duration(1'500'000)), "1.5ms");
  EXPECT_EQ(FormatDuration(milliseconds(200)), "200ms");
  EXPECT_EQ(FormatDuration(milliseconds(1250)), "1.25s");
  EXPECT_EQ(FormatDuration(Duration(12)), "12ns");
}

TEST(DurationRange, ContainsIsInclusiveAndPrints) {
  DurationRange r{milliseconds(900), milliseconds(1600)};
  EXPECT_TRUE(r.Contains(milliseconds(900)));
  EXPECT_TRUE(r.Contains(milliseconds(1600)));
  EXPECT_FALSE(r.Contains(milliseconds(1601)));
  EXPECT_EQ(r.ToString(), "[900ms, 1.6s]");
  EXPECT_EQ((DurationRange{Duration(0), milliseconds(50)}.ToString()), "<= 50ms");
  EXPECT_EQ((DurationRange{seconds(1), Duration::max()}.ToString()), ">= 1s");
}

}  // namespace
}  // namespace faultline
