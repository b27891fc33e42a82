#include "harness/loader/did_you_mean.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(EditDistanceTest, Basics) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("timeot", "timeout"), 1);
  EXPECT_EQ(EditDistance("conect", "connect"), 1);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("ab", "ba"), 2);  // no transposition step
}

TEST(DidYouMeanTest, SuggestsWithinTwoEdits) {
  std::vector<std::string> keys = {"name", "timeout", "tags"};
  EXPECT_EQ(DidYouMean("timeot", keys), " (did you mean 'timeout'?)");
  EXPECT_EQ(DidYouMean("tmeot", keys), " (did you mean 'timeout'?)");
  EXPECT_EQ(DidYouMean("banana", keys), "");
  EXPECT_EQ(DidYouMean("timeout", keys), "");  // not misspelt
  EXPECT_EQ(ClosestName("tag", keys), "tags");
}

TEST(DidYouMeanTest, PrefersTheClosestThenTheFirst) {
  EXPECT_EQ(ClosestName("sed", {"send", "seed"}), "send");
  EXPECT_EQ(ClosestName("seedd", {"send", "seed"}), "seed");
  EXPECT_EQ(ClosestName("x", {}), "");
  EXPECT_EQ(ClosestName(std::string(1000, 'a'), {"a"}), "");
}

}  // namespace
}  // namespace faultline
