// Internet checksums, one implementation for the builder, FixChecksums (the
// wire's packet changes) and the verifier: RFC 1071 sums, the IPv4 header,
// and TCP/UDP/ICMPv6 over their pseudo-header (ICMPv4 has none).
#pragma once

#include <cstdint>
#include <span>

#include "harness/packet/packet_view.h"

namespace faultline {

// The Internet checksum (RFC 1071) of `data`, folded with `initial` (a
// partial sum, host order, not yet complemented).
uint16_t InetChecksum(std::span<const uint8_t> data, uint32_t initial = 0);

// The pseudo-header partial sum (RFC 793 / RFC 8200 8.1) for a transport
// segment of `len` bytes.
uint32_t PseudoHeaderSum(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint32_t len);

// Recomputes the transport checksum (TCP, UDP, ICMP, ICMPv6) and the IPv4
// header checksum of a packet in place. False if the packet does not parse
// or is a non-first fragment (or another protocol): nothing is changed.
bool FixChecksums(std::span<uint8_t> bytes);

struct ChecksumCheck {
  bool ip_ok = true;         // IPv4 header checksum holds (always true for IPv6)
  bool transport_ok = true;  // TCP/UDP/ICMP checksum holds (UDP 0 over IPv4: none)
  bool checked = false;      // false: unparsed, fragment or unknown protocol
  // The transport checksum was left for offload (CHECKSUM_PARTIAL from a
  // sender with tx checksum offload on): the field holds the folded
  // pseudo-header sum, not yet the checksum. transport_ok is false then.
  bool transport_partial = false;
  bool ok() const { return checked && ip_ok && transport_ok; }
};

// Whether the checksums of `bytes` hold, computed independently of what
// FixChecksums wrote (the sum over the covered bytes, checksum included,
// must fold to 0).
ChecksumCheck VerifyChecksums(std::span<const uint8_t> bytes);

}  // namespace faultline
