#include "harness/packet/packet_view.h"

#include <arpa/inet.h>

#include <algorithm>

#include <fmt/format.h>

#include "harness/packet/byte_order.h"

namespace faultline {
namespace {

// `avail`: the transport bytes per the IP header; `cap`: how many of them
// the buffer holds (less than avail for a captured prefix only).
void ParseTcp(const uint8_t* p, size_t off, size_t avail, size_t cap, bool quoted, PacketView& v) {
  if (cap < avail && cap < 20) {
    v.error = fmt::format("TCP header not captured ({} of 20 bytes)", cap);
    return;
  }
  if (avail < 20 && !(quoted && avail >= 8)) {
    v.error = fmt::format("truncated TCP header ({} of 20 bytes)", avail);
    return;
  }
  v.sport = Be16(p);
  v.dport = Be16(p + 2);
  v.seq = Be32(p + 4);
  if (avail < 20) {  // a quote: as many fixed fields as there are
    if (avail >= 12) v.ack = Be32(p + 8);
    if (avail >= 14) v.tcp_flags = p[13];
    if (avail >= 16) v.window = Be16(p + 14);
    v.truncated = true;
    v.payload_offset = off + avail;
    v.ok = true;
    return;
  }
  const size_t doff = static_cast<size_t>(p[12] >> 4) * 4;
  if (doff <= avail && doff > cap) {
    v.sport = v.dport = 0;
    v.seq = 0;
    v.error = fmt::format("TCP header not captured ({} of {} bytes)", cap, doff);
    return;
  }
  if (doff < 20 || (doff > avail && !quoted)) {
    v.sport = v.dport = 0;
    v.seq = 0;
    v.error = fmt::format("bad TCP data offset {} ({} bytes available)", doff, avail);
    return;
  }
  v.ack = Be32(p + 8);
  v.tcp_flags = p[13];
  v.window = Be16(p + 14);
  v.urg_ptr = Be16(p + 18);
  v.truncated = v.truncated || doff > avail;
  const size_t hdr = std::min(doff, avail);
  v.tcp_options_offset = off + 20;
  v.tcp_options_len = static_cast<uint32_t>(hdr - 20);
  v.payload_offset = off + hdr;
  v.payload_len = static_cast<uint32_t>(avail - hdr);
  v.ok = true;
}

void ParseUdp(const uint8_t* p, size_t off, size_t avail, size_t cap, bool quoted, PacketView& v) {
  if (cap < avail && cap < 8) {
    v.error = fmt::format("UDP header not captured ({} of 8 bytes)", cap);
    return;
  }
  if (avail < 8) {
    v.error = fmt::format("truncated UDP header ({} of 8 bytes)", avail);
    return;
  }
  size_t ulen = Be16(p + 4);
  if (ulen < 8 || (ulen > avail && !quoted)) {
    v.error = fmt::format("bad UDP length {} ({} bytes available)", ulen, avail);
    return;
  }
  if (ulen > avail) {
    v.truncated = true;
    ulen = avail;
  }
  v.sport = Be16(p);
  v.dport = Be16(p + 2);
  v.payload_offset = off + 8;
  v.payload_len = static_cast<uint32_t>(ulen - 8);
  v.ok = true;
}

void ParseIcmp(const uint8_t* p, size_t off, size_t avail, size_t cap, PacketView& v) {
  if (cap < avail && cap < 8) {
    v.error = fmt::format("ICMP header not captured ({} of 8 bytes)", cap);
    return;
  }
  if (avail < 4) {
    v.error = fmt::format("truncated ICMP header ({} of 4 bytes)", avail);
    return;
  }
  v.icmp_type = p[0];
  v.icmp_code = p[1];
  v.payload_offset = off + 4;
  v.payload_len = static_cast<uint32_t>(avail - 4);
  v.ok = true;
  if (avail < 8) return;
  if (v.l4_proto == 1 && v.icmp_type == 3 && v.icmp_code == 4) v.icmp_mtu = Be16(p + 6);
  if (v.l4_proto == 58 && v.icmp_type == 2) v.icmp_mtu = Be32(p + 4);
  if (v.IsIcmpError()) {  // the quote as far as the buffer holds it
    v.quote_offset = off + 8;
    v.quote_len = static_cast<uint32_t>(std::min(avail, cap) - 8);
  }
}

// Parses the transport header at v.l4_offset; `end` is the end of the IP
// packet (min of the header's length and the packet's length). `quoted`: the
// packet is an ICMP error's quote, cut short by design. The buffer `b` may
// end before `end` (a captured prefix): the headers must be in it, the
// payload need not.
void ParseTransport(std::span<const uint8_t> b, size_t end, bool quoted, PacketView& v) {
  const size_t off = v.l4_offset;
  const size_t avail = end > off ? end - off : 0;
  const size_t have = std::min(end, b.size());
  const size_t cap = have > off ? have - off : 0;
  const uint8_t* p = b.data() + off;
  if (v.is_fragment) {
    v.ok = true;  // nothing more to see: the payload is opaque
    v.payload_offset = off;
    v.payload_len = static_cast<uint32_t>(avail);
    return;
  }
  if (v.is_tcp()) {
    ParseTcp(p, off, avail, cap, quoted, v);
  } else if (v.is_udp()) {
    ParseUdp(p, off, avail, cap, quoted, v);
  } else if (v.is_icmp()) {
    ParseIcmp(p, off, avail, cap, v);
  } else {
    v.payload_offset = off;
    v.payload_len = static_cast<uint32_t>(avail);
    v.ok = true;
  }
}

// `len`: the packet's length (b.size(), or more when `b` is a captured
// prefix of it).
void ParseV4(std::span<const uint8_t> b, size_t len, bool quoted, PacketView& v) {
  if (b.size() < 20) {
    v.error = fmt::format("truncated IPv4 header ({} of 20 bytes)", b.size());
    return;
  }
  const uint8_t* p = b.data();
  const size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
  size_t total = Be16(p + 2);
  // A GSO super-packet larger than 64 KB ("BIG TCP") carries total length 0:
  // its length is the buffer's. (0 is never valid otherwise: < ihl.)
  if (total == 0 && len > 0xffff) total = len;
  if (ihl < 20 || ihl > b.size()) {
    v.error = fmt::format("bad IPv4 header length {} ({} bytes)", ihl, b.size());
    return;
  }
  if (quoted && total > b.size()) {
    v.truncated = true;
    total = b.size();
  }
  if (total < ihl || total > len) {
    v.error = fmt::format("bad IPv4 total length {} (header {}, {} bytes)", total, ihl, len);
    return;
  }
  v.ip_len = static_cast<uint32_t>(total);
  std::copy(p + 12, p + 16, v.src.bytes.begin());
  std::copy(p + 16, p + 20, v.dst.bytes.begin());
  v.l4_proto = p[9];
  v.dscp = p[1] >> 2;
  v.ecn = p[1] & 0x03;
  v.ip_id = Be16(p + 4);
  v.df = (p[6] & 0x40) != 0;
  v.ttl = p[8];
  v.is_fragment = (Be16(p + 6) & 0x1fff) != 0;
  v.l4_offset = ihl;
  ParseTransport(b, total, quoted, v);
}

bool IsV6ExtHeader(uint8_t nh) {
  // hop-by-hop, routing, destination options, mobility, HIP, shim6
  return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

void ParseV6(std::span<const uint8_t> b, size_t len, bool quoted, PacketView& v) {
  if (b.size() < 40) {
    v.error = fmt::format("truncated IPv6 header ({} of 40 bytes)", b.size());
    return;
  }
  const uint8_t* p = b.data();
  size_t total = 40 + static_cast<size_t>(Be16(p + 4));
  // Payload length 0 with more bytes than the header: a GSO super-packet
  // larger than 64 KB ("BIG TCP"); its length is the buffer's.
  if (total == 40 && len > 40 + 0xffff) total = len;
  if (quoted && total > b.size()) {
    v.truncated = true;
    total = b.size();
  }
  if (total > len) {
    v.error =
        fmt::format("bad IPv6 payload length {} ({} bytes after the header)", total - 40, len - 40);
    return;
  }
  v.v6 = true;
  v.src.v6 = v.dst.v6 = true;
  v.ip_len = static_cast<uint32_t>(total);
  const uint32_t vtf = Be32(p);  // version, traffic class, flow label
  v.dscp = static_cast<uint8_t>((vtf >> 22) & 0x3f);
  v.ecn = static_cast<uint8_t>((vtf >> 20) & 0x03);
  v.flow_label = vtf & 0xfffff;
  v.ttl = p[7];
  std::copy(p + 8, p + 24, v.src.bytes.begin());
  std::copy(p + 24, p + 40, v.dst.bytes.begin());
  uint8_t nh = p[6];
  size_t off = 40;
  // Walk the extension header chain; bounded by the packet length (each
  // header is at least 8 bytes) so a loop cannot run away. The chain must be
  // in the buffer (a captured prefix holds the headers).
  const size_t have = std::min(total, b.size());
  while (true) {
    if (IsV6ExtHeader(nh)) {
      if (off + 8 > have) {
        v.error = fmt::format("truncated IPv6 extension header {} at offset {}", nh, off);
        return;
      }
      const size_t ext = (static_cast<size_t>(b[off + 1]) + 1) * 8;
      if (off + ext > have) {
        v.error = fmt::format("IPv6 extension header {} at offset {} overruns the packet", nh, off);
        return;
      }
      nh = b[off];
      off += ext;
    } else if (nh == 44) {  // fragment header: fixed 8 bytes
      if (off + 8 > have) {
        v.error = fmt::format("truncated IPv6 fragment header at offset {}", off);
        return;
      }
      v.is_fragment = (Be16(&b[off + 2]) & 0xfff8) != 0;
      nh = b[off];
      off += 8;
    } else {
      break;
    }
  }
  v.l4_proto = nh;
  v.l4_offset = off;
  ParseTransport(b, total, quoted, v);
}

// Parses the packet starting at `base` of `all`; offsets in the view index
// into `all`. `len`: the packet's length (>= the bytes after `base`).
PacketView ParseAt(std::span<const uint8_t> all, size_t base, size_t len, bool quoted) {
  PacketView v;
  std::span<const uint8_t> bytes = all.subspan(base);
  if (bytes.empty()) {
    v.error = "empty packet";
    return v;
  }
  const int version = bytes[0] >> 4;
  if (version == 4) {
    ParseV4(bytes, len, quoted, v);
  } else if (version == 6) {
    ParseV6(bytes, len, quoted, v);
  } else {
    v.error = fmt::format("unknown IP version {}", version);
  }
  if (base != 0) {
    v.l4_offset += base;
    v.payload_offset += base;
    v.tcp_options_offset += base;
    v.quote_offset += base;
  }
  return v;
}

}  // namespace

bool IpAddr::Parse(const std::string& text, IpAddr* out) {
  IpAddr a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    *out = a;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.v6 = true;
    *out = a;
    return true;
  }
  return false;
}

std::string IpAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

const char* PacketView::ProtoName() const {
  switch (l4_proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return "other";
  }
}

std::string PacketView::FlagString() const {
  if (!is_tcp() || !ok || is_fragment) return "";
  std::string s;
  if (has(kTcpSyn)) s += 'S';
  if (has(kTcpFin)) s += 'F';
  if (has(kTcpPsh)) s += 'P';
  if (has(kTcpRst)) s += 'R';
  if (has(kTcpUrg)) s += 'U';
  if (has(kTcpEce)) s += 'E';
  if (has(kTcpCwr)) s += 'W';
  if (has(kTcpAck)) s += '.';
  if (s.empty()) s = "none";
  return s;
}

bool PacketView::IsIcmpError() const {
  if (l4_proto == 1) {
    return icmp_type == 3 || icmp_type == 4 || icmp_type == 5 || icmp_type == 11 || icmp_type == 12;
  }
  return l4_proto == 58 && icmp_type >= 1 && icmp_type <= 4;
}

TcpOptionList PacketView::TcpOptions(std::span<const uint8_t> bytes) const {
  if (!is_tcp() || tcp_options_len == 0 || tcp_options_offset + tcp_options_len > bytes.size()) {
    return {};
  }
  return ParseTcpOptions(TcpOptionBytes(bytes));
}

PacketView ParsePacket(std::span<const uint8_t> bytes) {
  return ParseAt(bytes, 0, bytes.size(), false);
}

PacketView ParsePacket(std::span<const uint8_t> bytes, size_t len) {
  PacketView v = ParseAt(bytes, 0, std::max(len, bytes.size()), false);
  v.partial = v.ok && v.ip_len > bytes.size();
  return v;
}

PacketView ParseIcmpQuote(std::span<const uint8_t> bytes, const PacketView& v) {
  if (!v.ok || !v.IsIcmpError() || v.quote_len == 0 ||
      v.quote_offset + v.quote_len > bytes.size()) {
    PacketView q;
    q.error = "no quoted packet";
    return q;
  }
  return ParseAt(bytes.subspan(0, v.quote_offset + v.quote_len), v.quote_offset, v.quote_len, true);
}

}  // namespace faultline
