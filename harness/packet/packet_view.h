// PacketView: a parsed, read-only view of one IP packet as the queue hands it
// over (starting at the IPv4/IPv6 header, no link layer).
//
// ParsePacket never reads outside the given bytes and never fails loudly: a
// packet it cannot make sense of comes back with ok == false and `error`
// saying why ("truncated IPv4 header", ...). Fields past the failing layer are
// left at their defaults. The view does not own the bytes; `payload_offset`
// indexes into the buffer that was parsed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace faultline {

// TCP flag bits as in the header's 13th byte.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

// An IP address of either family, in network byte order. IPv4 uses the first
// 4 bytes; the rest are zero.
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  bool operator==(const IpAddr&) const = default;
  auto operator<=>(const IpAddr&) const = default;
  // Parses numeric text ("198.18.1.2", "2001:2:0:1::2"); false if invalid.
  static bool Parse(const std::string& text, IpAddr* out);
  std::string ToString() const;
};

struct PacketView {
  bool ok = false;
  std::string error;  // why !ok

  bool v6 = false;
  IpAddr src, dst;
  uint32_t ip_len = 0;       // total IP packet length per the header(s)
  size_t l4_offset = 0;      // start of the transport header
  uint8_t l4_proto = 0;      // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6), other
  bool is_fragment = false;  // a non-first fragment: no transport header

  uint16_t sport = 0, dport = 0;  // TCP/UDP
  uint8_t tcp_flags = 0;
  uint32_t seq = 0, ack = 0;
  uint16_t window = 0;
  size_t payload_offset = 0;  // start of the transport payload
  uint32_t payload_len = 0;

  bool is_tcp() const { return l4_proto == 6; }
  bool is_udp() const { return l4_proto == 17; }
  bool is_icmp() const { return l4_proto == 1 || l4_proto == 58; }
  bool has(uint8_t flag) const { return (tcp_flags & flag) != 0; }
  // "tcp", "udp", "icmp", "icmpv6", "other".
  const char* ProtoName() const;
  // tcpdump style: "S", "S.", ".", "P.", "F.", "R", "R." ("" for non-TCP).
  std::string FlagString() const;
};

PacketView ParsePacket(std::span<const uint8_t> bytes);

}  // namespace faultline
