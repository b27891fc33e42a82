// --keep: names a failed variant's network namespaces so a person can step
// into them after the run.
//
// Lab namespaces are anonymous (held by fds; harness/lab/lab.h). For a
// failed variant, and only when asked (--keep), each host's namespace and
// the wire's is bind-mounted the way `ip netns add` does it:
//   /run/netns/faultline-<case>-<variant>-<host>   (and ...-wire)
// so `ip netns exec NAME bash` and `nsenter --net=/run/netns/NAME` work and
// the namespace survives the runner. The peers are not kept (they end with
// the run as always); the namespaces keep their links, addresses, routes,
// sysctls, the wire's NFQUEUE rules (now without a reader: traffic between
// the hosts is dropped) and sockets the kernel still holds (TIME_WAIT, ...).
// `ip netns del NAME` (or RemoveKeptNetns) frees one.
//
// Threads: safe to call from any thread (mount(2) and files only).
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/lab/lab.h"
#include "harness/model/result.h"

namespace faultline {

inline constexpr const char* kNetnsDir = "/run/netns";

// "faultline-<case>-<variant>-<host>" with every run of characters outside
// [a-z0-9] turned into one '-', lowercased; the case part is cut so the name
// stays within 200 characters.
std::string KeptNetnsName(const std::string& case_name, const std::string& variant,
                          const std::string& host);

// Bind-mounts `netns_fd` at /run/netns/NAME (creating /run/netns if needed).
// Errors (kSystem) when NAME is already there:
// an earlier kept lab is never replaced.
Status BindNetns(int netns_fd, const std::string& name);

// Unmounts and removes /run/netns/NAME (what `ip netns del NAME` does).
Status RemoveKeptNetns(const std::string& name);

// Keeps every namespace of `lab` (hosts, then "wire") and appends to
// result->message how to enter them and how to clean up, or why keeping
// failed. Returns the names kept.
std::vector<std::string> KeepFailedLab(const Lab& lab, CaseResult* result);

}  // namespace faultline
