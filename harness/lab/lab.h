// clang-format off
// Lab: the private network of one case.
//
//  host netns "client"        wire netns               host netns "server"
//  eth0 198.18.1.2/24 <-veth-> w-client 198.18.1.1  ...  w-server 198.18.2.1 <-veth-> eth0 198.18.2.2
//       2001:2:0:1::2/64            2001:2:0:1::1             2001:2:0:2::1          2001:2:0:2::2
// clang-format on
//
// Host i (1-based, in the order of LabSpec::hosts) sits on 198.18.i.0/24 and
// 2001:2:0:i::/64; the wire holds .1 / ::1 of each and forwards. Each host
// routes 198.18.0.0/15 and 2001:2::/48 via the wire and has no default route,
// so lab traffic cannot leave the lab. Both families are always configured,
// except on a host whose mtu is below 1280, where the kernel has no IPv6:
// that host's addr6/gw6 are empty. The fourth IPv6 group is i in hex. The
// host's eth0 has ifindex 2, the wire's end "w-<name>" ifindex 100 + i.
//
// Namespaces are anonymous: the Lab holds an fd to each, and the kernel frees
// them (with their links) when the last fd closes — on destruction, or when
// the process dies by any signal. The host's own namespace is never changed.
// Offloads (TSO, GSO, GRO, tx checksum, scatter-gather) are off on every lab link so that each
// packet the wire sees is one real segment with a real checksum, except on the link (both
// ends) of a host with HostSpec::offloads, where the kernel's defaults stay. IPv6
// addresses are added with IFA_F_NODAD. Both ends of each link get fixed
// MACs and permanent neighbour entries for each other (no ARP/NDP between lab
// addresses). Build() returns only once every link is operationally UP and
// every IPv6 address can receive (its local route is in).
//
// Threads: Build() and Lab methods may be called from any thread, and labs on
// different threads are independent. Build() temporarily moves the calling
// thread into the lab's namespaces (setns is per-thread) and always moves it
// back.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/unique_fd.h"
#include "harness/model/case.h"

namespace faultline {

struct LabSpec {
  std::vector<HostSpec> hosts;  // at least one; names unique
};

struct LabHost {
  std::string name;
  int index = 0;             // 1-based, the subnet number
  UniqueFd netns;            // fd of the host's network namespace
  std::string ifname;        // "eth0"
  std::string wire_ifname;   // the wire's end: "w-" + name
  std::string addr4, addr6;  // host addresses
  std::string gw4, gw6;      // the wire's addresses on this link
  std::string Address(Family f) const { return f == Family::kIPv4 ? addr4 : addr6; }
};

class Lab {
 public:
  // Builds the lab. Errors name the host and what failed; an unknown sysctl
  // (or a non-net.* key) is kInvalidInput, one the kernel refuses with
  // EPERM/EACCES/EINVAL, or ENOENT for the value (e.g. a congestion control
  // not allowed in child namespaces, or not built), is kUnsupported; a bad
  // LabSpec (names, mtu outside [576, 65535]) is kInvalidInput; links not
  // ready within 5 s is kTimeout naming them. Deadlines are read through
  // `clock` (not owned; used only during the call).
  static StatusOr<std::unique_ptr<Lab>> Build(const LabSpec& spec,
                                              const Clock& clock = RealClock());
  ~Lab();

  const std::vector<LabHost>& hosts() const { return hosts_; }
  const LabHost* host(const std::string& name) const;
  int wire_netns() const { return wire_netns_.get(); }

 private:
  Lab() = default;
  std::vector<LabHost> hosts_;
  UniqueFd wire_netns_;
};

// Runs `fn` with the calling thread inside the network namespace `netns_fd`
// and moves the thread back to its previous namespace afterwards, whatever fn
// returns. Sockets fn creates stay bound to that namespace.
Status InNetns(int netns_fd, const std::function<Status()>& fn);

}  // namespace faultline
