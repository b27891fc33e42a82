#include "harness/runner/setup_gate.h"

#include <signal.h>

#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "harness/common/interrupt.h"

namespace faultline {
namespace {

TEST(SetupGate, HoldsUpToItsSlots) {
  SetupGate gate(2);
  SetupGate::Hold a(&gate);
  {
    SetupGate::Hold b(&gate);
    EXPECT_EQ(gate.free_slots(), 0);
    EXPECT_FALSE(b.interrupted());
  }
  EXPECT_EQ(gate.free_slots(), 1);
  SetupGate::Hold none(nullptr);
  EXPECT_FALSE(none.interrupted());
}

// A stop request cannot be taken back within a process: in a child of its own.
TEST(SetupGateDeathTest, StopRequestWakesAWaiterWithoutASlot) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        SetupGate gate(1);
        SetupGate::Hold taken(&gate);
        bool interrupted = false;
        std::thread waiter([&] {
          SetupGate::Hold h(&gate);  // blocks: the only slot is taken
          interrupted = h.interrupted();
        });
        RequestInterrupt(SIGINT);
        waiter.join();
        // The waiter left without a slot; the taken one is still taken.
        std::exit(interrupted && gate.free_slots() == 0 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace faultline
