// The one grammar of bounds and ranges (docs/cases.md, "Ranges and bounds").
//
// Internal to the loader. Every key that takes a bound or a range reads it
// here, with a RangeSpec saying which forms the key takes and what its
// values are; the forms themselves, their spelling and their rules are the
// same for every key:
//
//   V            exact (a plain, unquoted scalar)
//   "== V"       exact
//   "<= V"  "< V"  ">= V"  "> V"   a bound; strict forms are converted
//                exactly: integers by 1, durations by 1ns (1us for values
//                kept in microseconds). A bound that no value satisfies is
//                refused ("can never hold").
//   [lo, hi]     inclusive, as a YAML flow sequence or as a string "[lo, hi]";
//                lo <= hi.
//
// Spaces between the operator and V are optional. Durations are written as
// ParseDuration reads them (a unit is always required). Errors are
// kInvalidInput "FILE:LINE:COL: <prefix><text>", as every loader message.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "harness/common/duration.h"
#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"
#include "harness/model/observe.h"

namespace faultline {

// What the numbers of a range are.
enum class RangeUnit {
  kInteger,   // plain decimal integers
  kDuration,  // durations, kept in nanoseconds
  kMicros,    // durations, kept in whole microseconds (tcp_info rto/rtt)
};

// Which forms a key takes, and its values' limits.
struct RangeSpec {
  RangeUnit unit = RangeUnit::kInteger;
  bool exact = true;                                  // V and "== V"
  bool bounds = true;                                 // "<= V", "< V", ">= V", "> V"
  int64_t min = std::numeric_limits<int64_t>::min();  // every V and the open low end
  int64_t max = std::numeric_limits<int64_t>::max();  // the open high end of ">= V"
  // How "'KEY' must be FORMS, not X" names what the key takes.
  std::string forms;
};

// The specs of the keys that take ranges (docs/cases.md lists which key
// takes which).
// bytes, length, seq, ack, win: N | [lo, hi], 0 <= lo.
const RangeSpec& NonNegativeIntSpec();
// count (packets:): N, [lo, hi] or any comparison, 0 <= lo.
const RangeSpec& CountSpec();
// exit, counters, queue and tcp_info fields: N, [lo, hi] or any comparison.
const RangeSpec& ValueSpec();
// tcp_info rto, rtt: as ValueSpec with durations, kept in microseconds.
const RangeSpec& MicrosValueSpec();
// took, gaps: [lo, hi] durations or a bound (no exact duration).
const RangeSpec& DurationBoundSpec();
// window (match:): [lo, hi] durations only.
const RangeSpec& DurationPairSpec();

// A parsed range in the spec's unit (inclusive), and its text as a message
// shows it ("3", ">= 1", "[1, 3]").
struct ParsedRange {
  int64_t lo = 0;
  int64_t hi = 0;
  std::string text;
};

// Reads `v` as `spec` allows. `what` is the key name for messages.
StatusOr<ParsedRange> ReadRange(const Val& v, const std::string& what, const Scope& s,
                                const RangeSpec& spec);

// ReadRange into the model's types.
// REQUIRES: spec.unit == kInteger.
StatusOr<IntRange> ReadIntRange(const Val& v, const std::string& what, const Scope& s,
                                const RangeSpec& spec);
// REQUIRES: spec.unit == kDuration.
StatusOr<DurationRange> ReadDurationRange(const Val& v, const std::string& what, const Scope& s,
                                          const RangeSpec& spec);

}  // namespace faultline
