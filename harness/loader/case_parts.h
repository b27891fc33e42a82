// The parts of a case file below the top level: steps and faults.
// Internal to the loader (case_loader.cc calls these); see docs/cases.md.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// What steps and faults need to know from the top level of the case.
struct CaseContext {
  std::string file;
  std::vector<std::string> hosts;  // declared host names, in file order
  std::vector<Family> families;
  std::vector<std::string> scripted;  // the scripted hosts (hosts: NAME: {scripted: true})
  std::vector<MatrixSysctl> matrix;   // `matrix: {sysctl:}` (`when:` names its dimensions)
  // The case's variants (families x matrix values, Case::Variants), made
  // once: what `when:` is checked against everywhere in the loader.
  std::vector<VariantValues> variants;
};

// `steps:` (a non-empty list). Checks socket names per host, async ids and
// awaits, labels.
StatusOr<std::vector<Step>> ParseSteps(const Val& v, const CaseContext& cx);

// `faults:` (a list). `steps` are the parsed steps (for hold's until: step).
StatusOr<std::vector<Fault>> ParseFaults(const Val& v, const CaseContext& cx,
                                         const std::vector<Step>& steps);

// A `- fault: NAME` step's map (keys fault, enable | set, label): its name,
// `enable:`, and `set:` as written; ResolveFaultSteps does the rest.
StatusOr<FaultStep> ParseFaultStepShape(const std::vector<Entry>& m, const Scope& s);

// After `faults:`: resolves each fault step's name (Fault::index) and reads
// its `set:` with the fault's own action reader. `steps_v`/`faults_v` are
// the case's `steps:` and `faults:` (null: none).
Status ResolveFaultSteps(const Val& steps_v, const Val* faults_v, const CaseContext& cx,
                         const std::vector<Fault>& faults, std::vector<Step>* steps);

// A fault's `match:` map (also used by `packets:`); errors carry `s`'s prefix.
Status ParseFaultMatch(const Val& v, const CaseContext& cx, const Scope& s, FaultMatch* m);

// `expect:` of a step running `op`; `s` carries the "step N: " prefix.
StatusOr<Expect> ParseExpect(const Val& v, Op op, const Scope& s);

// A command's output text: TEXT | {equals: TEXT} | {contains: TEXT} |
// {matches: REGEX} (`stdout:` / `stderr:` of expect, and of `ready:`);
// `what` names the key in messages.
StatusOr<TextExpect> ReadTextExpect(const Val& v, const std::string& what, const Scope& s);

// Ranges and bounds (bytes, took, length, seq, ack, win, window, count,
// gaps, values): harness/loader/range_parser.h.

}  // namespace faultline
