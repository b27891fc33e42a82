// Matching one packet against one fault's FaultMatch.
//
// Evaluation is split in the order the semantics need (docs/faults.md):
//  1. MatchPredicates: direction, protocol, TCP classes, payload length,
//     relative seq/ack, time window, the vocabulary's fields (FieldsHold).
//     Pure.
//  2. the caller counts the packet for the fault (per connection+direction)
//     when the predicates hold, then
//  3. MatchOccurrence: nth / first / every / after against that count, and
//  4. probability: a draw from the fault's PRNG, only for packets that
//     passed 1-3 (so the draw sequence depends only on those packets).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "harness/model/case.h"
#include "harness/packet/packet_view.h"

namespace faultline {

// What a match can look at besides the bytes.
struct PacketFacts {
  const PacketView* view = nullptr;
  std::string from, to;             // lab host names; "" if not a lab host
  int64_t since_start_ns = 0;       // arrival time minus case start
  std::optional<uint32_t> rel_seq;  // ConnTable::RelSeq
  std::optional<uint32_t> rel_ack;  // ConnTable::RelAck
  // ConnTable::IsRetransmission (nullopt: not TCP, or not known).
  std::optional<bool> retransmission;
  // The packet's bytes (`view` was parsed from them): the vocabulary's
  // fields (FaultMatch::fields: options, data) read them. Empty: such a
  // field does not hold.
  std::span<const uint8_t> bytes;
};

// Whether `c` holds for a TCP packet (see TcpClass in harness/model/case.h).
bool TcpClassHolds(TcpClass c, const PacketView& v);

bool MatchPredicates(const FaultMatch& m, const PacketFacts& f);

// `count` is the 1-based number of this packet among those that passed
// MatchPredicates on its connection and direction.
bool MatchOccurrence(const FaultMatch& m, int64_t count);

}  // namespace faultline
