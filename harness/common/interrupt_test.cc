#include "harness/common/interrupt.h"

#include <poll.h>
#include <signal.h>

#include <atomic>

#include <gtest/gtest.h>

namespace faultline {
namespace {

// One test: a stop request cannot be taken back within a process.
TEST(Interrupt, FirstRequestWinsAndWakesEveryone) {
  ASSERT_EQ(InterruptSignal(), 0);
  EXPECT_EQ(InterruptReason(), "");
  ASSERT_GE(InterruptFd(), 0);
  pollfd p{InterruptFd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0) << "readable before any request";

  std::atomic<int> before{0}, removed{0};
  const int id = AddInterruptListener([&] { ++before; });
  const int gone = AddInterruptListener([&] { ++removed; });
  RemoveInterruptListener(gone);

  RequestInterrupt(SIGTERM);
  RequestInterrupt(SIGINT);  // too late: SIGTERM stands
  EXPECT_EQ(InterruptSignal(), SIGTERM);
  EXPECT_EQ(InterruptReason(), "interrupted by SIGTERM");
  EXPECT_EQ(before.load(), 1);
  EXPECT_EQ(removed.load(), 0);
  EXPECT_EQ(poll(&p, 1, 0), 1);
  EXPECT_EQ(poll(&p, 1, 0), 1) << "stays readable";

  std::atomic<int> after{0};
  const int late = AddInterruptListener([&] { ++after; });
  EXPECT_EQ(after.load(), 1) << "a listener added after the request runs at once";
  RemoveInterruptListener(id);
  RemoveInterruptListener(late);
}

}  // namespace
}  // namespace faultline
