// Turning a step of the script into a peer Request: names resolved to
// numeric addresses of the lab, sizes expanded into pattern bytes, option
// and flag names into numbers. Pure: no I/O. A send of `size: N` travels as
// the size alone; the peer expands it with PatternBytes.
#pragma once

#include <functional>
#include <string>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/peer/protocol.h"

namespace faultline {

// Address of a lab host in a family, or nullopt if there is no such host.
using HostResolver = std::function<std::optional<std::string>(const std::string& host, Family f)>;

// kInvalidInput if an endpoint names an unknown host (the loader normally
// catches that first).
StatusOr<peer::Request> BuildRequest(const CallStep& step, Family family,
                                     const HostResolver& resolve);

}  // namespace faultline
