// The one text form of a packet, wherever one is shown (the packet log, the
// `packets:` check dumps, the peers' reply checks), tcpdump/packetdrill
// style, one packet per line:
//
// clang-format off
//   client:40000 > server:8080 tcp S. seq 0 ack 1 win 64240 <mss 1460,sackOK,TS val 12 ecr 0,nop,wscale 7> len 0
//   client:5000 > server:9000 udp len 3
//   198.18.2.1 > client icmp unreachable frag-needed mtu 1400 for client:40000 > server:8080 tcp seq 1 len 552
//   client:40000 > server:8080 tcp P. seq 1 ack 1 win 502 len 5 [fault 2: delay 200ms]
//   client > server tcp frag len 1480
// clang-format on
//
// Hosts by name when known, else by address; seq/ack relative to the ISNs
// when known, else raw; `ack` only with the ACK flag; TCP options only when
// there are some; `len` is the transport payload (ICMP: after type, code and
// checksum); a non-first fragment has no ports ("frag"); the fault suffix
// only for a packet a fault matched.
// Both a PacketView (with its bytes) and a PacketRecord fill a PacketLine, so
// the two cannot drift apart. What a record does not keep, its line cannot
// show: an ICMP error's quoted packet ("for ..."), and why a packet did not
// parse (a record says "other").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "harness/model/result.h"
#include "harness/packet/packet_view.h"

namespace faultline {

// The header fields a line shows. Views into strings/bytes owned by the
// caller for the duration of FormatPacketLine.
struct PacketLine {
  std::string_view from, to;  // names, or address text ("" prints "?")
  std::string_view proto;     // "tcp", "udp", "icmp", "icmpv6", "other"
  uint16_t sport = 0, dport = 0;
  std::string_view flags;  // FlagString()
  uint32_t seq = 0, ack = 0;
  bool show_ack = false;
  uint16_t window = 0;
  std::span<const uint8_t> tcp_options;  // raw option bytes
  uint8_t icmp_type = 0, icmp_code = 0;
  uint32_t icmp_mtu = 0;
  std::string_view quote;  // an ICMP error's quoted packet, as a line ("" none)
  bool fragment = false;   // a non-first fragment: no transport header
  uint32_t len = 0;        // payload length
  int fault = 0;           // 1-based; 0: no suffix
  std::string_view action;
};

std::string FormatPacketLine(const PacketLine& l);

// "echo request", "unreachable port", "unreachable frag-needed mtu 1400",
// "packet-too-big mtu 1280", "time-exceeded hop-limit", "type 42 code 0".
std::string IcmpText(bool v6, uint8_t type, uint8_t code, uint32_t mtu);

struct DumpContext {
  // A lab host's name for an address; "" (or no function): the address.
  std::function<std::string(const IpAddr&)> name;
  std::optional<uint32_t> rel_seq, rel_ack;  // ConnTable::RelSeq/RelAck
  int fault = 0;
  std::string action;
};

// The line of the packet `v` parsed from `bytes`. An unparsed view prints
// "unparsed: <error>" after the addresses it got.
std::string DumpPacket(std::span<const uint8_t> bytes, const PacketView& v,
                       const DumpContext& cx = {});

// The packet log's line for a record (reports/text_log.cc, JUnit).
std::string PacketRecordLine(const PacketRecord& r);

// Fills the header fields of a record that a line shows (addresses, TCP
// window and options, ICMP type/code/MTU) from a parsed packet; the wire
// calls it where it builds records. No allocation.
void FillRecordHeaders(std::span<const uint8_t> bytes, const PacketView& v, PacketRecord* r);

}  // namespace faultline
