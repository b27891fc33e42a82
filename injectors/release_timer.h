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
};

// Counters for benches and tests.
struct ReleaseStats {
  uint64_t timer_wakes = 0;     // the timer fired (OnTimerWake)
  uint64_t spins = 0;           // precise waits begun (a deadline within the margin)
  int64_t spin_ns = 0;          // time spent in precise waits, on the clock
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

  ReleaseTimerConfig config_;
  int64_t margin_;
  std::optional<int64_t> armed_at_;
  std::optional<int64_t> spin_start_;
  std::array<int64_t, kWindow> lateness_{};
  size_t samples_ = 0;
  ReleaseStats stats_;
};

}  // namespace faultline
