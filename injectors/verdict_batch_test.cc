#include "injectors/verdict_batch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace faultline {
namespace {

using K = VerdictMsg::Kind;

// A model of the kernel's queue: ids in order; a batch verdict takes every
// queued id <= N in id order. Records each released id with its verdict
// ('A' accept, 'X' the caller's own verdict) and counts refused messages.
struct KernelModel {
  std::set<uint32_t> queued;
  std::vector<std::pair<uint32_t, char>> released;
  int refused = 0;
  void Apply(const std::vector<VerdictMsg>& msgs) {
    for (const VerdictMsg& m : msgs) {
      if (m.kind == K::kBatchAccept) {
        if (queued.empty() || *queued.begin() > m.id) ++refused;
        while (!queued.empty() && *queued.begin() <= m.id) {
          released.emplace_back(*queued.begin(), 'A');
          queued.erase(queued.begin());
        }
      } else if (queued.erase(m.id) == 0) {
        ++refused;
      } else {
        released.emplace_back(m.id, m.kind == K::kOwn ? 'X' : 'A');
      }
    }
  }
};

TEST(VerdictBatcherTest, RunOfAcceptsIsOneBatch) {
  VerdictBatcher b;
  std::vector<VerdictMsg> out;
  for (uint32_t id = 1; id <= 5; ++id) b.Received(id);
  for (uint32_t id = 1; id <= 5; ++id) b.Add(id, true, &out);
  EXPECT_TRUE(out.empty());  // the run stays open
  b.Close(&out);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kBatchAccept, 5}}));
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(VerdictBatcherTest, SingleAcceptIsNotABatch) {
  VerdictBatcher b;
  std::vector<VerdictMsg> out;
  b.Received(7);
  b.Add(7, true, &out);
  b.Close(&out);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kAccept, 7}}));
}

TEST(VerdictBatcherTest, HeldPacketIsNeverCovered) {
  // 3 is held (e.g. delayed): the batch may cover 1-2 only; 4 and 5 go alone.
  VerdictBatcher b;
  std::vector<VerdictMsg> out;
  for (uint32_t id = 1; id <= 5; ++id) b.Received(id);
  for (uint32_t id : {1u, 2u, 4u, 5u}) b.Add(id, true, &out);
  b.Close(&out);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kBatchAccept, 2}, {K::kAccept, 4}, {K::kAccept, 5}}));
  EXPECT_EQ(b.waiting(), 1u);
  out.clear();
  b.Add(3, true, &out);  // the delay ends
  b.Close(&out);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kAccept, 3}}));
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(VerdictBatcherTest, DropEndsTheRunAndKeepsOrder) {
  VerdictBatcher b;
  std::vector<VerdictMsg> out;
  for (uint32_t id = 1; id <= 6; ++id) b.Received(id);
  b.Add(1, true, &out);
  b.Add(2, true, &out);
  b.Add(3, false, &out);  // drop: the run 1-2 must go out before it
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kBatchAccept, 2}, {K::kOwn, 3}}));
  b.Add(4, true, &out);
  b.Add(5, true, &out);
  b.Add(6, true, &out);
  b.Close(&out);
  EXPECT_EQ(out,
            (std::vector<VerdictMsg>{{K::kBatchAccept, 2}, {K::kOwn, 3}, {K::kBatchAccept, 6}}));
}

TEST(VerdictBatcherTest, ReleasedHeldPacketAfterLaterOnesKeepsItsPlace) {
  // 2 was held and is released after 3 and 4 (a swap): the kernel must not
  // release 2 with a batch over 3-4, and 2 must come last.
  VerdictBatcher b;
  KernelModel k;
  std::vector<VerdictMsg> out;
  for (uint32_t id = 1; id <= 4; ++id) {
    b.Received(id);
    k.queued.insert(id);
  }
  b.Add(1, true, &out);
  b.Add(3, true, &out);
  b.Add(4, true, &out);
  b.Add(2, true, &out);  // decreasing: starts a new run
  b.Close(&out);
  k.Apply(out);
  EXPECT_EQ(k.refused, 0);
  std::vector<uint32_t> order;
  for (auto& [id, v] : k.released) order.push_back(id);
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 3, 4, 2}));
}

TEST(VerdictBatcherTest, NonPlainVerdictOfEarlierIdDoesNotGetBatched) {
  // Run 6-7 open, then a drop of held 5: 5 must not be released by a batch.
  VerdictBatcher b;
  KernelModel k;
  std::vector<VerdictMsg> out;
  for (uint32_t id = 5; id <= 7; ++id) {
    b.Received(id);
    k.queued.insert(id);
  }
  b.Add(6, true, &out);
  b.Add(7, true, &out);
  b.Add(5, false, &out);
  b.Close(&out);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kAccept, 6}, {K::kAccept, 7}, {K::kOwn, 5}}));
  k.Apply(out);
  EXPECT_EQ(k.refused, 0);
  EXPECT_EQ(k.released, (std::vector<std::pair<uint32_t, char>>{{6, 'A'}, {7, 'A'}, {5, 'X'}}));
}

TEST(VerdictBatcherTest, UnknownIdIsSentAloneAndCounted) {
  VerdictBatcher b;
  std::vector<VerdictMsg> out;
  b.Received(1);
  b.Received(2);
  b.Add(1, true, &out);
  b.Add(2, true, &out);
  b.Add(2, true, &out);  // twice: a caller bug
  b.Close(&out);
  EXPECT_EQ(b.unknown(), 1u);
  EXPECT_EQ(out, (std::vector<VerdictMsg>{{K::kBatchAccept, 2}, {K::kAccept, 2}}));
}

// Random engine behaviour: packets arrive in id order; each is accepted at
// once, dropped, mangled, or held and given its verdict later in any order;
// flushes happen at random points. The kernel model must see every id
// exactly once, no refused message, and releases in the order decided.
TEST(VerdictBatcherTest, RandomScheduleKeepsExactlyOneVerdictAndOrder) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    VerdictBatcher b;
    KernelModel k;
    std::vector<VerdictMsg> out;
    std::vector<std::pair<uint32_t, char>> decided;  // in decision order
    std::vector<uint32_t> held;
    std::map<uint32_t, char> verdict_of;
    auto decide = [&](uint32_t id, char v) {
      decided.emplace_back(id, v);
      b.Add(id, v == 'A', &out);
    };
    uint32_t next = 1;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int step = 0; step < n; ++step) {
      const uint32_t id = next++;
      b.Received(id);
      k.queued.insert(id);
      const int r = static_cast<int>(rng() % 10);
      if (r < 6) {
        decide(id, 'A');
      } else if (r == 6) {
        decide(id, 'X');  // drop or mangled accept
      } else {
        held.push_back(id);
      }
      if (!held.empty() && rng() % 3 == 0) {  // release a random held one
        const size_t i = rng() % held.size();
        const uint32_t h = held[i];
        held.erase(held.begin() + static_cast<long>(i));
        decide(h, rng() % 4 == 0 ? 'X' : 'A');
      }
      if (rng() % 4 == 0) {
        b.Close(&out);
        k.Apply(out);
        out.clear();
      }
    }
    std::shuffle(held.begin(), held.end(), rng);
    for (uint32_t h : held) decide(h, 'A');
    b.Close(&out);
    k.Apply(out);
    ASSERT_EQ(k.refused, 0) << "round " << round;
    ASSERT_TRUE(k.queued.empty()) << "round " << round;
    ASSERT_EQ(k.released, decided) << "round " << round;
    ASSERT_EQ(b.waiting(), 0u);
    ASSERT_EQ(b.unknown(), 0u);
  }
}

}  // namespace
}  // namespace faultline
