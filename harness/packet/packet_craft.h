// Building and changing IP packets: checksums, a TCP/UDP packet builder (used
// for inject-rst and by tests to make golden bytes), and the corrupt action's
// byte flip.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/packet/packet_view.h"

namespace faultline {

// The Internet checksum (RFC 1071) of `data`, folded with `initial` (a
// partial sum, host order, not yet complemented).
uint16_t InetChecksum(std::span<const uint8_t> data, uint32_t initial = 0);

struct SegmentSpec {
  IpAddr src, dst;    // both of one family
  uint8_t proto = 6;  // 6 TCP, 17 UDP
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;         // TCP
  uint8_t flags = 0;                 // TCP
  uint16_t window = 65535;           // TCP
  std::vector<uint8_t> tcp_options;  // raw; padded to a multiple of 4
  std::string payload;
  uint8_t ttl = 64;
};

// A complete IPv4 or IPv6 packet with valid IP (v4), TCP/UDP checksums.
std::vector<uint8_t> BuildSegment(const SegmentSpec& spec);

// Recomputes the transport checksum (TCP/UDP) and the IPv4 header checksum
// of a parsed packet in place. False if the view is not a parseable TCP/UDP
// packet.
bool FixChecksums(std::span<uint8_t> bytes);

// The corrupt action: flips every bit of one byte so that the transport
// checksum no longer holds (the checksum itself is left as it was). The byte
// is the payload's middle byte; for an empty payload, the low byte of the
// TCP window or of the UDP/ICMP checksum. Returns the offset flipped, or -1 if nothing suitable
// (unparsed packet, non-first fragment).
long CorruptPacket(std::span<uint8_t> bytes);

}  // namespace faultline
