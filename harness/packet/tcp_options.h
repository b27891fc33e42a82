// TCP options as a typed list: what the parser returns for a segment's
// option bytes, what the builder serialises, and what the dump prints
// (tcpdump style: "<mss 1460,sackOK,TS val 12 ecr 0,nop,wscale 7>").
//
// ParseTcpOptions never reads outside the given bytes: a malformed list
// (a length byte missing, running past the end, or wrong for its kind) comes
// back with the options before the fault and `error` saying where.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace faultline {

enum TcpOptionKind : uint8_t {
  kTcpOptEol = 0,
  kTcpOptNop = 1,
  kTcpOptMss = 2,
  kTcpOptWindowScale = 3,
  kTcpOptSackPermitted = 4,
  kTcpOptSack = 5,
  kTcpOptTimestamp = 8,
  kTcpOptFastOpen = 34,  // RFC 7413
};

struct SackBlock {
  uint32_t left = 0, right = 0;
  bool operator==(const SackBlock&) const = default;
};

// One option. Only the fields of its kind are meaningful; any other kind
// keeps its bytes after kind and length in `data` (as does Fast Open: the
// cookie, empty for a cookie request).
struct TcpOption {
  uint8_t kind = kTcpOptNop;
  uint16_t mss = 0;
  uint8_t wscale = 0;
  uint32_t ts_val = 0, ts_ecr = 0;
  std::vector<SackBlock> sack;
  std::vector<uint8_t> data;

  bool operator==(const TcpOption&) const = default;
  static TcpOption Eol() { return Of(kTcpOptEol); }
  static TcpOption Nop() { return Of(kTcpOptNop); }
  static TcpOption Mss(uint16_t v);
  static TcpOption WindowScale(uint8_t v);
  static TcpOption SackPermitted() { return Of(kTcpOptSackPermitted); }
  static TcpOption Sack(std::vector<SackBlock> blocks);
  static TcpOption Timestamp(uint32_t val, uint32_t ecr);
  static TcpOption FastOpen(std::vector<uint8_t> cookie);  // empty: a cookie request
  static TcpOption Unknown(uint8_t kind, std::vector<uint8_t> bytes);
  static TcpOption Of(uint8_t kind) {
    TcpOption o;
    o.kind = kind;
    return o;
  }
  // Bytes on the wire (kind, length and value).
  size_t WireSize() const;
  // tcpdump style: "mss 1460", "sackOK", "TS val 1 ecr 0", "sack 1 {1:2}",
  // "tfo cookiereq", "tfo cookie 0a0b", "opt-253 0102".
  std::string ToString() const;
};

struct TcpOptionList {
  std::vector<TcpOption> options;  // in wire order; an EOL ends the list
  std::string error;               // "" if the whole list parsed
  bool ok() const { return error.empty(); }
};

// Parses the option bytes of a TCP header (after the fixed 20 bytes).
TcpOptionList ParseTcpOptions(std::span<const uint8_t> bytes);

// The options in order, padded with zero bytes (EOL) to a multiple of 4.
// Longer lists than a TCP header holds (40 bytes) are serialised whole;
// BuildSegment cuts them at 40 bytes (a data offset cannot say more).
std::vector<uint8_t> SerializeTcpOptions(const std::vector<TcpOption>& options);

// "<mss 1460,nop,wscale 7>"; a malformed list ends with ",[bad opt]" (or is
// "<[bad opt]>"); "" for no options.
std::string FormatTcpOptions(std::span<const uint8_t> bytes);

}  // namespace faultline
