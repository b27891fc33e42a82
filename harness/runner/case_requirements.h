// A case's `requires:` and `xfail:` against this machine (implemented in
// observer.cc, next to the environment record they read). Kept apart from
// observer.h so the step loop need not see the lab.
#pragma once

#include <optional>
#include <string>

#include "harness/model/case.h"
#include "harness/model/result.h"

namespace faultline {

// The skip message when the case's `requires:` is not met on this machine
// (sysctls are looked up in the runner's own namespace, read-only, so the
// check runs before the lab is built: a case may set a sysctl it requires).
std::optional<std::string> UnmetRequirement(const Case& c);

// `xfail:` after the run, when it applies on this kernel: a failure becomes
// a skip "expected failure: REASON (failed: MESSAGE)"; a pass becomes a
// failure "FILE:LINE:COL: passed but was expected to fail: REASON". Errors
// and skips stay as they are.
void ApplyExpectedFailure(const Case& c, CaseResult* result);

}  // namespace faultline
