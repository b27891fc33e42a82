// The packet vocabulary at work (docs/cases.md, "The packet vocabulary"):
// building the packets a scripted host sends, checking the packets it
// expects, and the vocabulary's predicates for fault matches and `packets:`.
//
// A ScriptConn is one connection of a scripted host as the script sees it:
// its own end (address, port, ISN, the TS values it sent) and the stack's
// end (address, port, ISN and first TS val once a packet showed them). The
// runner keeps one per (scripted host, `conn:`); BuildScripted and
// CheckScripted read and update it. Pure: no clock, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/common/verdict.h"
#include "harness/model/case.h"
#include "harness/packet/packet_view.h"

namespace faultline {

struct ScriptConn {
  std::string name;          // `conn:` ("" the default), for messages
  std::string local_host;    // the scripted host's name
  std::string remote_host;   // the real host's name ("" until known)
  IpAddr local, remote;      // one family
  uint16_t local_port = 0;   // the scripted host's port
  uint16_t remote_port = 0;  // the stack's port (0 until known: a connection the stack opens)
  uint32_t local_isn = 0;    // what the script's relative seq 0 is
  bool remote_isn_known = false;
  uint32_t remote_isn = 0;  // learned from the stack's SYN / SYN-ACK
  bool remote_ts_known = false;
  uint32_t remote_first_ts = 0;  // the stack's first TS val (relative TS val 0)
  uint32_t remote_last_ts = 0;   // the stack's latest TS val (crafted `ecr: echo`)
  // absolute: the default seq of the next send. A send moves it to its end
  // (seq + length, SYN and FIN count one) only when it is in order or a
  // forward send: its seq at or after local_nxt and, when after it, inside
  // the stack's last advertised receive window (ack + scaled win; unknown
  // window: in order only). An explicit old seq, one beyond the window, a
  // RST and a SYN other than the connection's opening SYN leave it.
  uint32_t local_nxt = 0;
  bool local_syn_sent = false;     // the script sent its opening SYN (or SYN-ACK)
  bool local_wscale_sent = false;  // the script's SYN carried a window scale
  int remote_wscale = -1;          // the stack's SYN's window scale (-1: none)
  bool remote_window_known = false;
  uint32_t remote_window_edge = 0;  // absolute: the stack's ack + scaled win
  uint32_t remote_nxt =
      0;  // absolute: the highest seq + length the stack sent (valid once remote_isn_known)
  // The stack's latest packet on this connection, from its IP header (the
  // quote of a crafted ICMP error; empty until one came).
  std::vector<uint8_t> last_remote_packet;
  // Every lab host's name by address (filled by the runner): failure lines
  // name a host by name even when the step gave none (an expect without
  // `from:`). local_host / remote_host win for their own addresses.
  std::map<IpAddr, std::string> host_names;
};

// Builds the packet of a `send:` step from `c.local` to `c.remote`
// (REQUIRES: both addresses set, one family; remote_port known).
// Defaults for unset fields: proto tcp; flags "." (ACK); seq: c.local_nxt
// (the next sequence number after what the script sent so far); ack, when
// the ACK flag is set: c.remote_nxt (everything the stack sent), else 0;
// win 65535; no options; no payload (`length: N` without `data:` sends N
// bytes 'a'..'z' repeated); TTL 64 / hop limit 64, DSCP and ECN 0, DF set,
// IP ID 0. An `icmp:` packet is an error (from c.local) quoting
// c.last_remote_packet (kInvalidInput if there is none yet).
// kInvalidInput when a relative value needs what is not known yet, in the
// case's words: "ack is relative to the ISN of server, which no packet of
// server has shown yet (write raw-ack: N)". Moves c.local_nxt as
// ScriptConn::local_nxt says. ICMP types and codes per family (RFC 792,
// 1191, 4443); unreachable code protocol (2) in IPv6 is kInvalidInput:
// ICMPv6 has no such destination-unreachable code.
StatusOr<std::vector<uint8_t>> BuildScripted(const PacketFields& f, ScriptConn& c);

// Checks a packet the stack sent to the scripted host against an `expect:`
// step. First the connection: the packet must go to c.local:c.local_port
// and come from c.remote:c.remote_port, each as far as known (the stack's
// address and port are learned from the first packet of a connection the
// stack opens): otherwise "(connection: expected server:8080 > peer:7000 vs
// actual server:8080 > peer:7001)" (unknown parts "*"). Only a packet of the
// connection teaches `c` (remote port and address, its ISN from
// SYN/SYN-ACK, TS vals, window, the last packet); then every set field is
// compared. Pass, or Fail whose message is
// `expected <fields> vs actual <packet line>` followed by the first field
// that differs: "(ack: expected 1 vs actual 1001)". Both lines use the
// one dump format (packet_dump.h) with seq/ack relative to the ISNs.
Verdict CheckScripted(const PacketFields& f, std::span<const uint8_t> bytes, ScriptConn& c);

// Whether a packet holds every set field of `f` (fault matches, `packets:`,
// `ignore:`). rel_seq / rel_ack as ConnTable gives them (unset: a relative
// seq/ack field does not hold). TS values and SACK blocks are compared raw
// here (no script connection); `ecr: echo` is not allowed in these.
bool FieldsHold(const PacketFields& f, const PacketView& v, std::span<const uint8_t> bytes,
                std::optional<uint32_t> rel_seq, std::optional<uint32_t> rel_ack);

// The packet line of `bytes` as the script sees it: hosts by name, seq/ack
// relative to c's ISNs (the one dump format).
std::string ScriptedLine(std::span<const uint8_t> bytes, const ScriptConn& c);

}  // namespace faultline
