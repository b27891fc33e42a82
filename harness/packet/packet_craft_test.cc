#include "harness/packet/packet_craft.h"

#include "harness/packet/golden_packets_test.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

using golden::kV4Syn;
using golden::kV6HbhUdp;

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a)) << s;
  return a;
}

TEST(InetChecksum, Rfc1071Example) {
  // RFC 1071 section 3: the sum of these words is 0xddf2; checksum ~0xddf2.
  const std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InetChecksum(d), static_cast<uint16_t>(~0xddf2));
  EXPECT_EQ(InetChecksum({}), 0xffff);
  const std::vector<uint8_t> odd = {0x01};
  EXPECT_EQ(InetChecksum(odd), static_cast<uint16_t>(~0x0100));
}

TEST(BuildSegment, ReproducesGoldenIpv4Syn) {
  SegmentSpec s;
  s.src = Addr("198.18.1.2");
  s.dst = Addr("198.18.2.2");
  s.sport = 40000;
  s.dport = 8080;
  s.seq = 0x01020304;
  s.flags = kTcpSyn;
  s.window = 64240;
  s.tcp_options = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  EXPECT_EQ(BuildSegment(s), kV4Syn);
}

TEST(BuildSegment, Ipv6TcpRoundTripsThroughTheParser) {
  SegmentSpec s;
  s.src = Addr("2001:2:0:1::2");
  s.dst = Addr("2001:2:0:2::2");
  s.sport = 1;
  s.dport = 2;
  s.seq = 7;
  s.ack = 9;
  s.flags = kTcpRst | kTcpAck;
  s.payload = "xyz";
  std::vector<uint8_t> b = BuildSegment(s);
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.v6);
  EXPECT_EQ(v.FlagString(), "R.");
  EXPECT_EQ(v.seq, 7u);
  EXPECT_EQ(v.ack, 9u);
  EXPECT_EQ(v.payload_len, 3u);
  // The checksum verifies: recomputing it changes nothing.
  std::vector<uint8_t> again = b;
  ASSERT_TRUE(FixChecksums(again));
  EXPECT_EQ(again, b);
}

TEST(FixChecksums, RestoresGoldenChecksumsIncludingIpv6ExtensionHeaders) {
  for (std::vector<uint8_t> golden : {kV4Syn, kV6HbhUdp}) {
    std::vector<uint8_t> b = golden;
    PacketView v = ParsePacket(b);
    b[v.l4_offset + (v.is_tcp() ? 16 : 6)] ^= 0x5a;
    if (!v.v6) b[10] ^= 0x11;
    ASSERT_TRUE(FixChecksums(b));
    EXPECT_EQ(b, golden);
  }
}

TEST(FixChecksums, RefusesWhatItCannotParse) {
  std::vector<uint8_t> b = {0x45, 0};
  EXPECT_FALSE(FixChecksums(b));
}

TEST(CorruptPacket, FlipsAPayloadByteAndLeavesTheChecksumWrong) {
  std::vector<uint8_t> golden = kV6HbhUdp;
  std::vector<uint8_t> b = golden;
  const long off = CorruptPacket(b);
  EXPECT_EQ(off, 57);  // payload "hi!" at 56..58: the middle byte
  EXPECT_EQ(b[57], static_cast<uint8_t>('i' ^ 0xff));
  // The checksum field is untouched, so it no longer matches.
  EXPECT_EQ(b[54], golden[54]);
  EXPECT_EQ(b[55], golden[55]);
  std::vector<uint8_t> fixed = b;
  FixChecksums(fixed);
  EXPECT_NE(fixed[54] << 8 | fixed[55], golden[54] << 8 | golden[55]);
}

TEST(CorruptPacket, EmptyPayloadFlipsTheWindow) {
  std::vector<uint8_t> b = kV4Syn;
  EXPECT_EQ(CorruptPacket(b), 35);  // TCP window low byte
  EXPECT_EQ(b[35], 0xf0 ^ 0xff);
  std::vector<uint8_t> junk = {0x45, 0, 0};
  EXPECT_EQ(CorruptPacket(junk), -1);
}

}  // namespace
}  // namespace faultline
