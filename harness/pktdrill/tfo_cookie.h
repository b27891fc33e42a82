// TCP Fast Open cookies as Linux derives them (net/ipv4/tcp_fastopen.c), so
// that a script's cookie, computed for packetdrill's addresses, can be
// mapped to the cookie the lab's stack derives for the lab's addresses.
//
// Linux: the key is net.ipv4.tcp_fastopen_key, four 32-bit hex words
// "w0-w1-w2-w3"; SipHash-2-4's key is k0 = w1:w0, k1 = w3:w2 (high:low
// 32 bits); the input is the SYN's source address followed by its
// destination address (4 + 4 or 16 + 16 bytes); the 8-byte cookie is the
// hash in little-endian byte order. Checked against packetdrill's run_all
// values: key a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4, SYN 192.0.2.1 >
// 192.168.0.1 gives 3021b9d889017eeb (fd3d:fa7b:d17d::1 > fd3d:a0b:17d6::1:
// c1d1e9742a47a9bc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace faultline::pkt {

// SipHash-2-4 (Aumasson and Bernstein) of `data` under the key (k0, k1),
// the 128-bit key's two little-endian 64-bit halves.
uint64_t SipHash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> data);

struct FastOpenKey {
  uint64_t k0 = 0, k1 = 0;
};

// "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4" (the sysctl's form; a second,
// comma-separated backup key is ignored), or nullopt.
std::optional<FastOpenKey> ParseFastOpenKey(const std::string& text);

// The cookie (8 bytes) the stack derives for a SYN from `src` to `dst`
// (textual IPv4 or IPv6 addresses, one family), or nullopt for an address
// that does not parse or mixed families.
std::optional<std::string> FastOpenCookie(const FastOpenKey& key, const std::string& src,
                                          const std::string& dst);

}  // namespace faultline::pkt
