// The netem params of faults (docs/faults.md, "netem models"): delay's
// jitter, distribution, correlation and reorder; drop's loss model.
// Internal to the loader (fault_parser.cc calls them).
#pragma once

#include <vector>

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// jitter, distribution, correlation, reorder of `do: delay` (the fault's
// map `m`; `delay` itself is read already).
Status ReadDelayNetem(const std::vector<Entry>& m, const Scope& s, FaultAction* out);
// `loss:` of `do: drop`.
Status ReadLoss(const Entry& e, const Scope& s, FaultAction* out);

}  // namespace faultline
