#include "harness/lab/netlink.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "harness/common/clock.h"
#include "harness/common/errno_names.h"
#include "harness/lab/nl_receive.h"

namespace faultline {

// ----------------------------------------------------------------- batch --

nlmsghdr* NlBatch::Begin(uint16_t type, uint16_t flags) {
  if (buf_.size() < used_ + kMaxMsg) buf_.resize(used_ + kMaxMsg);
  char* p = buf_.data() + used_;
  memset(p, 0, kMaxMsg);
  nlmsghdr* nlh = mnl_nlmsg_put_header(p);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  return nlh;
}

void NlBatch::End(nlmsghdr* nlh, std::string what, bool ok) {
  if (!ok) {
    if (overflow_.empty()) overflow_ = std::move(what);
    return;
  }
  size_t offset = static_cast<size_t>(reinterpret_cast<char*>(nlh) - buf_.data());
  entries_.push_back({offset, std::move(what), (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP});
  used_ = offset + NLMSG_ALIGN(nlh->nlmsg_len);
}

const nlmsghdr* NlBatch::message(size_t i) const {
  return reinterpret_cast<const nlmsghdr*>(buf_.data() + entries_[i].offset);
}

// ---------------------------------------------------------------- socket --

namespace {

constexpr size_t kRecvBuf = 64 * 1024;  // one recv()
// Requests per sendmsg(). A veth pair with its addresses causes ~15 KB of
// queued notifications on the creating socket; 32 requests stay well inside
// the receive buffer below.
constexpr size_t kChunk = 32;
// The socket's receive buffer: notifications pile up between reads (e.g.
// link events of every wire end while the hosts are configured).
constexpr int kSocketRcvBuf = 4 << 20;

}  // namespace

StatusOr<NlSocket> NlSocket::Open(bool watch, const Clock& clock) {
  NlSocket s;
  s.clock_ = &clock;
  s.sock_.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!s.sock_) return Status::FromErrno("open NETLINK_ROUTE socket", errno);
  int one = 1;
  // Best effort: older kernels lack extended acks; errors still decode.
  mnl_socket_setsockopt(s.sock_.get(), NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(s.sock_.get(), NETLINK_CAP_ACK, &one, sizeof one);
  // Root may exceed net.core.rmem_max (FORCE); otherwise the kernel caps it.
  if (setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &kSocketRcvBuf, sizeof kSocketRcvBuf) != 0) {
    setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &kSocketRcvBuf, sizeof kSocketRcvBuf);
  }
  unsigned groups = watch ? RTMGRP_LINK | RTMGRP_IPV6_ROUTE : 0;
  if (mnl_socket_bind(s.sock_.get(), groups, MNL_SOCKET_AUTOPID) < 0) {
    return Status::FromErrno("bind NETLINK_ROUTE socket", errno);
  }
  s.portid_ = mnl_socket_get_portid(s.sock_.get());
  s.rbuf_.resize(kRecvBuf);
  return s;
}

NlSocket::NlSocket(NlSocket&&) noexcept = default;
NlSocket& NlSocket::operator=(NlSocket&&) noexcept = default;
NlSocket::~NlSocket() = default;

int NlSocket::fd() const { return mnl_socket_get_fd(sock_.get()); }

void NlSocket::WatchLink(int ifindex, std::string label) {
  links_[ifindex] = Watched{std::move(label), false};
}

void NlSocket::WatchLocal6(const std::string& addr, std::string label) {
  in6_addr a{};
  inet_pton(AF_INET6, addr.c_str(), &a);
  local6_[std::string(reinterpret_cast<const char*>(&a), sizeof a)] =
      Watched{std::move(label), false};
}

bool NlSocket::AllReady() const {
  for (const auto& [k, w] : links_) {
    if (!w.ready) return false;
  }
  for (const auto& [k, w] : local6_) {
    if (!w.ready) return false;
  }
  return true;
}

std::vector<std::string> NlSocket::NotReady() const {
  std::vector<std::string> out;
  for (const auto& [k, w] : links_) {
    if (!w.ready) out.push_back(w.label);
  }
  for (const auto& [k, w] : local6_) {
    if (!w.ready) out.push_back(w.label);
  }
  return out;
}

namespace {

struct AttrTable {
  static constexpr int kMax = 64;
  const nlattr* a[kMax] = {};
};

int CollectAttr(const nlattr* attr, void* data) {
  int type = mnl_attr_get_type(attr);
  if (type >= 0 && type < AttrTable::kMax) static_cast<AttrTable*>(data)->a[type] = attr;
  return MNL_CB_OK;
}

}  // namespace

void NlSocket::Observe(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type == RTM_NEWLINK) {
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return;
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    auto it = links_.find(ifi->ifi_index);
    if (it == links_.end() || it->second.ready) return;
    AttrTable t;
    mnl_attr_parse(nlh, sizeof(ifinfomsg), CollectAttr, &t);
    const nlattr* oper = t.a[IFLA_OPERSTATE];
    if (oper != nullptr && mnl_attr_validate(oper, MNL_TYPE_U8) >= 0 &&
        mnl_attr_get_u8(oper) == IF_OPER_UP) {
      it->second.ready = true;
    }
  } else if (nlh->nlmsg_type == RTM_NEWROUTE) {
    if (local6_.empty() || mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) return;
    const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    if (rtm->rtm_family != AF_INET6 || rtm->rtm_type != RTN_LOCAL || rtm->rtm_dst_len != 128) {
      return;
    }
    AttrTable t;
    mnl_attr_parse(nlh, sizeof(rtmsg), CollectAttr, &t);
    const nlattr* dst = t.a[RTA_DST];
    if (dst == nullptr || mnl_attr_get_payload_len(dst) != 16) return;
    auto it = local6_.find(std::string(static_cast<const char*>(mnl_attr_get_payload(dst)), 16));
    if (it != local6_.end()) it->second.ready = true;
  }
}

// One request of a batch being run, by sequence number.
struct NlSocket::Pending {
  const std::string* what;
  bool dump;
  int err = 0;
  std::string ext;  // the kernel's extended-ack text of a refusal
  bool done = false;
};

Status NlSocket::Run(NlBatch& batch, int timeout_ms) {
  if (!batch.overflow_.empty()) {
    return Status::System(batch.overflow_ +
                          ": request could not be built (bad argument or too long)");
  }
  if (batch.entries_.empty()) return Status::Ok();
  // Sequence numbers: this socket's counter, one per message.
  std::map<uint32_t, Pending> pending;
  for (NlBatch::Entry& e : batch.entries_) {
    auto* nlh = reinterpret_cast<nlmsghdr*>(batch.buf_.data() + e.offset);
    nlh->nlmsg_seq = ++seq_;
    nlh->nlmsg_pid = 0;
    pending[nlh->nlmsg_seq] = Pending{&e.what, e.dump, 0, {}, false};
  }
  // Sent in chunks, each acknowledged before the next is sent: rtnetlink
  // handles a request inside sendmsg(), so a chunk's acks and the
  // notifications it causes are all queued on this socket when sendmsg()
  // returns, and must fit its receive buffer (an ack that does not fit is
  // dropped by the kernel).
  const int64_t deadline = clock_->NowNs() + int64_t{timeout_ms} * 1'000'000;
  const size_t count = batch.entries_.size();
  for (size_t first = 0; first < count; first = std::min(first + kChunk, count)) {
    FL_RETURN_IF_ERROR(
        RunChunk(batch, first, std::min(first + kChunk, count), pending, deadline, timeout_ms));
  }
  // The first refused message in batch order explains the rest.
  for (auto& [seq, p] : pending) {
    if (p.err == 0) continue;
    std::string what = *p.what;
    if (!p.ext.empty()) what += ": " + p.ext;
    return Status::FromErrno(what, p.err);
  }
  if (lost_events_) return Resync();
  return Status::Ok();
}

Status NlSocket::RunChunk(NlBatch& batch, size_t first, size_t last,
                          std::map<uint32_t, Pending>& pending, int64_t deadline, int timeout_ms) {
  const size_t begin = batch.entries_[first].offset;
  const size_t end = last < batch.entries_.size() ? batch.entries_[last].offset : batch.used_;
  bool has_dump = false;
  for (size_t i = first; i < last; ++i) has_dump = has_dump || batch.entries_[i].dump;
  if (mnl_socket_sendto(sock_.get(), batch.buf_.data() + begin, end - begin) < 0) {
    return Status::FromErrno(fmt::format("netlink send of {} requests, the first: {}", last - first,
                                         batch.entries_[first].what),
                             errno);
  }
  size_t outstanding = last - first;
  bool overrun = false;
  auto unanswered = [&pending]() -> const std::string& {
    for (auto& [seq, p] : pending) {
      if (!p.done) return *p.what;
    }
    return *pending.begin()->second.what;
  };
  NlReceiver r;
  r.done = [&] { return outstanding == 0; };
  r.idle = [&]() -> Status {
    if (overrun && !has_dump) {  // nothing more can come: the missing acks were dropped
      return Status::System(fmt::format(
          "{}: acknowledgement lost to a netlink receive buffer overrun", unanswered()));
    }
    return Status::Ok();
  };
  r.message = [&](const nlmsghdr* nlh) {
    auto it = nlh->nlmsg_seq != 0 && nlh->nlmsg_pid == portid_ ? pending.find(nlh->nlmsg_seq)
                                                               : pending.end();
    if (it == pending.end() || it->second.done) {  // a notification, or a stale answer
      if (it == pending.end()) Observe(nlh);
      return;
    }
    Pending& p = it->second;
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      p.err = NlErrorCode(nlh);
      if (p.err != 0) p.ext = NlExtAckMessage(nlh);
    } else if (nlh->nlmsg_type != NLMSG_DONE) {
      Observe(nlh);  // a dump's part
      return;
    }
    p.done = true;
    --outstanding;
  };
  Status st = NlReceiveUntil(fd(), rbuf_, deadline, *clock_, r, &overrun);
  if (overrun) lost_events_ = true;
  if (st.code() == StatusCode::kTimeout) {
    return Status::Timeout(
        fmt::format("{}: no answer from the kernel within {} ms", unanswered(), timeout_ms));
  }
  return st;
}

Status NlSocket::Resync() {
  lost_events_ = false;
  if (AllReady()) return Status::Ok();
  NlBatch links;
  AddLinkDump(links, AF_UNSPEC, "dump the link table");
  FL_RETURN_IF_ERROR(Run(links));
  if (local6_.empty()) return Status::Ok();
  NlBatch routes;
  nlmsghdr* nlh = routes.Begin(RTM_GETROUTE, NLM_F_DUMP);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  routes.End(nlh, "dump the IPv6 routes");
  return Run(routes);
}

Status NlSocket::Drain() {
  bool empty = false;
  NlReceiver r;
  r.done = [&empty] { return empty; };
  r.idle = [&empty] {
    empty = true;  // everything queued has been read
    return Status::Ok();
  };
  r.message = [this](const nlmsghdr* nlh) { Observe(nlh); };
  FL_RETURN_IF_ERROR(NlReceiveUntil(fd(), rbuf_, clock_->NowNs(), *clock_, r, &lost_events_));
  if (lost_events_) return Resync();
  return Status::Ok();
}

// -------------------------------------------------------------- builders --

bool ParseIp(const std::string& text, int* family, unsigned char out[16], size_t* len) {
  if (inet_pton(AF_INET, text.c_str(), out) == 1) {
    *family = AF_INET;
    *len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) {
    *family = AF_INET6;
    *len = 16;
    return true;
  }
  return false;
}

void AddLinkUp(NlBatch& b, int ifindex, std::string what) {
  nlmsghdr* nlh = b.Begin(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  b.End(nlh, std::move(what));
}

void AddVeth(NlBatch& b, const VethSpec& v, std::string what) {
  constexpr size_t kMax = NlBatch::kMaxMsg;
  nlmsghdr* nlh = b.Begin(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = v.ifindex;
  if (v.up) {
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
  }
  // One tx and one rx queue, given explicitly: otherwise veth allocates one
  // per CPU and then trims them to one with netif_set_real_num_tx_queues(),
  // which waits for an expedited RCU grace period (measured: a third of the
  // time a build spends blocked).
  bool ok = mnl_attr_put_strz_check(nlh, kMax, IFLA_IFNAME, v.name.c_str());
  ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_MTU, static_cast<uint32_t>(v.mtu));
  ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NUM_TX_QUEUES, 1);
  ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NUM_RX_QUEUES, 1);
  if (v.mac != nullptr) ok = ok && mnl_attr_put_check(nlh, kMax, IFLA_ADDRESS, 6, v.mac);
  if (v.netns_fd >= 0) {
    ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NET_NS_FD, static_cast<uint32_t>(v.netns_fd));
  }
  nlattr* linkinfo = ok ? mnl_attr_nest_start_check(nlh, kMax, IFLA_LINKINFO) : nullptr;
  ok = linkinfo != nullptr && mnl_attr_put_strz_check(nlh, kMax, IFLA_INFO_KIND, "veth");
  nlattr* data = ok ? mnl_attr_nest_start_check(nlh, kMax, IFLA_INFO_DATA) : nullptr;
  nlattr* peer = data ? mnl_attr_nest_start_check(nlh, kMax, VETH_INFO_PEER) : nullptr;
  ok = peer != nullptr && nlh->nlmsg_len + NLMSG_ALIGN(sizeof(ifinfomsg)) <= kMax;
  if (ok) {
    // VETH_INFO_PEER holds an ifinfomsg followed by the peer's attributes.
    auto* pifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload_tail(nlh));
    memset(pifi, 0, sizeof *pifi);
    pifi->ifi_family = AF_UNSPEC;
    pifi->ifi_index = v.peer_ifindex;
    nlh->nlmsg_len += NLMSG_ALIGN(sizeof(ifinfomsg));
    ok = mnl_attr_put_strz_check(nlh, kMax, IFLA_IFNAME, v.peer_name.c_str());
    ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_MTU, static_cast<uint32_t>(v.mtu));
    ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NUM_TX_QUEUES, 1);
    ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NUM_RX_QUEUES, 1);
    if (v.peer_mac != nullptr) {
      ok = ok && mnl_attr_put_check(nlh, kMax, IFLA_ADDRESS, 6, v.peer_mac);
    }
    if (v.peer_netns_fd >= 0) {
      ok = ok && mnl_attr_put_u32_check(nlh, kMax, IFLA_NET_NS_FD,
                                        static_cast<uint32_t>(v.peer_netns_fd));
    }
  }
  if (ok) {
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, linkinfo);
  }
  b.End(nlh, std::move(what), ok);
}

void AddAddress(NlBatch& b, int ifindex, const std::string& addr, int prefix, bool nodad,
                std::string what) {
  constexpr size_t kMax = NlBatch::kMaxMsg;
  nlmsghdr* nlh = b.Begin(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  int family = 0;
  unsigned char bytes[16];
  size_t len = 0;
  bool ok =
      ParseIp(addr, &family, bytes, &len) && prefix >= 0 && prefix <= static_cast<int>(len * 8);
  if (ok) {
    ifa->ifa_family = static_cast<uint8_t>(family);
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<uint32_t>(ifindex);
    ok = mnl_attr_put_check(nlh, kMax, IFA_LOCAL, len, bytes) &&
         mnl_attr_put_check(nlh, kMax, IFA_ADDRESS, len, bytes);
    if (ok && nodad) {
      ifa->ifa_flags = IFA_F_NODAD;  // the u8 field, for old kernels
      ok = mnl_attr_put_u32_check(nlh, kMax, IFA_FLAGS, IFA_F_NODAD);
    }
  }
  b.End(nlh, std::move(what), ok);
}

void AddRoute(NlBatch& b, const std::string& dst, int dst_len, const std::string& gw, int oif,
              std::string what, RouteMetrics metrics) {
  constexpr size_t kMax = NlBatch::kMaxMsg;
  nlmsghdr* nlh = b.Begin(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  int dfam = 0, gfam = 0;
  unsigned char dbytes[16], gbytes[16];
  size_t dlen = 0, glen = 0;
  bool ok = ParseIp(dst, &dfam, dbytes, &dlen) && ParseIp(gw, &gfam, gbytes, &glen) &&
            dfam == gfam && dst_len >= 0 && dst_len <= static_cast<int>(dlen * 8);
  if (ok) {
    rtm->rtm_family = static_cast<uint8_t>(dfam);
    rtm->rtm_dst_len = static_cast<uint8_t>(dst_len);
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    ok = mnl_attr_put_check(nlh, kMax, RTA_DST, dlen, dbytes) &&
         mnl_attr_put_check(nlh, kMax, RTA_GATEWAY, glen, gbytes) &&
         mnl_attr_put_u32_check(nlh, kMax, RTA_OIF, static_cast<uint32_t>(oif));
  }
  if (ok && (metrics.mtu > 0 || metrics.advmss > 0)) {
    nlattr* nest = mnl_attr_nest_start_check(nlh, kMax, RTA_METRICS);
    ok = nest != nullptr;
    if (ok && metrics.mtu > 0) {
      ok = mnl_attr_put_u32_check(nlh, kMax, RTAX_MTU, static_cast<uint32_t>(metrics.mtu));
    }
    if (ok && metrics.advmss > 0) {
      ok = mnl_attr_put_u32_check(nlh, kMax, RTAX_ADVMSS, static_cast<uint32_t>(metrics.advmss));
    }
    if (ok) mnl_attr_nest_end(nlh, nest);
  }
  b.End(nlh, std::move(what), ok);
}

void AddNeighbor(NlBatch& b, int ifindex, const std::string& ip, const unsigned char mac[6],
                 std::string what) {
  constexpr size_t kMax = NlBatch::kMaxMsg;
  nlmsghdr* nlh = b.Begin(RTM_NEWNEIGH, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  int family = 0;
  unsigned char bytes[16];
  size_t len = 0;
  bool ok = ParseIp(ip, &family, bytes, &len);
  if (ok) {
    ndm->ndm_family = static_cast<uint8_t>(family);
    ndm->ndm_ifindex = ifindex;
    ndm->ndm_state = NUD_PERMANENT;
    ndm->ndm_type = RTN_UNICAST;
    ok = mnl_attr_put_check(nlh, kMax, NDA_DST, len, bytes) &&
         mnl_attr_put_check(nlh, kMax, NDA_LLADDR, 6, mac);
  }
  b.End(nlh, std::move(what), ok);
}

void AddLinkDump(NlBatch& b, int family, std::string what) {
  nlmsghdr* nlh = b.Begin(RTM_GETLINK, NLM_F_DUMP);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = static_cast<uint8_t>(family);
  b.End(nlh, std::move(what));
}

}  // namespace faultline
