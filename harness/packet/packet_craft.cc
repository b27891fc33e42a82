#include "harness/packet/packet_craft.h"

#include <algorithm>

namespace faultline {
namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t SumWords(std::span<const uint8_t> d, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) sum += static_cast<uint32_t>(d[i] << 8 | d[i + 1]);
  if (i < d.size()) sum += static_cast<uint32_t>(d[i] << 8);
  return sum;
}

// The pseudo-header sum for a transport segment of `len` bytes.
uint32_t PseudoSum(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint32_t len) {
  const size_t n = src.v6 ? 16 : 4;
  uint32_t sum = SumWords({src.bytes.data(), n}, 0);
  sum = SumWords({dst.bytes.data(), n}, sum);
  sum += proto;
  sum += len >> 16;
  sum += len & 0xffff;
  return sum;
}

}  // namespace

uint16_t InetChecksum(std::span<const uint8_t> data, uint32_t initial) {
  uint64_t sum = SumWords(data, 0) + static_cast<uint64_t>(initial);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

std::vector<uint8_t> BuildSegment(const SegmentSpec& s) {
  const bool v6 = s.src.v6;
  const size_t iph = v6 ? 40 : 20;
  std::vector<uint8_t> opts = s.tcp_options;
  while (opts.size() % 4 != 0) opts.push_back(0);  // EOL padding
  const size_t l4h = s.proto == 6 ? 20 + opts.size() : 8;
  const size_t l4len = l4h + s.payload.size();
  std::vector<uint8_t> b(iph + l4len, 0);
  uint8_t* ip = b.data();
  if (v6) {
    ip[0] = 0x60;
    Put16(ip + 4, static_cast<uint16_t>(l4len));
    ip[6] = s.proto;
    ip[7] = s.ttl;
    std::copy(s.src.bytes.begin(), s.src.bytes.end(), ip + 8);
    std::copy(s.dst.bytes.begin(), s.dst.bytes.end(), ip + 24);
  } else {
    ip[0] = 0x45;
    Put16(ip + 2, static_cast<uint16_t>(b.size()));
    Put16(ip + 6, 0x4000);  // DF
    ip[8] = s.ttl;
    ip[9] = s.proto;
    std::copy(s.src.bytes.begin(), s.src.bytes.begin() + 4, ip + 12);
    std::copy(s.dst.bytes.begin(), s.dst.bytes.begin() + 4, ip + 16);
    Put16(ip + 10, InetChecksum({ip, 20}));
  }
  uint8_t* l4 = ip + iph;
  Put16(l4, s.sport);
  Put16(l4 + 2, s.dport);
  if (s.proto == 6) {
    Put32(l4 + 4, s.seq);
    Put32(l4 + 8, s.ack);
    l4[12] = static_cast<uint8_t>((l4h / 4) << 4);
    l4[13] = s.flags;
    Put16(l4 + 14, s.window);
    std::copy(opts.begin(), opts.end(), l4 + 20);
  } else {
    Put16(l4 + 4, static_cast<uint16_t>(l4len));
  }
  std::copy(s.payload.begin(), s.payload.end(), l4 + l4h);
  FixChecksums(b);
  return b;
}

bool FixChecksums(std::span<uint8_t> bytes) {
  PacketView v = ParsePacket(bytes);
  if (!v.ok || v.is_fragment || !(v.is_tcp() || v.is_udp())) return false;
  uint8_t* l4 = bytes.data() + v.l4_offset;
  const uint32_t l4len = v.ip_len - static_cast<uint32_t>(v.l4_offset);
  const size_t csum_off = v.is_tcp() ? 16 : 6;
  Put16(l4 + csum_off, 0);
  uint16_t c = InetChecksum({l4, l4len}, PseudoSum(v.src, v.dst, v.l4_proto, l4len));
  if (v.is_udp() && c == 0) c = 0xffff;
  Put16(l4 + csum_off, c);
  if (!v.v6) {
    Put16(bytes.data() + 10, 0);
    const size_t ihl = static_cast<size_t>(bytes[0] & 0x0f) * 4;
    Put16(bytes.data() + 10, InetChecksum({bytes.data(), ihl}));
  }
  return true;
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
