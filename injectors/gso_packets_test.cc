// GSO super-packets as the queue hands them over with NFQA_CFG_F_GSO on a
// link with offloads on: many segments' payload in one IP packet, larger
// than the MTU, transport checksum not computed (only the pseudo-header
// sum), and above 64 KB ("BIG TCP") an IPv4 total length / IPv6 payload
// length of 0. The parser and the engine must take them as one packet.
#include <gtest/gtest.h>

#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_view.h"
#include "injectors/fault_engine.h"

namespace faultline {
namespace {

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

// A TCP data packet client -> server carrying `payload_len` bytes, with the
// TCP checksum replaced by a "partial" value as a CHECKSUM_PARTIAL skb has.
std::vector<uint8_t> SuperPacket(bool v6, size_t payload_len) {
  SegmentSpec s;
  s.src = Addr(v6 ? "2001:2:0:1::2" : "198.18.1.2");
  s.dst = Addr(v6 ? "2001:2:0:2::2" : "198.18.2.2");
  s.sport = 40000;
  s.dport = 8080;
  s.seq = 1001;
  s.ack = 5001;
  s.flags = kTcpAck | kTcpPsh;
  s.payload.assign(payload_len, 'x');
  std::vector<uint8_t> b = BuildSegment(s);
  const size_t l4 = v6 ? 40 : 20;
  b[l4 + 16] = 0x12;  // not the real checksum
  b[l4 + 17] = 0x34;
  return b;
}

// Makes a packet of more than 64 KB out of a smaller one the way BIG TCP
// does: more payload, and the IP length field 0.
std::vector<uint8_t> BigTcp(bool v6, size_t total) {
  std::vector<uint8_t> b = SuperPacket(v6, 1000);
  b.resize(total, 'y');
  if (v6) {
    b[4] = b[5] = 0;
  } else {
    b[2] = b[3] = 0;
  }
  return b;
}

TEST(GsoPacketTest, Ipv4SuperPacketAboveMtuParses) {
  const std::vector<uint8_t> b = SuperPacket(false, 45 * 1448);  // 65160 bytes of payload
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.ip_len, 20u + 20u + 45 * 1448);
  EXPECT_EQ(v.payload_len, 45u * 1448);
  EXPECT_EQ(v.seq, 1001u);
  EXPECT_EQ(v.FlagString(), "P.");
}

TEST(GsoPacketTest, Ipv6SuperPacketAboveMtuParses) {
  const std::vector<uint8_t> b = SuperPacket(true, 40000);
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.ip_len, 40u + 20u + 40000);
  EXPECT_EQ(v.payload_len, 40000u);
}

TEST(GsoPacketTest, Ipv4TotalLengthZeroAbove64KTakesTheBufferLength) {
  const std::vector<uint8_t> b = BigTcp(false, 100000);
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.ip_len, 100000u);
  EXPECT_EQ(v.payload_len, 100000u - 40);
  EXPECT_EQ(v.dport, 8080);
}

TEST(GsoPacketTest, Ipv4TotalLengthZeroOnASmallPacketIsStillMalformed) {
  std::vector<uint8_t> b = SuperPacket(false, 100);
  b[2] = b[3] = 0;
  const PacketView v = ParsePacket(b);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.error.find("bad IPv4 total length 0"), std::string::npos) << v.error;
}

TEST(GsoPacketTest, Ipv6PayloadLengthZeroAbove64KTakesTheBufferLength) {
  const std::vector<uint8_t> b = BigTcp(true, 100000);
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.ip_len, 100000u);
  EXPECT_EQ(v.payload_len, 100000u - 60);
}

TEST(GsoPacketTest, Ipv6JumboHopByHopHeaderAbove64K) {
  // Older BIG TCP kernels insert a hop-by-hop header with a jumbo payload
  // option (RFC 2675) and set the payload length to 0.
  std::vector<uint8_t> b = SuperPacket(true, 1000);
  const uint32_t total = 100000;
  std::vector<uint8_t> hbh = {6, 0, 0xc2, 4, 0, 0, 0, 0};
  const uint32_t jumbo = total - 40;
  for (int i = 0; i < 4; ++i) hbh[4 + i] = static_cast<uint8_t>(jumbo >> (24 - 8 * i));
  b.insert(b.begin() + 40, hbh.begin(), hbh.end());
  b[6] = 0;  // next header: hop-by-hop
  b[4] = b[5] = 0;
  b.resize(total, 'y');
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.is_tcp());
  EXPECT_EQ(v.l4_offset, 48u);
  EXPECT_EQ(v.payload_len, total - 68);
}

TEST(GsoPacketTest, Ipv6EmptyPayloadStaysForty) {
  std::vector<uint8_t> b(40, 0);
  b[0] = 0x60;
  b[6] = 59;  // no next header
  const PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.ip_len, 40u);
}

TEST(GsoPacketTest, EngineLogsASuperPacketAsOnePacketAndCountsItOnce) {
  EngineConfig c;
  c.hosts.push_back({"client", Addr("198.18.1.2"), Addr("2001:2:0:1::2")});
  c.hosts.push_back({"server", Addr("198.18.2.2"), Addr("2001:2:0:2::2")});
  Fault f;  // drop the 2nd data packet from the client
  f.index = 1;
  f.match.from = "client";
  f.match.tcp = {TcpClass::kData};
  f.match.nth = 2;
  f.action.kind = ActionKind::kDrop;
  c.faults.push_back(f);
  FaultEngine e(c);
  std::vector<Effect> fx;
  for (uint32_t id = 1; id <= 3; ++id) {
    const std::vector<uint8_t> b = SuperPacket(false, 20 * 1448);
    e.OnPacket(id, b, id * 1000, &fx);
  }
  ASSERT_EQ(fx.size(), 3u);
  EXPECT_EQ(fx[0].kind, Effect::Kind::kAccept);
  EXPECT_EQ(fx[1].kind, Effect::Kind::kDrop);  // 20 segments' worth in one verdict
  EXPECT_EQ(fx[2].kind, Effect::Kind::kAccept);
  ASSERT_EQ(e.log().size(), 3u);
  EXPECT_EQ(e.log()[1].payload_len, 20u * 1448);
  EXPECT_EQ(e.log()[1].wire_len, 40u + 20 * 1448);
  EXPECT_EQ(e.log()[1].action, "drop");
  EXPECT_EQ(e.log()[0].action, "pass");
}

}  // namespace
}  // namespace faultline
