// Waiting for an observation to hold, driven by events with a bounded
// fallback, recording every distinct value seen meanwhile.
//
// The probe reads the current value ("FIN_WAIT2", "queued 1, backlog 1") and
// says whether the expectation holds. The source blocks until something may
// have changed (the wire handled a packet) or a bound passes (timers: the
// kernel changes states on its own clock too). Nothing here sleeps for a
// fixed time: a change signalled by the source is probed at once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

struct Probe {
  bool holds = false;
  std::string value;  // what was seen, for "seen:" and messages
};

class WaitSource {
 public:
  virtual ~WaitSource() = default;
  virtual int64_t Now() = 0;  // CLOCK_MONOTONIC ns (or a fake clock)
  // Returns when something may have changed, at `until` at the latest.
  virtual void Wait(int64_t until) = 0;
};

struct WaitResult {
  bool holds = false;
  std::string last;               // the last value probed
  std::vector<std::string> seen;  // distinct consecutive values, in order (at most 32)
  int64_t waited_ns = 0;
  int probes = 0;
};

// Probes at once, then after every Wait() until the probe holds or
// `deadline` passes (probing once more at the deadline). `poll_ns` bounds
// each Wait (the fallback for timer-driven changes). A probe error ends the
// wait with that error.
StatusOr<WaitResult> WaitUntil(const std::function<StatusOr<Probe>()>& probe, WaitSource& source,
                               int64_t deadline, int64_t poll_ns);

// "ESTABLISHED, FIN_WAIT1, FIN_WAIT2".
std::string JoinSeen(const std::vector<std::string>& seen);

}  // namespace faultline
