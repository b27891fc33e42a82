// Endpoint strings of case files: "server:8080", "any:0", "198.18.2.2:80",
// "[2001:2:0:2::2]:80".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"

namespace faultline {

// Parses `text` into an Endpoint. HOST must be one of `hosts` (or "any");
// address literals must lie in the lab ranges (198.18.0.0/15, 2001:2::/48)
// or loopback, and their family must be among `families`. Literals are
// stored normalised (inet_ntop form, no brackets). On failure returns
// kInvalidInput whose message is the bare reason, without a location: the
// caller adds "FILE:LINE:COL: step N: ".
StatusOr<Endpoint> ParseEndpoint(std::string_view text, const std::vector<std::string>& hosts,
                                 const std::vector<Family>& families);

// Whether `name` is a valid host name: [a-z][a-z0-9_-]*, 1..12 characters.
bool IsHostName(std::string_view name);

}  // namespace faultline
