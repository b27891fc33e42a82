#include "harness/peer/fd_table.h"

#include <gtest/gtest.h>

namespace faultline::peer {
namespace {

TEST(FdTable, ReserveFillLookupTake) {
  FdTable t;
  ASSERT_TRUE(t.Reserve("c").ok());
  // Reserved but not filled: not usable yet.
  EXPECT_FALSE(t.Lookup("c").ok());
  t.Fill("c", 7);
  StatusOr<int> fd = t.Lookup("c");
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(*fd, 7);
  StatusOr<int> taken = t.Take("c");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, 7);
  EXPECT_FALSE(t.Lookup("c").ok());
  EXPECT_TRUE(t.Reserve("c").ok());  // the name is free again
}

TEST(FdTable, ErrorsNameTheSocket) {
  FdTable t;
  StatusOr<int> missing = t.Lookup("c");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(missing.status().message(), "no socket named 'c' on this host");
  EXPECT_EQ(t.Take("c").status().message(), "no socket named 'c' on this host");

  ASSERT_TRUE(t.Reserve("c").ok());
  Status again = t.Reserve("c");  // reserved counts as in use
  EXPECT_EQ(again.message(), "name 'c' is already in use on this host");
  t.Fill("c", 3);
  EXPECT_EQ(t.Reserve("c").message(), "name 'c' is already in use on this host");
}

TEST(FdTable, ReleaseDropsOnlyUnfilledReservations) {
  FdTable t;
  ASSERT_TRUE(t.Reserve("a").ok());
  t.Release("a");
  EXPECT_TRUE(t.Reserve("a").ok());
  t.Fill("a", 5);
  t.Release("a");  // filled: stays
  EXPECT_TRUE(t.Lookup("a").ok());
}

TEST(FdTable, NameOfFindsFilledNamesOnly) {
  FdTable t;
  ASSERT_TRUE(t.Reserve("a").ok());
  EXPECT_EQ(t.NameOf(-1), "");  // reserved, not filled
  t.Fill("a", 7);
  EXPECT_EQ(t.NameOf(7), "a");
  EXPECT_EQ(t.NameOf(8), "");
  ASSERT_TRUE(t.Take("a").ok());
  EXPECT_EQ(t.NameOf(7), "");
}

}  // namespace
}  // namespace faultline::peer
