// ReleaseTimer: when the wire thread wakes for the next held packet's
// deadline, and how it waits the last stretch before it.
//
// A timer that sleeps until the deadline itself is released late by the
// thread's wake-up latency (scheduler; milliseconds on a busy machine). So
// the wire arms its timerfd a margin *before* the earliest deadline and,
// once the deadline is within the margin, waits the rest without sleeping:
// it polls its fds with a zero timeout (packets and requests are still
// handled meanwhile) and releases as soon as the clock reaches the deadline.
// A packet is therefore never released early (the engine pops only what is
// due on the clock), at most one margin of CPU is spent per deadline, and
// nothing spins while no deadline is within the margin.
//
// The margin is fixed (`adaptive` false; 0: no early wake, the timer is
// armed at the deadline: the behaviour before) or adaptive: a high quantile
// of the timer's recent wake-up lateness plus headroom, within
// [min_margin_ns, max_margin_ns] (docs/design.md, "Delay precision").
//
// Pure logic on times from the caller's Clock; no fds, no syscalls. Wire
// thread only (not thread-safe).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace faultline {

struct ReleaseTimerConfig {
  // Fixed margin, or the starting one when adaptive.
  int64_t margin_ns = 0;
  bool adaptive = false;
  int64_t min_margin_ns = 200'000;
  int64_t max_margin_ns = 1'000'000;
  int64_t headroom_ns = 100'000;  // added to the lateness quantile
  // Adaptive: the margin is this percentile of the last kWindow timer
  // wake-ups' lateness (after their arming times) plus the headroom, at
  // least min_margin_ns, at most max_margin_ns; 0 (no precise wait) while
  // any of them was later than max_margin_ns (a loaded machine).
  int quantile_pct = 90;
  // Duty-cycle cap, a token bucket: precise waiting earns
  // max_spin_share_pct of the time that passes, up to spin_burst_ns saved;
  // a precise wait goes on (round by round) only while some is left,
  // otherwise the timer is armed at the deadline itself. Dense deadlines (a
  // bottleneck releasing every ~100 us) would otherwise keep the wire
  // thread polling all the time and take a core from the sender. 100: no
  // cap.
  int max_spin_share_pct = 25;
  int64_t spin_burst_ns = 1'000'000;
};

// Counters for benches and tests.
struct ReleaseStats {
  uint64_t timer_wakes = 0;     // the timer fired (OnTimerWake)
  uint64_t spins = 0;           // precise waits begun (a deadline within the margin)
  int64_t spin_ns = 0;          // time spent in precise waits, on the clock
  uint64_t spins_capped = 0;    // precise waits not begun: the duty-cycle cap
  int64_t max_lateness_ns = 0;  // latest timer wake-up seen (after its arming time)
  int64_t margin_ns = 0;        // the margin now
};

class ReleaseTimer {
 public:
  static constexpr size_t kWindow = 64;

  explicit ReleaseTimer(const ReleaseTimerConfig& config);

  enum class Mode {
    kIdle,   // nothing held: disarm the timer, block
    kArmed,  // arm the timer at `arm_at`, block
    kSpin,   // disarm the timer, poll without blocking until the deadline
  };
  struct Plan {
    Mode mode = Mode::kIdle;
    int64_t arm_at = 0;  // kArmed: deadline - margin, on the clock
  };
  // What to do after a round at `now_ns` with `deadline` the earliest held
  // deadline (nullopt: none).
  Plan Next(int64_t now_ns, std::optional<int64_t> deadline);
  // The timer armed by the last kArmed plan fired; the thread runs at `now_ns`.
  void OnTimerWake(int64_t now_ns);

  int64_t margin_ns() const { return margin_; }
  ReleaseStats stats() const;

 private:
  void Adapt();
  // REQUIRES: now_ns not before the last call's. Earns the time since the
  // last call; true when a precise wait may go on.
  bool SpinBudgetLeft(int64_t now_ns);
  void EndSpin(int64_t now_ns);

  ReleaseTimerConfig config_;
  int64_t margin_;
  std::optional<int64_t> armed_at_;
  std::optional<int64_t> spin_start_;  // the last round of a precise wait began
  bool spinning_ = false;              // a precise wait is going on
  std::array<int64_t, kWindow> lateness_{};
  size_t samples_ = 0;
  ReleaseStats stats_;
  int64_t spin_tokens_ns_;  // precise waiting left (the cap's bucket)
  std::optional<int64_t> earned_until_;
};

}  // namespace faultline
