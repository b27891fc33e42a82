// The lab's address plan and the validation of a LabSpec: pure functions, no
// system calls (see lab.h for the picture).
//
// Host i (1-based) gets 198.18.i.2/24 and 2001:2:0:i::2/64 on its "eth0"; the
// wire's end of that link, "w-<name>", gets 198.18.i.1 and 2001:2:0:i::1 (the
// fourth IPv6 group is the number i written in hex, so host 10 is on
// 2001:2:0:a::/64). A host whose link MTU is below 1280 (the IPv6 minimum)
// gets no IPv6 at all: the kernel disables IPv6 on such a link, so addr6 and
// gw6 are empty for it.
#pragma once

#include <string>

#include "harness/common/status.h"

namespace faultline {

struct LabSpec;

inline constexpr int kLabMaxHosts = 250;
inline constexpr int kLabMinMtu = 576;    // the smallest IPv4 MTU a host must accept
inline constexpr int kLabMaxMtu = 65535;  // veth's maximum
inline constexpr int kLabIPv6MinMtu = 1280;
inline constexpr int kLabMaxNameLen = 12;  // "w-" + name must fit IFNAMSIZ-1 = 15

// The ifindex the lab gives each link end, chosen explicitly (RTM_NEWLINK
// ifi_index) so that no lookup is needed after creation. The two ends of a
// veth must have different ifindexes: the kernel treats a link whose peer has
// its own ifindex as non-stacked and may delay its carrier event by up to 1 s
// (linkwatch batching).
inline constexpr int kHostIfindex = 2;  // eth0 in each host namespace (lo is 1)
inline int WireIfindex(int host_index) { return 100 + host_index; }

struct LinkAddresses {
  std::string addr4, gw4;  // dotted quad, no prefix length
  std::string addr6, gw6;  // compressed text form; empty when IPv6 is off
  int prefix4 = 24;
  int prefix6 = 64;
  // Link-layer addresses, fixed so that the lab can install permanent
  // neighbour entries (no ARP/NDP at all, see lab.cc): locally administered
  // unicast 02:66:6c:00:<i>:02 for the host's eth0, ...:01 for the wire's end.
  unsigned char mac[6] = {};
  unsigned char gw_mac[6] = {};
};

// The addresses of host `index` (1..kLabMaxHosts); ipv6 false leaves the
// IPv6 fields empty.
LinkAddresses PlanAddresses(int index, bool ipv6);

// Checks what the kernel would otherwise reject halfway through a build:
// at least one host, at most kLabMaxHosts, names [a-z][a-z0-9_-]{0,11} and
// unique, MTU in [kLabMinMtu, kLabMaxMtu]. kInvalidInput naming the host.
Status ValidateLabSpec(const LabSpec& spec);

}  // namespace faultline
