#include "harness/packet/packet_dump.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "harness/packet/tcp_options.h"

namespace faultline {
namespace {

std::string Unreachable(bool v6, uint8_t code, uint32_t mtu) {
  static constexpr std::array<const char*, 4> kV4 = {"net", "host", "protocol", "port"};
  static constexpr std::array<const char*, 7> kV6 = {
      "no-route", "admin-prohibited", "beyond-scope", "address", "port", "policy", "reject-route"};
  if (!v6 && code == 4) return fmt::format("unreachable frag-needed mtu {}", mtu);
  if (!v6 && code == 13) return "unreachable admin-prohibited";
  if (!v6 && code < kV4.size()) return fmt::format("unreachable {}", kV4[code]);
  if (v6 && code < kV6.size()) return fmt::format("unreachable {}", kV6[code]);
  return fmt::format("unreachable code {}", code);
}

std::string TimeExceeded(bool v6, uint8_t code) {
  if (code == 0) return v6 ? "time-exceeded hop-limit" : "time-exceeded ttl";
  if (code == 1) return "time-exceeded reassembly";
  return fmt::format("time-exceeded code {}", code);
}

std::string HostPort(std::string_view host, uint16_t port, bool ports) {
  const std::string_view h = host.empty() ? std::string_view("?") : host;
  return ports ? fmt::format("{}:{}", h, port) : std::string(h);
}

std::string AddrName(const IpAddr& a, const DumpContext& cx) {
  std::string n = cx.name ? cx.name(a) : "";
  return n.empty() ? a.ToString() : n;
}

// A quoted packet: addresses, ports, protocol and (TCP) raw seq; no lengths,
// since the quote is cut short.
std::string QuoteLine(std::span<const uint8_t> bytes, const PacketView& outer,
                      const DumpContext& cx) {
  PacketView q = ParseIcmpQuote(bytes, outer);
  if (!q.ok) return "";
  const bool ports = (q.is_tcp() || q.is_udp()) && !q.is_fragment;
  std::string s = fmt::format("{} > {} {}", HostPort(AddrName(q.src, cx), q.sport, ports),
                              HostPort(AddrName(q.dst, cx), q.dport, ports), q.ProtoName());
  if (q.is_tcp() && !q.is_fragment) s += fmt::format(" seq {}", q.seq);
  return s;
}

}  // namespace

std::string IcmpText(bool v6, uint8_t type, uint8_t code, uint32_t mtu) {
  if (!v6) {
    switch (type) {
      case 0: return "echo reply";
      case 8: return "echo request";
      case 3: return Unreachable(false, code, mtu);
      case 11: return TimeExceeded(false, code);
      case 12: return "param-problem";
      default: break;
    }
  } else {
    switch (type) {
      case 1: return Unreachable(true, code, mtu);
      case 2: return fmt::format("packet-too-big mtu {}", mtu);
      case 3: return TimeExceeded(true, code);
      case 4: return "param-problem";
      case 128: return "echo request";
      case 129: return "echo reply";
      case 133: return "router-solicit";
      case 134: return "router-advert";
      case 135: return "neighbor-solicit";
      case 136: return "neighbor-advert";
      default: break;
    }
  }
  return fmt::format("type {} code {}", type, code);
}

std::string FormatPacketLine(const PacketLine& l) {
  const bool tcp = l.proto == "tcp" && !l.fragment, udp = l.proto == "udp" && !l.fragment;
  const bool ports = tcp || udp;
  std::string s = fmt::format("{} > {} {}", HostPort(l.from, l.sport, ports),
                              HostPort(l.to, l.dport, ports), l.proto);
  if (tcp) {
    s += fmt::format(" {} seq {}", l.flags, l.seq);
    if (l.show_ack) s += fmt::format(" ack {}", l.ack);
    s += fmt::format(" win {}", l.window);
    const std::string opts = FormatTcpOptions(l.tcp_options);
    if (!opts.empty()) s += " " + opts;
  } else if (l.fragment) {
    s += " frag";
  } else if (l.proto == "icmp" || l.proto == "icmpv6") {
    s += " " + IcmpText(l.proto == "icmpv6", l.icmp_type, l.icmp_code, l.icmp_mtu);
    if (!l.quote.empty()) s += fmt::format(" for {}", l.quote);
  }
  s += fmt::format(" len {}", l.len);
  if (l.fault != 0) s += fmt::format(" [fault {}: {}]", l.fault, l.action);
  return s;
}

std::string DumpPacket(std::span<const uint8_t> bytes, const PacketView& v, const DumpContext& cx) {
  const std::string from = AddrName(v.src, cx), to = AddrName(v.dst, cx);
  if (!v.ok) {
    std::string s = fmt::format("{} > {} unparsed: {}", from, to, v.error);
    if (cx.fault != 0) s += fmt::format(" [fault {}: {}]", cx.fault, cx.action);
    return s;
  }
  const std::string flags = v.FlagString();
  const std::string quote = v.IsIcmpError() ? QuoteLine(bytes, v, cx) : "";
  PacketLine l;
  l.from = from;
  l.to = to;
  l.proto = v.ProtoName();
  l.fragment = v.is_fragment;
  l.sport = v.sport;
  l.dport = v.dport;
  l.flags = flags;
  l.show_ack = v.has(kTcpAck);
  // Relative numbers only when every number shown is known relatively (half
  // known: both raw), the rule the wire's records follow too.
  const bool relative = cx.rel_seq && (cx.rel_ack || !l.show_ack);
  l.seq = relative ? *cx.rel_seq : v.seq;
  l.ack = relative && cx.rel_ack ? *cx.rel_ack : v.ack;
  l.window = v.window;
  if (v.tcp_options_offset + v.tcp_options_len <= bytes.size()) {
    l.tcp_options = v.TcpOptionBytes(bytes);
  }
  l.icmp_type = v.icmp_type;
  l.icmp_code = v.icmp_code;
  l.icmp_mtu = v.icmp_mtu;
  l.quote = quote;
  l.len = v.payload_len;
  l.fault = cx.fault;
  l.action = cx.action;
  return FormatPacketLine(l);
}

std::string PacketRecordLine(const PacketRecord& r) {
  auto addr = [&](const std::array<uint8_t, 16>& a) {
    if (!r.has_addrs) return std::string();
    IpAddr ip;
    ip.v6 = r.v6;
    ip.bytes = a;
    return ip.ToString();
  };
  const std::string from = r.from.empty() ? addr(r.src_addr) : r.from;
  const std::string to = r.to.empty() ? addr(r.dst_addr) : r.to;
  PacketLine l;
  l.from = from;
  l.to = to;
  l.proto = r.proto;
  l.sport = r.sport;
  l.dport = r.dport;
  l.flags = r.flags;
  l.seq = r.has_rel ? r.rel_seq : r.seq;
  l.ack = r.has_rel ? r.rel_ack : r.ack;
  l.show_ack = r.flags.find('.') != std::string::npos;
  l.fragment = r.fragment;
  l.window = r.window;
  l.tcp_options = std::span<const uint8_t>(r.tcp_options.data(), r.tcp_options_len);
  l.icmp_type = r.icmp_type;
  l.icmp_code = r.icmp_code;
  l.icmp_mtu = r.icmp_mtu;
  l.len = r.payload_len;
  l.fault = r.fault;
  l.action = r.action;
  return FormatPacketLine(l);
}

void FillRecordHeaders(std::span<const uint8_t> bytes, const PacketView& v, PacketRecord* r) {
  r->v6 = v.v6;
  r->has_addrs = true;
  r->fragment = v.is_fragment;
  r->src_addr = v.src.bytes;
  r->dst_addr = v.dst.bytes;
  r->window = v.window;
  r->icmp_type = v.icmp_type;
  r->icmp_code = v.icmp_code;
  r->icmp_mtu = v.icmp_mtu;
  const size_t n = std::min<size_t>(v.tcp_options_len, r->tcp_options.size());
  r->tcp_options_len = 0;
  if (v.is_tcp() && n != 0 && v.tcp_options_offset + n <= bytes.size()) {
    std::copy_n(bytes.begin() + static_cast<long>(v.tcp_options_offset), n, r->tcp_options.begin());
    r->tcp_options_len = static_cast<uint8_t>(n);
  }
}

}  // namespace faultline
