// Kernel counters of one network namespace: /proc/net/netstat (TcpExt,
// IpExt, MPTcpExt, ...), /proc/net/snmp (Ip, Icmp, Tcp, Udp, ...) and
// /proc/net/snmp6 (Ip6*, Icmp6*, Udp6*).
//
// Each counter is stored under its qualified name "Group.Name"
// ("TcpExt.ListenOverflows", "Udp.InErrors"; snmp6 names are already unique
// and have no group: "Ip6InReceives"). Lookup by plain name works when the
// name is in one group only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

using Counters = std::map<std::string, int64_t>;  // qualified name -> value

// Parses the "Group: Name Name ...\nGroup: value value ..." line pairs of
// /proc/net/netstat and /proc/net/snmp, into `out`. kInvalidInput names the
// line of a malformed pair (header/value count or group mismatch).
Status ParseGroupedCounters(const std::string& text, Counters* out);
// Parses the "Name value" lines of /proc/net/snmp6 into `out`.
Status ParseFlatCounters(const std::string& text, Counters* out);

// Reads all three files from inside network namespace `netns_fd` (through
// /proc/thread-self/net, on a thread moved there by InNetns). A missing
// snmp6 (no IPv6) is not an error.
StatusOr<Counters> ReadNetnsCounters(int netns_fd);

// Resolves `name` (qualified or plain) to its qualified key. Errors
// (kInvalidInput, text without location): unknown name, with a did-you-mean
// among all names; a plain name in several groups, listing them.
StatusOr<std::string> ResolveCounter(const Counters& c, const std::string& name);

}  // namespace faultline
