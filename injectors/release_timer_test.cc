// ReleaseTimer on a FakeClock: where the timer is armed, when the wire
// thread waits without sleeping, how the margin adapts; and a simulated
// wire loop (timer queue + plan + a wake-up lateness per timer expiry) with
// its exact release sequence.
#include "injectors/release_timer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "harness/common/clock.h"
#include "injectors/timer_queue.h"

namespace faultline {
namespace {

using Mode = ReleaseTimer::Mode;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;

ReleaseTimerConfig Fixed(int64_t margin_ns) {
  ReleaseTimerConfig c;
  c.margin_ns = margin_ns;
  return c;
}

TEST(ReleaseTimer, ArmsAMarginEarlyThenWaitsTheRestWithoutSleeping) {
  FakeClock clock(0);
  ReleaseTimer t(Fixed(300 * kUs));
  const int64_t due = 50 * kMs;
  ReleaseTimer::Plan p = t.Next(clock.NowNs(), due);
  EXPECT_EQ(p.mode, Mode::kArmed);
  EXPECT_EQ(p.arm_at, due - 300 * kUs);
  clock.Set(due - 250 * kUs);  // woke 50 us after the arming time
  t.OnTimerWake(clock.NowNs());
  EXPECT_EQ(t.Next(clock.NowNs(), due).mode, Mode::kSpin);
  clock.Set(due - 1);
  EXPECT_EQ(t.Next(clock.NowNs(), due).mode, Mode::kSpin);  // still one precise wait
  clock.Set(due);  // the caller releases it now; nothing else is held
  EXPECT_EQ(t.Next(clock.NowNs(), std::nullopt).mode, Mode::kIdle);
  const ReleaseStats s = t.stats();
  EXPECT_EQ(s.timer_wakes, 1u);
  EXPECT_EQ(s.spins, 1u);
  EXPECT_EQ(s.spin_ns, 250 * kUs);
  EXPECT_EQ(s.max_lateness_ns, 50 * kUs);
  EXPECT_EQ(s.margin_ns, 300 * kUs);
}

TEST(ReleaseTimer, NoPreciseWaitWhileTheNextDeadlineIsBeyondTheMargin) {
  ReleaseTimer t(Fixed(300 * kUs));
  EXPECT_EQ(t.Next(0, std::nullopt).mode, Mode::kIdle);
  ReleaseTimer::Plan p = t.Next(10 * kMs, 10 * kMs + 300 * kUs + 1);
  EXPECT_EQ(p.mode, Mode::kArmed);
  EXPECT_EQ(p.arm_at, 10 * kMs + 1);
  EXPECT_EQ(t.Next(10 * kMs, 10 * kMs + 300 * kUs).mode, Mode::kSpin);  // exactly the margin
  // Released; the next deadline is 10 ms on: back to sleeping.
  p = t.Next(10 * kMs + 300 * kUs, 20 * kMs);
  EXPECT_EQ(p.mode, Mode::kArmed);
  EXPECT_EQ(p.arm_at, 20 * kMs - 300 * kUs);
  EXPECT_EQ(t.stats().spins, 1u);
  EXPECT_EQ(t.stats().spin_ns, 300 * kUs);
}

TEST(ReleaseTimer, ZeroMarginArmsAtTheDeadlineItself) {
  ReleaseTimer t(Fixed(0));
  ReleaseTimer::Plan p = t.Next(0, 50 * kMs);
  EXPECT_EQ(p.mode, Mode::kArmed);
  EXPECT_EQ(p.arm_at, 50 * kMs);
  t.OnTimerWake(50 * kMs + 2 * kMs);  // late: no margin to absorb it
  EXPECT_EQ(t.stats().max_lateness_ns, 2 * kMs);
  EXPECT_EQ(t.margin_ns(), 0);
  EXPECT_EQ(t.stats().spins, 0u);
}

TEST(ReleaseTimer, AdaptiveMarginFollowsTheRecentWakeUpsAndNoneAfterALateOne) {
  ReleaseTimerConfig c;
  c.adaptive = true;
  c.margin_ns = 300 * kUs;
  c.min_margin_ns = 200 * kUs;
  c.max_margin_ns = 1 * kMs;
  c.headroom_ns = 100 * kUs;
  c.quantile_pct = 90;
  ReleaseTimer t(c);
  EXPECT_EQ(t.margin_ns(), 300 * kUs);
  int64_t now = 0;
  auto wake_late_by = [&](int64_t late, int times) {
    for (int i = 0; i < times; ++i) {
      const ReleaseTimer::Plan p = t.Next(now, now + 10 * kMs);
      ASSERT_EQ(p.mode, Mode::kArmed);
      EXPECT_EQ(p.arm_at, now + 10 * kMs - t.margin_ns());
      now = p.arm_at + late;
      t.OnTimerWake(now);
      now += 10 * kMs;  // released; the next one is due later
    }
  };
  wake_late_by(30 * kUs, 1);
  EXPECT_EQ(t.margin_ns(), 200 * kUs);  // 130 us, raised to the minimum
  wake_late_by(30 * kUs, 63);           // the window (64) is full
  wake_late_by(600 * kUs, 6);           // 6 in 64: above the 90th percentile
  EXPECT_EQ(t.margin_ns(), 200 * kUs);
  wake_late_by(600 * kUs, 1);  // 7 in 64: the 90th percentile
  EXPECT_EQ(t.margin_ns(), 700 * kUs);
  wake_late_by(5 * kMs, 1);  // one beyond the largest margin: no precise wait
  EXPECT_EQ(t.margin_ns(), 0);
  ReleaseTimer::Plan p = t.Next(now, now + 100 * kUs);
  EXPECT_EQ(p.mode, Mode::kArmed);  // at the deadline itself
  EXPECT_EQ(p.arm_at, now + 100 * kUs);
  t.OnTimerWake(now + 100 * kUs + 20 * kUs);
  now += 10 * kMs;
  wake_late_by(20 * kUs, 62);  // the late one is still in the window
  EXPECT_EQ(t.margin_ns(), 0);
  wake_late_by(20 * kUs, 1);
  EXPECT_EQ(t.margin_ns(), 200 * kUs);  // it left
  EXPECT_EQ(t.stats().max_lateness_ns, 5 * kMs);
}

TEST(ReleaseTimer, AStaleExpiryIsNotALatenessSample) {
  ReleaseTimer t(Fixed(300 * kUs));
  EXPECT_EQ(t.Next(0, 100 * kUs).mode, Mode::kSpin);  // disarmed
  t.OnTimerWake(5 * kMs);                             // an expiry from before
  EXPECT_EQ(t.stats().timer_wakes, 1u);
  EXPECT_EQ(t.stats().max_lateness_ns, 0);
}

// A wire loop on a FakeClock: held packets in a TimerQueue; a timer expiry
// wakes the thread `lateness[i]` after its arming time; a precise wait polls
// every `poll_ns`; what is due is released at the clock's time.
struct SimLoop {
  FakeClock clock{0};
  TimerQueue held;
  ReleaseTimer timer;
  std::vector<std::pair<uint64_t, int64_t>> released;  // token, time
  int64_t max_spin_run_ns = 0;

  explicit SimLoop(const ReleaseTimerConfig& c) : timer(c) {}

  void Run(const std::vector<int64_t>& lateness, int64_t poll_ns) {
    size_t wakes = 0;
    int64_t spin_since = -1;
    while (true) {
      for (uint64_t token : held.PopDue(clock.NowNs())) released.emplace_back(token, clock.NowNs());
      const ReleaseTimer::Plan p = timer.Next(clock.NowNs(), held.NextDeadline());
      if (p.mode == Mode::kIdle) return;
      if (p.mode == Mode::kArmed) {
        spin_since = -1;
        clock.Set(std::max(clock.NowNs(), p.arm_at + lateness.at(wakes++ % lateness.size())));
        timer.OnTimerWake(clock.NowNs());
        continue;
      }
      if (spin_since < 0) spin_since = clock.NowNs();
      clock.Advance(poll_ns);
      max_spin_run_ns = std::max(max_spin_run_ns, clock.NowNs() - spin_since);
    }
  }
};

TEST(ReleaseTimer, SimulatedLoopReleasesInDueOrderNeverEarlyAndOnTimeWithinTheMargin) {
  SimLoop sim(Fixed(300 * kUs));
  sim.held.Add(50 * kMs, 1);
  sim.held.Add(52 * kMs, 2);
  sim.held.Add(52 * kMs, 3);              // a tie: in the order added
  sim.held.Add(52 * kMs + 100 * kUs, 4);  // within the margin of 2 and 3
  sim.held.Add(60 * kMs, 5);
  // Wake-ups 40 us late, then 500 us (beyond the margin), then 10 us.
  sim.Run({40 * kUs, 500 * kUs, 10 * kUs}, 7 * kUs);
  // 1: armed at 49.7 ms, woke at 49.74, polls every 7 us: 49.999 is before
  //    the deadline, 50.006 the first poll at or after it.
  // 2, 3: armed at 51.7, woke at 52.2 (late beyond the margin): released at
  //    once; 4 (52.1) is already due then: the same round.
  // 5: armed at 59.7, woke at 59.71: the first poll after 60 ms is 60.004.
  EXPECT_THAT(sim.released,
              ElementsAre(Pair(1, 50'006 * kUs), Pair(2, 52'200 * kUs), Pair(3, 52'200 * kUs),
                          Pair(4, 52'200 * kUs), Pair(5, 60'004 * kUs)));
  EXPECT_LE(sim.max_spin_run_ns, 300 * kUs + 7 * kUs);  // one margin (and one poll) at most
  EXPECT_EQ(sim.timer.stats().spins, 2u);
  EXPECT_EQ(sim.timer.stats().timer_wakes, 3u);
}

TEST(ReleaseTimer, SimulatedLoopWithoutMarginIsLateByEveryWakeUp) {
  SimLoop sim(Fixed(0));  // the wire before: armed at the deadline
  sim.held.Add(50 * kMs, 1);
  sim.held.Add(60 * kMs, 2);
  sim.Run({40 * kUs, 500 * kUs}, 7 * kUs);
  EXPECT_THAT(sim.released, ElementsAre(Pair(1, 50'040 * kUs), Pair(2, 60'500 * kUs)));
  EXPECT_EQ(sim.max_spin_run_ns, 0);
}

// Deadlines 120 us apart (a 100 Mbit/s bottleneck's departures) with a
// 300 us margin: every deadline is within the margin of the one before, so
// without a cap the thread would poll all the time.
struct DenseRun {
  int64_t spin_ns = 0;
  int64_t span_ns = 0;
  ReleaseStats stats;
  bool never_early = true;
};

DenseRun RunDense(int max_spin_share_pct) {
  ReleaseTimerConfig c = Fixed(300 * kUs);
  c.max_spin_share_pct = max_spin_share_pct;
  SimLoop sim(c);
  constexpr int kPackets = 2'000;
  for (int i = 0; i < kPackets; ++i) sim.held.Add(10 * kMs + i * 120 * kUs, i);
  sim.Run({10 * kUs}, 7 * kUs);
  DenseRun r;
  r.stats = sim.timer.stats();
  r.spin_ns = r.stats.spin_ns;
  r.span_ns = sim.released.back().second - 10 * kMs;
  for (const auto& [token, at] : sim.released) {
    if (at < 10 * kMs + static_cast<int64_t>(token) * 120 * kUs) r.never_early = false;
  }
  EXPECT_EQ(sim.released.size(), static_cast<size_t>(kPackets));
  return r;
}

TEST(ReleaseTimer, DenseDeadlinesPollAtMostTheCappedShareOfTheTime) {
  const DenseRun uncapped = RunDense(100);
  EXPECT_GT(uncapped.spin_ns * 100, 95 * uncapped.span_ns);  // polling nearly all the time
  EXPECT_EQ(uncapped.stats.spins_capped, 0u);

  const DenseRun capped = RunDense(25);
  // The budget is checked every round: it may be overdrawn by one poll, and
  // the first wait may use the saved burst (1 ms).
  EXPECT_LE(capped.spin_ns * 100, 26 * capped.span_ns);
  EXPECT_GE(capped.spin_ns * 100, 20 * capped.span_ns);  // still used up to the cap
  EXPECT_GT(capped.stats.spins_capped, 0u);
  EXPECT_TRUE(capped.never_early);
  EXPECT_TRUE(uncapped.never_early);
}

}  // namespace
}  // namespace faultline
