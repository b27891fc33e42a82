// The classic pcap file format (not pcapng), as faultline writes and reads
// it: link type LINUX_SLL2 (276), whose 20-byte pseudo-header carries the
// interface index and the packet type (incoming / outgoing) of each packet,
// so one file holds every wire interface of a lab. The reader also accepts
// LINUX_SLL (113, no interface index) and RAW / IPV4 / IPV6 (101, 228, 229),
// in either byte order, with micro- or nanosecond timestamps.
//
// Pure functions on bytes; no libpcap. Units: nanoseconds since the Unix
// epoch (CLOCK_REALTIME, as the kernel stamps captured packets).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"

namespace faultline {

inline constexpr uint32_t kLinktypeRaw = 101;
inline constexpr uint32_t kLinktypeLinuxSll = 113;
inline constexpr uint32_t kLinktypeIpv4 = 228;
inline constexpr uint32_t kLinktypeIpv6 = 229;
inline constexpr uint32_t kLinktypeLinuxSll2 = 276;
inline constexpr size_t kSll2HeaderLen = 20;

// PACKET_* packet types (linux/if_packet.h) as SLL2 carries them.
inline constexpr uint8_t kPacketHost = 0;      // incoming, addressed to this host
inline constexpr uint8_t kPacketOutgoing = 4;  // sent by this host (or forwarded out)

// One captured packet, link layer stripped.
struct CapturedPacket {
  int64_t ts_ns = 0;        // capture time, ns since the epoch
  uint32_t ifindex = 0;     // 0 when the link type has none
  uint8_t pkttype = 0;      // kPacketHost, kPacketOutgoing, ...
  uint16_t protocol = 0;    // ethertype: 0x0800, 0x86dd (0 if unknown)
  uint32_t orig_len = 0;    // length of the IP packet on the wire
  std::vector<uint8_t> ip;  // the IP packet as captured (may be shorter than orig_len)
};

// Parses a whole pcap file. Errors (kInvalidInput) say what and where:
// "not a pcap file (magic 0x...)", "truncated pcap file: record 3 at byte
// 120 needs 74 bytes, 10 left", "unsupported link type 1 (...)".
StatusOr<std::vector<CapturedPacket>> ParsePcap(std::span<const uint8_t> bytes);
// Reads and parses `path`; errors start with the path.
StatusOr<std::vector<CapturedPacket>> ReadPcapFile(const std::string& path);

// Creates the pcap file `path` for writing, exclusively and never through a
// symbolic link (harness/common/safe_file.h): in its existing directory,
// itself not a symbolic link; a previous regular file there is replaced,
// anything else (a symbolic link, a FIFO, a device, a directory) refused
// with an error naming the path and what is there.
StatusOr<UniqueFd> CreatePcapFile(const std::string& path);

// Encodes SLL2 records (little-endian, nanosecond magic).
std::vector<uint8_t> EncodePcapHeader(uint32_t snaplen = 65535);
void AppendSll2Record(const CapturedPacket& p, std::vector<uint8_t>* out);
std::vector<uint8_t> EncodePcap(const std::vector<CapturedPacket>& packets);

}  // namespace faultline
