#include "harness/packet/matcher.h"

#include <gtest/gtest.h>

#include "harness/packet/packet_craft.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

std::vector<uint8_t> Tcp(uint8_t flags, const std::string& payload = "", uint16_t window = 65535) {
  SegmentSpec s;
  IpAddr::Parse("198.18.1.2", &s.src);
  IpAddr::Parse("198.18.2.2", &s.dst);
  s.sport = 40000;
  s.dport = 8080;
  s.flags = flags;
  s.payload = payload;
  s.window = window;
  return BuildSegment(s);
}

std::vector<uint8_t> Udp(const std::string& payload) {
  SegmentSpec s;
  IpAddr::Parse("2001:2:0:1::2", &s.src);
  IpAddr::Parse("2001:2:0:2::2", &s.dst);
  s.proto = 17;
  s.sport = 5000;
  s.dport = 9000;
  s.payload = payload;
  return BuildSegment(s);
}

TEST(TcpClassHolds, EachClass) {
  struct Row {
    uint8_t flags;
    const char* payload;
    std::vector<TcpClass> holds;
  };
  const std::vector<Row> rows = {
      {kTcpSyn, "", {TcpClass::kSyn}},
      {kTcpSyn | kTcpAck, "", {TcpClass::kSynAck}},
      {kTcpAck, "", {TcpClass::kAck}},
      {kTcpAck | kTcpPsh, "data", {TcpClass::kPsh, TcpClass::kData}},
      {kTcpAck, "data", {TcpClass::kData}},
      {kTcpFin | kTcpAck, "", {TcpClass::kFin}},
      {kTcpRst, "", {TcpClass::kRst}},
      {kTcpRst | kTcpAck, "", {TcpClass::kRst}},
  };
  const TcpClass all[] = {TcpClass::kSyn, TcpClass::kSynAck, TcpClass::kAck, TcpClass::kFin,
                          TcpClass::kRst, TcpClass::kPsh,    TcpClass::kData};
  for (const Row& r : rows) {
    auto b = Tcp(r.flags, r.payload);
    PacketView v = ParsePacket(b);
    for (TcpClass c : all) {
      const bool want = std::find(r.holds.begin(), r.holds.end(), c) != r.holds.end();
      EXPECT_EQ(TcpClassHolds(c, v), want)
          << TcpClassName(c) << " on " << v.FlagString() << " len " << v.payload_len;
    }
  }
  auto u = Udp("x");
  EXPECT_FALSE(TcpClassHolds(TcpClass::kData, ParsePacket(u)));
}

class MatchTest : public ::testing::Test {
 protected:
  bool Match(const FaultMatch& m, const std::vector<uint8_t>& b) {
    view_ = ParsePacket(b);
    facts_.view = &view_;
    return MatchPredicates(m, facts_);
  }
  PacketView view_;
  PacketFacts facts_{nullptr, "client", "server", 500'000'000, 1, 1, {}, {}};
};

TEST_F(MatchTest, EmptyMatchMatchesEveryParsedPacket) {
  FaultMatch m;
  EXPECT_TRUE(Match(m, Tcp(kTcpSyn)));
  EXPECT_TRUE(Match(m, Udp("x")));
  std::vector<uint8_t> junk = {0x45, 0};
  EXPECT_FALSE(Match(m, junk));
}

TEST_F(MatchTest, Direction) {
  FaultMatch m;
  m.from = "client";
  EXPECT_TRUE(Match(m, Tcp(kTcpSyn)));
  m.from = "server";
  EXPECT_FALSE(Match(m, Tcp(kTcpSyn)));
  m.from = "";
  m.to = "server";
  EXPECT_TRUE(Match(m, Tcp(kTcpSyn)));
  m.to = "client";
  EXPECT_FALSE(Match(m, Tcp(kTcpSyn)));
}

TEST_F(MatchTest, ProtocolAndClasses) {
  FaultMatch m;
  m.proto = Proto::kUdp;
  EXPECT_TRUE(Match(m, Udp("x")));
  EXPECT_FALSE(Match(m, Tcp(kTcpSyn)));
  m.proto = Proto::kAny;
  m.tcp = {TcpClass::kSyn};  // implies tcp
  EXPECT_FALSE(Match(m, Udp("x")));
  EXPECT_TRUE(Match(m, Tcp(kTcpSyn)));
  EXPECT_FALSE(Match(m, Tcp(kTcpSyn | kTcpAck)));
  m.tcp = {TcpClass::kPsh, TcpClass::kData};  // all must hold
  EXPECT_TRUE(Match(m, Tcp(kTcpPsh | kTcpAck, "x")));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, "x")));
  m.tcp.clear();
  m.proto = Proto::kIcmp;
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
}

TEST_F(MatchTest, LengthSeqAckWindow) {
  FaultMatch m;
  m.length = IntRange{1, 10};
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "12345")));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, std::string(11, 'x'))));
  m.length.reset();
  m.seq = IntRange{1, 1};
  EXPECT_TRUE(Match(m, Tcp(kTcpAck)));
  facts_.rel_seq = 2;
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
  facts_.rel_seq.reset();  // ISN unknown: a seq match cannot hold
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
  m.seq.reset();
  m.ack = IntRange{0, 5};
  EXPECT_TRUE(Match(m, Tcp(kTcpAck)));
  facts_.rel_ack.reset();
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
  m.ack.reset();
  m.window = DurationRange{milliseconds(100), milliseconds(500)};
  EXPECT_TRUE(Match(m, Tcp(kTcpAck)));  // 500 ms: inclusive
  facts_.since_start_ns = 600'000'000;
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
  facts_.since_start_ns = 99'000'000;
  EXPECT_FALSE(Match(m, Tcp(kTcpAck)));
}

TEST_F(MatchTest, TcpWindowField) {
  FaultMatch m;
  m.win = IntRange{0, 0};  // a zero window
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "", 0)));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, "", 1)));
  m.win = IntRange{1, 65535};  // any open window
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "", 1)));
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "", 65535)));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, "", 0)));
  m.win = IntRange{100, 200};  // inclusive at both ends
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "", 100)));
  EXPECT_TRUE(Match(m, Tcp(kTcpAck, "", 200)));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, "", 99)));
  EXPECT_FALSE(Match(m, Tcp(kTcpAck, "", 201)));
  m.win = IntRange{0, 65535};  // every TCP segment, but nothing else
  EXPECT_TRUE(Match(m, Tcp(kTcpSyn)));
  EXPECT_FALSE(Match(m, Udp("x")));
}

TEST(MatchOccurrence, NthFirstEveryAfter) {
  FaultMatch m;
  EXPECT_TRUE(MatchOccurrence(m, 7));
  m.nth = 2;
  EXPECT_FALSE(MatchOccurrence(m, 1));
  EXPECT_TRUE(MatchOccurrence(m, 2));
  EXPECT_FALSE(MatchOccurrence(m, 3));
  m.nth.reset();
  m.first = 2;
  EXPECT_TRUE(MatchOccurrence(m, 1));
  EXPECT_TRUE(MatchOccurrence(m, 2));
  EXPECT_FALSE(MatchOccurrence(m, 3));
  m.first.reset();
  m.every = 3;
  EXPECT_FALSE(MatchOccurrence(m, 1));
  EXPECT_TRUE(MatchOccurrence(m, 3));
  EXPECT_TRUE(MatchOccurrence(m, 6));
  EXPECT_FALSE(MatchOccurrence(m, 7));
  m.every.reset();
  m.after = 2;
  EXPECT_FALSE(MatchOccurrence(m, 2));
  EXPECT_TRUE(MatchOccurrence(m, 3));
  m.after = 0;
  EXPECT_TRUE(MatchOccurrence(m, 1));
}

TEST_F(MatchTest, VocabularyFieldsNeedTheBytes) {
  FaultMatch m;
  m.fields.flags = kTcpPsh | kTcpAck;
  m.fields.data = "hello";
  const std::vector<uint8_t> b = Tcp(kTcpPsh | kTcpAck, "hello");
  facts_.bytes = b;
  EXPECT_TRUE(Match(m, b));
  m.fields.data = "hellO";
  EXPECT_FALSE(Match(m, b));
  m.fields.data.reset();
  m.fields.flags = kTcpAck;  // the exact set: P. is not .
  EXPECT_FALSE(Match(m, b));
  m.fields.flags.reset();
  m.fields.ttl = IntRange{64, 64};
  EXPECT_TRUE(Match(m, b));
  m.fields.ttl = IntRange{1, 63};
  EXPECT_FALSE(Match(m, b));
  m.fields.ttl.reset();
  m.fields.options = std::vector<OptionSpec>{};  // no options
  EXPECT_TRUE(Match(m, b));
  facts_.bytes = {};  // not given: a field reading the bytes does not hold
  m.fields.options.reset();
  m.fields.data = "hello";
  EXPECT_FALSE(Match(m, b));
}

}  // namespace
}  // namespace faultline
