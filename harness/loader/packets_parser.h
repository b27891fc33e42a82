// `packets:` of a case (docs/cases.md, "Packets"): expectations on the
// packets captured on the wire. Internal to the loader.
#pragma once

#include <vector>

#include "harness/common/status.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// Parses the list under `packets:`. Errors are "FILE:LINE:COL: packets N: ...".
StatusOr<std::vector<PacketExpect>> ParsePackets(const Val& v, const CaseContext& cx);

// A match on the capture: a fault match without occurrence or probability
// keys (refused with "'KEY' " + `hint`; "" is packets:' "does not apply to
// packets: (...)"). Also used by `timing:` (timing_parser.h).
Status ParseCaptureMatch(const Val& v, const CaseContext& cx, const Scope& s, FaultMatch* m,
                         const std::string& hint = "");

}  // namespace faultline
