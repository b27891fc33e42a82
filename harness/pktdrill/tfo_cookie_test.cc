#include "harness/pktdrill/tfo_cookie.h"

#include <gtest/gtest.h>

#include <vector>

namespace faultline::pkt {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// The SipHash paper's test vectors: key 00 01 .. 0f, message 00 01 .. n-1.
TEST(SipHash24, ReferenceVectors) {
  const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
  auto hash = [&](size_t n) {
    std::vector<uint8_t> m(n);
    for (size_t i = 0; i < n; ++i) m[i] = static_cast<uint8_t>(i);
    return SipHash24(k0, k1, m);
  };
  EXPECT_EQ(hash(0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(hash(1), 0x74f839c593dc67fdULL);
  EXPECT_EQ(hash(2), 0x0d6c8009d9a94f5aULL);
  EXPECT_EQ(hash(7), 0xab0200f58b01d137ULL);
  EXPECT_EQ(hash(8), 0x93f5f5799a932462ULL);
  EXPECT_EQ(hash(15), 0xa129ca6149be45e5ULL);
  EXPECT_EQ(hash(63), 0x958a324ceb064572ULL);
}

TEST(FastOpenKey, ParsesTheSysctlsForm) {
  std::optional<FastOpenKey> k = ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->k0, 0xb2b2b2b2a1a1a1a1ULL);
  EXPECT_EQ(k->k1, 0xd4d4d4d4c3c3c3c3ULL);
  k = ParseFastOpenKey("00000001-00000002-00000003-00000004,a-b-c-d");  // backup key ignored
  ASSERT_TRUE(k);
  EXPECT_EQ(k->k0, 0x0000000200000001ULL);
  EXPECT_FALSE(ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3"));
  EXPECT_FALSE(ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4x"));
  EXPECT_FALSE(ParseFastOpenKey(""));
}

// packetdrill's run_all.py values (its TFO_COOKIE for each family) for the
// key its defaults.sh sets: the SYN goes from the script's side (remote) to
// the stack (local).
TEST(FastOpenCookie, MatchesTheKernelsForPacketdrillsAddresses) {
  const FastOpenKey key = *ParseFastOpenKey("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
  EXPECT_EQ(Hex(*FastOpenCookie(key, "192.0.2.1", "192.168.0.1")), "3021b9d889017eeb");
  EXPECT_EQ(Hex(*FastOpenCookie(key, "fd3d:fa7b:d17d::1", "fd3d:0a0b:17d6::1")),
            "c1d1e9742a47a9bc");
  // Direction matters: the source address comes first.
  EXPECT_NE(Hex(*FastOpenCookie(key, "192.168.0.1", "192.0.2.1")), "3021b9d889017eeb");
  EXPECT_FALSE(FastOpenCookie(key, "192.0.2.1", "fd3d::1"));
  EXPECT_FALSE(FastOpenCookie(key, "192.0.2", "192.168.0.1"));
}

}  // namespace
}  // namespace faultline::pkt
