#include "harness/runner/request.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "harness/common/text_pattern.h"

namespace faultline {
namespace {

int MsgFlag(const std::string& name) {
  if (name == "MSG_DONTWAIT") return MSG_DONTWAIT;
  if (name == "MSG_MORE") return MSG_MORE;
  if (name == "MSG_NOSIGNAL") return MSG_NOSIGNAL;
  if (name == "MSG_OOB") return MSG_OOB;
  if (name == "MSG_PEEK") return MSG_PEEK;
  if (name == "MSG_WAITALL") return MSG_WAITALL;
  if (name == "MSG_FASTOPEN") return MSG_FASTOPEN;  // packetdrill scripts (issue 16)
  if (name == "MSG_EOR") return MSG_EOR;
  if (name == "MSG_TRUNC") return MSG_TRUNC;
  if (name == "MSG_ZEROCOPY") return MSG_ZEROCOPY;
  if (name == "MSG_ERRQUEUE") return MSG_ERRQUEUE;
  return 0;
}

int PollEvent(const std::string& name) {
  if (name == "in") return POLLIN;
  if (name == "out") return POLLOUT;
  if (name == "pri") return POLLPRI;
  if (name == "rdhup") return POLLRDHUP;
  return 0;
}

}  // namespace

uint32_t EpollEventBit(const std::string& name) {
  if (name == "in") return EPOLLIN;
  if (name == "out") return EPOLLOUT;
  if (name == "pri") return EPOLLPRI;
  if (name == "rdhup") return EPOLLRDHUP;
  if (name == "err") return EPOLLERR;
  if (name == "hup") return EPOLLHUP;
  if (name == "et") return EPOLLET;
  if (name == "oneshot") return EPOLLONESHOT;
  return 0;
}

namespace {

int IoctlRequest(const std::string& name) {
  if (name == "SIOCINQ") return SIOCINQ;
  if (name == "SIOCOUTQ") return SIOCOUTQ;
  if (name == "SIOCOUTQNSD") return SIOCOUTQNSD;
  if (name == "FIONREAD") return FIONREAD;
  return 0;
}

int EpollOp(const std::string& name) {
  if (name == "add") return EPOLL_CTL_ADD;
  if (name == "mod") return EPOLL_CTL_MOD;
  if (name == "del") return EPOLL_CTL_DEL;
  return 0;
}

// fcntl, ioctl and epoll fields (issue 16).
void SetSyscallFields(const SocketCall& c, peer::Request* r) {
  r->iov = c.iov;
  if (c.op == Op::kFcntl) {
    r->fcntl_cmd = c.fcntl_cmd == "setfl" ? F_SETFL : F_GETFL;
    r->nonblock =
        std::find(c.fcntl_flags.begin(), c.fcntl_flags.end(), "nonblock") != c.fcntl_flags.end();
  }
  if (c.op == Op::kIoctl) r->ioctl_request = IoctlRequest(c.ioctl_request);
  if (c.op == Op::kEpollCtl) {
    r->epoll_op = EpollOp(c.epoll_op);
    r->target = c.epoll_target;
    for (const std::string& e : c.events) r->epoll_events |= EpollEventBit(e);
  }
  r->epoll_max = c.epoll_max;
}

// open, pipe, sendfile's input and splice (issue 16 part E): flag names to
// bits; splice's flags replace the MSG_* bits.
int OpenFlag(const std::string& name) {
  if (name == "rdonly") return O_RDONLY;
  if (name == "wronly") return O_WRONLY;
  if (name == "rdwr") return O_RDWR;
  if (name == "creat") return O_CREAT;
  if (name == "trunc") return O_TRUNC;
  if (name == "append") return O_APPEND;
  if (name == "excl") return O_EXCL;
  if (name == "nonblock") return O_NONBLOCK;
  if (name == "cloexec") return O_CLOEXEC;
  return 0;
}

int SpliceFlag(const std::string& name) {
  if (name == "SPLICE_F_MOVE") return SPLICE_F_MOVE;
  if (name == "SPLICE_F_NONBLOCK") return SPLICE_F_NONBLOCK;
  if (name == "SPLICE_F_MORE") return SPLICE_F_MORE;
  if (name == "SPLICE_F_GIFT") return SPLICE_F_GIFT;
  return 0;
}

void SetFileFields(const SocketCall& c, peer::Request* r) {
  r->path = c.path;
  for (const std::string& f : c.open_flags) r->open_flags |= OpenFlag(f);
  r->as2 = c.as_write;
  if (c.op == Op::kSendfile || c.op == Op::kSplice) r->target = c.other_fd;
  if (c.offset) r->offset = *c.offset;
  if (c.op == Op::kSplice) {
    r->flags = 0;
    for (const std::string& f : c.flags) r->flags |= SpliceFlag(f);
  }
}

void SetOption(SockOpt opt, peer::Request* r) {
  struct Pair {
    int level, name;
  };
  Pair p{SOL_SOCKET, 0};
  switch (opt) {
    case SockOpt::kSoReuseaddr: p = {SOL_SOCKET, SO_REUSEADDR}; break;
    case SockOpt::kSoReuseport: p = {SOL_SOCKET, SO_REUSEPORT}; break;
    case SockOpt::kSoLinger: p = {SOL_SOCKET, SO_LINGER}; break;
    case SockOpt::kSoRcvbuf: p = {SOL_SOCKET, SO_RCVBUF}; break;
    case SockOpt::kSoSndbuf: p = {SOL_SOCKET, SO_SNDBUF}; break;
    case SockOpt::kSoKeepalive: p = {SOL_SOCKET, SO_KEEPALIVE}; break;
    case SockOpt::kSoError: p = {SOL_SOCKET, SO_ERROR}; break;
    case SockOpt::kTcpNodelay: p = {IPPROTO_TCP, TCP_NODELAY}; break;
    case SockOpt::kTcpCork: p = {IPPROTO_TCP, TCP_CORK}; break;
    case SockOpt::kTcpUserTimeout: p = {IPPROTO_TCP, TCP_USER_TIMEOUT}; break;
    case SockOpt::kTcpKeepidle: p = {IPPROTO_TCP, TCP_KEEPIDLE}; break;
    case SockOpt::kTcpKeepintvl: p = {IPPROTO_TCP, TCP_KEEPINTVL}; break;
    case SockOpt::kTcpKeepcnt: p = {IPPROTO_TCP, TCP_KEEPCNT}; break;
    case SockOpt::kTcpMaxseg: p = {IPPROTO_TCP, TCP_MAXSEG}; break;
    case SockOpt::kTcpCongestion: p = {IPPROTO_TCP, TCP_CONGESTION}; break;
    case SockOpt::kTcpNotsentLowat: p = {IPPROTO_TCP, TCP_NOTSENT_LOWAT}; break;
    case SockOpt::kTcpSyncnt: p = {IPPROTO_TCP, TCP_SYNCNT}; break;
    case SockOpt::kTcpInq: p = {IPPROTO_TCP, TCP_INQ}; break;
    case SockOpt::kTcpFastopen: p = {IPPROTO_TCP, TCP_FASTOPEN}; break;
    case SockOpt::kTcpFastopenConnect: p = {IPPROTO_TCP, TCP_FASTOPEN_CONNECT}; break;
    // The peer sets IPV6_TCLASS instead on an IPv6 socket (by the socket's
    // own family, which may differ from the case's for a literal address).
    case SockOpt::kIpTos: p = {IPPROTO_IP, IP_TOS}; break;
    case SockOpt::kSoSndtimeo: p = {SOL_SOCKET, SO_SNDTIMEO}; break;
    case SockOpt::kSoRcvtimeo: p = {SOL_SOCKET, SO_RCVTIMEO}; break;
    case SockOpt::kIpFreebind: p = {IPPROTO_IP, IP_FREEBIND}; break;
    case SockOpt::kSoZerocopy: p = {SOL_SOCKET, SO_ZEROCOPY}; break;
    case SockOpt::kSoTimestamping: p = {SOL_SOCKET, SO_TIMESTAMPING}; break;
    case SockOpt::kSoMark: p = {SOL_SOCKET, SO_MARK}; break;
    case SockOpt::kSoOobinline: p = {SOL_SOCKET, SO_OOBINLINE}; break;
  }
  r->level = p.level;
  r->optname = p.name;
}

}  // namespace

StatusOr<peer::Request> BuildRequest(const CallStep& step, Family family,
                                     const HostResolver& resolve) {
  const SocketCall& c = step.call;
  peer::Request r;
  r.op = c.op;
  r.fd = c.fd;
  r.as = c.as;
  r.family = family == Family::kIPv4 ? AF_INET : AF_INET6;
  r.udp = c.proto == SocketCall::Proto::kUdp;
  r.nonblock = c.nonblock;
  r.backlog = c.backlog;
  r.size = c.size;
  r.how = c.how;
  r.opt_value = c.opt_value;
  r.bad_buffer = c.bad_buffer;
  r.to_unspec = c.to_unspec;
  r.fd_closed = c.fd_closed;
  r.control = c.op == Op::kRecvmsg && step.expect.cmsgs.has_value();
  r.linger_on = c.linger_on;
  r.opt_text = c.opt_text;
  r.timeout_ns = c.timeout.count();
  if (c.until) r.until = *c.until;
  for (const std::string& f : c.flags) r.flags |= MsgFlag(f);
  if (c.op == Op::kPoll) {
    for (const std::string& e : c.events) r.events |= PollEvent(e);
  }
  if (c.opt) SetOption(*c.opt, &r);
  SetSyscallFields(c, &r);
  SetFileFields(c, &r);

  if (c.endpoint) {
    const Endpoint& ep = *c.endpoint;
    r.port = ep.port;
    switch (ep.kind) {
      case Endpoint::Kind::kAny: r.addr.clear(); break;
      case Endpoint::Kind::kLiteral: r.addr = ep.literal; break;
      case Endpoint::Kind::kHost: {
        std::optional<std::string> a = resolve(ep.host, family);
        if (!a) {
          return Status::Invalid(fmt::format("'{}' is not a host of this lab", ep.host));
        }
        r.addr = *a;
        break;
      }
    }
  }

  if (c.data) {
    r.data.assign(c.data->begin(), c.data->end());
    r.size = static_cast<int64_t>(c.data->size());
  }
  return r;
}

const std::vector<std::string> kInheritedVariables = {"PATH", "HOME",   "USER", "LOGNAME",
                                                      "LANG", "LC_ALL", "TZ",   "SHELL"};

std::vector<std::string> CommandVariables(const std::vector<HostAddrs>& hosts, Family family) {
  std::vector<std::string> out = {fmt::format("FAULTLINE_FAMILY={}", FamilyName(family))};
  for (const HostAddrs& h : hosts) {
    std::string n = h.name;
    for (char& c : n)
      c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(
        fmt::format("FAULTLINE_{}_ADDR={}", n, family == Family::kIPv4 ? h.addr4 : h.addr6));
    out.push_back(fmt::format("FAULTLINE_{}_ADDR4={}", n, h.addr4));
    out.push_back(fmt::format("FAULTLINE_{}_ADDR6={}", n, h.addr6));
  }
  return out;
}

namespace {

// `ready: {stdout|stderr: ...}`: the peer's line test, ${...} expanded (in
// a pattern the values stand for themselves).
Status SetReadyLine(const Command& cmd, const VarLookup& vars, peer::Request* r) {
  if (!cmd.ready_stream) return Status::Ok();
  const TextExpect& t = cmd.ready_line;
  const VarLookup quoted = [&vars](const std::string& name) -> std::optional<std::string> {
    std::optional<std::string> v = vars(name);
    if (v) *v = QuoteForPattern(*v);
    return v;
  };
  StatusOr<std::string> text =
      ExpandVars(t.text, t.kind == TextExpect::Kind::kMatches ? quoted : vars);
  if (!text.ok()) return text.status().Prefixed("ready");
  r->ready_stream = static_cast<int>(*cmd.ready_stream);
  r->ready_test = t.kind == TextExpect::Kind::kEquals     ? 0
                  : t.kind == TextExpect::Kind::kContains ? 1
                                                          : 2;
  r->ready_text = *text;
  return Status::Ok();
}

}  // namespace

StatusOr<peer::Request> BuildCommandRequest(const CallStep& step, const std::string& name,
                                            const CommandContext& cx) {
  const SocketCall& c = step.call;
  peer::Request r;
  r.op = c.op;
  if (c.op == Op::kStop) {
    r.fd = c.fd;
    return r;
  }
  r.as = name;
  r.background = c.command.background;
  r.cwd = cx.workdir;
  for (const std::string& a : c.command.argv) {
    StatusOr<std::string> x = ExpandVars(a, cx.vars);
    if (!x.ok()) return x.status().Prefixed(fmt::format("argument \"{}\"", a));
    r.argv.push_back(*x);
  }
  // Later entries win: runner's, then the lab's, then the case's own.
  std::vector<std::pair<std::string, std::string>> env;
  auto set = [&env](const std::string& k, const std::string& v) {
    for (auto& [ek, ev] : env) {
      if (ek == k) {
        ev = v;
        return;
      }
    }
    env.emplace_back(k, v);
  };
  auto set_assignment = [&set](const std::string& kv) {
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) set(kv.substr(0, eq), kv.substr(eq + 1));
  };
  for (const std::string& kv : cx.runner_env) {
    const std::string key = kv.substr(0, kv.find('='));
    const bool keep = std::find(kInheritedVariables.begin(), kInheritedVariables.end(), key) !=
                          kInheritedVariables.end() ||
                      key.rfind("LC_", 0) == 0;
    if (keep) set_assignment(kv);
  }
  for (const std::string& kv : cx.lab_env) set_assignment(kv);
  set("FAULTLINE_HOST", cx.host);
  set("FAULTLINE_WORKDIR", cx.workdir);
  set("TMPDIR", cx.workdir);
  for (const auto& [k, v] : c.command.env) {
    StatusOr<std::string> x = ExpandVars(v, cx.vars);
    if (!x.ok()) return x.status().Prefixed(fmt::format("env {}", k));
    set(k, *x);
  }
  for (const auto& [k, v] : env) r.env.push_back(k + "=" + v);
  if (c.command.stdin_data) {
    StatusOr<std::string> x = ExpandVars(*c.command.stdin_data, cx.vars);
    if (!x.ok()) return x.status().Prefixed("stdin");
    r.has_stdin = true;
    r.data.assign(x->begin(), x->end());
  }
  if (Status st = SetReadyLine(c.command, cx.vars, &r); !st.ok()) return st;
  return r;
}

bool SetGoOn(const CallStep& step, peer::Request* req) {
  const Expect& e = step.expect;
  if (!step.has_expect || e.empty()) {  // CheckReply: "success"
    req->go_on = peer::Request::GoOn::kSuccess;
    return true;
  }
  const bool ret_only = !e.bytes && !e.data && !e.cmsgs && !e.took && !e.returned_after &&
                        !e.addr && !e.value && !e.has_revents && !e.has_epoll && !e.exit &&
                        !e.signal && !e.out && !e.err;
  if (!ret_only) return false;
  switch (e.ret_kind) {
    case Expect::RetKind::kUnset: req->go_on = peer::Request::GoOn::kAny; break;
    case Expect::RetKind::kValue:
      req->go_on = peer::Request::GoOn::kValue;
      req->go_on_ret = e.ret_value;
      break;
    case Expect::RetKind::kOk: req->go_on = peer::Request::GoOn::kSuccess; break;
    case Expect::RetKind::kError: req->go_on = peer::Request::GoOn::kError; break;
  }
  req->go_on_errnos = e.errnos;
  return true;
}

}  // namespace faultline
