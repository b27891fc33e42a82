// Monotonic time in nanoseconds (CLOCK_MONOTONIC), comparable across the
// processes of one machine: peers stamp syscalls with it, the wire stamps
// packets with it, and the runner lines both up on one timeline.
#pragma once

#include <time.h>

#include <cstdint>

namespace faultline {

inline int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace faultline
