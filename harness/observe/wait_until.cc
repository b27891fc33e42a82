#include "harness/observe/wait_until.h"

#include <algorithm>

#include "harness/common/interrupt.h"

namespace faultline {

StatusOr<WaitResult> WaitUntil(const std::function<StatusOr<Probe>()>& probe, WaitSource& source,
                               int64_t deadline, int64_t poll_ns) {
  constexpr size_t kMaxSeen = 32;
  WaitResult r;
  const int64_t start = source.Now();
  for (;;) {
    StatusOr<Probe> p = probe();
    if (!p.ok()) return p.status();
    ++r.probes;
    r.last = p->value;
    if (r.seen.empty() || r.seen.back() != p->value) {
      if (r.seen.size() < kMaxSeen) r.seen.push_back(p->value);
    }
    const int64_t now = source.Now();
    r.waited_ns = now - start;
    if (p->holds) {
      r.holds = true;
      return r;
    }
    if (now >= deadline) return r;
    // A stop request (harness/common/interrupt.h) ends the wait: the case is
    // torn down and reported as interrupted.
    if (InterruptSignal() != 0) return Status::System(InterruptReason());
    source.Wait(std::min(deadline, now + poll_ns));
  }
}

std::string JoinSeen(const std::vector<std::string>& seen) {
  std::string out;
  for (const std::string& s : seen) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace faultline
