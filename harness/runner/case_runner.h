// Runs one variant (family) of one case: builds its lab, starts the wire and
// one peer per host, walks the timeline, checks every expectation, and tears
// everything down. Never throws; every outcome, including harness faults, is
// a CaseResult.
//
// Threads: any number of RunCaseVariant calls may run at once on different
// threads; each uses only its own lab, wire and peers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/model/case.h"
#include "harness/model/result.h"

namespace faultline {

struct CaseRunOptions {
  std::string faultline_bin;     // executable started as `faultline __peer` in each host
  std::string out_dir;           // per-case artifacts; "" for none
  std::optional<uint64_t> seed;  // overrides a case without its own seed
};

CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options);

}  // namespace faultline
