#include "injectors/fault_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "injectors/testing_segments.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr int64_t kMs = 1'000'000;

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

FaultMatch From(const char* host, std::vector<TcpClass> tcp = {}) {
  FaultMatch m;
  m.from = host;
  m.tcp = std::move(tcp);
  return m;
}

FaultAction Act(ActionKind k) {
  FaultAction a;
  a.kind = k;
  return a;
}

// Drives a FaultEngine with crafted packets and checks the verdict contract
// (exactly one verdict per id) on every call.
class EngineTest : public ::testing::Test {
 protected:
  void Configure(std::vector<std::pair<FaultMatch, FaultAction>> faults, uint64_t seed = 42) {
    std::vector<Fault> fs;
    for (auto& [m, a] : faults) {
      Fault f;
      f.match = m;
      f.action = a;
      fs.push_back(f);
    }
    ConfigureFaults(std::move(fs), seed);
  }
  // Faults with their control keys (name, enabled, active); index is set here.
  void ConfigureFaults(std::vector<Fault> faults, uint64_t seed = 42) {
    EngineConfig c;
    c.hosts.push_back({"client", Addr("198.18.1.2"), Addr("2001:2:0:1::2")});
    c.hosts.push_back({"server", Addr("198.18.2.2"), Addr("2001:2:0:2::2")});
    int i = 1;
    for (Fault& f : faults) {
      f.index = i++;
      c.faults.push_back(f);
    }
    c.seed = seed;
    c.case_start_ns = 0;
    engine_ = std::make_unique<FaultEngine>(c);
  }

  std::vector<uint8_t> Seg(bool from_client, uint8_t flags, uint32_t rel_seq, uint32_t rel_ack,
                           const std::string& payload = "", uint16_t cport = 40000) {
    TestSegmentOptions o;
    o.v6 = v6_;
    o.client_port = cport;
    return TestSegment(from_client, flags, rel_seq, rel_ack, payload, o);
  }

  // Feeds a packet; returns its id.
  uint32_t Feed(const std::vector<uint8_t>& b, int64_t t) {
    const uint32_t id = next_id_++;
    packets_[id] = b;
    std::vector<Effect> fx;
    engine_->OnPacket(id, b, t, &fx);
    Collect(fx);
    return id;
  }
  void Handshake(int64_t t = 0, uint16_t cport = 40000) {
    Feed(Seg(true, kTcpSyn, 0, 0, "", cport), t);
    Feed(Seg(false, kTcpSyn | kTcpAck, 0, 1, "", cport), t);
    Feed(Seg(true, kTcpAck, 1, 1, "", cport), t);
  }
  void Timer(int64_t t) {
    std::vector<Effect> fx;
    engine_->OnTimer(t, &fx);
    Collect(fx);
  }
  void Step(const std::string& label, int64_t t) {
    std::vector<Effect> fx;
    engine_->OnStep(label, t, &fx);
    Collect(fx);
  }
  void Control(const FaultStep& f, int step_index, int64_t t) {
    engine_->OnControl(f, step_index, t);
  }
  void Stop(int64_t t) {
    std::vector<Effect> fx;
    engine_->OnStop(t, &fx);
    Collect(fx);
    EXPECT_EQ(engine_->held(), 0u);
    for (uint32_t id = 1; id < next_id_; ++id) {
      EXPECT_EQ(verdicts_.count(id), 1u) << "packet " << id << " has no verdict";
    }
  }
  void Collect(std::vector<Effect>& fx) {
    for (Effect& e : fx) {
      if (e.kind == Effect::Kind::kInject) {
        injected_.push_back(e.bytes);
        order_.push_back("inject");
        continue;
      }
      EXPECT_EQ(verdicts_.count(e.id), 0u) << "second verdict for " << e.id;
      verdicts_[e.id] = e;
      order_.push_back((e.kind == Effect::Kind::kAccept ? "A" : "D") + std::to_string(e.id));
    }
  }
  // "A5" accepted, "D5" dropped, "-" none yet.
  std::string Fate(uint32_t id) const {
    auto it = verdicts_.find(id);
    if (it == verdicts_.end()) return "-";
    return (it->second.kind == Effect::Kind::kAccept ? "A" : "D") + std::to_string(id);
  }
  const PacketRecord& Rec(uint32_t seq_no) const { return engine_->log().at(seq_no - 1); }
  std::vector<std::string> TakeOrder() { return std::exchange(order_, {}); }

  bool v6_ = false;
  std::unique_ptr<FaultEngine> engine_;
  uint32_t next_id_ = 1;
  std::map<uint32_t, std::vector<uint8_t>> packets_;
  std::map<uint32_t, Effect> verdicts_;
  std::vector<std::vector<uint8_t>> injected_;
  std::vector<std::string> order_;
};

TEST_F(EngineTest, NoFaultsPassesAndLogsEverything) {
  Configure({});
  Handshake(10);
  const uint32_t d = Feed(Seg(true, kTcpAck | kTcpPsh, 1, 1, "hello"), 20);
  EXPECT_EQ(Fate(d), "A4");
  ASSERT_EQ(engine_->log().size(), 4u);
  const PacketRecord& syn = Rec(1);
  EXPECT_EQ(syn.seq_no, 1u);
  EXPECT_EQ(syn.from, "client");
  EXPECT_EQ(syn.to, "server");
  EXPECT_EQ(syn.proto, "tcp");
  EXPECT_EQ(syn.flags, "S");
  EXPECT_EQ(syn.action, "pass");
  EXPECT_EQ(syn.release_ns, 10);
  EXPECT_TRUE(syn.has_rel);
  EXPECT_EQ(syn.rel_seq, 0u);
  EXPECT_EQ(Rec(2).flags, "S.");
  EXPECT_EQ(Rec(2).rel_ack, 1u);
  const PacketRecord& data = Rec(4);
  EXPECT_EQ(data.flags, "P.");
  EXPECT_EQ(data.rel_seq, 1u);
  EXPECT_EQ(data.rel_ack, 1u);
  EXPECT_EQ(data.seq, kCisn + 1);
  EXPECT_EQ(data.payload_len, 5u);
  EXPECT_EQ(data.wire_len, 20u + 20u + 5u);
  EXPECT_EQ(PacketRecordLine(data),
            "client:40000 > server:8080 tcp P. seq 1 ack 1 win 65535 len 5");
  Stop(30);
}

TEST_F(EngineTest, UnparsedPacketsAreAcceptedAndLogged) {
  Configure({{FaultMatch{}, Act(ActionKind::kDrop)}});
  std::vector<uint8_t> junk = {0x45, 0, 0, 99};
  const uint32_t id = Feed(junk, 5);
  EXPECT_EQ(Fate(id), "A1");
  EXPECT_THAT(Rec(1).action, HasSubstr("unparsed: truncated IPv4 header"));
  EXPECT_EQ(Rec(1).proto, "other");
  EXPECT_EQ(Rec(1).fault, 0);
  Stop(6);
}

TEST_F(EngineTest, FirstSynDroppedRetransmissionPasses) {
  FaultMatch m = From("client", {TcpClass::kSyn});
  m.nth = 1;
  Configure({{m, Act(ActionKind::kDrop)}});
  const uint32_t a = Feed(Seg(true, kTcpSyn, 0, 0), 0);
  const uint32_t b = Feed(Seg(true, kTcpSyn, 0, 0), 1000 * kMs);  // retransmit, same ISN
  EXPECT_EQ(Fate(a), "D1");
  EXPECT_EQ(Fate(b), "A2");
  EXPECT_EQ(Rec(1).fault, 1);
  EXPECT_EQ(Rec(1).action, "drop");
  EXPECT_EQ(Rec(1).release_ns, 0);
  EXPECT_EQ(Rec(2).fault, 0);
  // A new connection (other port) counts from 1 again.
  const uint32_t c = Feed(Seg(true, kTcpSyn, 0, 0, "", 40001), 2000 * kMs);
  EXPECT_EQ(Fate(c), "D3");
  Stop(3000 * kMs);
}

TEST_F(EngineTest, OccurrenceCountsOnlyPacketsMatchingTheOtherPredicates) {
  FaultMatch m = From("client", {TcpClass::kData});
  m.every = 2;
  Configure({{m, Act(ActionKind::kDrop)}});
  Handshake();
  std::vector<std::string> fates;
  for (uint32_t i = 0; i < 4; ++i) {
    fates.push_back(Fate(Feed(Seg(true, kTcpAck, 1 + i * 10, 1, std::string(10, 'x')), 1)));
    Feed(Seg(true, kTcpAck, 11 + i * 10, 1), 1);  // pure ACKs do not count
    Feed(Seg(false, kTcpAck, 1, 1, "yy"), 1);     // other direction does not count
  }
  EXPECT_EQ(fates, (std::vector<std::string>{"A4", "D7", "A10", "D13"}));
  Stop(2);
}

TEST_F(EngineTest, FirstMatchWinsButEveryFaultCounts) {
  FaultMatch drop1 = From("client", {TcpClass::kData});
  drop1.nth = 1;
  FaultMatch delay1 = From("client", {TcpClass::kData});
  delay1.nth = 1;
  FaultAction delay = Act(ActionKind::kDelay);
  delay.delay = milliseconds(10);
  Configure({{drop1, Act(ActionKind::kDrop)}, {delay1, delay}});
  Handshake();
  const uint32_t a = Feed(Seg(true, kTcpAck, 1, 1, "a"), 0);
  const uint32_t b = Feed(Seg(true, kTcpAck, 2, 1, "b"), 0);
  EXPECT_EQ(Fate(a), "D4");
  EXPECT_EQ(Rec(4).fault, 1);
  // Fault 2 counted packet a too, so b is its 2nd: not nth 1, passes.
  EXPECT_EQ(Fate(b), "A5");
  EXPECT_EQ(Rec(5).fault, 0);
  Stop(1);
}

TEST_F(EngineTest, SeqAckLengthAndWindowMatches) {
  FaultMatch m;
  m.seq = IntRange{101, 200};
  m.length = IntRange{100, 100};
  m.window = DurationRange{milliseconds(10), milliseconds(20)};
  Configure({{m, Act(ActionKind::kDrop)}});
  Handshake();
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 1, 1, std::string(100, 'a')), 15 * kMs)), "A4");
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 101, 1, std::string(100, 'b')), 5 * kMs)), "A5");
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 101, 1, std::string(100, 'b')), 15 * kMs)), "D6");
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 101, 1, std::string(99, 'b')), 15 * kMs)), "A7");
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 101, 1, std::string(100, 'b')), 25 * kMs)), "A8");
  Stop(30 * kMs);
}

TEST_F(EngineTest, DelayHoldsEachPacketOnItsOwnTimerOthersFlow) {
  FaultMatch m = From("server", {TcpClass::kAck});
  FaultAction a = Act(ActionKind::kDelay);
  a.delay = milliseconds(200);
  Configure({{m, a}});
  Handshake();
  const uint32_t ack1 = Feed(Seg(false, kTcpAck, 1, 11), 0);
  const uint32_t data = Feed(Seg(true, kTcpAck, 11, 1, "x"), 50 * kMs);
  const uint32_t ack2 = Feed(Seg(false, kTcpAck, 1, 12), 100 * kMs);
  EXPECT_EQ(Fate(ack1), "-");
  EXPECT_EQ(Fate(data), "A5");  // not blocked by the held ACK
  EXPECT_EQ(engine_->NextDeadline(), 200 * kMs);
  Timer(199 * kMs);
  EXPECT_EQ(Fate(ack1), "-");
  Timer(200 * kMs);
  EXPECT_EQ(Fate(ack1), "A4");
  EXPECT_EQ(Fate(ack2), "-");
  EXPECT_EQ(engine_->NextDeadline(), 300 * kMs);
  Timer(301 * kMs);
  EXPECT_EQ(Fate(ack2), "A6");
  EXPECT_EQ(Rec(4).action, "delay 200ms");
  EXPECT_EQ(Rec(4).release_ns, 200 * kMs);
  EXPECT_EQ(Rec(6).release_ns, 301 * kMs);
  Stop(400 * kMs);
}

TEST_F(EngineTest, ReorderReleasesTheGroupInTheGivenOrder) {
  FaultMatch m = From("client", {TcpClass::kData});
  m.first = 3;
  FaultAction a = Act(ActionKind::kReorder);
  a.count = 3;
  a.order = {3, 1, 2};
  Configure({{m, a}});
  Handshake();
  TakeOrder();
  const uint32_t p1 = Feed(Seg(true, kTcpAck, 1, 1, "a"), 1);
  const uint32_t p2 = Feed(Seg(true, kTcpAck, 2, 1, "b"), 2);
  EXPECT_TRUE(TakeOrder().empty());
  const uint32_t p3 = Feed(Seg(true, kTcpAck, 3, 1, "c"), 3);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A6", "A4", "A5"}));
  EXPECT_EQ(Rec(p1).action, "reorder 1/3");
  EXPECT_EQ(Rec(p3).action, "reorder 3/3");
  EXPECT_EQ(Rec(p2).release_ns, 3);
  // The 4th data segment is past `first: 3`.
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 4, 1, "d"), 4)), "A7");
  Timer(1000 * kMs);  // the group's timer fires into nothing
  Stop(1001 * kMs);
}

TEST_F(EngineTest, ReorderDefaultsToReverseAndTimesOutWhenTheGroupNeverFills) {
  FaultMatch m = From("client", {TcpClass::kData});
  FaultAction a = Act(ActionKind::kReorder);
  a.count = 3;
  Configure({{m, a}});
  Handshake();
  TakeOrder();
  Feed(Seg(true, kTcpAck, 1, 1, "a"), 10 * kMs);
  Feed(Seg(true, kTcpAck, 2, 1, "b"), 20 * kMs);
  EXPECT_EQ(engine_->NextDeadline(), 260 * kMs);  // 250 ms after the first
  Timer(260 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A5", "A4"}));  // order 3,2,1 minus 3
  EXPECT_THAT(Rec(4).action, HasSubstr("group timeout"));
  Stop(300 * kMs);
}

TEST_F(EngineTest, SwapReleasesRightAfterTheNextPacketOfTheSameDirection) {
  FaultMatch m = From("client", {TcpClass::kData});
  m.nth = 1;
  Configure({{m, Act(ActionKind::kSwap)}});
  Handshake();
  TakeOrder();
  Feed(Seg(true, kTcpAck, 1, 1, "a"), 1);
  Feed(Seg(false, kTcpAck, 1, 1), 2);  // other direction: not the partner
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A5"}));
  Feed(Seg(true, kTcpAck, 2, 1, "b"), 3);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A6", "A4"}));
  EXPECT_EQ(Rec(4).action, "swap");
  EXPECT_EQ(Rec(4).release_ns, 3);
  Stop(4);
}

TEST_F(EngineTest, SwapWithNoNextPacketIsReleasedAfterTheBound) {
  Configure({{From("client", {TcpClass::kData}), Act(ActionKind::kSwap)}});
  Handshake();
  const uint32_t p = Feed(Seg(true, kTcpAck, 1, 1, "a"), 0);
  Timer(249 * kMs);
  EXPECT_EQ(Fate(p), "-");
  Timer(250 * kMs);
  EXPECT_EQ(Fate(p), "A4");
  EXPECT_THAT(Rec(4).action, HasSubstr("no next packet"));
  // Every matching packet is a swap candidate; its partner is not held.
  const uint32_t q = Feed(Seg(true, kTcpAck, 2, 1, "b"), 300 * kMs);
  const uint32_t r = Feed(Seg(true, kTcpAck, 3, 1, "c"), 301 * kMs);
  EXPECT_EQ(Fate(q), "A5");
  EXPECT_EQ(Fate(r), "A6");
  EXPECT_EQ(Rec(6).action, "swap partner");
  Stop(400 * kMs);
}

// The wire's records carry the window and the option bytes, so the log line
// shows them, for the original and for the copies the wire makes.
TEST_F(EngineTest, LogLinesShowWindowOptionsAndTheFault) {
  v6_ = true;
  Configure({{From("client", {TcpClass::kSyn}), Act(ActionKind::kDuplicate)}});
  SegmentSpec s;
  s.src = Addr("2001:2:0:1::2");
  s.dst = Addr("2001:2:0:2::2");
  s.sport = 40000;
  s.dport = 8080;
  s.seq = kCisn;
  s.flags = kTcpSyn;
  s.window = 64800;
  s.options = {TcpOption::Mss(1440), TcpOption::SackPermitted(), TcpOption::Timestamp(7, 0),
               TcpOption::Nop(), TcpOption::WindowScale(7)};
  Feed(BuildSegment(s), 1);
  ASSERT_EQ(engine_->log().size(), 2u);
  EXPECT_EQ(PacketRecordLine(Rec(1)),
            "client:40000 > server:8080 tcp S seq 0 win 64800 <mss 1440,sackOK,TS val 7 ecr "
            "0,nop,wscale 7> len 0 [fault 1: duplicate x1]");
  EXPECT_EQ(PacketRecordLine(Rec(2)),
            "client:40000 > server:8080 tcp S seq 0 win 64800 <mss 1440,sackOK,TS val 7 ecr "
            "0,nop,wscale 7> len 0 [fault 1: copy 1/1]");
  Stop(2);
}

TEST_F(EngineTest, DuplicateInjectsCopiesAfterTheOriginal) {
  v6_ = true;
  FaultAction a = Act(ActionKind::kDuplicate);
  a.copies = 2;
  Configure({{From("client", {TcpClass::kData}), a}});
  Handshake();
  TakeOrder();
  const auto pkt = Seg(true, kTcpAck, 1, 1, "dup");
  Feed(pkt, 7);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A4", "inject", "inject"}));
  ASSERT_EQ(injected_.size(), 2u);
  EXPECT_EQ(injected_[0], pkt);
  EXPECT_EQ(injected_[1], pkt);
  ASSERT_EQ(engine_->log().size(), 6u);
  EXPECT_EQ(Rec(4).action, "duplicate x2");
  EXPECT_FALSE(Rec(4).is_copy);
  EXPECT_TRUE(Rec(5).is_copy);
  EXPECT_EQ(Rec(5).action, "copy 1/2");
  EXPECT_EQ(Rec(6).action, "copy 2/2");
  EXPECT_EQ(Rec(5).rel_seq, 1u);
  EXPECT_EQ(Rec(5).fault, 1);
  EXPECT_EQ(Rec(6).seq_no, 6u);
  Stop(8);
}

TEST_F(EngineTest, HoldUntilStepThenReleaseOrDrop) {
  FaultAction rel = Act(ActionKind::kHold);
  rel.until_step = "go";
  FaultAction drop = Act(ActionKind::kHold);
  drop.until_step = "kill";
  drop.then_drop = true;
  Configure({{From("client", {TcpClass::kData}), rel}, {From("server", {TcpClass::kData}), drop}});
  Handshake();
  const uint32_t c = Feed(Seg(true, kTcpAck, 1, 1, "c"), 1);
  const uint32_t s = Feed(Seg(false, kTcpAck, 1, 1, "s"), 1);
  Step("unrelated", 2);
  EXPECT_EQ(Fate(c), "-");
  Step("go", 3);
  EXPECT_EQ(Fate(c), "A4");
  EXPECT_EQ(Fate(s), "-");
  Step("kill", 4);
  EXPECT_EQ(Fate(s), "D5");
  EXPECT_EQ(Rec(4).action, "hold until step go");
  EXPECT_EQ(Rec(5).action, "hold until step kill, then drop");
  // After the step started, matching packets are not held any more.
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 2, 1, "d"), 5)), "A6");
  EXPECT_THAT(Rec(6).action, HasSubstr("step already started"));
  Stop(6);
}

TEST_F(EngineTest, HoldForADuration) {
  FaultAction a = Act(ActionKind::kHold);
  a.hold_for = milliseconds(50);
  a.then_drop = true;
  Configure({{From("client", {TcpClass::kData}), a}});
  Handshake();
  const uint32_t p = Feed(Seg(true, kTcpAck, 1, 1, "c"), 0);
  Timer(49 * kMs);
  EXPECT_EQ(Fate(p), "-");
  Timer(50 * kMs);
  EXPECT_EQ(Fate(p), "D4");
  EXPECT_EQ(Rec(4).action, "hold for 50ms, then drop");
  Stop(60 * kMs);
}

TEST_F(EngineTest, StopDropsEverythingHeld) {
  FaultAction hold = Act(ActionKind::kHold);
  hold.until_step = "never";
  FaultAction delay = Act(ActionKind::kDelay);
  delay.delay = std::chrono::seconds(10);
  FaultAction reorder = Act(ActionKind::kReorder);
  reorder.count = 5;
  FaultMatch first = From("client", {TcpClass::kData});
  first.nth = 1;
  FaultMatch second = From("client", {TcpClass::kData});
  second.nth = 2;
  Configure({{first, hold}, {second, delay}, {From("server"), reorder}});
  Feed(Seg(true, kTcpAck, 1, 1, "a"), 0);
  Feed(Seg(true, kTcpAck, 2, 1, "b"), 0);
  Feed(Seg(false, kTcpAck, 1, 1), 0);
  EXPECT_EQ(engine_->held(), 3u);
  Stop(1);  // checks every packet has exactly one verdict
  for (uint32_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(Fate(id), "D" + std::to_string(id));
    EXPECT_THAT(Rec(id).action, HasSubstr("dropped at stop"));
    EXPECT_EQ(Rec(id).release_ns, 0);
  }
  Timer(20'000 * kMs);  // stale timers fire into nothing
}

TEST_F(EngineTest, CorruptFlipsAByteAndKeepsTheChecksum) {
  Configure({{From("client", {TcpClass::kData}), Act(ActionKind::kCorrupt)}});
  Handshake();
  const auto pkt = Seg(true, kTcpAck, 1, 1, "abcdef");
  const uint32_t id = Feed(pkt, 0);
  ASSERT_EQ(Fate(id), "A4");
  const std::vector<uint8_t>& out = verdicts_.at(id).bytes;
  ASSERT_EQ(out.size(), pkt.size());
  int diff = 0;
  for (size_t i = 0; i < pkt.size(); ++i) diff += out[i] != pkt[i];
  EXPECT_EQ(diff, 1);
  EXPECT_EQ(out[40 + 3], 'd' ^ 0xff);  // middle payload byte
  EXPECT_EQ(Rec(4).action, "corrupt byte 43");
  Stop(1);
}

TEST_F(EngineTest, InjectRstTowardEitherSideUsesTheTrackedSequence) {
  FaultMatch m = From("server", {TcpClass::kData});
  FaultAction a = Act(ActionKind::kInjectRst);
  a.toward = "client";
  FaultMatch m2 = From("client", {TcpClass::kData});
  FaultAction a2 = Act(ActionKind::kInjectRst);
  a2.toward = "client";
  Configure({{m, a}, {m2, a2}});
  Handshake();
  // Server data toward the client: the RST takes the data's place.
  const uint32_t p = Feed(Seg(false, kTcpAck | kTcpPsh, 1, 1, "resp"), 0);
  EXPECT_EQ(Fate(p), "D4");
  ASSERT_EQ(injected_.size(), 1u);
  PacketView rst = ParsePacket(injected_[0]);
  ASSERT_TRUE(rst.ok);
  EXPECT_EQ(rst.FlagString(), "R.");
  EXPECT_EQ(rst.src.ToString(), "198.18.2.2");
  EXPECT_EQ(rst.dst.ToString(), "198.18.1.2");
  EXPECT_EQ(rst.sport, 8080);
  EXPECT_EQ(rst.dport, 40000);
  EXPECT_EQ(rst.seq, kSisn + 1);
  EXPECT_EQ(rst.ack, kCisn + 1);
  EXPECT_TRUE(Rec(5).is_copy);
  EXPECT_EQ(Rec(5).action, "injected RST");
  // Client data, RST toward the client itself: seq is the client's ack (its
  // rcv_nxt), ack covers the dropped data.
  Feed(Seg(true, kTcpAck | kTcpPsh, 1, 1, "req"), 1);
  ASSERT_EQ(injected_.size(), 2u);
  PacketView rst2 = ParsePacket(injected_[1]);
  EXPECT_EQ(rst2.src.ToString(), "198.18.2.2");
  EXPECT_EQ(rst2.seq, kSisn + 1);
  EXPECT_EQ(rst2.ack, kCisn + 1 + 3);
  Stop(2);
}

TEST_F(EngineTest, RateLimitDropsTheExcess) {
  FaultAction a = Act(ActionKind::kRateLimit);
  a.rate = 2;
  a.per = std::chrono::seconds(1);
  FaultMatch m;
  m.proto = Proto::kTcp;
  Configure({{m, a}});
  std::vector<std::string> f;
  for (int i = 0; i < 3; ++i) f.push_back(Fate(Feed(Seg(true, kTcpAck, 1, 1, "x"), 0)));
  f.push_back(Fate(Feed(Seg(true, kTcpAck, 1, 1, "x"), 499 * kMs)));
  f.push_back(Fate(Feed(Seg(true, kTcpAck, 1, 1, "x"), 500 * kMs)));
  EXPECT_EQ(f, (std::vector<std::string>{"A1", "A2", "D3", "D4", "A5"}));
  EXPECT_EQ(Rec(3).action, "rate-limit drop");
  EXPECT_EQ(Rec(1).action, "rate-limit pass");
  Stop(1000 * kMs);
}

TEST_F(EngineTest, ProbabilityIsDeterministicPerSeed) {
  auto run = [&](uint64_t seed) {
    FaultMatch m;
    m.probability = 0.3;
    Configure({{m, Act(ActionKind::kDrop)}}, seed);
    verdicts_.clear();
    next_id_ = 1;
    std::string fates;
    for (int i = 0; i < 1000; ++i) {
      fates += Fate(Feed(Seg(true, kTcpAck, 1, 1, "x"), i))[0];
    }
    Stop(2000);
    return fates;
  };
  const std::string a = run(7), b = run(7), c = run(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto drops = std::count(a.begin(), a.end(), 'D');
  EXPECT_GT(drops, 240);
  EXPECT_LT(drops, 360);
}

TEST_F(EngineTest, LostIdsAreLogged) {
  Configure({});
  engine_->OnLost(9, 5);
  EXPECT_THAT(Rec(1).action, HasSubstr("ENOBUFS"));
  EXPECT_EQ(Rec(1).release_ns, 0);
}

TEST_F(EngineTest, UdpOccurrenceIsPerFlowAndDirection) {
  FaultMatch m;
  m.proto = Proto::kUdp;
  m.nth = 1;
  Configure({{m, Act(ActionKind::kDrop)}});
  auto udp = [&](bool from_client, uint16_t port) {
    SegmentSpec s;
    s.src = Addr(from_client ? "198.18.1.2" : "198.18.2.2");
    s.dst = Addr(from_client ? "198.18.2.2" : "198.18.1.2");
    s.proto = 17;
    s.sport = from_client ? port : 9000;
    s.dport = from_client ? 9000 : port;
    s.payload = "u";
    return BuildSegment(s);
  };
  EXPECT_EQ(Fate(Feed(udp(true, 1), 0)), "D1");
  EXPECT_EQ(Fate(Feed(udp(true, 1), 0)), "A2");
  EXPECT_EQ(Fate(Feed(udp(false, 1), 0)), "D3");
  EXPECT_EQ(Fate(Feed(udp(true, 2), 0)), "D4");
  EXPECT_EQ(Rec(1).proto, "udp");
  Stop(1);
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// The log keeps its first kMaxLogRecords records and counts the rest;
// packets past the bound still get exactly their verdicts and faults.
TEST_F(EngineTest, LogIsBoundedAndSaysHowManyWereNotLogged) {
  FaultAction delay = Act(ActionKind::kDelay);
  delay.delay = milliseconds(5);
  FaultAction dup = Act(ActionKind::kDuplicate);
  dup.copies = 1;
  // Each side sends half the segments: the faults hit only the last few,
  // which arrive after the log is full.
  const int64_t half = static_cast<int64_t>(FaultEngine::kMaxLogRecords / 2);
  FaultMatch late_data = From("client", {TcpClass::kData});
  late_data.after = half - 1;
  FaultMatch server_data = From("server", {TcpClass::kData});
  server_data.after = half - 1;
  Configure({{late_data, delay}, {server_data, dup}});
  Handshake();
  const size_t extra = 10;
  for (size_t i = 0; i < FaultEngine::kMaxLogRecords + extra; ++i) {
    const bool client = i % 2 == 0;
    Feed(Seg(client, kTcpAck | kTcpPsh, 1 + static_cast<uint32_t>(i / 2), 1, "x"),
         static_cast<int64_t>(i));
  }
  Timer(1000 * kMs);  // releases the delayed ones
  EXPECT_EQ(engine_->log().size(), FaultEngine::kMaxLogRecords);
  EXPECT_GT(engine_->not_logged(), extra);  // plus the handshake and the copies
  const std::vector<PacketRecord> reported = engine_->ReportedLog();
  ASSERT_EQ(reported.size(), FaultEngine::kMaxLogRecords + 1);
  EXPECT_THAT(reported.back().action,
              HasSubstr(fmt::format("not logged: {} more packet(s)", engine_->not_logged())));
  Stop(2000 * kMs);  // every packet had exactly one verdict
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// PacketRecord::fate on the record paths the wire tests do not cover (the
// reports colour the ladder by it, never by the action text).
TEST_F(EngineTest, FateOfEveryRecordPath) {
  FaultAction rate = Act(ActionKind::kRateLimit);
  rate.rate = 1;
  rate.per = std::chrono::seconds(1);
  FaultMatch udp;
  udp.proto = Proto::kUdp;
  FaultAction hold = Act(ActionKind::kHold);
  hold.until_step = "go";
  hold.then_drop = true;
  FaultAction rst = Act(ActionKind::kInjectRst);
  rst.toward = "nobody";
  FaultMatch first = From("client", {TcpClass::kData});
  first.nth = 1;
  FaultMatch second = From("client", {TcpClass::kData});
  second.nth = 2;
  FaultMatch third = From("client", {TcpClass::kData});
  third.nth = 3;
  FaultMatch fourth = From("client", {TcpClass::kData});
  fourth.nth = 4;
  FaultMatch fifth = From("client", {TcpClass::kData});
  fifth.nth = 5;
  FaultAction delay = Act(ActionKind::kDelay);
  delay.delay = std::chrono::seconds(5);
  Configure({{udp, rate},
             {first, Act(ActionKind::kSwap)},
             {second, hold},
             {third, rst},
             {fourth, delay},
             {From("server", {TcpClass::kData}), Act(ActionKind::kCorrupt)},
             {fifth, hold}});
  Handshake();
  EXPECT_EQ(Rec(1).fate, PacketFate::kPass);
  Feed(Seg(true, kTcpAck, 1, 1, "a"), 1);  // 4: swapped (held)
  Feed(Seg(true, kTcpAck, 2, 1, "b"), 2);  // 5: the swap's partner, then held until "go"
  EXPECT_EQ(Rec(4).fate, PacketFate::kReorder);
  EXPECT_EQ(Rec(5).action, "hold until step go, then drop");
  EXPECT_EQ(Rec(5).fate, PacketFate::kHold);
  Step("go", 3);  // 5 dropped at the step
  EXPECT_EQ(Rec(5).fate, PacketFate::kDrop);
  Feed(Seg(true, kTcpAck, 3, 1, "c"), 4);  // 6: inject-rst toward no host: passed
  EXPECT_EQ(Rec(6).fate, PacketFate::kPass);
  Feed(Seg(true, kTcpAck, 4, 1, "d"), 5);  // 7: delayed, then dropped at stop
  EXPECT_EQ(Rec(7).fate, PacketFate::kDelay);
  Feed(Seg(false, kTcpAck, 1, 1, "z"), 6);  // 8: corrupted
  EXPECT_EQ(Rec(8).fate, PacketFate::kCorrupt);
  Feed(Seg(true, kTcpAck, 5, 1, "e"), 7);  // 9: hold until a started step, then drop
  EXPECT_THAT(Rec(9).action, HasSubstr("step already started"));
  EXPECT_EQ(Rec(9).fate, PacketFate::kDrop);
  SegmentSpec u;
  u.src = Addr("198.18.1.2");
  u.dst = Addr("198.18.2.2");
  u.proto = 17;
  u.sport = 5000;
  u.dport = 53;
  Feed(BuildSegment(u), 8);  // 10: rate-limit pass
  Feed(BuildSegment(u), 9);  // 11: rate-limit drop
  EXPECT_EQ(Rec(10).action, "rate-limit pass");
  EXPECT_EQ(Rec(10).fate, PacketFate::kPass);
  EXPECT_EQ(Rec(11).fate, PacketFate::kDrop);
  engine_->OnLost(99, 10);  // 12
  EXPECT_EQ(Rec(12).fate, PacketFate::kDrop);
  Stop(11);
  EXPECT_EQ(Rec(7).fate, PacketFate::kDrop);
  EXPECT_THAT(Rec(7).action, HasSubstr("dropped at stop"));
}

// ------------------------------------------------ retransmission, control --

const char* const kSeed7Fates = "ADAADADADDDDAAADDDDDDDDAAADAADDDAADDDDDD";

TEST_F(EngineTest, RetransmissionMatchesSegmentsThatResendOnlyOldSequenceSpace) {
  FaultMatch m = From("client");
  m.retransmission = true;
  Configure({{m, Act(ActionKind::kDrop)}});
  const uint32_t syn = Feed(Seg(true, kTcpSyn, 0, 0), 0);
  const uint32_t syn2 = Feed(Seg(true, kTcpSyn, 0, 0), 1);  // same ISN: a retransmission
  Feed(Seg(false, kTcpSyn | kTcpAck, 0, 1), 2);
  const uint32_t ack = Feed(Seg(true, kTcpAck, 1, 1), 3);
  const uint32_t d1 = Feed(Seg(true, kTcpAck, 1, 1, "aaaa"), 4);      // 1..5: original
  const uint32_t d1r = Feed(Seg(true, kTcpAck, 1, 1, "aaaa"), 5);     // exact retransmission
  const uint32_t over = Feed(Seg(true, kTcpAck, 3, 1, "bbbbbb"), 6);  // 3..9 extends: original
  const uint32_t part = Feed(Seg(true, kTcpAck, 5, 1, "bb"), 7);      // 5..7 inside: retransmission
  const uint32_t upd = Feed(Seg(true, kTcpAck, 9, 1), 8);             // no sequence space
  const uint32_t ka0 = Feed(Seg(true, kTcpAck, 8, 1), 9);             // Linux keepalive: 0 bytes
  const uint32_t ka1 = Feed(Seg(true, kTcpAck, 8, 1, "b"), 10);       // 1-byte keepalive
  const uint32_t fin = Feed(Seg(true, kTcpAck | kTcpFin, 9, 1), 11);  // FIN counts 1: original
  const uint32_t finr = Feed(Seg(true, kTcpAck | kTcpFin, 9, 1), 12);
  const uint32_t rst = Feed(Seg(true, kTcpRst | kTcpAck, 1, 1), 13);  // old seq, but RST: never
  EXPECT_EQ(Fate(syn), "A1");
  EXPECT_EQ(Fate(syn2), "D2");
  EXPECT_EQ(Fate(ack), "A4");
  EXPECT_EQ(Fate(d1), "A5");
  EXPECT_EQ(Fate(d1r), "D6");
  EXPECT_EQ(Fate(over), "A7");
  EXPECT_EQ(Fate(part), "D8");
  EXPECT_EQ(Fate(upd), "A9");
  EXPECT_EQ(Fate(ka0), "A10");
  EXPECT_EQ(Fate(ka1), "D11");
  EXPECT_EQ(Fate(fin), "A12");
  EXPECT_EQ(Fate(finr), "D13");
  EXPECT_EQ(Fate(rst), "A14");
  // A dropped retransmission does not move snd_max back: the next copy of
  // the same bytes is still a retransmission.
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 1, 1, "aaaa"), 14)), "D15");
  Stop(20);
}

TEST_F(EngineTest, EveryNthOriginalCountsOriginalTransmissionsOnly) {
  FaultMatch m = From("client", {TcpClass::kData});
  m.retransmission = false;
  m.every = 3;
  Configure({{m, Act(ActionKind::kDrop)}});
  Handshake();
  std::string fates;
  uint32_t seq = 1;
  for (int i = 0; i < 6; ++i) {
    // each original is followed by its retransmission
    fates += Fate(Feed(Seg(true, kTcpAck, seq, 1, "xx"), 10 + i)) + " ";
    fates += Fate(Feed(Seg(true, kTcpAck, seq, 1, "xx"), 10 + i)) + " ";
    seq += 2;
  }
  EXPECT_EQ(fates, "A4 A5 A6 A7 D8 A9 A10 A11 A12 A13 D14 A15 ");
  Stop(100);
}

TEST_F(EngineTest, RetransmissionNeverHoldsForUdp) {
  FaultMatch m;
  m.retransmission = false;
  Configure({{m, Act(ActionKind::kDrop)}});
  SegmentSpec u;
  u.proto = 17;
  u.src = Addr("198.18.1.2");
  u.dst = Addr("198.18.2.2");
  u.sport = 5000;
  u.dport = 9000;
  u.payload = "hi";
  EXPECT_EQ(Fate(Feed(BuildSegment(u), 0)), "A1");
  Stop(1);
}

TEST_F(EngineTest, DisabledFaultIsSwitchedOnAndOffByFaultSteps) {
  Fault f;
  f.match = From("client", {TcpClass::kData});
  f.action = Act(ActionKind::kDrop);
  f.name = "blackhole";
  f.enabled = false;
  ConfigureFaults({f});
  Handshake();
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 1, 1, "a"), 10)), "A4");
  FaultStep on;
  on.name = "blackhole";
  on.fault_index = 1;
  on.enable = true;
  Control(on, 3, 20);
  EXPECT_EQ(Rec(5).action, "step 3: fault blackhole: enable");
  EXPECT_EQ(Rec(5).proto, "other");
  EXPECT_EQ(Rec(5).fault, 1);
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 2, 1, "b"), 30)), "D5");  // queue id 5, record 6
  FaultStep off = on;
  off.enable = false;
  Control(off, 5, 40);
  EXPECT_EQ(Rec(7).action, "step 5: fault blackhole: disable");
  EXPECT_EQ(Fate(Feed(Seg(true, kTcpAck, 2, 1, "b"), 50)), "A6");
  Stop(60);
}

TEST_F(EngineTest, InactiveFaultNeitherCountsNorActs) {
  Fault f;
  f.match = From("client", {TcpClass::kData});
  f.match.nth = 2;
  f.action = Act(ActionKind::kDrop);
  f.enabled = false;
  ConfigureFaults({f});
  Handshake();
  uint32_t seq = 1;
  auto data = [&](int64_t t) { return Fate(Feed(Seg(true, kTcpAck, seq++, 1, "a"), t)); };
  EXPECT_EQ(data(10), "A4");
  EXPECT_EQ(data(11), "A5");
  FaultStep on;
  on.name = "f";
  on.fault_index = 1;
  on.enable = true;
  Control(on, 2, 12);
  EXPECT_EQ(data(13), "A6");  // the 1st counted
  EXPECT_EQ(data(14), "D7");  // the 2nd
  Stop(20);
}

TEST_F(EngineTest, ActiveWindowBetweenStepsAndTimes) {
  Fault by_step;
  by_step.match = From("client", {TcpClass::kData});
  by_step.action = Act(ActionKind::kDrop);
  by_step.active_from = FaultEvent{"go", std::nullopt};
  by_step.active_until = FaultEvent{"stop", std::nullopt};
  Fault by_time;
  by_time.match = From("server", {TcpClass::kData});
  by_time.action = Act(ActionKind::kDrop);
  by_time.active_from = FaultEvent{"", milliseconds(100)};
  by_time.active_until = FaultEvent{"", milliseconds(200)};
  ConfigureFaults({by_step, by_time});
  Handshake();
  auto c = [&](int64_t t) { return Fate(Feed(Seg(true, kTcpAck, 1, 1, "c"), t))[0]; };
  auto s = [&](int64_t t) { return Fate(Feed(Seg(false, kTcpAck, 1, 1, "s"), t))[0]; };
  std::string got;
  got += c(1);
  Step("go", 2);
  got += c(3);
  Step("stop", 4);
  got += c(5);
  got += " ";
  got += s(99 * kMs);
  got += s(100 * kMs);  // from is inclusive
  got += s(199 * kMs);
  got += s(200 * kMs);  // until is exclusive
  EXPECT_EQ(got, "ADA ADDA");
  Stop(300 * kMs);
}

TEST_F(EngineTest, SetReplacesTheActionForLaterPacketsHeldOnesKeepTheirTime) {
  Fault f;
  f.match = From("client", {TcpClass::kData});
  f.action = Act(ActionKind::kDelay);
  f.action.delay = milliseconds(100);
  f.name = "slow";
  ConfigureFaults({f});
  Handshake();
  const uint32_t a = Feed(Seg(true, kTcpAck, 1, 1, "a"), 0);
  FaultStep set;
  set.name = "slow";
  set.fault_index = 1;
  FaultAction slower = f.action;
  slower.delay = milliseconds(300);
  set.action = std::make_shared<const FaultAction>(slower);
  set.set = {{"delay", "300ms"}};
  Control(set, 4, 10 * kMs);
  EXPECT_EQ(Rec(5).action, "step 4: fault slow: set delay=300ms");
  const uint32_t b = Feed(Seg(true, kTcpAck, 2, 1, "b"), 10 * kMs);
  EXPECT_EQ(Rec(4).action, "delay 100ms");
  EXPECT_EQ(Rec(6).action, "delay 300ms");
  Timer(100 * kMs);
  EXPECT_EQ(Fate(a), "A4");  // its old delay
  EXPECT_EQ(Fate(b), "-");
  Timer(310 * kMs);
  EXPECT_EQ(Fate(b), "A5");
  Stop(400 * kMs);
}

TEST_F(EngineTest, SameSeedGivesTheSameVerdictSequenceAnotherSeedAnother) {
  // Fixed packets (a handshake and 40 data segments), a 50% drop of data:
  // the exact sequence of seed 7 is pinned, so a change of the PRNG or of
  // when a draw is made shows here.
  auto run = [&](uint64_t seed) {
    FaultMatch m = From("client", {TcpClass::kData});
    m.probability = 0.5;
    Configure({{m, Act(ActionKind::kDrop)}}, seed);
    verdicts_.clear();
    next_id_ = 1;
    Handshake();
    std::string fates;
    for (uint32_t i = 0; i < 40; ++i) {
      fates += Fate(Feed(Seg(true, kTcpAck, 1 + i, 1, "x"), i))[0];
    }
    Stop(100);
    return fates;
  };
  const std::string a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
  EXPECT_EQ(a, kSeed7Fates);
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// 1210 payload bytes + 40 header bytes: 1250 wire bytes, 1 ms at 10 Mbit/s.
const std::string kMsPayload(1210, 'x');

FaultAction Bottleneck(int64_t rate_bps, int64_t queue_packets) {
  FaultAction a = Act(ActionKind::kBottleneck);
  a.rate_bps = rate_bps;
  a.queue_packets = queue_packets;
  return a;
}

TEST_F(EngineTest, BottleneckReleasesAtDepartureInOrderAndTailDrops) {
  FaultMatch m = From("client", {TcpClass::kData});
  Configure({{m, Bottleneck(10'000'000, 2)}});
  Handshake(0);
  const uint32_t a = Feed(Seg(true, kTcpAck, 1, 1, kMsPayload), 0);
  const uint32_t b = Feed(Seg(true, kTcpAck, 1211, 1, kMsPayload), 0);
  const uint32_t c = Feed(Seg(true, kTcpAck, 2421, 1, kMsPayload), kMs / 2);
  ASSERT_EQ(Rec(a).wire_len, 1250u);
  EXPECT_EQ(Rec(a).action, "bottleneck (queueing delay 0s)");
  EXPECT_EQ(Rec(b).action, "bottleneck (queueing delay 1ms)");
  EXPECT_EQ(Rec(c).action, "bottleneck drop (queue full 2 packets)");
  EXPECT_EQ(Rec(c).fate, PacketFate::kDrop);
  EXPECT_EQ(Rec(a).fate, PacketFate::kDelay);
  EXPECT_EQ(engine_->NextDeadline(), 1 * kMs);
  TakeOrder();
  Timer(kMs - 1);
  EXPECT_EQ(Fate(a), "-");
  Timer(1 * kMs);
  // A late timer releases both due packets in arrival order.
  const uint32_t d = Feed(Seg(true, kTcpAck, 2421, 1, kMsPayload), 1 * kMs);
  EXPECT_EQ(Rec(d).action, "bottleneck (queueing delay 1ms)");
  Timer(5 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A4", "A5", "A7"}));
  EXPECT_EQ(Rec(b).release_ns, 5 * kMs);
  // The ACKs from the server do not match: passed at once.
  EXPECT_EQ(Fate(Feed(Seg(false, kTcpAck, 1, 1211), 0)), "A8");
  const std::vector<PacketRecord> rep = engine_->ReportedLog();
  ASSERT_EQ(rep.size(), engine_->log().size() + 1);
  EXPECT_EQ(rep.back().action,
            "bottleneck fault 1 client->server: 3 packets, 3750 bytes, 1 drops, max queue 2 "
            "packets, queueing delay mean 666.666us max 1ms");
  Stop(6 * kMs);
}

TEST_F(EngineTest, BottleneckQueuesPerDirectionWithPropagationDelay) {
  FaultMatch m;
  m.proto = Proto::kTcp;
  FaultAction act = Bottleneck(10'000'000, 1000);
  act.delay = milliseconds(10);
  Configure({{m, act}});
  const uint32_t a = Feed(Seg(true, kTcpAck, 1, 1, kMsPayload), 0);
  const uint32_t b = Feed(Seg(false, kTcpAck, 1, 1, kMsPayload), 0);
  EXPECT_EQ(Rec(a).action, "bottleneck (queueing delay 0s)");
  EXPECT_EQ(Rec(b).action, "bottleneck (queueing delay 0s)");  // its own queue
  Timer(11 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A1", "A2"}));
  EXPECT_EQ(Rec(a).release_ns, 11 * kMs);
  ASSERT_EQ(engine_->Links().size(), 2u);
  EXPECT_EQ(engine_->Links()[0].from, "client");
  EXPECT_EQ(engine_->Links()[1].from, "server");
  Stop(12 * kMs);
}

TEST_F(EngineTest, BottleneckRateChangeAppliesToLaterPackets) {
  FaultMatch m = From("client");
  Configure({{m, Bottleneck(10'000'000, 1000)}});
  Feed(Seg(true, kTcpAck, 1, 1, kMsPayload), 0);
  FaultAction slower = Bottleneck(1'000'000, 1000);
  engine_->SetFaultAction(0, slower);
  const uint32_t b = Feed(Seg(true, kTcpAck, 1211, 1, kMsPayload), 0);
  EXPECT_EQ(Rec(b).action, "bottleneck (queueing delay 1ms)");
  Timer(10 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A1"}));
  Timer(11 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A2"}));
  Stop(12 * kMs);
}

TEST_F(EngineTest, SlotsReleaseABudgetAtEachBoundary) {
  FaultMatch m = From("client");
  FaultAction act = Act(ActionKind::kSlots);
  act.slot_lo = act.slot_hi = milliseconds(20);
  act.slot_packets = 2;
  act.queue_packets = 4;
  Configure({{m, act}});
  for (int i = 0; i < 5; ++i) Feed(Seg(true, kTcpAck, 1, 1, "x"), 5 * kMs);
  EXPECT_EQ(Rec(1).action, "slots (queueing delay 20ms)");
  EXPECT_EQ(Rec(3).action, "slots (queueing delay 40ms)");
  EXPECT_EQ(Rec(5).action, "slots drop (queue full 4 packets)");
  TakeOrder();
  Timer(25 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A1", "A2"}));
  Timer(44 * kMs);
  EXPECT_TRUE(TakeOrder().empty());
  Timer(45 * kMs);
  EXPECT_EQ(TakeOrder(), (std::vector<std::string>{"A3", "A4"}));
  EXPECT_THAT(engine_->ReportedLog().back().action,
              HasSubstr("slots fault 1 client->server: 4 packets"));
  Stop(50 * kMs);
}

TEST_F(EngineTest, BottleneckStopDropsWhatIsQueued) {
  Configure({{From("client"), Bottleneck(1'000'000, 1000)}});
  Feed(Seg(true, kTcpAck, 1, 1, kMsPayload), 0);
  Stop(1 * kMs);
  EXPECT_EQ(Fate(1), "D1");
  EXPECT_EQ(Rec(1).action, "bottleneck (queueing delay 0s) (dropped at stop)");
}

}  // namespace
}  // namespace faultline
