// Lab::Build: namespaces, veth pairs, addresses, routes, sysctls, offloads,
// and the wait for every link to be operationally UP. See lab.h.
//
// Order of work, chosen so that each namespace is entered once while it is
// created and once more only for a host's own sysctls:
//   1. For the wire and each host, from up to four short-lived threads
//      (the calling thread never changes namespace): unshare(CLONE_NEWNET),
//      keep an fd to the new namespace, open its rtnetlink socket
//      (subscribed to link events before any link exists, so no state
//      change can be missed) and an ioctl socket, and write the lab's fixed
//      sysctls.
//   2. From the wire's socket, in one batch: lo up, every veth pair (both
//      ends placed by IFLA_NET_NS_FD; the wire's end created up), the
//      wire's addresses.
//   3. Each host's own sysctls, inside its namespace (after eth0 exists, so
//      net.ipv4.conf.eth0.* keys work).
//   4. Offloads off on every link end unless the host asks for them (ioctl
//      sockets; no namespace switch).
//   5. Per host, in one batch: lo up, eth0 up, addresses, neighbours, routes.
//   6. Wait (poll, 5 s bound) until every link end reported IF_OPER_UP and
//      every IPv6 address's local route is in (see below).
//
// Neighbours: both ends of every link get permanent neighbour entries for
// each other (fixed MACs, see addr_plan.h), so no ARP or NDP is ever needed
// between lab addresses. Without them, the first IPv6 packet after Build()
// could stall 1 s: the kernel joins an address's solicited-node multicast
// group from a deferred work item (addrconf_dad_work), even with NODAD, and a
// neighbour solicitation arriving before that is dropped (measured: 9 of 200
// labs had not joined yet when Build() returned). It also keeps ARP/NDP
// noise off the wire and the first SYN's timing free of address resolution.
//
// IPv6 readiness: the same deferred work inserts the address's local route
// (table local, /128); until it has run, a packet to the address is not
// delivered although bind() works, and the peer retransmits after 1 s
// (measured: ~1 in 50 labs). Build() therefore also waits for the
// RTM_NEWROUTE notification of every lab IPv6 address's local route.

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <span>
#include <system_error>
#include <thread>

#include "harness/common/clock.h"
#include "harness/lab/addr_plan.h"
#include "harness/lab/ethtool.h"
#include "harness/lab/lab.h"
#include "harness/lab/netlink.h"
#include "harness/lab/rootless.h"
#include "harness/lab/sysctl.h"

namespace faultline {
namespace {

constexpr int kReadyTimeoutMs = 5000;
constexpr int kLoIfindex = 1;

// Sysctls the lab writes in every namespace it creates, before any lab link
// exists (so that conf.default.* applies to the links created later).
//  - accept_dad=0 (all and default; DAD is skipped only when both are 0):
//    no duplicate address detection for the link-local addresses either, so
//    no DAD probes on the wire and no tentative addresses. Lab addresses
//    carry IFA_F_NODAD anyway.
//  - hosts: default.accept_ra=0, so eth0 (created after) sends no router
//    solicitations (noise in packet logs) and never autoconfigures anything.
//    accept_ra is read per device only, so "all" needs no write.
//  - wire: IPv4 and IPv6 forwarding on (it is the router of the lab).
// IPv4 conf.* is inherited from the host's initial namespace by the kernel
// (net.core.devconf_inherit_init_net); nothing there matters to the lab.
struct FixedSysctl {
  const char* key;
  const char* value;
};
constexpr FixedSysctl kWireSysctls[] = {
    {"net.ipv4.ip_forward", "1"},
    {"net.ipv6.conf.all.forwarding", "1"},
    {"net.ipv6.conf.all.accept_dad", "0"},
    {"net.ipv6.conf.default.accept_dad", "0"},
};
constexpr FixedSysctl kHostSysctls[] = {
    {"net.ipv6.conf.all.accept_dad", "0"},
    {"net.ipv6.conf.default.accept_dad", "0"},
    {"net.ipv6.conf.default.accept_ra", "0"},
};

// One namespace under construction.
struct NsCtx {
  const Clock* clock = nullptr;  // deadlines of its netlink socket
  std::string label;             // "wire" or "host 'client'": the prefix of every error
  UniqueFd ns;
  std::optional<NlSocket> nl;
  UniqueFd ioctl_sock;  // AF_INET datagram socket for SIOCETHTOOL
};

Status WithContext(const std::string& label, Status st) {
  return st.ok() ? st : st.Prefixed(label);
}

// Runs with the calling thread inside the new namespace of `ctx`.
Status SetUpNamespace(NsCtx& ctx, std::span<const FixedSysctl> sysctls) {
  ctx.ns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!ctx.ns) return Status::FromErrno("open /proc/thread-self/ns/net", errno);
  StatusOr<NlSocket> nl = NlSocket::Open(/*watch=*/true, *ctx.clock);
  if (!nl.ok()) return nl.status();
  ctx.nl.emplace(std::move(nl).value());
  ctx.ioctl_sock.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!ctx.ioctl_sock) return Status::FromErrno("socket(AF_INET, SOCK_DGRAM)", errno);
  for (const FixedSysctl& s : sysctls) FL_RETURN_IF_ERROR(WriteSysctl(s.key, s.value));
  return Status::Ok();
}

// Moves the calling thread into a new namespace and sets it up as `ctx`.
Status CreateNamespace(NsCtx& ctx, std::span<const FixedSysctl> sysctls) {
  if (::unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    Status st = Status::FromErrno("unshare(CLONE_NEWNET)", err);
    if (err == EPERM) {
      st = Status::Unsupported(st.message() +
                               ": creating a network namespace needs root or CAP_SYS_ADMIN");
    }
    return st.Prefixed(ctx.label);
  }
  return WithContext(ctx.label, SetUpNamespace(ctx, sysctls));
}

// Threads that create a lab's namespaces, at most.
constexpr size_t kCreateThreads = 4;

// Creates the wire's and the hosts' namespaces from up to kCreateThreads
// short-lived threads, so the calling thread never changes namespace. The
// kernel builds namespaces in parallel (pernet_ops_rwsem is only
// read-locked), and the parts that serialise (the RTNL lock for `lo`, which
// the dismantling of earlier labs holds in long stretches) are then waited
// for once per lab instead of once per namespace: measured on the busy
// 2-core machine, 3 namespaces took a median 11-21 ms one after another and
// 5-8 ms from 3 threads. A thread ends inside its last namespace; the
// namespace lives on through ctx.ns and the sockets.
Status CreateNamespaces(NsCtx& wire, std::vector<NsCtx>& hosts) {
  std::vector<NsCtx*> all{&wire};
  for (NsCtx& h : hosts) all.push_back(&h);
  std::vector<Status> result(all.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < all.size(); i = next++) {
      result[i] =
          i == 0 ? CreateNamespace(*all[i], kWireSysctls) : CreateNamespace(*all[i], kHostSysctls);
    }
  };
  std::vector<std::thread> threads;
  Status spawn;
  try {
    for (size_t t = 0; t < std::min(all.size(), kCreateThreads); ++t) threads.emplace_back(work);
  } catch (const std::system_error& e) {
    // The threads already started do all the work (or none exist: report).
    if (threads.empty()) spawn = Status::System(fmt::format("creating a thread: {}", e.what()));
  }
  for (std::thread& t : threads) t.join();
  FL_RETURN_IF_ERROR(spawn);
  for (const Status& st : result) FL_RETURN_IF_ERROR(st);
  return Status::Ok();
}

// Polls the namespaces' sockets until everything watched is ready.
Status WaitReady(std::vector<NsCtx*>& all, int timeout_ms, const Clock& clock) {
  const int64_t deadline = clock.NowNs() + int64_t{timeout_ms} * 1'000'000;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<NsCtx*> waiting;
    for (NsCtx* c : all) {
      FL_RETURN_IF_ERROR(WithContext(c->label, c->nl->Drain()));
      if (!c->nl->AllReady()) {
        fds.push_back({c->nl->fd(), POLLIN, 0});
        waiting.push_back(c);
      }
    }
    if (waiting.empty()) return Status::Ok();
    int64_t left_ms = (deadline - clock.NowNs() + 999'999) / 1'000'000;
    if (left_ms <= 0) {
      std::string names;
      for (NsCtx* c : waiting) {
        for (const std::string& l : c->nl->NotReady()) names += (names.empty() ? "" : ", ") + l;
      }
      return Status::Timeout(
          fmt::format("lab not ready within {} ms: not yet {}", timeout_ms, names));
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left_ms)) < 0 && errno != EINTR) {
      return Status::FromErrno("poll on link events", errno);
    }
  }
}

// The wire's side of host i's link: the veth pair (created in place in both
// namespaces), the wire's addresses and its neighbour entries for the host.
// Registers what must become ready on both ends.
void AddWireSide(NlBatch& wb, NsCtx& wire, NsCtx& host, const HostSpec& h, const LinkAddresses& a,
                 int index) {
  const int windex = WireIfindex(index);
  const std::string wname = "w-" + h.name;
  wire.nl->WatchLink(windex, "wire: " + wname + " operationally UP");
  host.nl->WatchLink(kHostIfindex, host.label + ": " + h.ifname + " operationally UP");
  if (!a.gw6.empty()) {
    wire.nl->WatchLocal6(a.gw6, "wire: " + a.gw6 + " usable");
    host.nl->WatchLocal6(a.addr6, host.label + ": " + a.addr6 + " usable");
  }
  VethSpec v;
  v.name = wname;
  v.ifindex = windex;
  v.netns_fd = wire.ns.get();
  v.peer_name = h.ifname;
  v.peer_ifindex = kHostIfindex;
  v.peer_netns_fd = host.ns.get();
  v.mac = a.gw_mac;
  v.peer_mac = a.mac;
  v.mtu = std::max(h.mtu, h.link_mtu);
  AddVeth(wb, v,
          fmt::format("{}: create veth pair {} (wire) <-> {} (host), mtu {}", host.label, wname,
                      h.ifname, v.mtu));
  AddAddress(wb, windex, a.gw4, a.prefix4, /*nodad=*/false,
             fmt::format("wire: add address {}/{} on {}", a.gw4, a.prefix4, wname));
  AddNeighbor(wb, windex, a.addr4, a.mac,
              fmt::format("wire: add neighbour {} on {}", a.addr4, wname));
  if (!a.gw6.empty()) {
    AddAddress(wb, windex, a.gw6, a.prefix6, /*nodad=*/true,
               fmt::format("wire: add address {}/{} on {}", a.gw6, a.prefix6, wname));
    AddNeighbor(wb, windex, a.addr6, a.mac,
                fmt::format("wire: add neighbour {} on {}", a.addr6, wname));
  }
}

// The host's own sysctls, in the order the case gave them.
Status ApplyHostSysctls(const HostSpec& h, NsCtx& host) {
  if (h.sysctls.empty()) return Status::Ok();
  Status st = InNetns(host.ns.get(), [&h]() -> Status {
    for (const auto& [key, value] : h.sysctls) FL_RETURN_IF_ERROR(WriteSysctl(key, value));
    return Status::Ok();
  });
  if (!st.ok() && RunningRootless() &&
      (st.code() == StatusCode::kUnsupported || st.code() == StatusCode::kInvalidInput)) {
    // Some net.* sysctls are read-only or hidden in a namespace owned by a
    // user namespace (harness/lab/rootless.h): the case is skipped, saying so.
    st = Status::Unsupported(st.message() +
                             " (rootless run: the kernel keeps this sysctl from a user "
                             "namespace's root; run as root for this case)");
  }
  return WithContext(host.label, st);
}

// The host's side: lo and eth0 up, its addresses, the neighbour entry for
// the wire, and routes to the lab's ranges only (no default route).
// A link MTU above the host's `mtu`: its routes keep `mtu` and its MSS
// (the IPv4 and IPv6 headers with TCP's: 40 and 60 bytes).
Status ConfigureHost(NsCtx& host, const LinkAddresses& a, const HostSpec& h) {
  const bool wide = h.link_mtu > h.mtu;
  const RouteMetrics m4 = wide ? RouteMetrics{h.mtu, h.mtu - 40} : RouteMetrics{};
  const RouteMetrics m6 = wide ? RouteMetrics{h.mtu, h.mtu - 60} : RouteMetrics{};
  const std::string note = wide ? fmt::format(" mtu {}", h.mtu) : "";
  const std::string& label = host.label;
  const std::string& dev = h.ifname;
  NlBatch hb;
  AddLinkUp(hb, kLoIfindex, label + ": set lo up");
  AddLinkUp(hb, kHostIfindex, label + ": set " + dev + " up");
  AddAddress(hb, kHostIfindex, a.addr4, a.prefix4, /*nodad=*/false,
             fmt::format("{}: add address {}/{} on {}", label, a.addr4, a.prefix4, dev));
  AddNeighbor(hb, kHostIfindex, a.gw4, a.gw_mac,
              fmt::format("{}: add neighbour {} on {}", label, a.gw4, dev));
  if (!a.addr6.empty()) {
    AddAddress(hb, kHostIfindex, a.addr6, a.prefix6, /*nodad=*/true,
               fmt::format("{}: add address {}/{} on {}", label, a.addr6, a.prefix6, dev));
    AddNeighbor(hb, kHostIfindex, a.gw6, a.gw_mac,
                fmt::format("{}: add neighbour {} on {}", label, a.gw6, dev));
  }
  AddRoute(hb, "198.18.0.0", 15, a.gw4, kHostIfindex,
           fmt::format("{}: add route 198.18.0.0/15 via {} dev {}{}", label, a.gw4, dev, note), m4);
  if (!a.gw6.empty()) {
    AddRoute(hb, "2001:2::", 48, a.gw6, kHostIfindex,
             fmt::format("{}: add route 2001:2::/48 via {} dev {}{}", label, a.gw6, dev, note), m6);
  }
  return host.nl->Run(hb);
}

}  // namespace

StatusOr<std::unique_ptr<Lab>> Lab::Build(const LabSpec& spec, const Clock& clock) {
  FL_RETURN_IF_ERROR(ValidateLabSpec(spec));
  const size_t n = spec.hosts.size();

  NsCtx wire;
  wire.clock = &clock;
  wire.label = "wire";
  std::vector<NsCtx> hosts(n);
  std::vector<LinkAddresses> plan(n);
  for (size_t i = 0; i < n; ++i) {
    hosts[i].clock = &clock;
    hosts[i].label = fmt::format("host '{}'", spec.hosts[i].name);
    plan[i] = PlanAddresses(static_cast<int>(i + 1), spec.hosts[i].mtu >= kLabIPv6MinMtu);
  }

  // 1. Namespaces.
  FL_RETURN_IF_ERROR(CreateNamespaces(wire, hosts));

  // 2. Links and the wire's side.
  NlBatch wb;
  AddLinkUp(wb, kLoIfindex, "wire: set lo up");
  for (size_t i = 0; i < n; ++i)
    AddWireSide(wb, wire, hosts[i], spec.hosts[i], plan[i], static_cast<int>(i + 1));
  FL_RETURN_IF_ERROR(wire.nl->Run(wb));

  // 3. The hosts' own sysctls.
  for (size_t i = 0; i < n; ++i) FL_RETURN_IF_ERROR(ApplyHostSysctls(spec.hosts[i], hosts[i]));

  // 4. Offloads (left as the kernel made them on a host with offloads: true).
  for (size_t i = 0; i < n; ++i) {
    if (spec.hosts[i].offloads) continue;
    FL_RETURN_IF_ERROR(
        WithContext("wire", DisableOffloads(wire.ioctl_sock.get(), "w-" + spec.hosts[i].name)));
    FL_RETURN_IF_ERROR(WithContext(
        hosts[i].label, DisableOffloads(hosts[i].ioctl_sock.get(), spec.hosts[i].ifname)));
  }

  // 5. The hosts' addresses and routes.
  for (size_t i = 0; i < n; ++i)
    FL_RETURN_IF_ERROR(ConfigureHost(hosts[i], plan[i], spec.hosts[i]));

  // 6. Every link end operationally UP, every IPv6 address usable.
  std::vector<NsCtx*> all{&wire};
  for (NsCtx& h : hosts) all.push_back(&h);
  FL_RETURN_IF_ERROR(WaitReady(all, kReadyTimeoutMs, clock));

  std::unique_ptr<Lab> lab(new Lab);
  lab->wire_netns_ = std::move(wire.ns);
  lab->hosts_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    LabHost& lh = lab->hosts_[i];
    lh.name = spec.hosts[i].name;
    lh.index = static_cast<int>(i + 1);
    lh.netns = std::move(hosts[i].ns);
    lh.ifname = spec.hosts[i].ifname;
    lh.wire_ifname = "w-" + lh.name;
    lh.addr4 = plan[i].addr4;
    lh.addr6 = plan[i].addr6;
    lh.gw4 = plan[i].gw4;
    lh.gw6 = plan[i].gw6;
  }
  return lab;
}

Lab::~Lab() = default;

const LabHost* Lab::host(const std::string& name) const {
  for (const LabHost& h : hosts_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

}  // namespace faultline
