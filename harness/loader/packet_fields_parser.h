// The one packet vocabulary (docs/cases.md, "The packet vocabulary"): reads
// a PACKET map into PacketFields, for crafted packets (`send:` of a packet
// step or a `wire:` step: single values, `ecr: echo`), expected packets
// (`expect:`, `ignore:` items: ranges through range_parser.h) and the new
// keys of fault `match:` / `packets:` (FaultMatch::fields).
//
// Internal to the loader. Errors are kInvalidInput "FILE:LINE:COL: <prefix>
// <text>" as every loader message; a key's own errors start with the key
// ("flags: unknown flag 'X' in \"SX\" (use F S R P . U E W)"), an option's
// with its 0-based index in the list ("options[2]: ...").
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

enum class PacketUse {
  kCrafted,   // the case sends it: one value per field, `ecr: echo` allowed
  kExpected,  // expected / ignored: a field may be a range
};

// Every key of a PACKET map, in docs/cases.md's order.
const std::vector<std::string>& PacketKeys();
// The keys fault `match:` and `packets:` take from the vocabulary besides
// their own (they go into FaultMatch::fields).
const std::vector<std::string>& PacketMatchKeys();
// Option names (`options:` items) and ICMP types / code names.
const std::vector<std::string>& PacketOptionNames();
const std::vector<std::string>& IcmpTypeNames();
const std::vector<std::string>& IcmpCodeNames();
const std::vector<std::string>& IcmpKeys();

// One key of PacketKeys() into `f`. Checks of keys together are in
// CheckPacketFields.
Status ReadPacketField(const Entry& e, PacketUse use, const Scope& s, PacketFields* f);
// `seq` with `raw-seq` (or `ack` with `raw-ack`) anywhere in `m`: an error
// at the raw key.
Status CheckRawSeqAck(const std::vector<Entry>& m, const Scope& s);
// What single keys cannot see: seq with raw-seq, a TCP key with another
// proto, a crafted ack without the ACK flag, crafted length vs data.
// `m` is the map the fields came from (for locations).
Status CheckPacketFields(const std::vector<Entry>& m, PacketUse use, const Scope& s,
                         PacketFields* f);
// A whole PACKET map. `what` names it in "'send' must be a map" messages.
StatusOr<PacketFields> ParsePacketFields(const Val& v, PacketUse use, const std::string& what,
                                         const Scope& s);

}  // namespace faultline
