// A suite run as `faultline run` asks for it, below the command line: the
// case files loaded, the variants selected (filters, tags, shard, family,
// repetition) and checked against the command line's values (precedence),
// then run and timed into one RunResult. Writing the reports is the
// caller's (reports/ sits above the runner); so is printing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/pktdrill/pkt_loader.h"
#include "harness/runner/runner.h"
#include "harness/runner/selection.h"

namespace faultline {

struct LoadedCases {
  std::vector<Case> cases;          // the files that loaded, in file order
  std::vector<std::string> errors;  // one message per file that did not
  // errors[i] is about error_files[i]: the file (or the path given, when it
  // could not be expanded into files).
  std::vector<std::string> error_files;
};

// Every case file under `paths` (files or directories, FindCaseFiles); .pkt
// scripts among them are loaded with `pkt` (the command line's -D and
// --ip-version).
LoadedCases LoadCases(const std::vector<std::string>& paths, const PktRunOptions& pkt = {});

// One result per file that did not load, for the reports: outcome kError,
// name and file the path, message the loader's, started at `start_unix_ms`.
std::vector<CaseResult> InvalidFileResults(const LoadedCases& loaded, int64_t start_unix_ms);

// What the command line asks for (docs/cases.md, "Selecting and repeating").
struct SuiteRequest {
  // As given: the paths that are files (not directories) take part in
  // precedence (harness/runner/precedence.h).
  std::vector<std::string> paths;
  std::vector<std::string> filters;  // globs, any
  std::vector<std::string> tags;     // any; each may be "a,b"
  std::string shard;                 // "K/N", or "" for all
  std::optional<Family> family;      // only this family's variants
  std::optional<uint64_t> seed;
  int repeat = -1;  // -1: not given (1, or no bound with until_fail)
  bool until_fail = false;
};

struct SuitePlan {
  std::vector<Variant> variants;  // selected, in case order
  Selection selection;
  int repeat = 1;  // rounds; 0: no bound (only with until_fail)
  // Cases named on the command line as files that `--family F` leaves
  // without a variant: one skipped result each (variant F, message why),
  // for the reports and the exit status (kExitAllSkipped when nothing else
  // ran). In shard 1 only, like the invalid files.
  std::vector<CaseResult> family_skips;
  // Runs expected: variants x repeat; 0 when unbounded.
  size_t TotalRuns() const;
};

// The variants to run. kInvalidInput with the message the CLI prints after
// "faultline run: " for --repeat 0 without --until-fail, a bad --shard, or
// a command-line value that a selected case forbids.
// REQUIRES: `cases` outlives the plan (variants point into it).
StatusOr<SuitePlan> PlanSuite(const std::vector<Case>& cases, const SuiteRequest& request);

// Runs the variants with RunVariants and fills a RunResult: its cases, the
// wall-clock start and the duration (both read from `clock`), `kernel` and
// `command_line`.
RunResult RunSuite(const std::vector<Variant>& variants, const RunOptions& options,
                   std::string kernel, std::string command_line, const Clock& clock = RealClock());

// `faultline run`'s exit status when every variant reported was skipped
// (nothing was tested): CTest's SKIP_RETURN_CODE in faultline_add_cases,
// the automake convention.
inline constexpr int kExitAllSkipped = 77;

// `faultline run`'s exit status: 128 + `signal` when a signal stopped the
// run (0: none), else 2 when some case file was invalid, else 1 when a case
// failed or errored or a report could not be written, else
// kExitAllSkipped when there were results and all were skips, else 0.
int SuiteExitStatus(const RunResult& run, bool invalid_files, bool reports_written, int signal);

}  // namespace faultline
