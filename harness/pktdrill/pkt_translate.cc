#include "harness/pktdrill/pkt_translate.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "harness/common/errno_names.h"
#include "harness/lab/addr_plan.h"
#include "harness/pktdrill/pkt_files.h"
#include "harness/pktdrill/tfo_cookie.h"

namespace faultline::pkt {
namespace {

using std::chrono::microseconds;

constexpr const char* kHost = "host";
constexpr const char* kRemote = "remote";
constexpr int kPacketdrillIPv6Mtu = 1520;
constexpr const char* kPacketdrillIfname = "tun0";

Status ErrorAt(const SourceLoc& loc, const std::string& msg) {
  return Status::Invalid(fmt::format("{}: {}", loc.ToString(), msg));
}

std::string FdName(int64_t fd) { return fmt::format("fd{}", fd); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The names of a symbol or A|B|C expression.
std::vector<std::string> Symbols(const Expr& e) {
  if (e.kind == Expr::Kind::kSymbol) return {e.text};
  std::vector<std::string> out;
  if (e.kind == Expr::Kind::kOr) {
    for (const Expr& x : e.elems) {
      if (x.kind == Expr::Kind::kSymbol) out.push_back(x.text);
    }
  }
  return out;
}

bool HasSymbol(const Expr& e, const std::string& name) {
  const std::vector<std::string> s = Symbols(e);
  return std::find(s.begin(), s.end(), name) != s.end();
}

// An int, or [int] (packetdrill's way of passing an int by pointer).
std::optional<int64_t> IntOf(const Expr& e) {
  if (e.kind == Expr::Kind::kInt) return e.num;
  if (e.kind == Expr::Kind::kList && e.elems.size() == 1 && e.elems[0].kind == Expr::Kind::kInt) {
    return e.elems[0].num;
  }
  return std::nullopt;
}

struct Settings {
  uint16_t bind_port = 8080;
  uint16_t connect_port = 8080;
  int64_t tolerance_usecs = 4000;
  // packetdrill's --tolerance_percent (default 12.5): an event's tolerance
  // is the larger of tolerance_usecs and this share of the script's time
  // since the previous event (run.c, verify_time), so `+1 > S ...` (a SYN
  // retransmission, which the kernel's timer wheel fires up to 32 ms late at
  // HZ=250) may come within 125 ms.
  double tolerance_percent = 12.5;
  int64_t ts_tick_usecs = 0;
  std::vector<Family> families = {Family::kIPv4, Family::kIPv6};
  int mtu = 1500;
  bool mtu_set = false;             // --mtu in the header
  bool strict_segments = false;     // no gathering of outbound segments
  std::string local_ip, remote_ip;  // --local_ip / --remote_ip (the script's addresses)

  // The tolerance of an event `delta_usecs` of script time after the
  // previous one (of a blocking call's return after its start).
  int64_t ToleranceFor(int64_t delta_usecs) const {
    const auto dynamic = static_cast<int64_t>(
        tolerance_percent / 100.0 * static_cast<double>(std::max<int64_t>(0, delta_usecs)));
    return std::max(tolerance_usecs, dynamic);
  }
};

class Translator {
 public:
  Translator(const Script& s, const PktRunOptions& o) : script_(s), options_(o) {}

  StatusOr<Case> Run() {
    Status st = Header();
    if (!st.ok()) return st;
    InitCase();
    files_ = OpenedFiles(script_);
    for (const Event& e : script_.events) {
      FlushAwaits(e);
      st = Translate(e);
      if (!st.ok()) return st;
    }
    while (!pending_.empty()) EmitAwait();
    WidenLink();
    if (c_.steps.empty()) {
      return ErrorAt(SourceLoc{script_.file, 1, 1}, "script has no events");
    }
    for (size_t i = 0; i < c_.steps.size(); ++i) c_.steps[i].index = static_cast<int>(i + 1);
    const int64_t secs = last_usecs_ / 1000000 + 20;
    c_.timeout = std::chrono::seconds(std::max<int64_t>(20, secs));
    return std::move(c_);
  }

 private:
  struct Pending {
    std::string id;
    int64_t end_usecs = 0;
    SourceLoc loc;
    size_t call_pos = 0;      // the call step's index in c_.steps
    int64_t start_usecs = 0;  // the call's script time
  };
  // An inbound packet step: its index in c_.steps and its script time.
  struct Inbound {
    size_t pos = 0;
    int64_t usecs = 0;
  };

  Status Header();
  Status HeaderOption(const pkt::HeaderOption& o);
  void InitCase();
  Status Translate(const Event& e);
  int64_t AbsoluteTime(const Event& e) const;
  void FlushAwaits(const Event& e);
  void EmitAwait();
  // `at_usecs`: the event's script time (Step::script_at), when it has one.
  void Push(const SourceLoc& loc, decltype(Step::body) body,
            std::optional<int64_t> at_usecs = std::nullopt);
  void Pace(const SourceLoc& loc, int64_t at);
  Status PacketStepOf(const Event& e, const Packet& p, int64_t at);
  Status Fields(const Packet& p, PacketFields* f);
  Status Option(const TcpOption& o, bool inbound, bool opening_syn, OptionSpec* spec);
  void Connection(const Packet& p, PacketStep* step);
  void RemoteIsn(const Packet& p, PacketStep* s);
  void TsAnchor(const Packet& p, PacketStep* s) const;
  Status CallOf(const Event& e, const Syscall& sc, int64_t at);
  Status ShellOf(const Event& e, const Shell& sh, int64_t at);
  void CodeOf(const Event& e, const Code& code, int64_t at);
  void NoteSocket(const SocketCall& call, const Expect& expect);
  void NoteFastOpenKey(const std::string& command);
  std::string NewFdName(int64_t fd);
  void RenameFds(CallStep* s);
  void MapCookie(std::string* cookie) const;
  void WidenLink();

  const Script& script_;
  const PktRunOptions& options_;
  Settings set_;
  Case c_;
  int64_t prev_usecs_ = 0;  // the script time of the previous step (the anchor)
  int64_t last_usecs_ = 0;  // the previous event's start time (relative times' base)
  std::vector<Pending> pending_;
  std::optional<Inbound> last_inbound_;  // the latest inbound packet step
  int conns_ = 0;
  bool conn_open_ = false;
  bool conn_active_ = false;   // the open connection began with the stack's SYN
  bool listen_since_ = false;  // a `listen` since the open connection began
  // The stack's SYN is out, unanswered (no SYN or RST of the script since,
  // no other packet of the stack's) and no socket made or connected since: another `> S` is its
  // retransmission, on the same connection.
  bool stack_syn_out_ = false;
  int passive_conns_ = 0;  // connections the script's SYN opened
  std::optional<int64_t> first_ts_val_;
  std::optional<int64_t> first_ts_usecs_;  // the script time of the stack's first TS packet
  int first_ts_conn_ = 0;                  // ... on this connection
  int async_ = 0;
  size_t conn_first_step_ = 0;         // index of the current connection's first step
  std::optional<int64_t> remote_isn_;  // the script side's ISN on it (its SYN's seq)
  std::string sock_under_test_;        // the socket %{ }% blocks look at (NoteSocket)
  int blocks_ = 0;                     // %{ }% blocks so far
  std::set<std::string> sockets_, listeners_;
  std::optional<FastOpenKey> tfo_key_;  // the key the script's shell lines set so far
  // A script fd created again while its earlier socket is still open (the
  // script never closed it: packetdrill maps the number to the new one):
  // the new one is named fdN_2, fdN_3, ...; later uses of N mean it.
  std::map<std::string, std::string> fd_alias_;
  std::set<std::string> open_fds_;
  int fd_renames_ = 0;           // new names handed out so far
  int64_t largest_inbound_ = 0;  // the largest inbound TCP segment (header and payload)
  // The paths the script's open() calls name -> their names in the workdir
  // (pkt_files.h); its shell lines see the same mapping.
  std::map<std::string, std::string> files_;
};

// The bytes a packet's TCP options take (padded to 4; `<...>` or a raw
// option: the most there can be).
int64_t OptionBytes(const Packet& p) {
  if (!p.options) return 0;
  if (p.options_any) return 40;
  int64_t n = 0;
  for (const TcpOption& o : *p.options) {
    if (o.name == "nop" || o.name == "eol") {
      n += 1;
    } else if (o.name == "mss") {
      n += 4;
    } else if (o.name == "wscale") {
      n += 3;
    } else if (o.name == "sackOK") {
      n += 2;
    } else if (o.name == "sack") {
      n += 2 + 8 * static_cast<int64_t>(o.sack.size());
    } else if (o.name == "TS") {
      n += 10;
    } else if (o.name == "FO") {
      n += 2 + static_cast<int64_t>(o.cookie.size()) / 2;
    } else if (o.name == "FOEXP") {
      n += 4 + static_cast<int64_t>(o.cookie.size()) / 2;
    } else if (o.name == "md5") {
      n += 2 + static_cast<int64_t>(o.cookie.size()) / 2;
    } else {
      return 40;
    }
  }
  return std::min<int64_t>(40, (n + 3) / 4 * 4);
}

// A script that sends a segment larger than its link's MTU (packetdrill's
// tun takes it; the stack's advertised MSS is for the MTU): the host's link
// gets an MTU that carries it, its routes keep the script's MTU and MSS
// (HostSpec::link_mtu).
void Translator::WidenLink() {
  HostSpec& h = c_.hosts[0];
  const bool v4 = largest_inbound_ + 20 > h.mtu;
  const bool v6 = largest_inbound_ + 40 > h.mtu_ipv6.value_or(h.mtu);
  if (!v4 && !v6) return;
  h.link_mtu = static_cast<int>(std::min<int64_t>(kLabMaxMtu, largest_inbound_ + 40));
}

Status Translator::Header() {
  for (const pkt::HeaderOption& o : script_.options) {
    Status st = HeaderOption(o);
    if (!st.ok()) return st;
  }
  const std::string& v = options_.ip_version;
  if (v == "ipv4") set_.families = {Family::kIPv4};
  if (v == "ipv6") set_.families = {Family::kIPv6};
  if (v == "ipv4-mapped-ipv6") {
    return ErrorAt(SourceLoc{script_.file, 0, 0},
                   "--ip_version ipv4-mapped-ipv6 is not supported (ipv4 or ipv6)");
  }
  return Status::Ok();
}

// --tolerance_percent=P: a number 0..100, as packetdrill reads it (atof).
Status Percent(const pkt::HeaderOption& o, double* out) {
  char* end = nullptr;
  const double v = std::strtod(o.value.c_str(), &end);
  if (o.value.empty() || *end != '\0' || !(v >= 0.0 && v <= 100.0)) {
    return ErrorAt(o.loc, fmt::format("--{}={}: expected a number 0..100", o.name, o.value));
  }
  *out = v;
  return Status::Ok();
}

Status Translator::HeaderOption(const pkt::HeaderOption& o) {
  auto number = [&](int64_t lo, int64_t hi, int64_t* out) -> Status {
    char* end = nullptr;
    const long long v = std::strtoll(o.value.c_str(), &end, 10);
    if (o.value.empty() || *end != '\0' || v < lo || v > hi) {
      return ErrorAt(o.loc,
                     fmt::format("--{}={}: expected an integer {}..{}", o.name, o.value, lo, hi));
    }
    *out = v;
    return Status::Ok();
  };
  int64_t n = 0;
  Status st = Status::Ok();
  if (o.name == "tolerance_usecs") return number(1, 60000000, &set_.tolerance_usecs);
  if (o.name == "tcp_ts_tick_usecs") return number(0, 1000000, &set_.ts_tick_usecs);
  if (o.name == "tolerance_percent") return Percent(o, &set_.tolerance_percent);
  if (o.name == "bind_port" || o.name == "connect_port") {
    if (!(st = number(1, 65535, &n)).ok()) return st;
    (o.name == "bind_port" ? set_.bind_port : set_.connect_port) = static_cast<uint16_t>(n);
    return st;
  }
  if (o.name == "mtu") {
    if (!(st = number(1280, 65535, &n)).ok()) return st;
    set_.mtu = static_cast<int>(n);
    set_.mtu_set = true;
    return st;
  }
  if (o.name == "ip_version") {
    if (o.value == "ipv4") set_.families = {Family::kIPv4};
    if (o.value == "ipv6") set_.families = {Family::kIPv6};
    if (o.value == "ipv4" || o.value == "ipv6") return st;
    return ErrorAt(o.loc, fmt::format("--ip_version={} is not supported (ipv4 or ipv6)", o.value));
  }
  // Addresses come from the lab; ecr mapping is always the stack's latest
  // TS val. --strict_segments: each outbound packet is one segment as the
  // stack sent it (else consecutive ones are gathered, as packetdrill does).
  if (o.name == "local_ip" || o.name == "remote_ip") {
    (o.name == "local_ip" ? set_.local_ip : set_.remote_ip) = o.value;
    if (o.value.find(':') != std::string::npos)
      set_.families = {Family::kIPv6};
    else
      set_.families = {Family::kIPv4};
    return st;
  }
  if (o.name == "strict_segments") {
    set_.strict_segments = true;
    return st;
  }
  if (o.name == "tcp_ts_ecr_scaled") return st;
  return ErrorAt(o.loc, fmt::format("header option --{} is not supported by faultline", o.name));
}

void Translator::InitCase() {
  c_.loc = SourceLoc{script_.file, 1, 0};
  std::string base = script_.file.substr(script_.file.find_last_of('/') + 1);
  if (base.size() > 4 && base.substr(base.size() - 4) == ".pkt") base.resize(base.size() - 4);
  c_.name = base;
  c_.description = fmt::format("packetdrill script {}", script_.file);
  c_.tags = {"packetdrill"};
  c_.families = set_.families;
  c_.tolerance = microseconds(set_.tolerance_usecs);
  // packetdrill's event semantics (Case::check_after_last_step,
  // Case::keep_early_packets; docs/packetdrill.md, "What differs").
  c_.check_after_last_step = false;
  c_.keep_early_packets = true;
  c_.batch_calls = true;  // runs of calls as one request (Case::batch_calls)
  HostSpec h;
  h.name = kHost;
  h.loc = c_.loc;
  h.offloads = true;
  // packetdrill's device: the scripts' shell lines name it (`tc qdisc
  // replace dev tun0 root fq`, common/defaults.sh's pfifo, `ethtool -K
  // tun0 ...`), and act on the host's own lab link in its namespace.
  h.ifname = kPacketdrillIfname;
  h.mtu = set_.mtu;
  // packetdrill's runner (run_all.py) gives IPv6 runs --mtu=1520: 20 bytes
  // more for the larger IPv6 header, so the MSS the scripts are written for
  // (1460) is the same in both families. A header's own --mtu holds for both.
  if (!set_.mtu_set) h.mtu_ipv6 = kPacketdrillIPv6Mtu;
  HostSpec r;
  r.name = kRemote;
  r.loc = c_.loc;
  r.scripted = true;
  r.mtu = h.mtu;
  r.mtu_ipv6 = h.mtu_ipv6;
  c_.hosts = {h, r};
}

int64_t Translator::AbsoluteTime(const Event& e) const {
  switch (e.time.kind) {
    case Time::Kind::kAbsolute: return e.time.usecs;
    case Time::Kind::kRelative: return last_usecs_ + e.time.usecs;
    case Time::Kind::kAny: return last_usecs_;
  }
  return last_usecs_;
}

void Translator::Push(const SourceLoc& loc, decltype(Step::body) body,
                      std::optional<int64_t> at_usecs) {
  Step s;
  s.loc = loc;
  if (at_usecs) s.script_at = microseconds(*at_usecs);
  s.body = std::move(body);
  c_.steps.push_back(std::move(s));
}

// Awaits of blocking calls that returned before this event.
void Translator::FlushAwaits(const Event& e) {
  if (pending_.empty()) return;
  const int64_t at = AbsoluteTime(e);
  // An inbound packet at the call's return time is what unblocks it: it
  // comes first; any other event at that time comes after the return. So
  // does a packet the stack sends at that time before any inbound packet
  // since the call (`+0...0 connect` then `+0 > S`, `+0 < S.`): the call
  // cannot have returned yet, and awaiting it there would wait for ever.
  const auto* p = std::get_if<Packet>(&e.body);
  auto waits = [&](const Pending& c) {
    if (c.end_usecs < at) return true;
    if (c.end_usecs > at || (p && p->inbound)) return false;
    return !p || (last_inbound_ && last_inbound_->pos > c.call_pos);
  };
  while (!pending_.empty() && waits(pending_.front())) EmitAwait();
}

// A blocking call's return is anchored to the event that unblocks it, as
// the script reads (`+0...0.2 accept` returns when the ACK at 0.2
// arrives): the latest inbound packet between the call and its return.
// Its return must be within the tolerance of the script's time after that
// packet's time on the wire, both bounds; the call's start does not bound
// it (a call the runner started late would fail for the runner's lateness
// alone). Without such a packet the return counts from the call's start
// (a timer, the stack's own send).
void Translator::EmitAwait() {
  Pending p = pending_.front();
  pending_.erase(pending_.begin());
  if (last_inbound_ && last_inbound_->pos > p.call_pos && last_inbound_->usecs <= p.end_usecs) {
    Step& pkt = c_.steps[last_inbound_->pos];
    if (pkt.label.empty()) pkt.label = fmt::format("pkt{}", last_inbound_->pos + 1);
    Expect& x = std::get<CallStep>(c_.steps[p.call_pos].body).expect;
    const int64_t v = p.end_usecs - last_inbound_->usecs;
    const int64_t tol = set_.ToleranceFor(p.end_usecs - p.start_usecs);
    x.took.reset();
    x.returned_after = DurationRange{microseconds(v - tol), microseconds(v + tol)};
    x.returned_since = pkt.label;
  }
  Push(p.loc, AwaitStep{p.id}, p.end_usecs);
  prev_usecs_ = p.end_usecs;
}

// A `sleep` up to the script time `at` when it is later than the anchor.
void Translator::Pace(const SourceLoc& loc, int64_t at) {
  if (at <= prev_usecs_) return;
  CallStep s;
  s.host = kHost;
  s.call.op = Op::kSleep;
  s.call.timeout = microseconds(at - prev_usecs_);
  Push(loc, std::move(s), at);
}

Status Translator::Translate(const Event& e) {
  const int64_t at = AbsoluteTime(e);
  Status st = Status::Ok();
  if (const auto* p = std::get_if<Packet>(&e.body)) {
    st = PacketStepOf(e, *p, at);
  } else if (const auto* sc = std::get_if<Syscall>(&e.body)) {
    st = CallOf(e, *sc, at);
  } else if (const auto* sh = std::get_if<Shell>(&e.body)) {
    st = ShellOf(e, *sh, at);
  } else {
    CodeOf(e, std::get<Code>(e.body), at);
  }
  if (e.time.kind != Time::Kind::kAny) last_usecs_ = at;
  if (e.time.kind != Time::Kind::kAny) prev_usecs_ = at;
  return st;
}

// Which socket a %{ }% block looks at: the socket of the latest system call
// on one (a created or accepted one, or one named by its fd).
void Translator::NoteSocket(const SocketCall& call, const Expect& expect) {
  if (call.op == Op::kSocket || call.op == Op::kConnect) stack_syn_out_ = false;
  if (expect.ret_kind == Expect::RetKind::kError) return;
  if ((call.op == Op::kSocket || call.op == Op::kAccept) && !call.as.empty()) {
    sockets_.insert(call.as);
    sock_under_test_ = call.as;
  } else if (sockets_.count(call.fd) > 0) {
    sock_under_test_ = call.fd;
  }
  if (call.op == Op::kListen) {
    listeners_.insert(call.fd);
    listen_since_ = true;
  }
}

// A %{ }% block: a snapshot of the whole tcp_info of the socket under test
// (packetdrill's: the socket of the latest system call) at the block's
// place in the timeline; the runner runs every block's Python after the
// last step with its snapshot's values (harness/runner/code_blocks.h). A
// block before any socket exists cannot run (packetdrill fails such a
// script: "no socket to use for code"): the case is skipped, naming it.
void Translator::CodeOf(const Event& e, const Code& code, int64_t at) {
  ++blocks_;
  if (sock_under_test_.empty()) {
    if (c_.requirements) return;  // the first reason is kept
    Requirements r;
    r.loc = e.loc;
    r.unsupported = "%{ }% block: no socket to read tcp_info from (no socket exists yet): skipped";
    c_.requirements = std::move(r);
    return;
  }
  Pace(e.loc, at);
  ObserveStep o;
  o.host = kHost;
  o.kind = ObserveKind::kSnapshot;
  o.fd = sock_under_test_;
  o.block = blocks_;
  o.code = code.text;
  Push(e.loc, std::move(o), at);
}

uint8_t FlagByte(const std::string& flags) {
  uint8_t b = 0;
  for (char c : flags) {
    switch (c) {
      case 'F': b |= 0x01; break;
      case 'S': b |= 0x02; break;
      case 'R': b |= 0x04; break;
      case 'P': b |= 0x08; break;
      case '.': b |= 0x10; break;
      case 'U': b |= 0x20; break;
      case 'E': b |= 0x40; break;
      case 'W': b |= 0x80; break;
      default: break;
    }
  }
  return b;
}

std::optional<std::string> HexBytes(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(hex[i])) ||
        !std::isxdigit(static_cast<unsigned char>(hex[i + 1]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// TCP MD5 (RFC 2385, kind 19): the script's packet carries the digest as
// written (as packetdrill sends it); the stack's must carry the option, its
// digest is not compared (docs/packetdrill.md).
Status Md5Option(const TcpOption& o, bool inbound, OptionSpec* spec) {
  std::optional<std::string> bytes = HexBytes(o.cookie);
  if (!bytes || bytes->size() > 16) {
    return ErrorAt(o.loc, fmt::format("md5 digest '{}' is not at most 16 hex bytes", o.cookie));
  }
  if (inbound) spec->bytes = *bytes;
  return Status::Ok();
}

Status Translator::Option(const TcpOption& o, bool inbound, bool opening_syn, OptionSpec* spec) {
  spec->loc = o.loc;
  static const std::map<std::string, uint8_t> kKinds = {
      {"eol", 0},  {"nop", 1}, {"mss", 2}, {"wscale", 3},  {"sackOK", 4},
      {"sack", 5}, {"TS", 8},  {"FO", 34}, {"FOEXP", 254}, {"md5", 19}};
  spec->kind = kKinds.at(o.name);
  if (o.name == "mss" || o.name == "wscale") spec->value = o.value;
  if (o.name == "sack") spec->sack = o.sack;
  if (o.name == "FO" || o.name == "FOEXP") {
    std::optional<std::string> bytes = HexBytes(o.cookie);
    if (!bytes) {
      return ErrorAt(o.loc, fmt::format("{} cookie '{}' is not hex bytes", o.name, o.cookie));
    }
    // FOEXP: the experimental option (kind 254, RFC 6994 magic 0xF989).
    MapCookie(&*bytes);
    spec->bytes = o.name == "FO" ? *bytes : std::string("\xF9\x89", 2) + *bytes;
  }
  if (o.name == "md5") return Md5Option(o, inbound, spec);
  if (o.name != "TS") return Status::Ok();
  if (inbound) {
    spec->ts_val = IntRange{o.ts_val, o.ts_val};
    // A SYN opens a connection on which the stack has sent no TS val yet:
    // its ecr goes out as written, as packetdrill sends it.
    if (o.ts_ecr == 0 || opening_syn) spec->ts_ecr = IntRange{o.ts_ecr, o.ts_ecr};
    spec->ts_ecr_echo = o.ts_ecr != 0 && !opening_syn;
    return Status::Ok();
  }
  if (!first_ts_val_) first_ts_val_ = o.ts_val;
  if (set_.ts_tick_usecs > 0) {
    const int64_t rel = o.ts_val - *first_ts_val_;
    const int64_t slack = set_.tolerance_usecs / set_.ts_tick_usecs;
    spec->ts_val = IntRange{std::max<int64_t>(0, rel - slack), rel + slack};
  }
  return Status::Ok();
}

Status Translator::Fields(const Packet& p, PacketFields* f) {
  static const std::map<std::string, IntRange> kEcn = {
      {"noecn", {0, 0}}, {"ect1", {1, 1}}, {"ect0", {2, 2}}, {"ce", {3, 3}}, {"ect01", {1, 2}}};
  if (!p.ecn.empty()) f->ecn = kEcn.at(p.ecn);
  if (p.proto == Packet::Proto::kUdp) {
    f->proto = PacketFields::L4::kUdp;
    f->length = IntRange{p.len, p.len};
    return Status::Ok();
  }
  if (p.proto == Packet::Proto::kIcmp) return Status::Ok();  // PacketStepOf fills it
  f->proto = PacketFields::L4::kTcp;
  f->flags = FlagByte(p.flags);
  f->seq = IntRange{p.seq_start, p.seq_start};
  f->length = IntRange{p.len, p.len};
  if (p.ack) f->ack = IntRange{*p.ack, *p.ack};
  if (p.win) f->win = IntRange{*p.win, *p.win};
  // The urgent pointer: sent as written; the stack's compared as
  // packetdrill compares it (0 when not written, here when the packet has
  // the URG flag).
  if (p.urg && (*p.urg < 0 || *p.urg > 65535)) {
    return ErrorAt(f->loc,
                   fmt::format("urgent pointer (urg) {} is out of range (0..65535)", *p.urg));
  }
  if (p.urg || p.flags.find('U') != std::string::npos) {
    f->urg = IntRange{p.urg.value_or(0), p.urg.value_or(0)};
  }
  if (p.options_any) return Status::Ok();
  f->options.emplace();
  const bool opening_syn =
      p.inbound && p.flags.find('S') != std::string::npos && p.flags.find('.') == std::string::npos;
  for (const TcpOption& o : p.options.value_or(std::vector<TcpOption>{})) {
    OptionSpec spec;
    Status st = Option(o, p.inbound, opening_syn, &spec);
    if (!st.ok()) return st;
    f->options->push_back(std::move(spec));
  }
  return Status::Ok();
}

// The stack's TS val windows are anchored like the packet's time: to the
// previous event's actual time (PacketStep::ts_tick), not to the script's
// start, so that a late runner step does not move them out of the window.
void Translator::TsAnchor(const Packet& p, PacketStep* s) const {
  if (p.inbound || set_.ts_tick_usecs <= 0 || !first_ts_usecs_ || first_ts_conn_ != conns_ ||
      !s->packet.options) {
    return;
  }
  for (const OptionSpec& o : *s->packet.options) {
    if (!o.ts_val) continue;
    s->ts_tick = microseconds(set_.ts_tick_usecs);
    s->ts_script_anchor = microseconds(prev_usecs_ - *first_ts_usecs_);
  }
}

// ICMP names as packetdrill writes them -> the model's type and code.
Status IcmpOf(const Packet& p, const SourceLoc& loc, PacketFields* f) {
  static const std::map<std::string, std::string> kTypes = {
      {"unreachable", "unreachable"},       {"time_exceeded", "time-exceeded"},
      {"packet_too_big", "packet-too-big"}, {"parameter_problem", "parameter-problem"},
      {"echo_request", "echo-request"},     {"echo_reply", "echo-reply"}};
  static const std::map<std::string, int64_t> kCodes = {{"net_unreachable", 0},
                                                        {"host_unreachable", 1},
                                                        {"protocol_unreachable", 2},
                                                        {"port_unreachable", 3},
                                                        {"frag_needed", 4},
                                                        {"source_route_failed", 5},
                                                        {"net_unknown", 6},
                                                        {"host_unknown", 7},
                                                        {"source_host_isolated", 8},
                                                        {"net_prohibited", 9},
                                                        {"host_prohibited", 10},
                                                        {"net_unreachable_for_tos", 11},
                                                        {"host_unreachable_for_tos", 12},
                                                        {"packet_filtered", 13}};
  auto t = kTypes.find(p.icmp_type);
  if (t == kTypes.end()) {
    return ErrorAt(loc, fmt::format("ICMP type '{}' is not supported", p.icmp_type));
  }
  f->proto = PacketFields::L4::kIcmp;
  IcmpSpec icmp;
  icmp.loc = loc;
  icmp.type = t->second;
  if (!p.icmp_code.empty()) {
    auto c = kCodes.find(p.icmp_code);
    if (c == kCodes.end()) {
      return ErrorAt(loc, fmt::format("ICMP code '{}' is not supported", p.icmp_code));
    }
    icmp.code = c->second;
  }
  icmp.mtu = p.icmp_mtu;
  f->icmp = icmp;
  return Status::Ok();
}

// The first packet of a connection says where it goes; an inbound SYN or
// an outbound SYN later in the script opens a new connection, except an
// inbound SYN on a connection the stack opened with no `listen` since (a
// simultaneous open: packetdrill opens a passive connection only for a
// listening socket under test). Each passive connection after the first
// comes from a new port of the script's side (packetdrill's ephemeral
// port per passive connection): 40001, 40002, ...
void Translator::Connection(const Packet& p, PacketStep* step) {
  const bool syn = p.proto == Packet::Proto::kTcp && p.flags.find('S') != std::string::npos &&
                   p.flags.find('.') == std::string::npos;
  const bool simultaneous = syn && p.inbound && conn_open_ && conn_active_ && !listen_since_;
  const bool retransmission = syn && !p.inbound && conn_open_ && stack_syn_out_;
  // An inbound segment without SYN or RST leaves the stack in SYN-SENT (it
  // drops it: synack-data.pkt's data before the SYN-ACK).
  const bool moves = !p.inbound || p.flags.find_first_of("SR") != std::string::npos;
  if (p.proto == Packet::Proto::kTcp && moves) stack_syn_out_ = syn && !p.inbound;
  if (conn_open_ && (!syn || simultaneous || retransmission)) {
    step->conn = conns_ > 1 ? fmt::format("c{}", conns_) : "";
    return;
  }
  ++conns_;
  conn_open_ = true;
  conn_active_ = !p.inbound;
  listen_since_ = false;
  step->conn = conns_ > 1 ? fmt::format("c{}", conns_) : "";
  if (p.inbound) {
    step->to = Endpoint{Endpoint::Kind::kHost, kHost, "", set_.bind_port};
    if (passive_conns_++ > 0) step->port = static_cast<uint16_t>(40000 + passive_conns_ - 1);
  } else {
    step->port = set_.connect_port;
    step->from = kHost;
  }
}

// packetdrill's sequence spaces (run_packet.c): the script side's ISN is
// the seq of its SYN (or SYN-ACK), written absolute there and in the ack of
// the stack's SYN-ACK; every other seq and ack of that side is relative to
// it. faultline's steps are relative to the connection's `isn:`, set on the
// connection's first step.
void Translator::RemoteIsn(const Packet& p, PacketStep* s) {
  if (p.proto != Packet::Proto::kTcp || p.flags.find('S') == std::string::npos) return;
  if (p.inbound && !remote_isn_) {
    remote_isn_ = p.seq_start;
    if (*remote_isn_ != 0 && conn_first_step_ <= c_.steps.size()) {
      const uint32_t isn = static_cast<uint32_t>(*remote_isn_);
      if (conn_first_step_ == c_.steps.size()) {
        s->isn = isn;
      } else if (auto* first = std::get_if<PacketStep>(&c_.steps[conn_first_step_].body)) {
        first->isn = isn;
      }
    }
  }
  if (!remote_isn_ || *remote_isn_ == 0) return;
  if (p.inbound && s->packet.seq) {
    s->packet.seq = IntRange{p.seq_start - *remote_isn_, p.seq_start - *remote_isn_};
  } else if (!p.inbound && p.ack) {
    s->packet.ack = IntRange{*p.ack - *remote_isn_, *p.ack - *remote_isn_};
  }
}

Status Translator::PacketStepOf(const Event& e, const Packet& p, int64_t at) {
  PacketStep s;
  s.host = kRemote;
  s.dir = p.inbound ? PacketStep::Dir::kSend : PacketStep::Dir::kExpect;
  s.packet.loc = e.loc;
  if (p.inbound && p.proto == Packet::Proto::kTcp) {
    largest_inbound_ = std::max(largest_inbound_, 20 + OptionBytes(p) + p.len);
  }
  const bool had_ts = first_ts_val_.has_value();
  // packetdrill joins consecutive outbound segments until they reach the
  // script's length (TSO/GSO super-packets of another size than the script's).
  s.gather = !p.inbound && p.proto == Packet::Proto::kTcp && p.len > 0 && !set_.strict_segments;
  Status st = p.proto == Packet::Proto::kIcmp ? IcmpOf(p, e.loc, &s.packet) : Fields(p, &s.packet);
  if (!st.ok()) return st;
  const int conns_before = conns_;
  Connection(p, &s);
  if (conns_ != conns_before) {
    conn_first_step_ = c_.steps.size();
    remote_isn_.reset();
  }
  RemoteIsn(p, &s);
  if (!had_ts && first_ts_val_) {
    first_ts_usecs_ = at;
    first_ts_conn_ = conns_;
  }
  TsAnchor(p, &s);
  if (p.inbound) last_inbound_ = Inbound{c_.steps.size(), at};
  // The stack's SYN or SYN-ACK: its seq is the stack's ISN, which the
  // script may write as any number (`> S. 1234:1234(0)`); faultline's
  // outbound seqs are relative to the ISN the stack chose, so it is not
  // checked.
  if (!p.inbound && p.proto == Packet::Proto::kTcp && p.flags.find('S') != std::string::npos) {
    s.packet.seq.reset();
  }
  const int64_t delta = std::max<int64_t>(0, at - prev_usecs_);
  if (e.time.range_end_usecs) {
    const int64_t end = e.time.kind == Time::Kind::kRelative ? last_usecs_ + *e.time.range_end_usecs
                                                             : *e.time.range_end_usecs;
    s.after =
        DurationRange{microseconds(delta), microseconds(std::max<int64_t>(0, end - prev_usecs_))};
    s.after_is_range = true;
  } else if (e.time.kind != Time::Kind::kAny) {
    s.after = DurationRange{microseconds(delta), microseconds(delta)};
    // packetdrill's tolerance grows with the script's time since the
    // previous event (--tolerance_percent).
    const int64_t tol = set_.ToleranceFor(at - last_usecs_);
    if (tol != set_.tolerance_usecs) s.tolerance = microseconds(tol);
  }
  const bool timed = e.time.kind != Time::Kind::kAny;
  Push(e.loc, std::move(s), timed ? std::optional<int64_t>(at) : std::nullopt);
  return Status::Ok();
}

// The last net.ipv4.tcp_fastopen_key value `text` sets ("KEY=VALUE" or
// "KEY VALUE"), if any parses.
std::optional<FastOpenKey> KeyIn(const std::string& text) {
  std::optional<FastOpenKey> key;
  const std::string name = "tcp_fastopen_key";
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    size_t v = at + name.size();
    while (v < text.size() && (text[v] == '=' || text[v] == ' ' || text[v] == '"')) ++v;
    size_t end = v;
    while (end < text.size() && (std::isxdigit(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == ',')) {
      ++end;
    }
    if (auto k = ParseFastOpenKey(text.substr(v, end - v))) key = k;
  }
  return key;
}

// `text` as one shell word.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

// The directory a script's shell lines run in: the script's own, as
// packetdrill's runners do (`../common/defaults.sh` is relative to it).
std::string ScriptDir(const std::string& file) {
  std::filesystem::path dir = std::filesystem::path(file).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  return (ec ? dir : abs).lexically_normal().string();
}

std::string DollarsLiteral(const std::string& text) {
  std::string out;
  for (char ch : text) {
    out += ch;
    if (ch == '$') out += '$';
  }
  return out;
}

// What a shell line runs before its command: cd to the script's directory;
// PACKETDRILL_PID, which packetdrill sets to its own pid and scripts use
// (common/set_sysctls.py writes /tmp/sysctl_restore_${PACKETDRILL_PID}.sh,
// a cleanup line runs /tmp/sysctl_restore_${PPID}.sh), set to the lab
// host's network namespace inode: unique among the labs running at once,
// whose peers' pids repeat (each is the init of its own pid namespace);
// and PPID to the same where the shell lets it be assigned (dash does);
// NSTAT_HISTORY, nstat's history file (it prints the counters' change since
// the last nstat run that used the file; by default /tmp/.nstat.u$UID, one
// for every lab and script running at once), set to a file of the lab
// host's own in the variant's work directory, made by nstat itself.
std::string ShellPrologue(const std::string& file) {
  return fmt::format(
      "cd {} && PACKETDRILL_PID=$(stat -L -c %i /proc/self/ns/net) && export PACKETDRILL_PID "
      "&& {{ if (PPID=0) 2>/dev/null; then PPID=$PACKETDRILL_PID; fi; }} && "
      "NSTAT_HISTORY=\"$FAULTLINE_WORKDIR/nstat.$FAULTLINE_HOST\" && export NSTAT_HISTORY && ",
      ShellQuote(ScriptDir(file)));
}

// packetdrill runs a command with system(3) and fails the script on a
// non-zero status; so does a timed shell line here. The init and cleanup
// commands (untimed) may end with any status (docs/packetdrill.md).
Status Translator::ShellOf(const Event& e, const Shell& sh, int64_t at) {
  if (sh.role == Shell::Role::kTimed) Pace(e.loc, at);
  NoteFastOpenKey(sh.command);
  CallStep s;
  s.host = kHost;
  s.call.op = Op::kRun;
  // The runner replaces ${...} in a command (lab variables); a script's `$`
  // is the shell's: `$$` is a literal `$` to the runner.
  s.call.command.argv = {
      "sh", "-c", DollarsLiteral(ShellPrologue(script_.file) + MapShellPaths(sh.command, files_))};
  for (const auto& [name, value] : options_.defines) {
    s.call.command.env.emplace_back(name, DollarsLiteral(value));
  }
  if (sh.role != Shell::Role::kTimed) {
    ValueExpect any;
    any.text = "any";
    s.expect.exit = any;
    s.has_expect = true;
  }
  const bool timed = sh.role == Shell::Role::kTimed && e.time.kind != Time::Kind::kAny;
  Push(e.loc, std::move(s), timed ? std::optional<int64_t>(at) : std::nullopt);
  return Status::Ok();
}

// The Fast Open key a shell line sets: in its own text, or in a file it
// runs (a word naming a file relative to the script's directory, as
// common/defaults.sh), the last one set. Shell lines run in order, so the
// key of a later packet is the latest one set before it.
void Translator::NoteFastOpenKey(const std::string& command) {
  std::istringstream words(command);
  std::string word;
  while (words >> word) {
    const std::filesystem::path path = std::filesystem::path(ScriptDir(script_.file)) / word;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) ||
        std::filesystem::file_size(path, ec) > 65536) {
      continue;
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (auto k = KeyIn(text.str())) tfo_key_ = k;
  }
  if (auto k = KeyIn(command)) tfo_key_ = k;
}

// A Fast Open cookie the stack derives from the key and the SYN's addresses
// (tfo_cookie.h): the script's was computed for packetdrill's addresses
// (its --remote_ip's SYN to its --local_ip; else run_all.py's), the lab's
// stack derives one for the lab's (remote, lab host 2, to host, lab host 1;
// lab/addr_plan.h). A cookie equal to the script-address cookie of one of
// the case's families becomes that family's lab-address cookie, inbound
// (the script's SYN) and outbound (the stack's SYN-ACK) alike; any other
// cookie is left as written.
void Translator::MapCookie(std::string* cookie) const {
  if (!tfo_key_ || cookie->size() != 8) return;
  for (Family f : set_.families) {
    const bool v6 = f == Family::kIPv6;
    const bool own = !set_.local_ip.empty() && !set_.remote_ip.empty() &&
                     (set_.local_ip.find(':') != std::string::npos) == v6;
    const std::string local = own ? set_.local_ip : v6 ? "fd3d:0a0b:17d6::1" : "192.168.0.1";
    const std::string remote = own ? set_.remote_ip : v6 ? "fd3d:fa7b:d17d::1" : "192.0.2.1";
    const LinkAddresses host = PlanAddresses(1, true), peer = PlanAddresses(2, true);
    std::optional<std::string> script = FastOpenCookie(*tfo_key_, remote, local);
    std::optional<std::string> lab =
        FastOpenCookie(*tfo_key_, v6 ? peer.addr6 : peer.addr4, v6 ? host.addr6 : host.addr4);
    if (script && lab && *script == *cookie) {
      *cookie = *lab;
      return;
    }
  }
}

std::string Translator::NewFdName(int64_t fd) {
  const std::string base = FdName(fd);
  auto it = fd_alias_.find(base);
  const std::string current = it == fd_alias_.end() ? base : it->second;
  std::string name = base;
  if (open_fds_.count(current) > 0) name = fmt::format("{}_{}", base, ++fd_renames_ + 1);
  fd_alias_[base] = name;
  open_fds_.insert(name);
  return name;
}

void Translator::RenameFds(CallStep* s) {
  auto rename = [&](std::string* name) {
    auto it = fd_alias_.find(*name);
    if (it != fd_alias_.end()) *name = it->second;
  };
  rename(&s->call.fd);
  rename(&s->call.epoll_target);
  rename(&s->call.other_fd);
  for (auto& entry : s->expect.epoll) rename(&entry.first);
  if (s->call.op == Op::kClose) open_fds_.erase(s->call.fd);
}

// The fd argument N of a call as the fd's name.
Status FdArg(const Syscall& sc, size_t i, std::string* out) {
  if (i >= sc.args.size() || sc.args[i].kind != Expr::Kind::kInt) {
    return ErrorAt(sc.name_loc,
                   fmt::format("{}: argument {} must be an fd number", sc.name, i + 1));
  }
  *out = FdName(sc.args[i].num);
  return Status::Ok();
}

Status Unsupported(const Syscall& sc, const Expr& arg, const std::string& what) {
  return ErrorAt(arg.loc,
                 fmt::format("{}: {} '{}' is not supported", sc.name, what, arg.ToString()));
}

std::optional<int64_t> SizeArg(const Syscall& sc, size_t i) {
  return i < sc.args.size() ? IntOf(sc.args[i]) : std::nullopt;
}

// MSG_* flags of send/recv.
// MSG_* flags of send/recv: the ones the runner passes on (request.cc);
// any other is a load error, never dropped.
// A flags argument: MSG_* names OR'ed, or numbers among them (0x20000000
// is MSG_FASTOPEN, as valid-cookie-format.pkt writes it): each bit of a
// number must be a supported flag's, and becomes its name.
Status MsgFlags(const Syscall& sc, const Expr& e, std::vector<std::string>* out) {
  static const std::pair<const char*, int> kKnown[] = {
      {"MSG_DONTWAIT", MSG_DONTWAIT}, {"MSG_MORE", MSG_MORE},        {"MSG_NOSIGNAL", MSG_NOSIGNAL},
      {"MSG_OOB", MSG_OOB},           {"MSG_PEEK", MSG_PEEK},        {"MSG_WAITALL", MSG_WAITALL},
      {"MSG_FASTOPEN", MSG_FASTOPEN}, {"MSG_EOR", MSG_EOR},          {"MSG_TRUNC", MSG_TRUNC},
      {"MSG_ZEROCOPY", MSG_ZEROCOPY}, {"MSG_ERRQUEUE", MSG_ERRQUEUE}};
  const auto add = [&](const std::string& name) {
    if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
  };
  std::vector<const Expr*> parts;
  if (e.kind == Expr::Kind::kOr) {
    for (const Expr& p : e.elems) parts.push_back(&p);
  } else {
    parts.push_back(&e);
  }
  for (const Expr* p : parts) {
    if (p->kind == Expr::Kind::kInt) {
      int64_t rest = p->num;
      for (const auto& [name, bit] : kKnown) {
        if ((rest & bit) != 0) add(name);
        rest &= ~static_cast<int64_t>(bit);
      }
      if (rest != 0) {
        return ErrorAt(p->loc, fmt::format("{}: flags {:#x} are not supported", sc.name, rest));
      }
      continue;
    }
    for (const std::string& s : Symbols(*p)) {
      const auto* known = std::find_if(std::begin(kKnown), std::end(kKnown),
                                       [&](const auto& k) { return s == k.first; });
      if (known == std::end(kKnown)) {
        return ErrorAt(e.loc, fmt::format("{}: flag '{}' is not supported", sc.name, s));
      }
      add(s);
    }
  }
  return Status::Ok();
}

// [SOF_TIMESTAMPING_A | SOF_TIMESTAMPING_B | ...] (or one name, or ints
// among them): SO_TIMESTAMPING's value, the flags OR'ed.
std::optional<int64_t> TimestampingFlags(const Expr& v) {
  const Expr& e = v.kind == Expr::Kind::kList && v.elems.size() == 1 ? v.elems[0] : v;
  std::vector<const Expr*> parts;
  if (e.kind == Expr::Kind::kOr) {
    for (const Expr& p : e.elems) parts.push_back(&p);
  } else {
    parts.push_back(&e);
  }
  int64_t bits = 0;
  for (const Expr* p : parts) {
    std::optional<int64_t> b = p->kind == Expr::Kind::kInt      ? std::optional<int64_t>(p->num)
                               : p->kind == Expr::Kind::kSymbol ? TimestampingFlag(p->text)
                                                                : std::nullopt;
    if (!b) return std::nullopt;
    bits |= *b;
  }
  return bits;
}

// setsockopt/getsockopt(fd, level, NAME, value, len).
Status SockoptArgs(const Syscall& sc, SocketCall* c, Expect* x, bool* has_x) {
  if (sc.args.size() < 4 || sc.args[2].kind != Expr::Kind::kSymbol) {
    return ErrorAt(sc.name_loc, sc.name + ": expected (fd, level, NAME, value, len)");
  }
  // IPV6_TCLASS is IP_TOS's IPv6 twin: the peer picks by the socket's family.
  const std::string& name = sc.args[2].text == "IPV6_TCLASS" ? "IP_TOS" : sc.args[2].text;
  c->opt = SockOptFromName(name);
  if (!c->opt) return Unsupported(sc, sc.args[2], "socket option");
  const Expr& v = sc.args[3];
  std::optional<int64_t> n = IntOf(v);
  if (v.kind == Expr::Kind::kStruct && v.Field("onoff") && v.Field("linger")) {
    c->linger_on = IntOf(*v.Field("onoff")).value_or(0) != 0;
    n = IntOf(*v.Field("linger"));
  } else if (v.kind == Expr::Kind::kStruct && v.Field("tv_sec") && v.Field("tv_usec")) {
    n = IntOf(*v.Field("tv_sec")).value_or(0) * 1000000 + IntOf(*v.Field("tv_usec")).value_or(0);
  } else if (v.kind == Expr::Kind::kString) {
    c->opt_text = v.text;
    n = 0;
  }
  if (!n && *c->opt == SockOpt::kSoTimestamping) n = TimestampingFlags(v);
  if (!n && v.kind != Expr::Kind::kEllipsis) return Unsupported(sc, v, "option value");
  if (sc.name == "setsockopt") {
    c->opt_value = n.value_or(0);
  } else if (n) {
    x->value = *n;
    *has_x = true;
  }
  return Status::Ok();
}

// poll([{fd=N, events=POLLIN, revents=POLLIN}], 1, TIMEOUT_MS).
Status PollArgs(const Syscall& sc, SocketCall* c, Expect* x, bool* has_x) {
  if (sc.args.size() != 3 || sc.args[0].kind != Expr::Kind::kList || sc.args[0].elems.size() != 1 ||
      sc.args[0].elems[0].kind != Expr::Kind::kStruct) {
    return ErrorAt(sc.name_loc,
                   "poll: only one pollfd ([{fd=N, events=..., revents=...}], 1, T) is supported");
  }
  const Expr& pfd = sc.args[0].elems[0];
  const Expr* fd = pfd.Field("fd");
  if (!fd || fd->kind != Expr::Kind::kInt) return ErrorAt(pfd.loc, "poll: pollfd needs fd=N");
  c->fd = FdName(fd->num);
  auto names = [](const Expr* e) {
    std::vector<std::string> out;
    if (!e) return out;
    for (const std::string& s : Symbols(*e))
      out.push_back(Lower(s.substr(s.find("POLL") == 0 ? 4 : 0)));
    return out;
  };
  c->events = names(pfd.Field("events"));
  if (pfd.Field("revents")) {
    x->revents = names(pfd.Field("revents"));
    x->has_revents = true;
    *has_x = true;
  }
  c->timeout = std::chrono::milliseconds(std::max<int64_t>(0, IntOf(sc.args[2]).value_or(0)));
  return Status::Ok();
}

// The iov_len sizes of an iovec list.
Status IovSizes(const Syscall& sc, const Expr& list, std::vector<int64_t>* out) {
  if (list.kind == Expr::Kind::kEllipsis) return Status::Ok();
  if (list.kind != Expr::Kind::kList) return Unsupported(sc, list, "iovec");
  for (const Expr& e : list.elems) {
    const Expr* len = e.kind == Expr::Kind::kStruct ? e.Field("iov_len") : nullptr;
    if (!len || !IntOf(*len)) return Unsupported(sc, e, "iovec");
    out->push_back(*IntOf(*len));
  }
  return Status::Ok();
}

// The kind (cmsg.h) of a cmsg_level/cmsg_type pair a script writes:
// CMSG_LEVEL_IP / CMSG_TYPE_RECVERR are run_all.py's per-family -D names,
// undefined they mean the socket's family's, as SOL_IP/SOL_IPV6 do.
std::string CmsgKindOf(const Expr& level, const Expr& type) {
  auto is = [](const Expr& e, std::initializer_list<const char*> names) {
    return e.kind == Expr::Kind::kSymbol &&
           std::any_of(names.begin(), names.end(), [&](const char* n) { return e.text == n; });
  };
  if (is(level, {"SOL_IP", "SOL_IPV6", "IPPROTO_IP", "IPPROTO_IPV6", "CMSG_LEVEL_IP"}) &&
      is(type, {"IP_RECVERR", "IPV6_RECVERR", "CMSG_TYPE_RECVERR"})) {
    return "recverr";
  }
  if (is(level, {"SOL_SOCKET"}) && is(type, {"SCM_TIMESTAMPING"})) return "timestamping";
  if (is(level, {"SOL_TCP", "IPPROTO_TCP"}) && is(type, {"TCP_CM_INQ"})) return "inq";
  return "";
}

// A field value of cmsg_data: an int or a constant (SO_EE_ORIGIN_ZEROCOPY,
// SCM_TSTAMP_ACK, ENOMSG, ...); `...` is not compared.
Status CmsgValue(const Syscall& sc, const std::string& name, const Expr& v, CmsgFields* out) {
  if (v.kind == Expr::Kind::kEllipsis) return Status::Ok();
  std::optional<int64_t> n = IntOf(v);
  if (!n && v.kind == Expr::Kind::kSymbol) n = CmsgConstant(v.text);
  if (!n) return Unsupported(sc, v, "cmsg_data value");
  out->fields.emplace_back(name, *n);
  return Status::Ok();
}

// One {cmsg_level=..., cmsg_type=..., cmsg_data=...} of recvmsg's
// msg_control: the control message the call must return. SCM_TIMESTAMPING's
// times (scm_sec, scm_nsec) are not compared (docs/packetdrill.md).
Status CmsgOf(const Syscall& sc, const Expr& e, CmsgFields* out) {
  const Expr* level = e.kind == Expr::Kind::kStruct ? e.Field("cmsg_level") : nullptr;
  const Expr* type = e.kind == Expr::Kind::kStruct ? e.Field("cmsg_type") : nullptr;
  const Expr* data = e.kind == Expr::Kind::kStruct ? e.Field("cmsg_data") : nullptr;
  if (!level || !type || !data) {
    return ErrorAt(e.loc, sc.name + ": a cmsg needs cmsg_level, cmsg_type and cmsg_data");
  }
  out->kind = CmsgKindOf(*level, *type);
  if (out->kind.empty()) {
    return ErrorAt(level->loc, fmt::format("{}: control message {}/{} is not supported "
                                           "(supported: IP_RECVERR, IPV6_RECVERR, "
                                           "SCM_TIMESTAMPING, TCP_CM_INQ)",
                                           sc.name, level->ToString(), type->ToString()));
  }
  if (out->kind == "inq") return CmsgValue(sc, "value", *data, out);
  if (out->kind == "timestamping") return Status::Ok();
  if (data->kind != Expr::Kind::kStruct) return Unsupported(sc, *data, "cmsg_data");
  const std::vector<std::string>& known = CmsgKindFields(out->kind);
  for (const auto& [k, v] : data->fields) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return ErrorAt(v.loc, fmt::format("{}: cmsg_data field '{}' is not supported", sc.name, k));
    }
    FL_RETURN_IF_ERROR(CmsgValue(sc, k, v, out));
  }
  return Status::Ok();
}

// recvmsg's msg_control: a list of cmsgs expected exactly (NULL and `...`:
// none passed, not checked; a call expected to fail: not checked, as in
// packetdrill). sendmsg's is not supported.
Status ControlOf(const Syscall& sc, const Expr& v, Expect* x, bool* has_x) {
  if (v.kind == Expr::Kind::kEllipsis || (IntOf(v) && *IntOf(v) == 0) || HasSymbol(v, "NULL")) {
    return Status::Ok();
  }
  const bool fails = !sc.errno_name.empty() || (IntOf(sc.result) && *IntOf(sc.result) < 0);
  if (fails && sc.name == "recvmsg") return Status::Ok();
  if (sc.name != "recvmsg" || v.kind != Expr::Kind::kList) {
    return ErrorAt(v.loc, sc.name + ": ancillary data (msg_control) is not supported");
  }
  std::vector<CmsgFields> cmsgs;
  for (const Expr& e : v.elems) {
    FL_RETURN_IF_ERROR(CmsgOf(sc, e, &cmsgs.emplace_back()));
  }
  x->cmsgs = std::move(cmsgs);
  *has_x = true;
  return Status::Ok();
}

// sendmsg/recvmsg(fd, {msg_iov(N)=[...], ...}, FLAGS). sendmsg's msg_name,
// unless NULL, is the script's remote (the lab's peer), as sendto's address:
// a Fast Open sendmsg (MSG_FASTOPEN) connects to it, and without one the
// kernel fails the call (EINVAL, or EPIPE on an unconnected socket).
Status MsgArgs(const Syscall& sc, const Settings& set, SocketCall* c, Expect* x, bool* has_x) {
  if (sc.args.size() != 3) return ErrorAt(sc.name_loc, sc.name + ": expected (fd, msghdr, flags)");
  const Expr& m = sc.args[1];
  if (m.kind != Expr::Kind::kStruct || !m.Field("msg_iov")) {
    return Unsupported(sc, m, "msghdr");
  }
  const Expr* name = m.Field("msg_name");
  if (c->op == Op::kSendmsg && name && !HasSymbol(*name, "NULL") && IntOf(*name).value_or(1) != 0) {
    c->endpoint = Endpoint{Endpoint::Kind::kHost, kRemote, "", set.connect_port};
  }
  if (const Expr* control = m.Field("msg_control")) {
    FL_RETURN_IF_ERROR(ControlOf(sc, *control, x, has_x));
  }
  std::vector<int64_t> sizes;
  Status st = IovSizes(sc, *m.Field("msg_iov"), &sizes);
  if (!st.ok()) return st;
  for (int64_t n : sizes) c->size += n;
  // Each element a buffer of its own, as packetdrill sends them (MSG_ZEROCOPY
  // makes one page fragment per element: zerocopy/maxfrags.pkt).
  if (c->op == Op::kSendmsg) c->iov = sizes;
  return MsgFlags(sc, sc.args[2], &c->flags);
}

std::vector<std::string> EpollEvents(const Expr* e) {
  std::vector<std::string> out;
  if (!e) return out;
  for (const std::string& s : Symbols(*e))
    out.push_back(Lower(s.substr(s.find("EPOLL") == 0 ? 5 : 0)));
  return out;
}

// fcntl, ioctl, epoll_ctl, epoll_wait; accept and close need nothing more.
Status MoreCallArgs(const Syscall& sc, SocketCall* c, Expect* x, bool* has_x) {
  if (c->op == Op::kFcntl) {
    if (sc.args.size() < 2)
      return ErrorAt(sc.name_loc, "fcntl: expected (fd, F_GETFL | F_SETFL, ...)");
    if (HasSymbol(sc.args[1], "F_GETFL")) {
      c->fcntl_cmd = "getfl";
      return Status::Ok();
    }
    if (!HasSymbol(sc.args[1], "F_SETFL") || sc.args.size() != 3)
      return Unsupported(sc, sc.args[1], "command");
    c->fcntl_cmd = "setfl";
    for (const std::string& s : Symbols(sc.args[2]))
      c->fcntl_flags.push_back(Lower(s.substr(s.find("O_") == 0 ? 2 : 0)));
    return Status::Ok();
  }
  if (c->op == Op::kIoctl) {
    if (sc.args.size() != 3 || sc.args[1].kind != Expr::Kind::kSymbol)
      return ErrorAt(sc.name_loc, "ioctl: expected (fd, REQUEST, [value])");
    const std::string& r = sc.args[1].text;
    if (r != "SIOCINQ" && r != "SIOCOUTQ" && r != "FIONREAD")
      return Unsupported(sc, sc.args[1], "request");
    c->ioctl_request = r;
    if (std::optional<int64_t> v = IntOf(sc.args[2])) {
      x->value = *v;
      *has_x = true;
    }
    return Status::Ok();
  }
  if (c->op == Op::kEpollCtl) {
    if (sc.args.size() != 4)
      return ErrorAt(sc.name_loc, "epoll_ctl: expected (epfd, op, fd, {events=..., fd=...})");
    const std::vector<std::string> op = Symbols(sc.args[1]);
    c->epoll_op = op.empty() ? "" : Lower(op[0].substr(op[0].find("EPOLL_CTL_") == 0 ? 10 : 0));
    Status st = FdArg(sc, 2, &c->epoll_target);
    if (!st.ok()) return st;
    c->events = EpollEvents(sc.args[3].Field("events"));
    return Status::Ok();
  }
  if (c->op == Op::kEpollWait) {
    if (sc.args.size() != 4)
      return ErrorAt(sc.name_loc, "epoll_wait: expected (epfd, events, maxevents, timeout)");
    c->epoll_max = static_cast<int>(IntOf(sc.args[2]).value_or(1));
    c->timeout = std::chrono::milliseconds(std::max<int64_t>(0, IntOf(sc.args[3]).value_or(0)));
    const Expr& ev = sc.args[1];
    std::vector<const Expr*> items;
    if (ev.kind == Expr::Kind::kStruct) items.push_back(&ev);
    if (ev.kind == Expr::Kind::kList)
      for (const Expr& e : ev.elems) items.push_back(&e);
    for (const Expr* e : items) {
      const Expr* fd = e->Field("fd");
      if (!fd || fd->kind != Expr::Kind::kInt) continue;
      x->epoll.emplace_back(FdName(fd->num), EpollEvents(e->Field("events")));
      x->has_epoll = true;
      *has_x = true;
    }
    return Status::Ok();
  }
  return Status::Ok();
}

// The system calls the translation carries, by packetdrill's name.
const std::map<std::string, Op>& SyscallOps() {
  static const std::map<std::string, Op> kOps = {{"socket", Op::kSocket},
                                                 {"bind", Op::kBind},
                                                 {"listen", Op::kListen},
                                                 {"accept", Op::kAccept},
                                                 {"connect", Op::kConnect},
                                                 {"write", Op::kWrite},
                                                 {"read", Op::kRead},
                                                 {"send", Op::kSend},
                                                 {"recv", Op::kRecv},
                                                 {"sendto", Op::kSendto},
                                                 {"recvfrom", Op::kRecvfrom},
                                                 {"setsockopt", Op::kSetsockopt},
                                                 {"getsockopt", Op::kGetsockopt},
                                                 {"poll", Op::kPoll},
                                                 {"shutdown", Op::kShutdown},
                                                 {"close", Op::kClose},
                                                 {"sendfile", Op::kSendfile},
                                                 {"sendmsg", Op::kSendmsg},
                                                 {"recvmsg", Op::kRecvmsg},
                                                 {"writev", Op::kWritev},
                                                 {"readv", Op::kReadv},
                                                 {"fcntl", Op::kFcntl},
                                                 {"ioctl", Op::kIoctl},
                                                 {"epoll_create", Op::kEpollCreate},
                                                 {"epoll_ctl", Op::kEpollCtl},
                                                 {"epoll_wait", Op::kEpollWait},
                                                 // (fd, addr, addrlen): the return is checked
                                                 {"getsockname", Op::kGetsockname},
                                                 {"getpeername", Op::kGetpeername}};
  return kOps;
}

// The arguments of one call into `c` (and expected values into `x`).
Status CallArgs(const Syscall& sc, const Settings& set, SocketCall* c, Expect* x, bool* has_x) {
  if (IsFileCall(sc.name)) return FileCallArgs(sc, c);
  const std::map<std::string, Op>& kOps = SyscallOps();
  auto op = kOps.find(sc.name);
  if (op == kOps.end()) {
    return ErrorAt(sc.name_loc, fmt::format("system call '{}' is not supported", sc.name));
  }
  c->op = op->second;
  if (c->op == Op::kSocket) {
    if (sc.args.size() != 3)
      return ErrorAt(sc.name_loc, "socket: expected (domain, type, protocol)");
    c->proto =
        HasSymbol(sc.args[1], "SOCK_DGRAM") ? SocketCall::Proto::kUdp : SocketCall::Proto::kTcp;
    c->nonblock = HasSymbol(sc.args[1], "SOCK_NONBLOCK");
    return Status::Ok();
  }
  if (c->op == Op::kEpollCreate) return Status::Ok();
  if (c->op != Op::kPoll) {
    Status st = FdArg(sc, 0, &c->fd);
    if (!st.ok()) return st;
  }
  switch (c->op) {
    case Op::kBind:
      c->endpoint = Endpoint{Endpoint::Kind::kAny, "", "", set.bind_port};
      return Status::Ok();
    case Op::kListen:
      c->backlog = static_cast<int>(SizeArg(sc, 1).value_or(128));
      return Status::Ok();
    case Op::kConnect:
      c->endpoint = Endpoint{Endpoint::Kind::kHost, kRemote, "", set.connect_port};
      return Status::Ok();
    case Op::kWrite:
    case Op::kRead:
    case Op::kSend:
    case Op::kRecv:
    case Op::kSendto:
    case Op::kRecvfrom:
      c->size = SizeArg(sc, 2).value_or(0);
      // A NULL buffer: the peer passes a pointer it knows to be unmapped.
      c->bad_buffer = sc.args.size() > 1 && (HasSymbol(sc.args[1], "NULL") ||
                                             (IntOf(sc.args[1]) && *IntOf(sc.args[1]) == 0));
      // sendto's address: the script's remote (the lab's peer), or AF_UNSPEC.
      c->to_unspec =
          c->op == Op::kSendto && sc.args.size() > 4 && HasSymbol(sc.args[4], "AF_UNSPEC");
      if (c->op == Op::kSendto && !c->to_unspec)
        c->endpoint = Endpoint{Endpoint::Kind::kHost, kRemote, "", set.connect_port};
      if (sc.args.size() > 3 && c->op != Op::kWrite && c->op != Op::kRead) {
        return MsgFlags(sc, sc.args[3], &c->flags);
      }
      return Status::Ok();
    case Op::kSetsockopt:
    case Op::kGetsockopt: return SockoptArgs(sc, c, x, has_x);
    case Op::kPoll: return PollArgs(sc, c, x, has_x);
    case Op::kShutdown:
      c->how = HasSymbol(sc.args.size() > 1 ? sc.args[1] : Expr{}, "SHUT_RD")   ? 0
               : HasSymbol(sc.args.size() > 1 ? sc.args[1] : Expr{}, "SHUT_WR") ? 1
                                                                                : 2;
      return Status::Ok();
    case Op::kSendmsg:
    case Op::kRecvmsg: return MsgArgs(sc, set, c, x, has_x);
    case Op::kWritev:
    case Op::kReadv:
      if (sc.args.size() < 2) return ErrorAt(sc.name_loc, sc.name + ": expected (fd, iov, iovcnt)");
      return IovSizes(sc, sc.args[1], &c->iov);
    default: return MoreCallArgs(sc, c, x, has_x);
  }
}

Status Translator::CallOf(const Event& e, const Syscall& sc, int64_t at) {
  Pace(e.loc, at);
  CallStep s;
  s.host = kHost;
  s.expect.loc = sc.result.loc;
  Status st = CallArgs(sc, set_, &s.call, &s.expect, &s.has_expect);
  if (!st.ok()) return st;
  RenameFds(&s);
  const bool creates = s.call.op == Op::kSocket || s.call.op == Op::kAccept ||
                       s.call.op == Op::kEpollCreate || s.call.op == Op::kOpen;
  if (s.call.op == Op::kPipe && sc.errno_name.empty()) {  // pipe([R, W]): both new fds
    s.call.as = NewFdName(sc.args[0].elems[0].num);
    s.call.as_write = NewFdName(sc.args[0].elems[1].num);
  }
  const Expr& r = sc.result;
  if (!sc.errno_name.empty()) {
    std::optional<int> err = ErrnoFromName(sc.errno_name);
    if (!err) return ErrorAt(r.loc, fmt::format("{}: unknown errno {}", sc.name, sc.errno_name));
    s.expect.errnos = {*err};
    s.expect.ret_kind = Expect::RetKind::kError;
    s.has_expect = true;
    if (creates) s.call.as = fmt::format("fd_{}_failed", c_.steps.size() + 1);
  } else if (r.kind == Expr::Kind::kInt && creates) {
    s.call.as = NewFdName(r.num);
  } else if (r.kind == Expr::Kind::kInt &&
             !(s.call.op == Op::kFcntl && s.call.fcntl_cmd == "getfl")) {
    s.expect.ret_kind = Expect::RetKind::kValue;
    s.expect.ret_value = r.num;
    s.has_expect = true;
  } else if (r.kind != Expr::Kind::kEllipsis && r.kind != Expr::Kind::kInt) {
    return Unsupported(sc, r, "result");
  }
  NoteSocket(s.call, s.expect);
  if (e.time.blocking_end_usecs) {
    const int64_t end = e.time.kind == Time::Kind::kRelative
                            ? last_usecs_ + *e.time.blocking_end_usecs
                            : *e.time.blocking_end_usecs;
    const int64_t d = end - at;
    const int64_t tol = set_.ToleranceFor(d);
    s.async = true;
    s.id = fmt::format("call{}", ++async_);
    s.expect.took =
        DurationRange{microseconds(std::max<int64_t>(0, d - tol)), microseconds(d + tol)};
    s.has_expect = true;
    pending_.push_back(Pending{s.id, end, e.loc, c_.steps.size(), at});
    std::sort(pending_.begin(), pending_.end(),
              [](const Pending& a, const Pending& b) { return a.end_usecs < b.end_usecs; });
  }
  // An async call's event is its return (the await's script time).
  const bool timed = !s.async && e.time.kind != Time::Kind::kAny;
  Push(e.loc, std::move(s), timed ? std::optional<int64_t>(at) : std::nullopt);
  return Status::Ok();
}

}  // namespace

StatusOr<Case> TranslateScript(const Script& script, const PktRunOptions& options) {
  return Translator(script, options).Run();
}

}  // namespace faultline::pkt
