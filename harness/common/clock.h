// Clock: where faultline reads the time.
//
// Monotonic time is CLOCK_MONOTONIC in nanoseconds, comparable across the
// processes of one machine: peers stamp syscalls with it, the wire stamps
// packets with it, and the runner lines both up on one timeline. Wall time
// (Unix milliseconds) is read only for the reports' timestamps.
//
// Code that reads the time takes a `const Clock&` (or `Clock*`) and reads it
// through that, so a test can hand it a FakeClock and drive time by hand.
// RealClock() is the one object that reads the kernel's clocks.
//
// Threads: every Clock is safe to read from any thread; FakeClock may be
// advanced from any thread too.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

namespace faultline {

class Clock {
 public:
  virtual ~Clock() = default;
  // CLOCK_MONOTONIC, nanoseconds.
  virtual int64_t NowNs() const = 0;
  // The wall clock, milliseconds since the Unix epoch (reports only).
  virtual int64_t UnixMs() const = 0;
};

// The kernel's clocks. Never destroyed; safe before and after main.
const Clock& RealClock();

// CLOCK_MONOTONIC read directly: for the places that must not take a Clock
// (a peer's syscall stamps, async-signal-safe paths, benchmarks). Everything
// that a unit test might want to drive reads a Clock instead.
inline int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A clock that moves only when told to. Starts at `start_ns` (monotonic) and
// `start_unix_ms` (wall); both move together.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 1'000'000'000, int64_t start_unix_ms = 1'800'000'000'000)
      : now_ns_(start_ns), unix0_ms_(start_unix_ms), start_ns_(start_ns) {}
  int64_t NowNs() const override { return now_ns_.load(); }
  int64_t UnixMs() const override { return unix0_ms_ + (now_ns_.load() - start_ns_) / 1'000'000; }
  void Advance(int64_t ns) { now_ns_ += ns; }
  // REQUIRES: ns >= NowNs() (monotonic time never goes back).
  void Set(int64_t ns) { now_ns_ = ns; }

 private:
  std::atomic<int64_t> now_ns_;
  int64_t unix0_ms_;
  int64_t start_ns_;
};

}  // namespace faultline
