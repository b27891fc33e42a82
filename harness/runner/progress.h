// Console progress of a run: one line per finished variant (ConsoleCaseLine)
// and, on a terminal, a live status line under them that is redrawn in
// place ("[ 12/46]  3 running  1 failed  0:12"). Not on a terminal, only the
// plain lines are written, so logs stay clean.
//
// Threads: the caller serialises calls (RunOptions' callbacks already are).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "harness/model/result.h"

namespace faultline {

class Progress {
 public:
  // `total`: runs expected, 0 when unbounded (--until-fail without
  // --repeat). `out` must outlive this object.
  Progress(std::ostream& out, bool live, bool color, size_t total);
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
  bool color_;
  size_t total_;
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
