// Regular expressions a case gives (`stdout: {matches: REGEX}`), through RE2:
// matching takes time linear in the text, whatever the pattern, and memory
// bounded by kPatternMaxMem. The dialect is RE2's (Perl-like: classes,
// \d \w \s \b, non-greedy repetition, (?i) flags; no backreferences and no
// lookaround), with ^ and $ matching at line boundaries as well (multiline).
#pragma once

#include <cstdint>
#include <string>

#include "harness/common/status.h"

namespace faultline {

// What RE2 may use for one compiled pattern; a pattern that needs more is
// rejected ("pattern too large - compile failed").
inline constexpr int64_t kPatternMaxMem = 8 << 20;

// Ok, or kInvalidInput with RE2's reason, e.g. "missing ): (a".
Status CheckPattern(const std::string& pattern);

// Whether `pattern` is found anywhere in `text` (a valid pattern: see
// CheckPattern; an invalid one is found nowhere).
bool PatternFound(const std::string& pattern, const std::string& text);

// `literal` with every character that means something in a pattern escaped,
// so that it matches itself: for ${...} values put into a pattern (the dots
// of 198.18.1.2 must not match any character).
std::string QuoteForPattern(const std::string& literal);

}  // namespace faultline
