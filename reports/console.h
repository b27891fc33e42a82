// Console output of a run: one line per finished case, and a summary.
//
// Pure functions over the result model: they return text and print nothing,
// so the caller decides where it goes (and when to flush). Both are safe to
// call from any thread as long as the argument is not being modified.
// Control bytes in names and messages are shown as \xNN (a case name cannot
// move the cursor or ring the bell).
#pragma once

#include <string>

#include "harness/model/result.h"

namespace faultline {

// One finished case, ending in "\n":
//   "PASS  12.3ms  name [ipv4]\n"
//   "FAIL  1.25s  name [ipv6]\n    file:line: message\n"
// The status word is PASS, FAIL, ERROR or SKIP; fail, error and skip add the
// message on indented lines (each line of a multi-line message indented).
// With `color`, the status word is wrapped in ANSI colour escapes.
std::string ConsoleCaseLine(const CaseResult& c, bool color);

// The end of run summary, ending in "\n": case count and run duration, the
// kernel, the 5 slowest cases, the failures and errors again with their
// messages, and as the last line exactly
//   "N passed, N failed"  (+ ", N errors" / ", N skipped" only when non-zero)
// That last line is never coloured, so CI can parse it.
std::string ConsoleSummary(const RunResult& r, bool color);

// "12.3ms" below one second, "1.25s" from one second; used by the lines above.
std::string ConsoleDuration(int64_t ns);

}  // namespace faultline
