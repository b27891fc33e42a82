// What wins when a case and the command line both say something (see
// docs/cases.md, "Command line and case"):
//   - a case's own statement wins; the command line only fills in what a
//     case leaves open (`--seed` for cases without `seed:`), or narrows the
//     selection (`--family`, `--filter`, `--tag`, `--shard`);
//   - a command-line value that contradicts a selected case is an error,
//     reported before anything runs: `--seed N` on a case with another
//     `seed:`. (`--family F` with a case file named on the command line
//     that has no F variant skips that case: SuitePlan::family_skips.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/runner/runner.h"

namespace faultline {

struct CommandLineValues {
  std::optional<uint64_t> seed;
  std::optional<Family> family;  // narrows only: never a conflict
  // Case files given on the command line as files (not found in a
  // directory), lexically normalised like Case::loc.file.
  std::vector<std::string> named_files;
};

// `cases`: every loaded case; `selected`: the variants that will run. Returns
// the first conflict (kInvalidInput), naming the case, its file and both
// values.
Status CheckPrecedence(const std::vector<Case>& cases, const std::vector<Variant>& selected,
                       const CommandLineValues& cli);

}  // namespace faultline
