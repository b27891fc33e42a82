// ObserveOutcome: the verdict of one observation (an observation step, a
// background command's readiness) and when it was made. Shared by the
// observer (harness/runner/observer.h) and the case environment
// (harness/runner/case_env.h), which must not depend on each other.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/verdict.h"

namespace faultline {

struct ObserveOutcome {
  // expected "TIME_WAIT within 2s"; actual "FIN_WAIT2 (seen: ...)"; an
  // error when the observation could not be made (not a mismatch).
  Verdict verdict;
  int64_t start_ns = 0;  // on the case's clock
  int64_t took_ns = 0;
  // A tcp_info snapshot (ObserveKind::kSnapshot): every field the kernel
  // returned, by packetdrill's name, and how many bytes it returned.
  std::vector<std::pair<std::string, uint64_t>> snapshot;
  size_t snapshot_bytes = 0;
};

}  // namespace faultline
