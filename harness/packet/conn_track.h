// ConnTable: per-connection state the wire learns from the packets it sees.
//
// A connection is a protocol plus an unordered pair of (address, port)
// endpoints; its two directions are 0 (from the lower endpoint) and 1. For
// TCP the table learns each side's ISN from its SYN / SYN-ACK, the next
// sequence number each side will send, and the last ACK each side sent; a
// SYN (without ACK) carrying a different ISN than the one known starts a new
// connection on the same 4-tuple (all state, counters included, is reset).
// UDP and ICMP get an entry per 4-tuple (ICMP: ports 0) with counters only.
//
// Not thread-safe: owned by the wire thread's FaultEngine. Entries live until
// the table is destroyed (a case's lifetime).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "harness/packet/packet_view.h"

namespace faultline {

struct ConnSide {
  bool isn_known = false;
  uint32_t isn = 0;
  bool sent = false;
  uint32_t snd_nxt = 0;  // highest seq + length (SYN/FIN count 1) sent
  bool ack_known = false;
  uint32_t last_ack = 0;  // the ACK field of its last segment with ACK set
};

struct Conn {
  uint64_t id = 0;  // unique in the table, never reused (also across resets)
  uint8_t proto = 0;
  IpAddr addr[2];
  uint16_t port[2] = {0, 0};
  ConnSide side[2];
  // Per fault (index 0-based), per direction: how many packets matched the
  // fault's predicates (before occurrence and probability).
  std::vector<int64_t> counters[2];
};

struct ConnRef {
  Conn* conn = nullptr;
  int dir = 0;  // the direction of the packet: its sender is side[dir]
};

class ConnTable {
 public:
  explicit ConnTable(size_t num_faults) : num_faults_(num_faults) {}

  // Finds or creates the connection of a parsed packet and updates the ISNs
  // (SYN, SYN-ACK). Call before matching; call Advance after the packet's
  // fate is decided (sequence state follows what was sent, delivered or not).
  // Returns {nullptr, 0} for packets that are not ok.
  ConnRef Observe(const PacketView& v);
  // Records the sequence and ACK state carried by `v` (TCP only).
  void Advance(const ConnRef& ref, const PacketView& v);

  // Relative numbers for a TCP packet: seq relative to the sender's ISN and
  // ack relative to the receiver's ISN; nullopt when the ISN is not known
  // (or, for ack, when the ACK flag is clear).
  static std::optional<uint32_t> RelSeq(const ConnRef& ref, const PacketView& v);
  static std::optional<uint32_t> RelAck(const ConnRef& ref, const PacketView& v);
  // Whether a TCP packet is a retransmission (call before Advance): it
  // carries sequence space (payload, SYN or FIN; each flag counts 1) and
  // none of it extends beyond the highest sequence its sender has sent on
  // this connection (ConnSide::snd_nxt, i.e. snd_max). A segment that
  // re-sends old data and adds new data is an original. Never a
  // retransmission: a segment with no sequence space (pure ACKs, window
  // updates, Linux's keepalive and zero-window probes: seq snd_una - 1, no
  // payload), an RST, the first segment the wire sees from that side.
  // A 1-byte keepalive (seq snd_max - 1, one old byte: other stacks) is one.
  // nullopt for packets that are not TCP (or not parsed).
  static std::optional<bool> IsRetransmission(const ConnRef& ref, const PacketView& v);

  size_t size() const { return conns_.size(); }

 private:
  using Key = std::tuple<uint8_t, IpAddr, uint16_t, IpAddr, uint16_t>;
  size_t num_faults_;
  uint64_t next_id_ = 1;
  std::map<Key, std::unique_ptr<Conn>> conns_;
};

// Sequence-space comparison (RFC 793 modular arithmetic): a after b.
inline bool SeqAfter(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace faultline
