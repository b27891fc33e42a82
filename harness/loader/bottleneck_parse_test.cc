// do: bottleneck and do: slots as the loader reads them.
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

Case Load(const std::string& faults) {
  StatusOr<Case> c =
      LoadCaseText("name: a\nsteps:\n  - client: sleep 1s\nfaults:\n" + faults, "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : Case{};
}

TEST(BottleneckParseTest, DefaultsAndAllParams) {
  Case c = Load(
      "  - {match: {from: client}, do: bottleneck, rate: 10mbit}\n"
      "  - {match: {}, do: bottleneck, rate: 2500000, overhead: -20, queue: 50, delay: 20ms}\n"
      "  - {match: {}, do: bottleneck, rate: 1.5gbit, queue: 64KiB}\n");
  ASSERT_EQ(c.faults.size(), 3u);
  const FaultAction& a = c.faults[0].action;
  EXPECT_EQ(a.kind, ActionKind::kBottleneck);
  EXPECT_EQ(a.rate_bps, 10'000'000);
  EXPECT_EQ(a.overhead, 0);
  EXPECT_EQ(a.queue_packets, 1000);
  EXPECT_EQ(a.queue_bytes, 0);
  EXPECT_EQ(a.delay, 0s);
  const FaultAction& b = c.faults[1].action;
  EXPECT_EQ(b.rate_bps, 2'500'000);
  EXPECT_EQ(b.overhead, -20);
  EXPECT_EQ(b.queue_packets, 50);
  EXPECT_EQ(b.delay, 20ms);
  EXPECT_EQ(c.faults[2].action.rate_bps, 1'500'000'000);
  EXPECT_EQ(c.faults[2].action.queue_bytes, 65536);
}

TEST(BottleneckParseTest, Slots) {
  Case c = Load(
      "  - {match: {}, do: slots, interval: 10ms, packets: 4}\n"
      "  - {match: {}, do: slots, interval: [5ms, 15ms], bytes: 3KB, packets: 2, queue: 30}\n");
  const FaultAction& a = c.faults[0].action;
  EXPECT_EQ(a.kind, ActionKind::kSlots);
  EXPECT_EQ(a.slot_lo, 10ms);
  EXPECT_EQ(a.slot_hi, 10ms);
  EXPECT_EQ(a.slot_packets, 4);
  EXPECT_EQ(a.slot_bytes, 0);
  const FaultAction& b = c.faults[1].action;
  EXPECT_EQ(b.slot_lo, 5ms);
  EXPECT_EQ(b.slot_hi, 15ms);
  EXPECT_EQ(b.slot_bytes, 3000);
  EXPECT_EQ(b.slot_packets, 2);
  EXPECT_EQ(b.queue_packets, 30);
}

}  // namespace
}  // namespace faultline
