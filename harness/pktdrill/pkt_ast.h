// The packetdrill script language as a syntax tree (pkt_parser.h builds it,
// pkt_translate.h turns it into a Case). Facts about the language come from
// packetdrill's documentation and scripts; the structures are our own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "harness/model/source_loc.h"

namespace faultline::pkt {

// A system call argument or result: `...`, 42, -1, 0x10, SYMBOL, "text",
// A|B, [e, ...], {name=e, ...}, name(args) (htons(8080), inet_addr("...")).
struct ExprField;

struct Expr {
  enum class Kind { kEllipsis, kInt, kSymbol, kString, kOr, kList, kStruct, kCall };
  Kind kind = Kind::kEllipsis;
  SourceLoc loc;
  int64_t num = 0;          // kInt
  std::string text;         // kSymbol / kString / kCall (function name)
  std::vector<Expr> elems;  // kOr operands, kList elements, kCall arguments
  // kStruct: field name -> value; `msg_iov(1)=[...]` keeps its count in
  // `counts` at the same index (-1 when none).
  std::vector<ExprField> fields;
  std::vector<int64_t> counts;
  const Expr* Field(const std::string& name) const;
  std::string ToString() const;  // as written, normalised
};

// One `name=value` of a struct expression (a named pair: std::pair of an
// incomplete Expr is not allowed inside Expr itself).
struct ExprField {
  ExprField() = default;
  ExprField(std::string name, Expr value) : first(std::move(name)), second(std::move(value)) {}
  std::string first;  // the field name
  Expr second;        // its value
};

// An event's time (seconds in the script; microseconds here).
struct Time {
  enum class Kind { kAbsolute, kRelative, kAny };
  Kind kind = Kind::kAbsolute;
  int64_t usecs = 0;
  std::optional<int64_t> range_end_usecs;     // `0.1~0.2`, `+0~+0.1`
  std::optional<int64_t> blocking_end_usecs;  // `0...0.2` (a blocking call's return)
};

struct TcpOption {
  SourceLoc loc;
  std::string name;   // nop, eol, mss, wscale, sackOK, sack, TS, FO, FOEXP, or a raw kind
  int64_t value = 0;  // mss, wscale
  std::vector<std::pair<int64_t, int64_t>> sack;  // sack blocks
  int64_t ts_val = 0, ts_ecr = 0;                 // TS
  std::string cookie;  // FO (hex digits; "" = request); md5: the digest's hex digits
};

struct Packet {
  bool inbound = true;  // `<` toward the stack; `>` from it
  enum class Proto { kTcp, kUdp, kIcmp } proto = Proto::kTcp;
  std::string ecn;                              // "", "noecn", "ect0", "ect1", "ce", "ect01"
  std::string flags;                            // "S.", "P.", "F.", ".", "" (`-`: no flags)
  int64_t seq_start = 0, seq_end = 0, len = 0;  // TCP; UDP: len
  std::optional<int64_t> ack, win, urg;
  std::optional<std::vector<TcpOption>> options;  // unset: none written
  bool options_any = false;                       // `<...>`
  // ICMP: type, code (names as written) and mtu; the quoted segment is kept
  // only as written.
  std::string icmp_type, icmp_code;
  std::optional<int64_t> icmp_mtu;
};

struct Syscall {
  std::string name;
  SourceLoc name_loc;
  std::vector<Expr> args;
  Expr result;
  std::string errno_name;  // "" when none
  std::string note;        // the `(...)` after the result, without parentheses
};

struct Shell {
  std::string command;  // between the backquotes
  // packetdrill's untimed `shell` lines: the first event of a script (its
  // init command, run before the script's clock starts) and the last (its
  // cleanup command). Any other shell line has a time.
  enum class Role { kTimed, kInit, kCleanup };
  Role role = Role::kTimed;
};

struct Code {
  std::string text;  // between %{ and }%
};

struct Event {
  SourceLoc loc;  // of the time
  Time time;
  std::variant<Packet, Syscall, Shell, Code> body;
};

struct HeaderOption {
  SourceLoc loc;
  std::string name;   // without the leading --
  std::string value;  // "" for a flag
};

struct Script {
  std::string file;
  std::vector<HeaderOption> options;
  std::vector<Event> events;
};

}  // namespace faultline::pkt
