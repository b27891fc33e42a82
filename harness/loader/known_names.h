// Sysctl and counter names the loader knows, to catch misspellings at load
// time (docs/cases.md, "Sysctls and counters at load time").
//
// The lists are those of a fresh network namespace on the kernel faultline
// is developed on (known_names_table.cc), shipped with faultline: a load
// never reads the host's /proc. A name in a list, or far from every listed
// name (a kernel newer than the list may have it), passes; the lab's own
// /proc/sys and /proc/net then decide at run time. A name that is not listed
// but within the did-you-mean distance of a listed one is a misspelling.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"

namespace faultline {

// Dotted net.* sysctls; the interface of net.ipv{4,6}.{conf,neigh}.IFACE.*
// is "*".
const std::vector<std::string>& KnownSysctls();
// Qualified "Group.Name" (snmp, netstat) and plain snmp6 names.
const std::vector<std::string>& KnownCounters();

// The listed name `key` most likely meant, or "" when `key` is listed or
// close to none. net.ipv4.conf.eth0.rp_filtr -> net.ipv4.conf.eth0.rp_filter.
std::string MisspeltSysctl(const std::string& key);

// The same for a counter as case files write it: qualified (compared with
// the qualified names) or plain (with the names without their group).
// IcmpMsg's InTypeN/OutTypeN and snmp6's Icmp6InTypeN/OutTypeN are known
// for every N.
std::string MisspeltCounter(const std::string& name);

// Checks a counter name as `counters:` and counters steps write it
// (MisspeltCounter's did-you-mean; a family-neutral "Udp*.NoPorts" must
// name a listed IPv4 counter of Ip, Icmp, Udp or UdpLite, and, when
// `ipv6` (the case has IPv6 variants), one with an IPv6 counterpart).
// Errors fail at `at` with `s`'s prefix.
Status CheckCounterName(const std::string& name, bool ipv6, const SourceLoc& at, const Scope& s);

// Fails at `at` with "unknown sysctl 'K' (did you mean 'L'?)" when `key` is
// misspelt (MisspeltSysctl).
Status CheckSysctlName(const std::string& key, const SourceLoc& at, const Scope& s);

}  // namespace faultline
