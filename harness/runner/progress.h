// Console progress of a run: one line per finished variant (the caller's
// line format: the CLI passes reports/console's ConsoleCaseLine, so the
// runner does not depend on reports/) and, on a terminal, a live status line under them that is
// redrawn in place ("[ 12/46]  3 running  1 failed  0:12"). Not on a terminal, only the plain lines
// are written, so logs stay clean.
//
// Threads: the caller serialises calls (RunOptions' callbacks already are).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/model/result.h"

namespace faultline {

// The text printed for one finished variant, ending in "\n".
using CaseLineFormat = std::function<std::string(const CaseResult&)>;

class Progress {
 public:
  // `total`: runs expected, 0 when unbounded (--until-fail without
  // --repeat). The elapsed time on the live line is read from `clock`.
  // REQUIRES: `out` and `clock` outlive this object; `line` is callable.
  Progress(std::ostream& out, bool live, size_t total, CaseLineFormat line,
           const Clock& clock = RealClock());
  void Started();
  void Finished(const CaseResult& r);
  // Erases the live line (call before printing the summary).
  void Done();
  // The live line's text, without control bytes (for tests).
  std::string StatusText() const;

 private:
  void Draw();
  std::ostream& out_;
  bool live_;
  size_t total_;
  CaseLineFormat line_;
  const Clock& clock_;
  size_t started_ = 0;
  size_t finished_ = 0;
  size_t failed_ = 0;
  int64_t start_ns_;
  bool drawn_ = false;
};

// With repeated runs (--repeat, --until-fail): one line per case variant
// with how many of its runs passed, worst first, and for the first failing
// run its round and seed (replay it with --seed and --filter):
//   "pass counts over 20 rounds:\n"
//   "   17/20  name [ipv4]  first failure: round 4, seed 1234\n"
//   "   20/20  other [ipv6]\n"
// Results' variants carry " #ROUND" (RunVariants). "" when `results` is
// empty.
std::string PassCounts(const std::vector<CaseResult>& results);

}  // namespace faultline
