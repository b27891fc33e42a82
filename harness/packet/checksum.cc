#include "harness/packet/checksum.h"

#include "harness/packet/byte_order.h"

namespace faultline {
namespace {

// 64 bits: a GSO super-packet of up to 512 KB holds more 16-bit words than a
// 32-bit sum can add without overflowing. An odd last byte is the high byte
// of a word padded with zero (RFC 1071).
uint64_t SumWords(std::span<const uint8_t> d, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) sum += static_cast<uint64_t>(d[i] << 8 | d[i + 1]);
  if (i < d.size()) sum += static_cast<uint64_t>(d[i] << 8);
  return sum;
}

// Where the transport checksum sits in its header; 0 for none we compute.
size_t ChecksumOffset(uint8_t proto) {
  switch (proto) {
    case 6: return 16;
    case 17: return 6;
    case 1:
    case 58: return 2;
    default: return 0;
  }
}

// The partial sum a transport checksum starts from: the pseudo-header, or
// nothing for ICMPv4.
uint32_t StartSum(const PacketView& v, uint32_t l4len) {
  return v.l4_proto == 1 ? 0 : PseudoHeaderSum(v.src, v.dst, v.l4_proto, l4len);
}

}  // namespace

uint16_t InetChecksum(std::span<const uint8_t> data, uint32_t initial) {
  uint64_t sum = SumWords(data, initial);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t PseudoHeaderSum(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint32_t len) {
  const size_t n = src.v6 ? 16 : 4;
  uint64_t sum = SumWords({src.bytes.data(), n}, 0);
  sum = SumWords({dst.bytes.data(), n}, sum);
  sum += proto;
  sum += len >> 16;
  sum += len & 0xffff;
  return static_cast<uint32_t>(sum);  // at most 18 words: no overflow
}

bool FixChecksums(std::span<uint8_t> bytes) {
  PacketView v = ParsePacket(bytes);
  const size_t csum_off = ChecksumOffset(v.l4_proto);
  if (!v.ok || v.is_fragment || csum_off == 0) return false;
  uint8_t* l4 = bytes.data() + v.l4_offset;
  const uint32_t l4len = v.ip_len - static_cast<uint32_t>(v.l4_offset);
  if (l4len < csum_off + 2) return false;  // a 4-byte ICMP stub: no checksum field to fill
  Put16(l4 + csum_off, 0);
  uint16_t c = InetChecksum({l4, l4len}, StartSum(v, l4len));
  if (v.is_udp() && c == 0) c = 0xffff;  // 0 means "no checksum" (RFC 768)
  Put16(l4 + csum_off, c);
  if (!v.v6) {
    Put16(bytes.data() + 10, 0);
    const size_t ihl = static_cast<size_t>(bytes[0] & 0x0f) * 4;
    Put16(bytes.data() + 10, InetChecksum({bytes.data(), ihl}));
  }
  return true;
}

ChecksumCheck VerifyChecksums(std::span<const uint8_t> bytes) {
  ChecksumCheck c;
  PacketView v = ParsePacket(bytes);
  if (!v.ok || v.is_fragment || ChecksumOffset(v.l4_proto) == 0) return c;
  c.checked = true;
  if (!v.v6) {
    const size_t ihl = static_cast<size_t>(bytes[0] & 0x0f) * 4;
    c.ip_ok = InetChecksum(bytes.first(ihl)) == 0;
  }
  const uint32_t l4len = v.ip_len - static_cast<uint32_t>(v.l4_offset);
  std::span<const uint8_t> l4 = bytes.subspan(v.l4_offset, l4len);
  if (v.is_udp() && !v.v6 && l4len >= 8 && l4[6] == 0 && l4[7] == 0) return c;
  c.transport_ok = InetChecksum(l4, StartSum(v, l4len)) == 0;
  const size_t off = ChecksumOffset(v.l4_proto);
  if (!c.transport_ok && v.l4_proto != 1 && l4len >= off + 2) {
    const uint16_t field = static_cast<uint16_t>(l4[off] << 8 | l4[off + 1]);
    const uint16_t partial = static_cast<uint16_t>(~InetChecksum({}, StartSum(v, l4len)));
    c.transport_partial = field == partial;
  }
  return c;
}

}  // namespace faultline
