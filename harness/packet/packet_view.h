// PacketView: a parsed, read-only view of one IP packet as the queue hands it
// over (starting at the IPv4/IPv6 header, no link layer).
//
// ParsePacket never reads outside the given bytes and never fails loudly: a
// packet it cannot make sense of comes back with ok == false and `error`
// saying why ("truncated IPv4 header", ...). Fields past the failing layer are
// left at their defaults. The view does not own the bytes; `*_offset` fields
// index into the buffer that was parsed. Nothing here allocates except
// `error`: the wire parses every packet.
//
// TCP options are located (tcp_options_offset/len) and parsed on demand by
// TcpOptions() (harness/packet/tcp_options.h); an ICMP error's quoted packet
// by ParseIcmpQuote, as a view that tolerates the truncation quoting does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "harness/packet/tcp_options.h"

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
  uint8_t ttl = 0;           // IPv4 TTL / IPv6 hop limit
  uint8_t dscp = 0;          // the upper 6 bits of TOS / traffic class
  uint8_t ecn = 0;           // the lower 2 bits
  bool df = false;           // IPv4 don't fragment
  uint16_t ip_id = 0;        // IPv4 identification
  uint32_t flow_label = 0;   // IPv6, 20 bits
  uint32_t ip_len = 0;       // total IP packet length per the header(s)
  size_t l4_offset = 0;      // start of the transport header
  uint8_t l4_proto = 0;      // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6), other
  bool is_fragment = false;  // a non-first fragment: no transport header

  uint16_t sport = 0, dport = 0;  // TCP/UDP
  uint8_t tcp_flags = 0;
  uint32_t seq = 0, ack = 0;
  uint16_t window = 0;
  uint16_t urg_ptr = 0;           // TCP urgent pointer (full header only)
  size_t tcp_options_offset = 0;  // TCP options: after the fixed header
  uint32_t tcp_options_len = 0;
  size_t payload_offset = 0;  // start of the transport payload (ICMP: after type, code, checksum)
  uint32_t payload_len = 0;

  // ICMP / ICMPv6 (header of at least 8 bytes; a 4-byte stub parses with
  // type and code only).
  uint8_t icmp_type = 0, icmp_code = 0;
  uint32_t icmp_mtu = 0;    // frag-needed next-hop MTU / packet-too-big MTU
  size_t quote_offset = 0;  // an error's quoted packet (quote_len 0: none)
  uint32_t quote_len = 0;

  // A quoted packet (ParseIcmpQuote): lengths per its headers may exceed the
  // bytes; `truncated` says the bytes ended before its header(s) did. For
  // TCP at least ports and seq are there when ok (8 bytes quoted).
  bool truncated = false;
  // ParsePacket(bytes, len): the bytes are a captured prefix that ends
  // before the packet does (the wire's headers-only queue): every header
  // is there and lengths are the packet's, but payload bytes past the
  // buffer are not (payload_offset + payload_len may exceed it).
  bool partial = false;

  bool is_tcp() const { return l4_proto == 6; }
  bool is_udp() const { return l4_proto == 17; }
  bool is_icmp() const { return l4_proto == 1 || l4_proto == 58; }
  bool has(uint8_t flag) const { return (tcp_flags & flag) != 0; }
  // An ICMP error (destination unreachable, packet too big, time exceeded,
  // parameter problem, ...): it quotes a packet.
  bool IsIcmpError() const;
  // The TCP options of the packet `bytes` (the buffer this view was parsed
  // from); empty for no options or not TCP.
  TcpOptionList TcpOptions(std::span<const uint8_t> bytes) const;
  std::span<const uint8_t> TcpOptionBytes(std::span<const uint8_t> bytes) const {
    return bytes.subspan(tcp_options_offset, tcp_options_len);
  }
  // "tcp", "udp", "icmp", "icmpv6", "other".
  const char* ProtoName() const;
  // tcpdump style: "S", "S.", ".", "P.", "F.", "R", "R." ("" for non-TCP).
  std::string FlagString() const;
};

PacketView ParsePacket(std::span<const uint8_t> bytes);
// The same for the first bytes of a packet `len` bytes long (NFQUEUE's
// NFQA_CAP_LEN when the queue copies a prefix): the headers must be in
// `bytes` ("... header not captured" otherwise); lengths come from the IP
// header, checked against `len`; `partial` says the payload is cut. `len` <=
// bytes.size() is the same as ParsePacket(bytes).
PacketView ParsePacket(std::span<const uint8_t> bytes, size_t len);

// The packet quoted by the ICMP error `v` (parsed from `bytes`), parsed
// truncation-tolerant: offsets index into `bytes`. !ok with `error` if `v` is
// not an ICMP error or the quote is not even an IP header (+ 8 bytes of a
// TCP/UDP header).
PacketView ParseIcmpQuote(std::span<const uint8_t> bytes, const PacketView& v);

}  // namespace faultline
