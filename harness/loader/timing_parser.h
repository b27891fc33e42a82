// `timing:` of a case (docs/cases.md, "Timing between events"): time
// expectations between two named events (a step's start or return, a packet
// on the wire). Internal to the loader.
#pragma once

#include <vector>

#include "harness/common/status.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// Parses the list under `timing:`; `steps` are the parsed steps (labels).
// Errors are "FILE:LINE:COL: timing N: ...".
StatusOr<std::vector<TimingExpect>> ParseTiming(const Val& v, const CaseContext& cx,
                                                const std::vector<Step>& steps);

}  // namespace faultline
