// Building and changing IP packets: a TCP/UDP segment builder (inject-rst,
// tests' golden bytes, the scripted peers), ICMP/ICMPv6 errors quoting a
// packet, and the corrupt action's byte flip. Checksums: checksum.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/packet/checksum.h"
#include "harness/packet/packet_view.h"
#include "harness/packet/tcp_options.h"

namespace faultline {

// The IP header fields a built packet carries (both families unless noted).
struct IpFields {
  uint8_t ttl = 64;         // IPv4 TTL / IPv6 hop limit
  uint8_t dscp = 0;         // 6 bits
  uint8_t ecn = 0;          // 2 bits
  bool df = true;           // IPv4
  uint16_t ip_id = 0;       // IPv4
  uint32_t flow_label = 0;  // IPv6, 20 bits
};

struct SegmentSpec {
  IpAddr src, dst;    // both of one family
  uint8_t proto = 6;  // 6 TCP, 17 UDP
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;  // TCP
  uint8_t flags = 0;          // TCP
  uint16_t window = 65535;    // TCP
  uint16_t urg_ptr = 0;       // TCP urgent pointer
  // TCP options: the typed list when not empty (serialised in order,
  // padded), else the raw bytes (padded to a multiple of 4 with EOL).
  std::vector<TcpOption> options;
  std::vector<uint8_t> tcp_options;
  std::string payload;
  IpFields ip;
};

// A complete IPv4 or IPv6 packet with valid IP (v4), TCP/UDP checksums.
// Options over 40 bytes are cut at 40 (the most a data offset can say), even
// inside an option: the receiver then sees a malformed list.
std::vector<uint8_t> BuildSegment(const SegmentSpec& spec);

struct IcmpErrorSpec {
  IpAddr src, dst;  // the reporting router / host and the quoted packet's sender
  // ICMPv4: 3 unreachable (code 4: fragmentation needed), 11 time exceeded,
  // 12 parameter problem. ICMPv6: 1 unreachable, 2 packet too big, 3 time
  // exceeded, 4 parameter problem.
  uint8_t type = 3, code = 0;
  uint32_t mtu = 0;                 // frag needed (next-hop MTU, 16 bits) / packet too big
  uint32_t pointer = 0;             // parameter problem
  std::span<const uint8_t> quoted;  // the offending packet, from its IP header
  IpFields ip;
};

// An ICMP (IPv4) or ICMPv6 error quoting as much of `quoted` as the RFCs
// allow: RFC 1812 4.3.2.3 (at most 576 bytes in all; at least the IP header
// + 8 bytes when there are that many), RFC 4443 2.4(c) (at most 1280).
std::vector<uint8_t> BuildIcmpError(const IcmpErrorSpec& spec);

// The corrupt action: flips every bit of one byte so that the transport
// checksum no longer holds (the checksum itself is left as it was). The byte
// is the payload's middle byte; for an empty payload, the low byte of the
// TCP window or of the UDP/ICMP checksum. Returns the offset flipped, or -1 if nothing suitable
// (unparsed packet, non-first fragment).
long CorruptPacket(std::span<uint8_t> bytes);

}  // namespace faultline
