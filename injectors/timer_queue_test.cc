#include "injectors/timer_queue.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(TimerQueue, PopsDueTokensInDeadlineThenInsertionOrder) {
  TimerQueue q;
  EXPECT_EQ(q.NextDeadline(), std::nullopt);
  q.Add(300, 3);
  q.Add(100, 1);
  q.Add(200, 2);
  q.Add(100, 4);  // same deadline as token 1, added later
  EXPECT_EQ(q.NextDeadline(), 100);
  EXPECT_TRUE(q.PopDue(99).empty());
  EXPECT_EQ(q.PopDue(100), (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(q.NextDeadline(), 200);
  EXPECT_EQ(q.PopDue(1000), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.NextDeadline(), std::nullopt);
}

}  // namespace
}  // namespace faultline
