#include "harness/packet/script_packet.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "harness/packet/byte_order.h"
#include "harness/packet/checksum.h"
#include "harness/packet/conn_track.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/tcp_options.h"

namespace faultline {
namespace {

// ------------------------------------------------------------- building --

// A host's name for `a` as the script knows it ("" when none).
std::string NameOf(const IpAddr& a, const ScriptConn& c) {
  if (a == c.local && !c.local_host.empty()) return c.local_host;
  if (a == c.remote && !c.remote_host.empty()) return c.remote_host;
  auto it = c.host_names.find(a);
  return it == c.host_names.end() ? std::string() : it->second;
}

bool RemoteKnown(const ScriptConn& c) { return c.remote != IpAddr{.v6 = c.remote.v6}; }

std::string RemoteName(const ScriptConn& c) {
  if (!c.remote_host.empty()) return c.remote_host;
  const std::string n = NameOf(c.remote, c);
  return n.empty() ? c.remote.ToString() : n;
}

Status NotKnown(const char* field, const ScriptConn& c, const char* raw_key) {
  return Status::Invalid(fmt::format(
      "{} is relative to the ISN of {}, which no packet of {} has shown yet (write {}: N)", field,
      RemoteName(c), RemoteName(c), raw_key));
}

// The one value of a crafted packet's field.
StatusOr<int64_t> One(const char* key, const IntRange& r) {
  if (r.lo != r.hi) {
    return Status::Invalid(
        fmt::format("{}: a crafted packet's value is one number, not a range", key));
  }
  return r.lo;
}

#define FL_ASSIGN_ONE(var, key, range)        \
  int64_t var = 0;                            \
  {                                           \
    StatusOr<int64_t> one_ = One(key, range); \
    if (!one_.ok()) return one_.status();     \
    var = *one_;                              \
  }

StatusOr<IpFields> CraftIp(const PacketFields& f, bool v6) {
  if (v6 && (f.df || f.ip_id)) {
    return Status::Invalid(
        fmt::format("{} is an IPv4 header field; this variant is ipv6 (families: [ipv4])",
                    f.df ? "df" : "ip-id"));
  }
  IpFields ip;
  if (f.ttl) {
    FL_ASSIGN_ONE(ttl, "ttl", *f.ttl);
    ip.ttl = static_cast<uint8_t>(ttl);
  }
  if (f.dscp) {
    FL_ASSIGN_ONE(dscp, "dscp", *f.dscp);
    ip.dscp = static_cast<uint8_t>(dscp);
  }
  if (f.ecn) {
    FL_ASSIGN_ONE(ecn, "ecn", *f.ecn);
    ip.ecn = static_cast<uint8_t>(ecn);
  }
  if (f.df) ip.df = *f.df;
  if (f.ip_id) {
    FL_ASSIGN_ONE(id, "ip-id", *f.ip_id);
    ip.ip_id = static_cast<uint16_t>(id);
  }
  return ip;
}

StatusOr<std::string> CraftPayload(const PacketFields& f) {
  if (f.data) return *f.data;
  std::string p;
  if (f.length) {
    FL_ASSIGN_ONE(n, "length", *f.length);
    for (int64_t i = 0; i < n; ++i) p.push_back(static_cast<char>('a' + i % 26));
  }
  return p;
}

std::vector<uint8_t> Bytes(const std::optional<std::string>& s) {
  if (!s) return {};
  return std::vector<uint8_t>(s->begin(), s->end());
}

StatusOr<TcpOption> CraftOption(const OptionSpec& o, const ScriptConn& c) {
  switch (o.kind) {
    case kTcpOptEol: return TcpOption::Eol();
    case kTcpOptNop: return TcpOption::Nop();
    case kTcpOptMss: return TcpOption::Mss(static_cast<uint16_t>(o.value.value_or(0)));
    case kTcpOptWindowScale:
      return TcpOption::WindowScale(static_cast<uint8_t>(o.value.value_or(0)));
    case kTcpOptSackPermitted: return TcpOption::SackPermitted();
    case kTcpOptSack: {
      if (!c.remote_isn_known) return NotKnown("sack", c, "a raw sack");
      std::vector<SackBlock> blocks;
      for (const auto& [l, r] : o.sack) {
        blocks.push_back(
            {static_cast<uint32_t>(c.remote_isn + l), static_cast<uint32_t>(c.remote_isn + r)});
      }
      return TcpOption::Sack(std::move(blocks));
    }
    case kTcpOptTimestamp: {
      int64_t val = 0, ecr = 0;
      if (o.ts_val) {
        FL_ASSIGN_ONE(v, "ts val", *o.ts_val);
        val = v;
      }
      if (o.ts_ecr_echo) {
        if (!c.remote_ts_known) {
          return Status::Invalid(fmt::format(
              "ts: ecr echo sends the last TS val of {}, which no packet of {} has carried yet",
              RemoteName(c), RemoteName(c)));
        }
        ecr = c.remote_last_ts;
      } else if (o.ts_ecr) {
        FL_ASSIGN_ONE(e, "ts ecr", *o.ts_ecr);
        ecr = e;
      }
      return TcpOption::Timestamp(static_cast<uint32_t>(val), static_cast<uint32_t>(ecr));
    }
    case kTcpOptFastOpen: return TcpOption::FastOpen(Bytes(o.bytes));
    default: return TcpOption::Unknown(o.kind, Bytes(o.bytes));
  }
}

// seq and ack of a crafted TCP segment.
Status CraftSeqAck(const PacketFields& f, const ScriptConn& c, SegmentSpec& s) {
  s.seq = c.local_nxt;
  if (f.raw_seq) {
    FL_ASSIGN_ONE(v, "raw-seq", *f.raw_seq);
    s.seq = static_cast<uint32_t>(v);
  } else if (f.seq) {
    FL_ASSIGN_ONE(v, "seq", *f.seq);
    s.seq = static_cast<uint32_t>(c.local_isn + v);
  }
  if (f.raw_ack) {
    FL_ASSIGN_ONE(v, "raw-ack", *f.raw_ack);
    s.ack = static_cast<uint32_t>(v);
  } else if (f.ack) {
    FL_ASSIGN_ONE(v, "ack", *f.ack);
    if (!c.remote_isn_known) return NotKnown("ack", c, "raw-ack");
    s.ack = static_cast<uint32_t>(c.remote_isn + v);
  } else if ((s.flags & kTcpAck) != 0) {
    if (!c.remote_isn_known) return NotKnown("ack", c, "raw-ack");
    s.ack = c.remote_nxt;
  }
  return Status::Ok();
}

StatusOr<SegmentSpec> CraftTcp(const PacketFields& f, const ScriptConn& c) {
  SegmentSpec s;
  s.proto = 6;
  s.flags = f.flags.value_or(kTcpAck);
  FL_RETURN_IF_ERROR(CraftSeqAck(f, c, s));
  if (f.win) {
    FL_ASSIGN_ONE(w, "win", *f.win);
    s.window = static_cast<uint16_t>(w);
  }
  if (f.urg) {
    FL_ASSIGN_ONE(u, "urg", *f.urg);
    s.urg_ptr = static_cast<uint16_t>(u);
  }
  if (f.options) {
    for (const OptionSpec& o : *f.options) {
      StatusOr<TcpOption> opt = CraftOption(o, c);
      if (!opt.ok()) return opt.status();
      s.options.push_back(std::move(*opt));
    }
  }
  return s;
}

constexpr int64_t kCodeProtocol = 2;  // IPv4 unreachable "protocol"

// ICMP type and code numbers of `spec` in the family `v6` (RFC 792, 1191,
// 4443). packet-too-big in IPv4 is unreachable frag-needed; unreachable
// frag-needed in IPv6 is packet-too-big (one case, both families). Codes
// are IPv4 numbers (as the loader maps names) translated to ICMPv6's
// destination-unreachable codes; protocol (2) has none: kInvalidInput.
StatusOr<std::pair<uint8_t, uint8_t>> IcmpNumbers(const IcmpSpec& spec, bool v6) {
  using P = std::pair<uint8_t, uint8_t>;
  const int64_t code = spec.code.value_or(0);
  const std::string& t = spec.type;
  if (t == "echo-request") return P{v6 ? 128 : 8, 0};
  if (t == "echo-reply") return P{v6 ? 129 : 0, 0};
  if (t == "time-exceeded") return P{v6 ? 3 : 11, static_cast<uint8_t>(code)};
  if (t == "parameter-problem") return P{v6 ? 4 : 12, static_cast<uint8_t>(code)};
  const bool too_big = t == "packet-too-big" || (t == "unreachable" && code == 4);
  if (too_big) return v6 ? P{2, 0} : P{3, 4};
  if (!v6) return P{3, static_cast<uint8_t>(code)};
  switch (code) {
    case 0: return P{1, 0};   // net: no route to destination
    case 1: return P{1, 3};   // host: address unreachable
    case 3: return P{1, 4};   // port unreachable
    case 13: return P{1, 1};  // admin: administratively prohibited
    case kCodeProtocol:
      return Status::Invalid(
          "icmp: unreachable code protocol (2) has no ICMPv6 form (RFC 4443: an unrecognised "
          "next header is parameter-problem code 1); this variant is ipv6 (families: [ipv4])");
    default: return P{1, static_cast<uint8_t>(code)};
  }
}

StatusOr<std::vector<uint8_t>> CraftIcmp(const PacketFields& f, const ScriptConn& c,
                                         const IpFields& ip) {
  StatusOr<std::pair<uint8_t, uint8_t>> numbers = IcmpNumbers(*f.icmp, c.local.v6);
  if (!numbers.ok()) return numbers.status();
  const auto [type, code] = *numbers;
  IcmpErrorSpec e;
  e.src = c.local;
  e.dst = c.remote;
  e.type = type;
  e.code = code;
  e.mtu = static_cast<uint32_t>(f.icmp->mtu.value_or(0));
  e.ip = ip;
  const bool echo = f.icmp->type == "echo-request" || f.icmp->type == "echo-reply";
  StatusOr<std::string> payload = CraftPayload(f);
  if (!payload.ok()) return payload.status();
  const std::vector<uint8_t> echo_data(payload->begin(), payload->end());
  if (echo) {
    e.quoted = echo_data;
  } else if (c.last_remote_packet.empty()) {
    return Status::Invalid(fmt::format(
        "icmp: an ICMP error quotes the last packet of {} on conn '{}', and {} has sent none yet",
        RemoteName(c), c.name, RemoteName(c)));
  } else {
    e.quoted = c.last_remote_packet;
  }
  std::vector<uint8_t> b = BuildIcmpError(e);
  if (echo) {  // identifier: the scripted host's port; sequence number 1
    const size_t l4 = c.local.v6 ? 40 : 20;
    Put16(b.data() + l4 + 4, c.local_port);
    Put16(b.data() + l4 + 6, 1);
    FixChecksums(b);
  }
  return b;
}

// ------------------------------------------------------------- checking --

struct Mismatch {
  std::string field, expected, actual;
};

// What relative values are relative to (unset: a relative field does not hold).
struct Bases {
  std::optional<uint32_t> rel_seq, rel_ack;
  std::optional<uint32_t> ts_val_base;  // subtracted from the TS val (unset: raw)
  std::optional<uint32_t> sack_base;    // subtracted from SACK edges (unset: raw)
};

std::string Quoted(std::span<const uint8_t> b) {
  std::string s = "\"";
  for (uint8_t ch : b) {
    if (ch == '"' || ch == '\\') {
      s += '\\';
      s += static_cast<char>(ch);
    } else if (std::isprint(ch) != 0) {
      s += static_cast<char>(ch);
    } else {
      s += fmt::format("\\x{:02x}", ch);
    }
  }
  return s + "\"";
}

std::string FlagText(uint8_t flags) {
  PacketView v;
  v.ok = true;
  v.l4_proto = 6;
  v.tcp_flags = flags;
  return v.FlagString();
}

std::string ProtoText(PacketFields::L4 p) {
  switch (p) {
    case PacketFields::L4::kTcp: return "tcp";
    case PacketFields::L4::kUdp: return "udp";
    case PacketFields::L4::kIcmp: return "icmp";
    case PacketFields::L4::kAny: break;
  }
  return "any";
}

bool UsesTcpKeys(const PacketFields& f) {
  return f.flags || f.seq || f.ack || f.raw_seq || f.raw_ack || f.win || f.urg || f.options;
}

std::optional<Mismatch> RangeMiss(const char* field, const std::optional<IntRange>& want,
                                  std::optional<int64_t> got, const std::string& unknown = "?") {
  if (!want) return std::nullopt;
  if (got && want->Contains(*got)) return std::nullopt;
  return Mismatch{field, want->ToString(), got ? std::to_string(*got) : unknown};
}

std::optional<Mismatch> ProtoMiss(const PacketFields& f, const PacketView& v) {
  PacketFields::L4 want = f.proto;
  if (want == PacketFields::L4::kAny && UsesTcpKeys(f)) want = PacketFields::L4::kTcp;
  if (want == PacketFields::L4::kAny && f.icmp) want = PacketFields::L4::kIcmp;
  const bool ok = want == PacketFields::L4::kAny ||
                  (want == PacketFields::L4::kTcp && v.is_tcp() && !v.is_fragment) ||
                  (want == PacketFields::L4::kUdp && v.is_udp() && !v.is_fragment) ||
                  (want == PacketFields::L4::kIcmp && v.is_icmp());
  if (ok) return std::nullopt;
  return Mismatch{"proto", ProtoText(want), v.ProtoName()};
}

std::optional<Mismatch> TcpHeaderMiss(const PacketFields& f, const PacketView& v, const Bases& b) {
  if (f.flags && *f.flags != v.tcp_flags) {
    return Mismatch{"flags", FlagText(*f.flags), v.FlagString()};
  }
  if (f.seq) {
    std::optional<int64_t> got;
    if (b.rel_seq) got = *b.rel_seq;
    if (auto m = RangeMiss("seq", f.seq, got, fmt::format("raw {} (ISN not known)", v.seq)))
      return m;
  }
  if (auto m = RangeMiss("raw-seq", f.raw_seq, v.seq)) return m;
  if (f.ack) {
    std::optional<int64_t> got;
    if (b.rel_ack) got = *b.rel_ack;
    if (auto m = RangeMiss("ack", f.ack, got, fmt::format("raw {} (ISN not known)", v.ack)))
      return m;
  }
  if (auto m = RangeMiss("raw-ack", f.raw_ack, v.ack)) return m;
  if (auto m = RangeMiss("win", f.win, v.window)) return m;
  return RangeMiss("urg", f.urg, v.urg_ptr);
}

std::string OptionsText(const std::vector<OptionSpec>& opts) {
  std::string s = "<";
  for (size_t i = 0; i < opts.size(); ++i) s += (i ? "," : "") + opts[i].ToString();
  return s + ">";
}

std::string SackText(const std::vector<std::pair<int64_t, int64_t>>& blocks) {
  std::string s;
  for (const auto& [l, r] : blocks) s += fmt::format("{}{{{}:{}}}", s.empty() ? "" : " ", l, r);
  return s;
}

// The values of one expected option against the option the packet carries
// (same kind).
std::optional<Mismatch> OptionValueMiss(const OptionSpec& o, const TcpOption& got, const Bases& b) {
  const std::vector<uint8_t> want_bytes = Bytes(o.bytes);
  switch (o.kind) {
    case kTcpOptMss:
      if (o.value && *o.value != got.mss)
        return Mismatch{"mss", std::to_string(*o.value), std::to_string(got.mss)};
      return std::nullopt;
    case kTcpOptWindowScale:
      if (o.value && *o.value != got.wscale) {
        return Mismatch{"wscale", std::to_string(*o.value), std::to_string(got.wscale)};
      }
      return std::nullopt;
    case kTcpOptTimestamp: {
      const int64_t val = static_cast<uint32_t>(got.ts_val - b.ts_val_base.value_or(0));
      if (auto m = RangeMiss("TS val", o.ts_val, val)) return m;
      return RangeMiss("TS ecr", o.ts_ecr, got.ts_ecr);
    }
    case kTcpOptSack: {
      std::vector<std::pair<int64_t, int64_t>> have;
      for (const SackBlock& s : got.sack) {
        have.emplace_back(static_cast<uint32_t>(s.left - b.sack_base.value_or(0)),
                          static_cast<uint32_t>(s.right - b.sack_base.value_or(0)));
      }
      if (have != o.sack) return Mismatch{"sack", SackText(o.sack), SackText(have)};
      return std::nullopt;
    }
    case kTcpOptEol:
    case kTcpOptNop:
    case kTcpOptSackPermitted: return std::nullopt;
    default:
      if (o.bytes && want_bytes != got.data) {
        return Mismatch{o.kind == kTcpOptFastOpen ? "tfo" : fmt::format("opt-{}", o.kind),
                        Quoted(want_bytes), Quoted(got.data)};
      }
      return std::nullopt;
  }
}

std::optional<Mismatch> OptionsMiss(const std::vector<OptionSpec>& want, const PacketView& v,
                                    std::span<const uint8_t> bytes, const Bases& b) {
  if (v.tcp_options_offset + v.tcp_options_len > bytes.size()) {
    return Mismatch{"options", OptionsText(want), "? (bytes not kept)"};
  }
  std::vector<TcpOption> got = v.TcpOptions(bytes).options;
  const bool want_eol = std::any_of(want.begin(), want.end(),
                                    [](const OptionSpec& o) { return o.kind == kTcpOptEol; });
  if (!want_eol && !got.empty() && got.back().kind == kTcpOptEol) got.pop_back();  // padding
  bool kinds_ok = got.size() == want.size();
  for (size_t i = 0; kinds_ok && i < want.size(); ++i) kinds_ok = want[i].kind == got[i].kind;
  if (!kinds_ok) {
    const std::string actual = FormatTcpOptions(v.TcpOptionBytes(bytes));
    return Mismatch{"options", OptionsText(want), actual.empty() ? "<>" : actual};
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (auto m = OptionValueMiss(want[i], got[i], b)) return m;
  }
  return std::nullopt;
}

std::optional<Mismatch> PayloadMiss(const PacketFields& f, const PacketView& v,
                                    std::span<const uint8_t> bytes) {
  if (auto m = RangeMiss("length", f.length, v.payload_len)) return m;
  if (!f.data) return std::nullopt;
  const std::vector<uint8_t> want = Bytes(f.data);
  if (v.payload_offset + v.payload_len > bytes.size()) {
    return Mismatch{"data", Quoted(want), "? (bytes not kept)"};
  }
  std::span<const uint8_t> got = bytes.subspan(v.payload_offset, v.payload_len);
  if (!std::equal(want.begin(), want.end(), got.begin(), got.end())) {
    return Mismatch{"data", Quoted(want), Quoted(got)};
  }
  return std::nullopt;
}

std::optional<Mismatch> IpMiss(const PacketFields& f, const PacketView& v) {
  if (auto m = RangeMiss("ttl", f.ttl, v.ttl)) return m;
  if (auto m = RangeMiss("dscp", f.dscp, v.dscp)) return m;
  if (auto m = RangeMiss("ecn", f.ecn, v.ecn)) return m;
  const std::string v6 = "none (ipv6)";
  if (f.df && (v.v6 || *f.df != v.df)) {
    return Mismatch{"df", *f.df ? "true" : "false", v.v6 ? v6 : (v.df ? "true" : "false")};
  }
  if (f.ip_id) {
    std::optional<int64_t> id;
    if (!v.v6) id = v.ip_id;
    return RangeMiss("ip-id", f.ip_id, id, v6);
  }
  return std::nullopt;
}

std::optional<Mismatch> IcmpMiss(const IcmpSpec& want, const PacketView& v) {
  const std::string actual = IcmpText(v.v6, v.icmp_type, v.icmp_code, v.icmp_mtu);
  StatusOr<std::pair<uint8_t, uint8_t>> numbers = IcmpNumbers(want, v.v6);
  if (!numbers.ok()) return Mismatch{"icmp", "unreachable protocol (no ICMPv6 code)", actual};
  const auto [type, code] = *numbers;
  const bool too_big = (v.v6 && type == 2) || (!v.v6 && type == 3 && code == 4);
  std::string expected = want.type;
  if (want.code && !too_big) expected += fmt::format(" code {}", *want.code);
  if (want.mtu) expected += fmt::format(" mtu {}", *want.mtu);
  const bool type_ok = v.icmp_type == type && (!(want.code || too_big) || v.icmp_code == code);
  const bool mtu_ok = !want.mtu || static_cast<int64_t>(v.icmp_mtu) == *want.mtu;
  if (type_ok && mtu_ok) return std::nullopt;
  return Mismatch{"icmp", expected, actual};
}

std::optional<Mismatch> FirstMismatch(const PacketFields& f, const PacketView& v,
                                      std::span<const uint8_t> bytes, const Bases& b) {
  if (!v.ok) return Mismatch{"packet", "a parsed packet", "unparsed: " + v.error};
  if (auto m = ProtoMiss(f, v)) return m;
  if (v.is_tcp() && !v.is_fragment) {
    if (auto m = TcpHeaderMiss(f, v, b)) return m;
    if (f.options) {
      if (auto m = OptionsMiss(*f.options, v, bytes, b)) return m;
    }
  }
  if (auto m = PayloadMiss(f, v, bytes)) return m;
  if (auto m = IpMiss(f, v)) return m;
  if (f.icmp) return IcmpMiss(*f.icmp, v);
  return std::nullopt;
}

// "name:port" of one end as the script knows it ("*" for unknown parts).
std::string EndText(const IpAddr& a, bool addr_known, uint16_t port, const ScriptConn& c) {
  std::string host = "*";
  if (addr_known) {
    host = NameOf(a, c);
    if (host.empty()) host = a.v6 ? "[" + a.ToString() + "]" : a.ToString();
  }
  return port == 0 ? host + ":*" : fmt::format("{}:{}", host, port);
}

// Whether the packet belongs to c's connection, as far as c knows it: to
// c.local:c.local_port, from c.remote:c.remote_port once those are known.
// Ports only for TCP and UDP (an ICMP error: addresses only).
std::optional<Mismatch> ConnectionMiss(const PacketView& v, const ScriptConn& c) {
  const bool ports = (v.is_tcp() || v.is_udp()) && !v.is_fragment;
  const bool remote_known = RemoteKnown(c);
  bool ok = v.dst == c.local && (!remote_known || v.src == c.remote);
  if (ports) {
    ok = ok && v.dport == c.local_port && (c.remote_port == 0 || v.sport == c.remote_port);
  }
  if (ok) return std::nullopt;
  const std::string expected = EndText(c.remote, remote_known, ports ? c.remote_port : 0, c) +
                               " > " + EndText(c.local, true, ports ? c.local_port : 0, c);
  const std::string actual = EndText(v.src, true, ports ? v.sport : 0, c) + " > " +
                             EndText(v.dst, true, ports ? v.dport : 0, c);
  return Mismatch{"connection", expected, actual};
}

// The stack's window scale, learned from its SYN; applies to its later
// segments when both SYNs carried one (RFC 7323 2.2).
void LearnWindow(const PacketView& v, const std::vector<TcpOption>& opts, ScriptConn& c) {
  if (v.has(kTcpSyn)) {
    for (const TcpOption& o : opts) {
      if (o.kind == kTcpOptWindowScale) c.remote_wscale = std::min<int>(o.wscale, 14);
    }
  }
  if (!v.has(kTcpAck)) return;
  const int shift =
      !v.has(kTcpSyn) && c.local_wscale_sent && c.remote_wscale >= 0 ? c.remote_wscale : 0;
  c.remote_window_known = true;
  c.remote_window_edge = v.ack + (static_cast<uint32_t>(v.window) << shift);
}

// What a packet of the stack teaches the script's connection.
void Learn(const PacketView& v, std::span<const uint8_t> bytes, ScriptConn& c) {
  c.last_remote_packet.assign(bytes.begin(), bytes.end());
  if (!v.is_tcp() && !v.is_udp()) return;
  if (v.is_fragment) return;
  if (c.remote_port == 0) c.remote_port = v.sport;
  if (!RemoteKnown(c)) c.remote = v.src;
  if (c.remote_host.empty()) c.remote_host = NameOf(c.remote, c);
  if (!v.is_tcp()) return;
  const uint32_t end = v.seq + v.payload_len + (v.has(kTcpSyn) ? 1 : 0) + (v.has(kTcpFin) ? 1 : 0);
  if (v.has(kTcpSyn)) {
    c.remote_isn_known = true;
    c.remote_isn = v.seq;
    c.remote_nxt = end;
  } else if (c.remote_isn_known && SeqAfter(end, c.remote_nxt)) {
    c.remote_nxt = end;
  }
  if (v.tcp_options_offset + v.tcp_options_len > bytes.size()) return;
  const std::vector<TcpOption> opts = v.TcpOptions(bytes).options;
  LearnWindow(v, opts, c);
  for (const TcpOption& o : opts) {
    if (o.kind != kTcpOptTimestamp) continue;
    if (!c.remote_ts_known) c.remote_first_ts = o.ts_val;
    c.remote_ts_known = true;
    c.remote_last_ts = o.ts_val;
  }
}

// Moves c.local_nxt past a segment the script sends (ScriptConn::local_nxt).
void AdvanceLocal(const SegmentSpec& s, const std::vector<OptionSpec>* opts, ScriptConn& c) {
  const bool syn = (s.flags & kTcpSyn) != 0;
  const uint32_t end = s.seq + static_cast<uint32_t>(s.payload.size()) + (syn ? 1 : 0) +
                       ((s.flags & kTcpFin) ? 1 : 0);
  if (syn) {
    if (c.local_syn_sent) return;  // a SYN on an open connection is a probe
    c.local_syn_sent = true;
    c.local_wscale_sent =
        opts != nullptr && std::any_of(opts->begin(), opts->end(), [](const OptionSpec& o) {
          return o.kind == kTcpOptWindowScale;
        });
    c.local_nxt = end;
    return;
  }
  if ((s.flags & kTcpRst) != 0 || !SeqAfter(end, c.local_nxt)) return;
  const uint32_t ahead = s.seq - c.local_nxt;
  if (ahead >= 0x80000000u) return;  // an old (or overlapping) seq
  if (ahead > 0 && !(c.remote_window_known && !SeqAfter(s.seq, c.remote_window_edge) &&
                     s.seq != c.remote_window_edge)) {
    return;  // a forward send beyond the stack's window (or no window known)
  }
  c.local_nxt = end;
}

}  // namespace

StatusOr<std::vector<uint8_t>> BuildScripted(const PacketFields& f, ScriptConn& c) {
  StatusOr<IpFields> ip = CraftIp(f, c.local.v6);
  if (!ip.ok()) return ip.status();
  if (f.icmp) return CraftIcmp(f, c, *ip);
  StatusOr<std::string> payload = CraftPayload(f);
  if (!payload.ok()) return payload.status();
  SegmentSpec s;
  if (f.proto == PacketFields::L4::kUdp) {
    s.proto = 17;
  } else {
    StatusOr<SegmentSpec> tcp = CraftTcp(f, c);
    if (!tcp.ok()) return tcp.status();
    s = std::move(*tcp);
  }
  s.src = c.local;
  s.dst = c.remote;
  s.sport = c.local_port;
  s.dport = c.remote_port;
  s.payload = std::move(*payload);
  s.ip = *ip;
  if (s.proto == 6) AdvanceLocal(s, f.options ? &*f.options : nullptr, c);
  return BuildSegment(s);
}

Verdict CheckScripted(const PacketFields& f, std::span<const uint8_t> bytes, ScriptConn& c) {
  const PacketView v = ParsePacket(bytes);
  if (f.icmp) {
    StatusOr<std::pair<uint8_t, uint8_t>> numbers = IcmpNumbers(*f.icmp, c.local.v6);
    if (!numbers.ok()) return Verdict::Error(numbers.status().message());
  }
  std::optional<Mismatch> m;
  if (v.ok) m = ConnectionMiss(v, c);
  if (v.ok && !m) Learn(v, bytes, c);
  const std::string expected = f.ToString();
  const std::string actual = ScriptedLine(bytes, c);
  const ChecksumCheck sums = VerifyChecksums(bytes);
  // A checksum left for the sender's offload (lab hosts with `offloads:
  // true`) is not a bad one: the NIC would have filled it in.
  if (!m && v.ok && sums.checked && !sums.ok() && !(sums.ip_ok && sums.transport_partial)) {
    m = Mismatch{"checksum", "",
                 sums.ip_ok ? fmt::format("bad {} checksum", v.ProtoName()) : "bad ip checksum"};
  } else if (!m) {
    Bases b;
    if (c.remote_isn_known && v.is_tcp()) b.rel_seq = v.seq - c.remote_isn;
    if (v.is_tcp()) b.rel_ack = v.ack - c.local_isn;
    if (c.remote_ts_known) b.ts_val_base = c.remote_first_ts;
    b.sack_base = c.local_isn;
    m = FirstMismatch(f, v, bytes, b);
  }
  if (!m) return Verdict::Pass(expected, actual);
  const std::string detail = m->expected.empty() ? fmt::format("{}: {}", m->field, m->actual)
                                                 : fmt::format("{}: expected {} vs actual {}",
                                                               m->field, m->expected, m->actual);
  return Verdict::Fail(expected, actual,
                       fmt::format("expected {} vs actual {} ({})", expected, actual, detail));
}

bool FieldsHold(const PacketFields& f, const PacketView& v, std::span<const uint8_t> bytes,
                std::optional<uint32_t> rel_seq, std::optional<uint32_t> rel_ack) {
  Bases b;
  b.rel_seq = rel_seq;
  b.rel_ack = rel_ack;
  return !FirstMismatch(f, v, bytes, b);
}

std::string ScriptedLine(std::span<const uint8_t> bytes, const ScriptConn& c) {
  const PacketView v = ParsePacket(bytes);
  DumpContext cx;
  cx.name = [&c](const IpAddr& a) { return NameOf(a, c); };
  if (v.ok && v.is_tcp() && !v.is_fragment) {
    if (v.src == c.local) {
      cx.rel_seq = v.seq - c.local_isn;
      if (c.remote_isn_known) cx.rel_ack = v.ack - c.remote_isn;
    } else {
      if (c.remote_isn_known) cx.rel_seq = v.seq - c.remote_isn;
      cx.rel_ack = v.ack - c.local_isn;
    }
  }
  return DumpPacket(bytes, v, cx);
}

}  // namespace faultline
