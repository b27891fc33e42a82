// Durations as written in cases ("1s", "200ms", "1.5s", "250us", "2m") and
// as printed in messages.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

using Duration = std::chrono::nanoseconds;

// Parses "<number><unit>" with unit one of ns, us, ms, s, m. The number may
// have a fractional part; it may not be negative. A bare number is rejected
// (a unit is always required, so "10" cannot mean both 10 s and 10 ms).
std::optional<Duration> ParseDuration(std::string_view text);

// The shortest exact-enough form: "0s", "850us", "1.5ms", "200ms", "1.25s".
std::string FormatDuration(Duration d);

// An inclusive range [lo, hi].
struct DurationRange {
  Duration lo{0};
  Duration hi{Duration::max()};
  bool Contains(Duration d) const { return d >= lo && d <= hi; }
  // "[900ms, 1.6s]", "<= 50ms", ">= 1s".
  std::string ToString() const;
};

}  // namespace faultline
