#include "harness/observe/sock_diag.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "harness/lab/lab.h"
#include "harness/model/observe.h"

namespace faultline {
namespace {

std::string AddrText(int family, const uint32_t* words) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, words, buf, sizeof buf) == nullptr) return "?";
  return buf;
}

struct DumpState {
  std::vector<DiagSocket>* out;
  Status error;
};

int OnMessage(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<DumpState*>(data);
  StatusOr<DiagSocket> s = ParseDiagMessage(nlh);
  if (!s.ok()) {
    st->error = s.status();
    return MNL_CB_ERROR;
  }
  st->out->push_back(std::move(s).value());
  return MNL_CB_OK;
}

}  // namespace

std::string DiagSocket::ToString() const {
  auto ep = [&](const std::string& a, uint16_t p) {
    return family == AF_INET6 ? fmt::format("[{}]:{}", a, p) : fmt::format("{}:{}", a, p);
  };
  return fmt::format("{} > {} {}", ep(src, sport), ep(dst, dport), TcpStateName(state));
}

StatusOr<DiagSocket> ParseDiagMessage(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
    return Status::Invalid(fmt::format("sock_diag: unexpected message type {}", nlh->nlmsg_type));
  }
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(inet_diag_msg))) {
    return Status::Invalid(fmt::format(
        "sock_diag: reply of {} bytes is shorter than an inet_diag_msg", nlh->nlmsg_len));
  }
  const auto* m = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6) {
    return Status::Invalid(fmt::format("sock_diag: unexpected family {}", m->idiag_family));
  }
  DiagSocket s;
  s.family = m->idiag_family;
  s.state = m->idiag_state;
  s.src = AddrText(s.family, m->id.idiag_src);
  s.dst = AddrText(s.family, m->id.idiag_dst);
  s.sport = ntohs(m->id.idiag_sport);
  s.dport = ntohs(m->id.idiag_dport);
  s.rqueue = m->idiag_rqueue;
  s.wqueue = m->idiag_wqueue;
  s.inode = m->idiag_inode;
  s.cookie = static_cast<uint64_t>(m->id.idiag_cookie[0]) |
             (static_cast<uint64_t>(m->id.idiag_cookie[1]) << 32);
  // mnl_attr_for_each, without its void* to pointer conversion.
  auto* nl = const_cast<nlmsghdr*>(nlh);
  for (auto* attr = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(nl, sizeof(inet_diag_msg)));
       mnl_attr_ok(attr, static_cast<int>(static_cast<char*>(mnl_nlmsg_get_payload_tail(nl)) -
                                          reinterpret_cast<char*>(attr)));
       attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == INET_DIAG_INFO) {
      const size_t len = mnl_attr_get_payload_len(attr);
      size_t n = std::min<size_t>(len, sizeof(tcp_info));
      std::memcpy(&s.info, mnl_attr_get_payload(attr), n);
      s.info_raw.assign(static_cast<const char*>(mnl_attr_get_payload(attr)), len);
      s.has_info = true;
    }
  }
  return s;
}

StatusOr<SockDiag> SockDiag::Open(int netns_fd) {
  SockDiag d;
  auto open = [&]() -> Status {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return Status::FromErrno("sock_diag: socket(NETLINK_SOCK_DIAG)", errno);
    d.fd_ = UniqueFd(fd);
    return Status::Ok();
  };
  Status st = netns_fd < 0 ? open() : InNetns(netns_fd, open);
  if (!st.ok()) return st;
  return d;
}

StatusOr<std::vector<DiagSocket>> SockDiag::DumpTcp(int family) {
  return DumpProto(family, IPPROTO_TCP);
}

StatusOr<std::vector<DiagSocket>> SockDiag::DumpUdp(int family) {
  return DumpProto(family, IPPROTO_UDP);
}

StatusOr<std::vector<DiagSocket>> SockDiag::DumpProto(int family, int protocol) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++seq_;
  auto* req =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = static_cast<uint8_t>(family);
  req->sdiag_protocol = static_cast<uint8_t>(protocol);
  req->idiag_states = ~0U;  // every state, request and time-wait sockets included
  if (protocol == IPPROTO_TCP) req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  if (sendto(fd_.get(), nlh, nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    return Status::FromErrno("sock_diag: send", errno);
  }
  std::vector<DiagSocket> out;
  DumpState st{&out, Status::Ok()};
  for (;;) {
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("sock_diag: recv", errno);
    }
    int r = mnl_cb_run(buf, static_cast<size_t>(n), seq_, 0, OnMessage, &st);
    if (r == MNL_CB_ERROR) {
      if (!st.error.ok()) return st.error;
      return Status::FromErrno("sock_diag: dump", errno);
    }
    if (r == MNL_CB_STOP) break;
  }
  DropDuplicateSockets(out);
  return out;
}

void DropDuplicateSockets(std::vector<DiagSocket>& dump) {
  constexpr uint64_t kNoCookie =
      (static_cast<uint64_t>(INET_DIAG_NOCOOKIE) << 32) | INET_DIAG_NOCOOKIE;
  std::unordered_map<uint64_t, size_t> last;
  for (size_t i = 0; i < dump.size(); ++i) {
    if (dump[i].cookie != 0 && dump[i].cookie != kNoCookie) last[dump[i].cookie] = i;
  }
  if (last.size() == dump.size()) return;
  std::vector<DiagSocket> kept;
  kept.reserve(dump.size());
  for (size_t i = 0; i < dump.size(); ++i) {
    const uint64_t c = dump[i].cookie;
    if (c != 0 && c != kNoCookie && last[c] != i) continue;
    kept.push_back(std::move(dump[i]));
  }
  dump = std::move(kept);
}

}  // namespace faultline
