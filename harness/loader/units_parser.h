// Rates and sizes (docs/cases.md, "Rates and sizes"): the one grammar every
// key that takes them reads.
//
//   rate   "10mbit", "100kbit", "1gbit", "500000bit", "1.5mbit", or a plain
//          integer: bits per second; SI prefixes (k = 1000); the unit is
//          case-insensitive. Bytes per second ("12500000bps") are refused.
//   size   a plain integer (bytes), or "64KB", "1MB", "1GB" (1000-based) or
//          "64KiB", "1MiB", "1GiB" (1024-based).
//
// Internal to the loader; errors are kInvalidInput "FILE:LINE:COL: ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"

namespace faultline {

// Bits per second, or nullopt (not a rate, or not a whole number of bits).
std::optional<int64_t> ParseRate(std::string_view text);
// Bytes, or nullopt. `text` must carry a unit (plain integers are read by
// ReadSize as YAML integers).
std::optional<int64_t> ParseSize(std::string_view text);

// A rate in [lo, hi] bits per second.
StatusOr<int64_t> ReadRate(const Val& v, const std::string& what, const Scope& s, int64_t lo,
                           int64_t hi);
// A size in [lo, hi] bytes.
StatusOr<int64_t> ReadSize(const Val& v, const std::string& what, const Scope& s, int64_t lo,
                           int64_t hi);
// "10mbit", "1.5mbit", "999bit": the shortest exact form of a rate.
std::string FormatRate(int64_t bps);

}  // namespace faultline
