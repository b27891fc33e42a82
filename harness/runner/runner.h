// The suite runner: expands cases into variants (one per family) and runs
// them on a pool of worker threads, `jobs` labs at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/runner/case_runner.h"

namespace faultline {

struct RunOptions {
  CaseRunOptions case_options;
  int jobs = 0;                       // 0: DefaultJobs()
  std::optional<Family> only_family;  // run only this variant
  // Called once per finished variant, serialised (never concurrently), in
  // completion order. Used for console progress.
  std::function<void(const CaseResult&)> on_result;
};

// Labs spend most of their time waiting on TCP timers, not on the CPU: a
// few per core keep the machine busy without making timings noisy.
int DefaultJobs();

struct Variant {
  const Case* c;
  Family family;
};
std::vector<Variant> ExpandVariants(const std::vector<Case>& cases,
                                    std::optional<Family> only_family);

// Runs every variant; results come back in variant order (file order, then
// ipv4 before ipv6), whatever the completion order.
std::vector<CaseResult> RunVariants(const std::vector<Variant>& variants,
                                    const RunOptions& options);

}  // namespace faultline
