#include "harness/loader/units_parser.h"

#include <cctype>

#include <fmt/format.h>

namespace faultline {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "12.5" -> 12500 milli-units; nullopt if not digits[.digits] (at most 3
// decimals) or too large.
std::optional<int64_t> ParseMilli(std::string_view num) {
  int64_t whole = 0, frac = 0;
  int decimals = -1;
  bool digits = false;
  for (char c : num) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits = true;
    if (decimals >= 0) {
      if (++decimals > 3) return std::nullopt;
      frac = frac * 10 + (c - '0');
    } else {
      if (whole > 1'000'000'000'000) return std::nullopt;
      whole = whole * 10 + (c - '0');
    }
  }
  if (!digits || decimals == 0) return std::nullopt;
  for (int d = decimals < 0 ? 0 : decimals; d < 3; ++d) frac *= 10;
  return whole * 1000 + frac;
}

// Splits "10mbit" into ("10", "mbit").
std::pair<std::string_view, std::string> Split(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  return {text.substr(0, i), Lower(text.substr(i))};
}

std::optional<int64_t> Scaled(std::string_view num, int64_t mult) {
  std::optional<int64_t> milli = ParseMilli(num);
  if (!milli || *milli > (int64_t{1} << 62) / mult) return std::nullopt;
  const int64_t x = *milli * mult;
  if (x % 1000 != 0) return std::nullopt;
  return x / 1000;
}

}  // namespace

std::optional<int64_t> ParseRate(std::string_view text) {
  auto [num, unit] = Split(text);
  int64_t mult = 0;
  if (unit == "bit") mult = 1;
  if (unit == "kbit") mult = 1000;
  if (unit == "mbit") mult = 1'000'000;
  if (unit == "gbit") mult = 1'000'000'000;
  if (mult == 0) return std::nullopt;
  return Scaled(num, mult);
}

std::optional<int64_t> ParseSize(std::string_view text) {
  auto [num, unit] = Split(text);
  int64_t mult = 0;
  if (unit == "kb") mult = 1000;
  if (unit == "mb") mult = 1'000'000;
  if (unit == "gb") mult = 1'000'000'000;
  if (unit == "kib") mult = 1024;
  if (unit == "mib") mult = 1024 * 1024;
  if (unit == "gib") mult = 1024 * 1024 * 1024;
  if (mult == 0) return std::nullopt;
  return Scaled(num, mult);
}

std::string FormatRate(int64_t bps) {
  if (bps % 1'000'000'000 == 0) return fmt::format("{}gbit", bps / 1'000'000'000);
  if (bps % 1'000'000 == 0) return fmt::format("{}mbit", bps / 1'000'000);
  if (bps % 1000 == 0) return fmt::format("{}kbit", bps / 1000);
  return fmt::format("{}bit", bps);
}

StatusOr<int64_t> ReadRate(const Val& v, const std::string& what, const Scope& s, int64_t lo,
                           int64_t hi) {
  std::optional<int64_t> bps;
  if (LooksLikeInt(v.node)) {
    StatusOr<int64_t> n = ReadInt(v, what, s);
    if (!n.ok()) return n.status();
    bps = *n;
  } else if (v.node.IsScalar()) {
    bps = ParseRate(v.node.Scalar());
  }
  if (!bps) {
    std::string hint;
    const std::string unit = v.node.IsScalar() ? Split(v.node.Scalar()).second : "";
    if (unit == "bps" || unit == "kbps" || unit == "mbps" || unit == "gbps") {
      hint = " (rates are written in bits: use bit, kbit, mbit or gbit, e.g. 100mbit)";
    }
    return s.Fail(v.loc, fmt::format("'{}' must be a rate such as 10mbit, 100kbit, 1gbit or an "
                                     "integer (bits per second), not {}{}",
                                     what, Describe(v.node), hint));
  }
  if (*bps < lo || *bps > hi) {
    return s.Fail(v.loc, fmt::format("'{}' must be between {} and {}, not {}", what, FormatRate(lo),
                                     FormatRate(hi), Describe(v.node)));
  }
  return *bps;
}

StatusOr<int64_t> ReadSize(const Val& v, const std::string& what, const Scope& s, int64_t lo,
                           int64_t hi) {
  std::optional<int64_t> bytes;
  if (LooksLikeInt(v.node)) {
    StatusOr<int64_t> n = ReadInt(v, what, s);
    if (!n.ok()) return n.status();
    bytes = *n;
  } else if (v.node.IsScalar()) {
    bytes = ParseSize(v.node.Scalar());
  }
  if (!bytes) {
    return s.Fail(v.loc, fmt::format("'{}' must be a size such as 1500, 64KB or 64KiB (bytes; KB, "
                                     "MB, GB are 1000-based, KiB, MiB, GiB 1024-based), not {}",
                                     what, Describe(v.node)));
  }
  if (*bytes < lo || *bytes > hi) {
    return s.Fail(v.loc, fmt::format("'{}' must be between {} and {} bytes, not {}", what, lo, hi,
                                     Describe(v.node)));
  }
  return *bytes;
}

}  // namespace faultline
