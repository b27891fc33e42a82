#include "harness/model/case.h"

#include <fmt/format.h>

namespace faultline {

std::string SourceLoc::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

const char* FamilyName(Family f) { return f == Family::kIPv4 ? "ipv4" : "ipv6"; }

std::string IntRange::ToString() const {
  if (lo == hi) return std::to_string(lo);
  return fmt::format("[{}, {}]", lo, hi);
}

std::string Endpoint::ToString() const {
  switch (kind) {
    case Kind::kHost: return fmt::format("{}:{}", host, port);
    case Kind::kAny: return fmt::format("any:{}", port);
    case Kind::kLiteral:
      if (literal.find(':') != std::string::npos) return fmt::format("[{}]:{}", literal, port);
      return fmt::format("{}:{}", literal, port);
  }
  return "?";
}

bool Expect::empty() const {
  return ret_kind == RetKind::kUnset && errnos.empty() && !bytes && !data && !took && !value &&
         !has_revents && !exit && !signal && !out && !err;
}

std::string TextExpect::ToString() const {
  switch (kind) {
    case Kind::kEquals: return fmt::format("\"{}\"", text);
    case Kind::kContains: return fmt::format("contains \"{}\"", text);
    case Kind::kMatches: return fmt::format("matches /{}/", text);
  }
  return "?";
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kSocket: return "socket";
    case Op::kBind: return "bind";
    case Op::kListen: return "listen";
    case Op::kAccept: return "accept";
    case Op::kConnect: return "connect";
    case Op::kSend: return "send";
    case Op::kWrite: return "write";
    case Op::kRecv: return "recv";
    case Op::kRead: return "read";
    case Op::kSendto: return "sendto";
    case Op::kRecvfrom: return "recvfrom";
    case Op::kShutdown: return "shutdown";
    case Op::kClose: return "close";
    case Op::kDup: return "dup";
    case Op::kSetsockopt: return "setsockopt";
    case Op::kGetsockopt: return "getsockopt";
    case Op::kNonblock: return "nonblock";
    case Op::kPoll: return "poll";
    case Op::kSleep: return "sleep";
    case Op::kSendfile: return "sendfile";
    case Op::kRun: return "run";
    case Op::kStop: return "stop";
    case Op::kWaitCommand: return "wait";
  }
  return "?";
}

const char* SockOptName(SockOpt opt) {
  switch (opt) {
    case SockOpt::kSoReuseaddr: return "SO_REUSEADDR";
    case SockOpt::kSoReuseport: return "SO_REUSEPORT";
    case SockOpt::kSoLinger: return "SO_LINGER";
    case SockOpt::kSoRcvbuf: return "SO_RCVBUF";
    case SockOpt::kSoSndbuf: return "SO_SNDBUF";
    case SockOpt::kSoKeepalive: return "SO_KEEPALIVE";
    case SockOpt::kSoError: return "SO_ERROR";
    case SockOpt::kTcpNodelay: return "TCP_NODELAY";
    case SockOpt::kTcpCork: return "TCP_CORK";
    case SockOpt::kTcpUserTimeout: return "TCP_USER_TIMEOUT";
    case SockOpt::kTcpKeepidle: return "TCP_KEEPIDLE";
    case SockOpt::kTcpKeepintvl: return "TCP_KEEPINTVL";
    case SockOpt::kTcpKeepcnt: return "TCP_KEEPCNT";
    case SockOpt::kTcpMaxseg: return "TCP_MAXSEG";
    case SockOpt::kTcpCongestion: return "TCP_CONGESTION";
  }
  return "?";
}

const char* TcpClassName(TcpClass c) {
  switch (c) {
    case TcpClass::kSyn: return "SYN";
    case TcpClass::kSynAck: return "SYN-ACK";
    case TcpClass::kAck: return "ACK";
    case TcpClass::kFin: return "FIN";
    case TcpClass::kRst: return "RST";
    case TcpClass::kPsh: return "PSH";
    case TcpClass::kData: return "DATA";
  }
  return "?";
}

const char* ActionName(ActionKind k) {
  switch (k) {
    case ActionKind::kDrop: return "drop";
    case ActionKind::kDelay: return "delay";
    case ActionKind::kReorder: return "reorder";
    case ActionKind::kSwap: return "swap";
    case ActionKind::kDuplicate: return "duplicate";
    case ActionKind::kHold: return "hold";
    case ActionKind::kCorrupt: return "corrupt";
    case ActionKind::kInjectRst: return "inject-rst";
    case ActionKind::kRateLimit: return "rate-limit";
  }
  return "?";
}

std::string Step::Describe() const {
  if (const auto* a = std::get_if<AwaitStep>(&body)) return fmt::format("await {}", a->id);
  if (const auto* o = std::get_if<ObserveStep>(&body)) return DescribeObserve(*o);
  if (const auto* p = std::get_if<PacketStep>(&body)) {
    // "peer: send tcp S seq 0 win 65535" / "peer: expect tcp S. ack 1"
    return fmt::format("{}: {} {}", p->host, p->dir == PacketStep::Dir::kSend ? "send" : "expect",
                       p->packet.ToString());
  }
  if (const auto* w = std::get_if<WireSendStep>(&body)) {
    return fmt::format("wire: send {} as {} to {}", w->packet.ToString(), w->from, w->toward);
  }
  const auto& cs = std::get<CallStep>(body);
  const SocketCall& c = cs.call;
  std::string s = fmt::format("{}: {}", cs.host, OpName(c.op));
  if (c.op == Op::kSleep) return s + " " + FormatDuration(c.timeout);
  if (c.op == Op::kRun) {
    for (const std::string& a : c.command.argv) {
      s += a.find_first_of(" \t\"'") == std::string::npos ? " " + a : fmt::format(" '{}'", a);
    }
    if (!c.as.empty()) s += " as " + c.as;
    if (c.command.background) s += " (background)";
    return s;
  }
  if (c.op == Op::kSocket) s += c.proto == SocketCall::Proto::kTcp ? " tcp" : " udp";
  if (!c.fd.empty()) s += " " + c.fd;
  if (c.endpoint) {
    if (c.op == Op::kListen && c.fd.empty())
      s += fmt::format(" {}", c.endpoint->port);
    else if (c.op == Op::kBind)
      s += " " + c.endpoint->ToString();
    else
      s += " to " + c.endpoint->ToString();
  }
  if (c.opt) s += std::string(" ") + SockOptName(*c.opt);
  if (!c.as.empty()) s += " as " + c.as;
  if (cs.async) s += " (async)";
  return s;
}

std::string Fault::Describe() const {
  std::string s = ActionName(action.kind);
  s += fmt::format(" {}->{}", match.from.empty() ? "any" : match.from,
                   match.to.empty() ? "any" : match.to);
  switch (match.proto) {
    case Proto::kAny: break;
    case Proto::kTcp: s += " tcp"; break;
    case Proto::kUdp: s += " udp"; break;
    case Proto::kIcmp: s += " icmp"; break;
  }
  for (TcpClass c : match.tcp) s += std::string(" ") + TcpClassName(c);
  if (match.nth) s += fmt::format(" nth {}", *match.nth);
  if (match.first) s += fmt::format(" first {}", *match.first);
  if (match.every) s += fmt::format(" every {}", *match.every);
  if (match.after) s += fmt::format(" after {}", *match.after);
  return s;
}

const HostSpec* Case::FindHost(const std::string& name) const {
  for (const HostSpec& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

// TODO(issue 15, loader helper): the real texts.
std::string OptionSpec::ToString() const { return fmt::format("opt-{}", kind); }
bool PacketFields::empty() const { return !flags && !seq && !ack && !raw_seq && !raw_ack && !win && !length && !data && !options && !ttl && !dscp && !ecn && !df && !ip_id && !icmp && proto == L4::kAny; }
std::string PacketFields::ToString() const { return "packet"; }

}  // namespace faultline

