#include "harness/pktdrill/tfo_cookie.h"

#include <arpa/inet.h>

#include <array>
#include <cstdio>
#include <vector>

namespace faultline::pkt {
namespace {

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13) ^ v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16) ^ v2;
    v0 += v3;
    v3 = Rotl(v3, 21) ^ v0;
    v2 += v1;
    v1 = Rotl(v1, 17) ^ v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t Le64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// The address's bytes in network order (4 or 16), or empty.
std::vector<uint8_t> AddrBytes(const std::string& text) {
  std::array<uint8_t, 16> buf{};
  if (inet_pton(AF_INET, text.c_str(), buf.data()) == 1) return {buf.begin(), buf.begin() + 4};
  if (inet_pton(AF_INET6, text.c_str(), buf.data()) == 1) return {buf.begin(), buf.end()};
  return {};
}

}  // namespace

uint64_t SipHash24(uint64_t k0, uint64_t k1, std::span<const uint8_t> data) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const size_t whole = data.size() - data.size() % 8;
  for (size_t i = 0; i < whole; i += 8) s.Compress(Le64(data.data() + i, 8));
  const uint64_t last = (static_cast<uint64_t>(data.size() & 0xff) << 56) |
                        Le64(data.data() + whole, data.size() - whole);
  s.Compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::optional<FastOpenKey> ParseFastOpenKey(const std::string& text) {
  unsigned w[4] = {};
  char end = 0;
  const std::string primary = text.substr(0, text.find(','));
  if (std::sscanf(primary.c_str(), "%8x-%8x-%8x-%8x%c", &w[0], &w[1], &w[2], &w[3], &end) != 4) {
    return std::nullopt;
  }
  return FastOpenKey{static_cast<uint64_t>(w[1]) << 32 | w[0],
                     static_cast<uint64_t>(w[3]) << 32 | w[2]};
}

std::optional<std::string> FastOpenCookie(const FastOpenKey& key, const std::string& src,
                                          const std::string& dst) {
  std::vector<uint8_t> in = AddrBytes(src);
  const std::vector<uint8_t> d = AddrBytes(dst);
  if (in.empty() || in.size() != d.size()) return std::nullopt;
  in.insert(in.end(), d.begin(), d.end());
  const uint64_t h = SipHash24(key.k0, key.k1, in);
  std::string cookie(8, '\0');
  for (int i = 0; i < 8; ++i) cookie[static_cast<size_t>(i)] = static_cast<char>(h >> (8 * i));
  return cookie;
}

}  // namespace faultline::pkt
