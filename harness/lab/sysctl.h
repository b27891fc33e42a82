// Writing per-network-namespace sysctls (net.*) through /proc/sys.
//
// /proc/sys/net resolves against the network namespace of the calling
// THREAD at open() time, so callers must be inside the target namespace (see
// InNetns). Only "net." keys are accepted: everything else under /proc/sys is
// global to the machine and writing it from a lab would change the host.
#pragma once

#include <string>

#include "harness/common/status.h"

namespace faultline {

// "net.ipv4.tcp_syn_retries" -> "/proc/sys/net/ipv4/tcp_syn_retries".
// kInvalidInput unless the key starts with "net." and has only non-empty
// components of [A-Za-z0-9_-] separated by dots.
StatusOr<std::string> SysctlPath(const std::string& key);

// Writes exactly `value` (no newline added) to the sysctl `key` in the calling
// thread's network namespace. Errors (the caller prefixes the host):
//   no such key (ENOENT)                 -> kInvalidInput "sysctl KEY does not exist in a
//                                           network namespace on this kernel"
//   refused (EPERM, EACCES, EINVAL, or   -> kUnsupported naming key, value and errno name
//   ENOENT on write: the value names
//   something this kernel lacks)
//   anything else                        -> kSystem
Status WriteSysctl(const std::string& key, const std::string& value);

// Reads the current value, trailing newline removed (for tests and checks).
StatusOr<std::string> ReadSysctl(const std::string& key);

}  // namespace faultline
