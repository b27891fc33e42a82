// The environment a case ran in (kernel, per-host sysctls, congestion
// controls), and the checks of `requires:` / `xfail:` against it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/observe.h"

namespace faultline {

// uname -r, e.g. "6.1.0-18-amd64".
std::string RunningKernel();
// Compares the leading "A.B.C" numbers of two releases (missing parts are
// 0, anything after the numbers is ignored): <0, 0, >0.
int CompareKernelVersions(const std::string& a, const std::string& b);

// Sysctls every environment record carries (besides the ones a case sets).
const std::vector<std::string>& InterestingSysctls();

// Reads each key inside network namespace `netns_fd`; keys that do not exist
// there are left out. Values: trailing newline removed, tabs as spaces.
StatusOr<std::vector<std::pair<std::string, std::string>>> ReadNetnsSysctls(
    int netns_fd, const std::vector<std::string>& keys);

// /proc/sys/net/ipv4/tcp_available_congestion_control, e.g. "reno cubic".
std::string AvailableCongestion();

// Whether `req` holds. On a miss, the skip message: "requires kernel >= 5.15
// (running 5.10.0): REASON" / "requires sysctl net.x (missing on this
// kernel)" / "requires congestion control bbr (available: reno cubic)".
// `sysctl_exists` answers for a lab namespace.
std::optional<std::string> UnmetRequirement(
    const Requirements& req, const std::string& kernel, const std::string& congestion_available,
    const std::function<bool(const std::string&)>& sysctl_exists);

// Whether `x` applies on `kernel` (no kernel_below, or kernel below it).
bool ExpectedFailureApplies(const ExpectedFailure& x, const std::string& kernel);

}  // namespace faultline
