// Symbolic errno names ("ECONNREFUSED") to numbers and back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

// "ECONNREFUSED" for ECONNREFUSED; "E<number>" for a value with no name.
std::string ErrnoName(int err);
// The number for a name such as "ECONNREFUSED"; nullopt if unknown.
std::optional<int> ErrnoFromName(std::string_view name);

}  // namespace faultline
