#include "harness/packet/packet_craft.h"

#include <algorithm>

#include "harness/packet/byte_order.h"

namespace faultline {
namespace {

constexpr size_t kMaxTcpOptions = 40;
constexpr size_t kIcmp4MaxPacket = 576;   // RFC 1812 4.3.2.3
constexpr size_t kIcmp6MaxPacket = 1280;  // RFC 4443 2.4(c), the IPv6 minimum MTU

size_t IpHeaderSize(const IpAddr& a) { return a.v6 ? 40 : 20; }

// Writes the IP header for `l4len` bytes of protocol `proto` at the start of
// `b` (sized for it); the IPv4 header checksum is filled in.
void PutIpHeader(std::vector<uint8_t>& b, const IpAddr& src, const IpAddr& dst, uint8_t proto,
                 size_t l4len, const IpFields& f) {
  uint8_t* ip = b.data();
  const uint8_t tos = static_cast<uint8_t>(f.dscp << 2 | (f.ecn & 0x03));
  if (src.v6) {
    Put32(ip, 6u << 28 | static_cast<uint32_t>(tos) << 20 | (f.flow_label & 0xfffff));
    Put16(ip + 4, static_cast<uint16_t>(l4len));
    ip[6] = proto;
    ip[7] = f.ttl;
    std::copy(src.bytes.begin(), src.bytes.end(), ip + 8);
    std::copy(dst.bytes.begin(), dst.bytes.end(), ip + 24);
    return;
  }
  ip[0] = 0x45;
  ip[1] = tos;
  Put16(ip + 2, static_cast<uint16_t>(20 + l4len));
  Put16(ip + 4, f.ip_id);
  Put16(ip + 6, f.df ? 0x4000 : 0);
  ip[8] = f.ttl;
  ip[9] = proto;
  std::copy(src.bytes.begin(), src.bytes.begin() + 4, ip + 12);
  std::copy(dst.bytes.begin(), dst.bytes.begin() + 4, ip + 16);
  Put16(ip + 10, InetChecksum({ip, 20}));
}

std::vector<uint8_t> OptionBytes(const SegmentSpec& s) {
  std::vector<uint8_t> opts = s.options.empty() ? s.tcp_options : SerializeTcpOptions(s.options);
  while (opts.size() % 4 != 0) opts.push_back(0);  // EOL padding
  if (opts.size() > kMaxTcpOptions) opts.resize(kMaxTcpOptions);
  return opts;
}

}  // namespace

std::vector<uint8_t> BuildSegment(const SegmentSpec& s) {
  const size_t iph = IpHeaderSize(s.src);
  const std::vector<uint8_t> opts = s.proto == 6 ? OptionBytes(s) : std::vector<uint8_t>{};
  const size_t l4h = s.proto == 6 ? 20 + opts.size() : 8;
  const size_t l4len = l4h + s.payload.size();
  std::vector<uint8_t> b(iph + l4len, 0);
  PutIpHeader(b, s.src, s.dst, s.proto, l4len, s.ip);
  uint8_t* l4 = b.data() + iph;
  Put16(l4, s.sport);
  Put16(l4 + 2, s.dport);
  if (s.proto == 6) {
    Put32(l4 + 4, s.seq);
    Put32(l4 + 8, s.ack);
    l4[12] = static_cast<uint8_t>((l4h / 4) << 4);
    l4[13] = s.flags;
    Put16(l4 + 14, s.window);
    Put16(l4 + 18, s.urg_ptr);
    std::copy(opts.begin(), opts.end(), l4 + 20);
  } else {
    Put16(l4 + 4, static_cast<uint16_t>(l4len));
  }
  std::copy(s.payload.begin(), s.payload.end(), l4 + l4h);
  FixChecksums(b);
  return b;
}

std::vector<uint8_t> BuildIcmpError(const IcmpErrorSpec& s) {
  const size_t iph = IpHeaderSize(s.src);
  const size_t limit = s.src.v6 ? kIcmp6MaxPacket : kIcmp4MaxPacket;
  const size_t quote = std::min(s.quoted.size(), limit - iph - 8);
  const size_t l4len = 8 + quote;
  std::vector<uint8_t> b(iph + l4len, 0);
  const uint8_t proto = s.src.v6 ? 58 : 1;
  PutIpHeader(b, s.src, s.dst, proto, l4len, s.ip);
  uint8_t* l4 = b.data() + iph;
  l4[0] = s.type;
  l4[1] = s.code;
  if (!s.src.v6 && s.type == 3 && s.code == 4) Put16(l4 + 6, static_cast<uint16_t>(s.mtu));
  if (s.src.v6 && s.type == 2) Put32(l4 + 4, s.mtu);
  if (s.src.v6 && s.type == 4) Put32(l4 + 4, s.pointer);
  if (!s.src.v6 && s.type == 12) l4[4] = static_cast<uint8_t>(s.pointer);
  std::copy(s.quoted.begin(), s.quoted.begin() + static_cast<long>(quote), l4 + 8);
  FixChecksums(b);
  return b;
}

long CorruptPacket(std::span<uint8_t> bytes) {
  PacketView v = ParsePacket(bytes);
  if (!v.ok || v.is_fragment) return -1;
  size_t off;
  if (v.payload_len > 0) {
    off = v.payload_offset + v.payload_len / 2;
  } else if (v.is_tcp()) {
    off = v.l4_offset + 15;  // window, low byte
  } else if (v.is_udp() || v.is_icmp()) {
    off = v.l4_offset + (v.is_udp() ? 7 : 3);  // checksum low byte
  } else {
    return -1;
  }
  if (off >= bytes.size()) return -1;
  bytes[off] ^= 0xff;
  return static_cast<long>(off);
}

}  // namespace faultline
