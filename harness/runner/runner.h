// The suite runner: expands cases into variants (families x matrix values),
// and runs them, possibly repeated, on a pool of worker threads, `jobs` labs
// at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/runner/case_runner.h"

namespace faultline {

// One value of a `matrix: {sysctl: ...}` dimension, as run by a variant.
struct VariantSysctl {
  std::string host;
  std::string key;
  std::string value;
};

// One separately reported run of a case: a family and one value of every
// matrix dimension. `c` points into the caller's cases and must outlive the
// variant.
struct Variant {
  const Case* c = nullptr;
  Family family = Family::kIPv4;
  std::vector<VariantSysctl> sysctls;  // in matrix order; empty without a matrix
  // The reported variant: "ipv4", or "ipv4,somaxconn=4" with a matrix
  // (the sysctl's last dotted part; "server.somaxconn" if two dimensions
  // share it). Never empty.
  std::string name;
  std::string FullName() const { return c->name + " [" + name + "]"; }
};

// Every variant of every case, in case order, then family order, then matrix
// values in file order (the last dimension varying fastest). `only_family`
// keeps only that family's variants.
std::vector<Variant> ExpandVariants(const std::vector<Case>& cases,
                                    std::optional<Family> only_family);

// The case a variant runs: a copy of *v.c with the variant's sysctls set on
// their hosts (appended after the host's own sysctls), its steps whose
// `when:` does not hold marked not_in_variant, and its timing entries and
// counters whose `when:` does not hold removed.
Case VariantCase(const Variant& v);

struct RunOptions {
  CaseRunOptions case_options;
  int jobs = 0;                       // 0: DefaultJobs()
  std::optional<Family> only_family;  // used by callers of ExpandVariants
  // Rounds: every variant runs `repeat` times (round by round). With
  // `until_fail`, no new run starts once one has failed or errored, and
  // repeat == 0 means no bound on the rounds.
  int repeat = 1;
  bool until_fail = false;
  // Called when a variant starts / finishes, serialised (never concurrently
  // with each other), in start / completion order. For console progress.
  std::function<void(const Variant&)> on_start;
  std::function<void(const CaseResult&)> on_result;
};

// Labs spend most of their time waiting on TCP timers, not on the CPU; see
// docs/design.md ("Runner") for how the default was chosen.
int DefaultJobs();

// How many labs RunVariants lets set up at once: one per core
// (harness/runner/setup_gate.h).
int SetupSlots();

// Runs the variants; results come back in run order (round by round, each
// round in variant order), whatever the completion order. With repeat > 1
// or until_fail, each result's variant gets the round: "ipv4 #3". Runs that
// never started (until_fail, or after SIGINT/SIGTERM: harness/common/interrupt.h)
// have no result; runs that a stop request cut short are kError results
// whose message names the signal and the step.
std::vector<CaseResult> RunVariants(const std::vector<Variant>& variants,
                                    const RunOptions& options);

}  // namespace faultline
