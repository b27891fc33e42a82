#include "harness/model/case.h"

#include <cstdint>
#include <limits>

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
  return ret_kind == RetKind::kUnset && errnos.empty() && !bytes && !data && !took &&
         !returned_after && !cmsgs && !value && !addr && !has_revents && !has_epoll && !exit &&
         !signal && !out && !err;
}

std::string AddrExpect::ToString() const {
  if (!any_port) return endpoint.ToString();
  std::string s = endpoint.ToString();
  return s.substr(0, s.rfind(':')) + ":*";
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
    case Op::kSendmsg: return "sendmsg";
    case Op::kRecvmsg: return "recvmsg";
    case Op::kWritev: return "writev";
    case Op::kReadv: return "readv";
    case Op::kFcntl: return "fcntl";
    case Op::kIoctl: return "ioctl";
    case Op::kEpollCreate: return "epoll_create";
    case Op::kEpollCtl: return "epoll_ctl";
    case Op::kEpollWait: return "epoll_wait";
    case Op::kOpen: return "open";
    case Op::kPipe: return "pipe";
    case Op::kSplice: return "splice";
    case Op::kGetsockname: return "getsockname";
    case Op::kGetpeername: return "getpeername";
    case Op::kWaitCommand: return "wait";
  }
  return "?";
}

namespace {
struct SockOptEntry {
  const char* name;
  SockOpt opt;
};
// In the enum's order.
constexpr SockOptEntry kSockOpts[] = {
    {"SO_REUSEADDR", SockOpt::kSoReuseaddr},
    {"SO_REUSEPORT", SockOpt::kSoReuseport},
    {"SO_LINGER", SockOpt::kSoLinger},
    {"SO_RCVBUF", SockOpt::kSoRcvbuf},
    {"SO_SNDBUF", SockOpt::kSoSndbuf},
    {"SO_KEEPALIVE", SockOpt::kSoKeepalive},
    {"SO_ERROR", SockOpt::kSoError},
    {"TCP_NODELAY", SockOpt::kTcpNodelay},
    {"TCP_CORK", SockOpt::kTcpCork},
    {"TCP_USER_TIMEOUT", SockOpt::kTcpUserTimeout},
    {"TCP_KEEPIDLE", SockOpt::kTcpKeepidle},
    {"TCP_KEEPINTVL", SockOpt::kTcpKeepintvl},
    {"TCP_KEEPCNT", SockOpt::kTcpKeepcnt},
    {"TCP_MAXSEG", SockOpt::kTcpMaxseg},
    {"TCP_CONGESTION", SockOpt::kTcpCongestion},
    {"TCP_NOTSENT_LOWAT", SockOpt::kTcpNotsentLowat},
    {"TCP_SYNCNT", SockOpt::kTcpSyncnt},
    {"TCP_INQ", SockOpt::kTcpInq},
    {"TCP_FASTOPEN", SockOpt::kTcpFastopen},
    {"TCP_FASTOPEN_CONNECT", SockOpt::kTcpFastopenConnect},
    {"IP_TOS", SockOpt::kIpTos},
    {"SO_SNDTIMEO", SockOpt::kSoSndtimeo},
    {"SO_RCVTIMEO", SockOpt::kSoRcvtimeo},
    {"IP_FREEBIND", SockOpt::kIpFreebind},
    {"SO_ZEROCOPY", SockOpt::kSoZerocopy},
    {"SO_TIMESTAMPING", SockOpt::kSoTimestamping},
    {"SO_MARK", SockOpt::kSoMark},
    {"SO_OOBINLINE", SockOpt::kSoOobinline},
};
}  // namespace

const char* SockOptName(SockOpt opt) {
  for (const SockOptEntry& e : kSockOpts) {
    if (e.opt == opt) return e.name;
  }
  return "?";
}

std::optional<SockOpt> SockOptFromName(std::string_view name) {
  for (const SockOptEntry& e : kSockOpts) {
    if (name == e.name) return e.opt;
  }
  return std::nullopt;
}

const std::vector<std::string>& SockOptNames() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    for (const SockOptEntry& e : kSockOpts) v.emplace_back(e.name);
    return v;
  }();
  return k;
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
    case ActionKind::kBottleneck: return "bottleneck";
    case ActionKind::kSlots: return "slots";
  }
  return "?";
}

const char* DelayDistributionName(DelayDistribution d) {
  switch (d) {
    case DelayDistribution::kUniform: return "uniform";
    case DelayDistribution::kNormal: return "normal";
    case DelayDistribution::kPareto: return "pareto";
    case DelayDistribution::kParetoNormal: return "paretonormal";
  }
  return "?";
}

std::string FaultEvent::Describe() const { return after ? FormatDuration(*after) : "step " + step; }

std::string FaultStep::Describe() const {
  if (enable) return fmt::format("fault {}: {}", name, *enable ? "enable" : "disable");
  std::string s = fmt::format("fault {}: set", name);
  for (const auto& [k, v] : set) s += fmt::format(" {}={}", k, v);
  return s;
}

std::string Step::Describe() const {
  if (const auto* f = std::get_if<FaultStep>(&body)) return f->Describe();
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
  if (c.to_unspec) s += " to AF_UNSPEC";
  if (!c.path.empty()) s += " " + c.path;
  if (!c.other_fd.empty()) s += (c.op == Op::kSendfile ? " from " : " to ") + c.other_fd;
  if (c.bad_buffer) s += " (invalid buffer)";
  if (c.opt) s += std::string(" ") + SockOptName(*c.opt);
  if (!c.as.empty()) s += " as " + c.as;
  if (!c.as_write.empty()) s += ", " + c.as_write;
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
  if (match.retransmission) s += *match.retransmission ? " retransmission" : " original";
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

bool Case::HasWhen() const {
  for (const Step& s : steps) {
    if (s.when) return true;
  }
  for (const TimingExpect& t : timing) {
    if (t.when) return true;
  }
  for (const CounterExpect& c : counters) {
    if (c.when) return true;
  }
  return false;
}

std::vector<std::string> MatrixDimensionNames(const std::vector<MatrixSysctl>& matrix) {
  auto last_part = [](const std::string& key) {
    size_t dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
  };
  std::vector<std::string> names;
  for (const MatrixSysctl& d : matrix) {
    int same = 0;
    for (const MatrixSysctl& o : matrix) same += last_part(o.key) == last_part(d.key);
    names.push_back(same > 1 ? d.host + "." + last_part(d.key) : last_part(d.key));
  }
  return names;
}

std::vector<VariantValues> Case::Variants() const {
  const std::vector<std::string> names = MatrixDimensionNames(matrix);
  std::vector<VariantValues> out;
  for (Family f : families) {
    // Odometer over the dimensions' values, last dimension fastest.
    std::vector<size_t> idx(matrix.size(), 0);
    bool more = true;
    while (more) {
      VariantValues v;
      v.family = f;
      v.name = FamilyName(f);
      for (size_t d = 0; d < matrix.size(); ++d) {
        v.values.push_back(matrix[d].values[idx[d]]);
        v.name += fmt::format(",{}={}", names[d], matrix[d].values[idx[d]]);
      }
      out.push_back(std::move(v));
      more = false;
      for (size_t d = matrix.size(); d-- > 0;) {
        if (++idx[d] < matrix[d].values.size()) {
          more = true;
          break;
        }
        idx[d] = 0;
      }
    }
  }
  return out;
}

namespace {

std::string Hex(const std::string& bytes) {
  std::string s;
  for (char c : bytes) s += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return s;
}

// A range as the range grammar writes it: "5", "[1, 100]", ">= 1".
std::string RangeText(const IntRange& r) {
  if (r.hi == std::numeric_limits<int64_t>::max() && r.lo != r.hi) {
    return fmt::format(">= {}", r.lo);
  }
  return r.ToString();
}

std::string FlagText(uint8_t f) {
  // The packet line's order (harness/packet/packet_view.cc FlagString).
  static const std::pair<uint8_t, char> kOrder[] = {{0x02, 'S'}, {0x01, 'F'}, {0x08, 'P'},
                                                    {0x04, 'R'}, {0x20, 'U'}, {0x40, 'E'},
                                                    {0x80, 'W'}, {0x10, '.'}};
  std::string s;
  for (const auto& [bit, letter] : kOrder) {
    if (f & bit) s += letter;
  }
  return s.empty() ? "none" : s;
}

const char* EcnName(int64_t v) {
  static const char* const kNames[] = {"not-ect", "ect1", "ect0", "ce"};
  return v >= 0 && v <= 3 ? kNames[v] : "?";
}

// The IP and ICMP fields of a packet line: " ttl 64 dscp 0 ecn ce df id 5".
std::string IpText(const PacketFields& p) {
  std::string s;
  if (p.ttl) s += " ttl " + RangeText(*p.ttl);
  if (p.dscp) s += " dscp " + RangeText(*p.dscp);
  if (p.ecn) s += " ecn " + (p.ecn->lo == p.ecn->hi ? EcnName(p.ecn->lo) : RangeText(*p.ecn));
  if (p.df) s += *p.df ? " df" : " no-df";
  if (p.ip_id) s += " id " + RangeText(*p.ip_id);
  if (p.icmp) {
    s += " icmp " + p.icmp->type;
    if (p.icmp->code) s += fmt::format(" code {}", *p.icmp->code);
    if (p.icmp->mtu) s += fmt::format(" mtu {}", *p.icmp->mtu);
  }
  return s;
}

}  // namespace

std::string OptionSpec::ToString() const {
  switch (kind) {
    case 0: return "eol";
    case 1: return "nop";
    case 2: return value ? fmt::format("mss {}", *value) : "mss";
    case 3: return value ? fmt::format("wscale {}", *value) : "wscale";
    case 4: return "sackOK";
    case 5: {
      std::string s = fmt::format("sack {} ", sack.size());
      for (const auto& [l, r] : sack) s += fmt::format("{{{}:{}}}", l, r);
      return s;
    }
    case 8: {
      std::string s = "TS";
      if (ts_val) s += " val " + RangeText(*ts_val);
      if (ts_ecr_echo) s += " ecr echo";
      if (ts_ecr) s += " ecr " + RangeText(*ts_ecr);
      return s;
    }
    case 34:
      if (!bytes) return "tfo";
      return bytes->empty() ? "tfo cookiereq" : "tfo cookie " + Hex(*bytes);
    default:
      return bytes && !bytes->empty() ? fmt::format("opt-{} {}", kind, Hex(*bytes))
                                      : fmt::format("opt-{}", kind);
  }
}

bool PacketFields::empty() const {
  return !flags && !seq && !ack && !raw_seq && !raw_ack && !win && !urg && !length && !data &&
         !options && !ttl && !dscp && !ecn && !df && !ip_id && !icmp && proto == L4::kAny;
}

std::string PacketFields::ToString() const {
  std::string s;
  switch (proto) {
    case L4::kAny: s = "packet"; break;
    case L4::kTcp: s = "tcp"; break;
    case L4::kUdp: s = "udp"; break;
    case L4::kIcmp: s = "icmp"; break;
  }
  if (proto == L4::kIcmp && icmp) s.clear();
  if (flags) s += " " + FlagText(*flags);
  if (seq) s += " seq " + RangeText(*seq);
  if (raw_seq) s += " raw-seq " + RangeText(*raw_seq);
  if (ack) s += " ack " + RangeText(*ack);
  if (raw_ack) s += " raw-ack " + RangeText(*raw_ack);
  if (win) s += " win " + RangeText(*win);
  if (urg) s += " urg " + RangeText(*urg);
  if (options) {
    std::string o;
    for (const OptionSpec& op : *options) o += (o.empty() ? "" : ",") + op.ToString();
    s += " <" + o + ">";
  }
  if (data) {
    s += " \"" + *data + "\"";
  } else if (length) {
    s += " len " + RangeText(*length);
  }
  s += IpText(*this);
  if (!s.empty() && s[0] == ' ') s.erase(0, 1);
  return s;
}

}  // namespace faultline
