#include "harness/packet/conn_track.h"

#include <gtest/gtest.h>

#include "harness/packet/packet_craft.h"

namespace faultline {
namespace {

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

std::vector<uint8_t> Seg(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                         const std::string& payload = "", uint16_t cport = 40000) {
  SegmentSpec s;
  s.src = Addr(from_client ? "198.18.1.2" : "198.18.2.2");
  s.dst = Addr(from_client ? "198.18.2.2" : "198.18.1.2");
  s.sport = from_client ? cport : 8080;
  s.dport = from_client ? 8080 : cport;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.payload = payload;
  return BuildSegment(s);
}

TEST(ConnTable, LearnsIsnsAndGivesRelativeNumbers) {
  ConnTable t(2);
  auto syn = Seg(true, kTcpSyn, 1000, 0);
  PacketView v = ParsePacket(syn);
  ConnRef c = t.Observe(v);
  ASSERT_NE(c.conn, nullptr);
  EXPECT_EQ(ConnTable::RelSeq(c, v), 0u);
  EXPECT_EQ(ConnTable::RelAck(c, v), std::nullopt);  // no ACK flag
  t.Advance(c, v);

  auto synack = Seg(false, kTcpSyn | kTcpAck, 0xfffffff0, 1001);  // ISN near wrap
  PacketView sa = ParsePacket(synack);
  ConnRef s = t.Observe(sa);
  EXPECT_EQ(s.conn, c.conn);
  EXPECT_NE(s.dir, c.dir);
  EXPECT_EQ(ConnTable::RelSeq(s, sa), 0u);
  EXPECT_EQ(ConnTable::RelAck(s, sa), 1u);
  t.Advance(s, sa);

  auto data = Seg(false, kTcpAck | kTcpPsh, 0xfffffff1, 1001, std::string(100, 'x'));
  PacketView d = ParsePacket(data);
  ConnRef dr = t.Observe(d);
  EXPECT_EQ(ConnTable::RelSeq(dr, d), 1u);
  t.Advance(dr, d);
  EXPECT_EQ(dr.conn->side[dr.dir].snd_nxt, 0xfffffff1u + 100);  // wrapped
  EXPECT_EQ(dr.conn->side[dr.dir].last_ack, 1001u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ConnTable, RetransmittedSynKeepsTheConnectionANewIsnStartsAnother) {
  ConnTable t(1);
  PacketView v1 = ParsePacket(Seg(true, kTcpSyn, 5, 0));
  ConnRef a = t.Observe(v1);
  a.conn->counters[a.dir][0] = 1;
  const uint64_t id = a.conn->id;
  PacketView v2 = ParsePacket(Seg(true, kTcpSyn, 5, 0));
  ConnRef b = t.Observe(v2);
  EXPECT_EQ(b.conn->id, id);
  EXPECT_EQ(b.conn->counters[b.dir][0], 1);
  PacketView v3 = ParsePacket(Seg(true, kTcpSyn, 99, 0));  // port reuse
  ConnRef c = t.Observe(v3);
  EXPECT_NE(c.conn->id, id);
  EXPECT_EQ(c.conn->counters[c.dir][0], 0);
}

TEST(ConnTable, DifferentPortsAreDifferentConnections) {
  ConnTable t(0);
  ConnRef a = t.Observe(ParsePacket(Seg(true, kTcpSyn, 1, 0, "", 1111)));
  ConnRef b = t.Observe(ParsePacket(Seg(true, kTcpSyn, 1, 0, "", 2222)));
  EXPECT_NE(a.conn, b.conn);
  EXPECT_EQ(t.size(), 2u);
}

TEST(ConnTable, MidStreamPacketsHaveNoRelativeNumbers) {
  ConnTable t(0);
  PacketView v = ParsePacket(Seg(true, kTcpAck, 77, 88, "x"));
  ConnRef r = t.Observe(v);
  EXPECT_EQ(ConnTable::RelSeq(r, v), std::nullopt);
  EXPECT_EQ(ConnTable::RelAck(r, v), std::nullopt);
}

TEST(ConnTable, UnparsedPacketsHaveNoConnection) {
  ConnTable t(0);
  std::vector<uint8_t> junk = {0x45};
  EXPECT_EQ(t.Observe(ParsePacket(junk)).conn, nullptr);
}

}  // namespace
}  // namespace faultline
