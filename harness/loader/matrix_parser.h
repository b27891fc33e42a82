// `matrix:` of a case: the dimensions a case expands into separately
// reported variants (docs/cases.md, "Variants: matrix").
//
//   matrix:
//     family: [ipv4, ipv6]          # same as top-level `family:` (one of the two)
//     sysctl:
//       server:
//         net.core.somaxconn: [4, 128]
//
// Internal to the loader: case_loader.cc calls ParseMatrix right after the
// top-level `family:` (so hosts and steps see the families) and
// CheckMatrixHosts once the hosts are known.
#pragma once

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// The most variants one case may expand into (families x sysctl values).
inline constexpr size_t kMaxCaseVariants = 64;

// Parses `matrix:` (value `v`) into c->families (when it has `family:`) and
// c->matrix. `has_family_key`: the case also has a top-level `family:`,
// which is a conflict when the matrix names families too.
Status ParseMatrix(const Val& v, bool has_family_key, const Scope& s, Case* c);

// After hosts are parsed: every matrix host exists and no matrix sysctl is
// also set in that host's `sysctl:`. (Hosts' mtu is checked against the
// matrix families by the host parser, which runs after ParseMatrix.)
Status CheckMatrixHosts(const Case& c, const Scope& s);

}  // namespace faultline
