#include "injectors/bottleneck.h"

#include <vector>

#include <gtest/gtest.h>

namespace faultline {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(BottleneckLink, SerialisesAtTheRate) {
  // 10 Mbit/s: 1250 bytes take 1 ms.
  BottleneckLink link(10'000'000, 0, QueueLimit{}, 0);
  EXPECT_EQ(link.TxNs(1250), 1 * kMs);
  // Three back-to-back packets at t=0, one after the link went idle.
  LinkDecision a = link.Offer(0, 1250);
  LinkDecision b = link.Offer(0, 1250);
  LinkDecision c = link.Offer(kMs / 2, 1250);
  LinkDecision d = link.Offer(10 * kMs, 1250);
  EXPECT_EQ(a.release_ns, 1 * kMs);
  EXPECT_EQ(a.queued_ns, 0);
  EXPECT_EQ(b.release_ns, 2 * kMs);
  EXPECT_EQ(b.queued_ns, 1 * kMs);
  EXPECT_EQ(c.release_ns, 3 * kMs);
  EXPECT_EQ(c.queued_ns, 3 * kMs / 2);
  EXPECT_EQ(d.release_ns, 11 * kMs);
  EXPECT_EQ(d.queued_ns, 0);
  EXPECT_EQ(link.stats().packets, 4u);
  EXPECT_EQ(link.stats().bytes, 5000u);
  EXPECT_EQ(link.stats().max_queue, 3u);
  EXPECT_EQ(link.stats().max_queued_ns, 3 * kMs / 2);
  EXPECT_EQ(link.stats().MeanQueuedNs(), (kMs + 3 * kMs / 2) / 4);
}

TEST(BottleneckLink, OverheadAndDelay) {
  // 1000 + 250 overhead bytes at 10 Mbit/s = 1 ms, then 5 ms propagation.
  BottleneckLink link(10'000'000, 250, QueueLimit{}, 5 * kMs);
  EXPECT_EQ(link.Offer(0, 1000).release_ns, 6 * kMs);
  EXPECT_EQ(link.Offer(0, 1000).release_ns, 7 * kMs);
}

TEST(BottleneckLink, PacketLimitTailDrops) {
  // Queue of 2: a third packet while two have not departed is dropped.
  BottleneckLink link(10'000'000, 0, QueueLimit{2, 0}, 0);
  std::vector<bool> drops;
  for (int i = 0; i < 5; ++i) drops.push_back(link.Offer(0, 1250).drop);
  EXPECT_EQ(drops, (std::vector<bool>{false, false, true, true, true}));
  // At 1 ms the first departed: one place.
  EXPECT_FALSE(link.Offer(1 * kMs, 1250).drop);
  EXPECT_TRUE(link.Offer(1 * kMs, 1250).drop);
  EXPECT_EQ(link.stats().drops, 4u);
  EXPECT_EQ(link.stats().packets, 3u);
  EXPECT_EQ(link.stats().max_queue, 2u);
}

TEST(BottleneckLink, ByteLimitTailDrops) {
  BottleneckLink link(10'000'000, 0, QueueLimit{0, 3000}, 0);
  EXPECT_FALSE(link.Offer(0, 1500).drop);
  EXPECT_FALSE(link.Offer(0, 1500).drop);
  EXPECT_TRUE(link.Offer(0, 100).drop);  // 3100 > 3000
  // A packet larger than the limit still enters an empty queue.
  BottleneckLink small(10'000'000, 0, QueueLimit{0, 100}, 0);
  EXPECT_FALSE(small.Offer(0, 1500).drop);
  EXPECT_TRUE(small.Offer(0, 1).drop);
}

TEST(BottleneckLink, RateChangeAppliesFromTheChangeOn) {
  BottleneckLink link(10'000'000, 0, QueueLimit{}, 0);
  EXPECT_EQ(link.Offer(0, 1250).release_ns, 1 * kMs);
  link.SetRate(1'000'000);  // 10x slower: 10 ms a packet
  EXPECT_EQ(link.Offer(0, 1250).release_ns, 11 * kMs);
  link.SetQueue(QueueLimit{1, 0});
  EXPECT_TRUE(link.Offer(2 * kMs, 1250).drop);  // one still waiting
  EXPECT_FALSE(link.Offer(11 * kMs, 1250).drop);
}

TEST(BottleneckLink, ShorterDelayKeepsFifo) {
  BottleneckLink link(10'000'000, 0, QueueLimit{}, 50 * kMs);
  EXPECT_EQ(link.Offer(0, 1250).release_ns, 51 * kMs);
  link.SetDelay(0);
  EXPECT_EQ(link.Offer(0, 1250).release_ns, 51 * kMs);  // not before the first
}

TEST(SlotLink, ReleasesABudgetAtEachBoundary) {
  // Fixed 10 ms slots of 2 packets.
  SlotLink link(10 * kMs, 10 * kMs, 2, 0, QueueLimit{}, 1);
  std::vector<int64_t> release;
  for (int i = 0; i < 5; ++i) release.push_back(link.Offer(1 * kMs, 100).release_ns);
  EXPECT_EQ(release, (std::vector<int64_t>{11 * kMs, 11 * kMs, 21 * kMs, 21 * kMs, 31 * kMs}));
  // Joins the current slot (31 ms) that has budget left.
  EXPECT_EQ(link.Offer(25 * kMs, 100).release_ns, 31 * kMs);
  EXPECT_EQ(link.Offer(25 * kMs, 100).release_ns, 41 * kMs);
  // Idle: a new slot starts with the arrival.
  EXPECT_EQ(link.Offer(100 * kMs, 100).release_ns, 110 * kMs);
  EXPECT_EQ(link.stats().max_queued_ns, 30 * kMs);
}

TEST(SlotLink, ByteBudgetLetsTheLastPacketOverdraw) {
  SlotLink link(10 * kMs, 10 * kMs, 0, 2000, QueueLimit{}, 1);
  EXPECT_EQ(link.Offer(0, 1500).release_ns, 10 * kMs);
  EXPECT_EQ(link.Offer(0, 1500).release_ns, 10 * kMs);  // 1500 < 2000: still budget
  EXPECT_EQ(link.Offer(0, 1500).release_ns, 20 * kMs);
}

TEST(SlotLink, DrawsSlotLengthsFromTheSeed) {
  // Same seed, same boundaries; lengths within [lo, hi].
  SlotLink a(5 * kMs, 15 * kMs, 1, 0, QueueLimit{}, 42);
  SlotLink b(5 * kMs, 15 * kMs, 1, 0, QueueLimit{}, 42);
  SlotLink c(5 * kMs, 15 * kMs, 1, 0, QueueLimit{}, 43);
  int64_t prev = 0;
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const int64_t ra = a.Offer(0, 100).release_ns;
    EXPECT_EQ(ra, b.Offer(0, 100).release_ns);
    differs |= ra != c.Offer(0, 100).release_ns;
    EXPECT_GE(ra - prev, 5 * kMs);
    EXPECT_LE(ra - prev, 15 * kMs);
    prev = ra;
  }
  EXPECT_TRUE(differs);
}

TEST(SlotLink, QueueLimitCountsUnreleasedPackets) {
  SlotLink link(10 * kMs, 10 * kMs, 1, 0, QueueLimit{3, 0}, 1);
  std::vector<bool> drops;
  for (int i = 0; i < 5; ++i) drops.push_back(link.Offer(0, 100).drop);
  EXPECT_EQ(drops, (std::vector<bool>{false, false, false, true, true}));
  EXPECT_FALSE(link.Offer(10 * kMs, 100).drop);  // the first left at 10 ms
  EXPECT_EQ(link.stats().drops, 2u);
}

}  // namespace
}  // namespace faultline
