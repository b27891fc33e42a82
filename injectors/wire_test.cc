// The Wire's loop driven through a FakePacketQueue and a FakeClock: no root,
// no namespace, no sleeps (waits are on the wire's activity counter or the
// fake's events, each bounded).
#include "injectors/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/packet_view.h"
#include "injectors/fake_packet_queue.h"
#include "injectors/testing_segments.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kMs = 1'000'000;
constexpr auto kBound = milliseconds(5000);

Fault MakeFault(ActionKind kind, const char* from, std::vector<TcpClass> tcp = {}) {
  Fault f;
  f.match.from = from;
  f.match.tcp = std::move(tcp);
  f.action.kind = kind;
  return f;
}

class WireTest : public ::testing::Test {
 protected:
  void Start(std::vector<Fault> faults) {
    for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
    WireConfig c;
    c.links.push_back({"client", "w0", "198.18.1.2", "2001:2:0:1::2"});
    c.links.push_back({"server", "w1", "198.18.2.2", "2001:2:0:2::2"});
    c.faults = std::move(faults);
    c.seed = 7;
    c.clock = &clock_;
    c.case_start_ns = clock_.NowNs();
    c.queue = queue_;
    c.release = release_;
    StatusOr<std::unique_ptr<Wire>> w = Wire::Start(c);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wire_ = std::move(w).value();
  }
  void TearDown() override {
    if (wire_) {
      EXPECT_TRUE(wire_->Stop().ok());
    }
    EXPECT_THAT(queue_->errors(), IsEmpty());
    EXPECT_THAT(queue_->Unanswered(), IsEmpty());
    EXPECT_EQ(queue_->unflushed(), 0u);
  }

  static std::vector<uint8_t> Seg(bool from_client, uint8_t flags, uint32_t rel_seq,
                                  uint32_t rel_ack, const std::string& payload = "") {
    return TestSegment(from_client, flags, rel_seq, rel_ack, payload);
  }
  uint32_t StartDelayedWithMargin();

  // Pushes the three packets of a handshake and waits for their verdicts.
  void Handshake() {
    queue_->Push(Seg(true, kTcpSyn, 0, 0));
    queue_->Push(Seg(false, kTcpSyn | kTcpAck, 0, 1));
    const uint32_t id = queue_->Push(Seg(true, kTcpAck, 1, 1));
    ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  }
  // Waits until the wire has logged `n` records (it logs a packet before the
  // round's activity bump), bounded.
  bool WaitLogged(size_t n) {
    const auto end = std::chrono::steady_clock::now() + kBound;
    uint64_t seen = wire_->WaitActivity(0, 0);
    while (wire_->Log().size() < n) {
      if (std::chrono::steady_clock::now() > end) return false;
      seen = wire_->WaitActivity(seen, clock_.NowNs() + 100 * kMs);
    }
    return true;
  }
  PacketRecord Rec(size_t seq_no) const { return wire_->Log().at(seq_no - 1); }

  FakeClock clock_;
  std::optional<ReleaseTimerConfig> release_;  // WireConfig::release
  std::shared_ptr<FakePacketQueue> queue_ = std::make_shared<FakePacketQueue>();
  std::unique_ptr<Wire> wire_;
};

TEST_F(WireTest, PassForwardsEveryPacketInOrderAndLogsIt) {
  Start({});
  EXPECT_EQ(queue_->attach_calls(), 1);
  Handshake();
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3"));
  ASSERT_EQ(wire_->Log().size(), 3u);
  const PacketRecord syn = Rec(1);
  EXPECT_EQ(syn.from, "client");
  EXPECT_EQ(syn.to, "server");
  EXPECT_EQ(syn.flags, "S");
  EXPECT_EQ(syn.action, "pass");
  EXPECT_EQ(syn.fate, PacketFate::kPass);
  EXPECT_EQ(syn.arrival_ns, clock_.NowNs());
  EXPECT_EQ(syn.release_ns, clock_.NowNs());
  EXPECT_EQ(Rec(2).flags, "S.");
  ASSERT_TRUE(wire_->Stop().ok());
  EXPECT_EQ(wire_->queue_stats().packets, 3u);
  EXPECT_EQ(wire_->queue_stats().verdict_msgs, 3u);
}

TEST_F(WireTest, DropGivesADropVerdict) {
  Fault f = MakeFault(ActionKind::kDrop, "client", {TcpClass::kSyn});
  f.match.nth = 1;
  Start({f});
  queue_->Push(Seg(true, kTcpSyn, 0, 0));
  const uint32_t again = queue_->Push(Seg(true, kTcpSyn, 0, 0));
  ASSERT_TRUE(queue_->WaitForVerdict(again, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1", "A2"));
  EXPECT_EQ(Rec(1).fate, PacketFate::kDrop);
  EXPECT_EQ(Rec(1).fault, 1);
  EXPECT_EQ(Rec(1).release_ns, 0);
  EXPECT_EQ(Rec(2).fate, PacketFate::kPass);
}

TEST_F(WireTest, DelayReleasesOnTheClockWhileOthersFlow) {
  Fault f = MakeFault(ActionKind::kDelay, "client", {TcpClass::kData});
  f.action.delay = milliseconds(50);
  Start({f});
  Handshake();
  const uint32_t late = queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "late"));
  const uint32_t other = queue_->Push(Seg(false, kTcpAck | kTcpPsh, 1, 1, "other"));
  ASSERT_TRUE(queue_->WaitForVerdict(other, kBound));
  EXPECT_THAT(queue_->Unanswered(), ElementsAre(late));
  clock_.Advance(49 * kMs);
  wire_->CheckTimers();
  EXPECT_THAT(queue_->Unanswered(), ElementsAre(late));
  clock_.Advance(1 * kMs);
  wire_->CheckTimers();
  EXPECT_THAT(queue_->Unanswered(), IsEmpty());
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "A5", "A4"));
  const PacketRecord r = Rec(4);
  EXPECT_EQ(r.action, "delay 50ms");
  EXPECT_EQ(r.fate, PacketFate::kDelay);
  EXPECT_EQ(r.release_ns - r.arrival_ns, 50 * kMs);
}

// A wire with a fixed release margin of 1 ms and a 50 ms delay on the
// client's data, after the handshake: the client's data segment "late" is
// pushed (held from clock 0); its queue id.
uint32_t WireTest::StartDelayedWithMargin() {
  Fault f = MakeFault(ActionKind::kDelay, "client", {TcpClass::kData});
  f.action.delay = milliseconds(50);
  ReleaseTimerConfig rc;
  rc.margin_ns = 1 * kMs;
  release_ = rc;
  Start({f});
  Handshake();
  return queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "late"));
}

// A fixed release margin of 1 ms: the wire sleeps until the deadline is
// within it, then waits without sleeping (polling, reading the clock) and
// releases the packet when the clock reaches the deadline, with no request.
TEST_F(WireTest, PreciseWaitReleasesAtTheDeadlineOnItsOwn) {
  const uint32_t late = StartDelayedWithMargin();
  const uint32_t other = queue_->Push(Seg(false, kTcpAck | kTcpPsh, 1, 1, "other"));
  ASSERT_TRUE(queue_->WaitForVerdict(other, kBound));
  clock_.Advance(48 * kMs);  // 2 ms before: asleep
  wire_->CheckTimers();
  clock_.Advance(1500 * 1000);  // 0.5 ms before: the precise wait begins
  wire_->CheckTimers();
  EXPECT_THAT(queue_->Unanswered(), ElementsAre(late));
  clock_.Advance(500 * 1000);  // the deadline; no CheckTimers
  ASSERT_TRUE(queue_->WaitForVerdict(late, kBound));
  EXPECT_EQ(Rec(4).release_ns - Rec(4).arrival_ns, 50 * kMs);
  // Packets kept flowing during the wait.
  const uint32_t after = queue_->Push(Seg(false, kTcpAck | kTcpPsh, 6, 5, "after"));
  ASSERT_TRUE(queue_->WaitForVerdict(after, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "A5", "A4", "A6"));
  ASSERT_TRUE(wire_->Stop().ok());
  const ReleaseStats rs = wire_->release_stats();
  EXPECT_EQ(rs.spins, 1u);
  EXPECT_EQ(rs.spin_ns, 500 * 1000);  // from 49.5 ms to the release, not from 48
  EXPECT_EQ(rs.margin_ns, 1 * kMs);
}

// While a packet is held in a precise wait, other packets are handled at
// once (the wait polls the queue too).
TEST_F(WireTest, PreciseWaitStillForwardsOtherPackets) {
  const uint32_t late = StartDelayedWithMargin();
  ASSERT_TRUE(WaitLogged(4));  // held at 0
  clock_.Advance(49'500 * 1000);
  wire_->CheckTimers();  // spinning from here
  const uint32_t other = queue_->Push(Seg(false, kTcpAck | kTcpPsh, 1, 1, "other"));
  ASSERT_TRUE(queue_->WaitForVerdict(other, kBound));
  EXPECT_THAT(queue_->Unanswered(), ElementsAre(late));
  EXPECT_EQ(Rec(5).release_ns, Rec(5).arrival_ns);
  clock_.Advance(500 * 1000);
  ASSERT_TRUE(queue_->WaitForVerdict(late, kBound));
  EXPECT_EQ(Rec(4).release_ns - Rec(4).arrival_ns, 50 * kMs);
}

TEST_F(WireTest, HoldUntilStepIsReleasedBySignalStep) {
  Fault f = MakeFault(ActionKind::kHold, "client", {TcpClass::kData});
  f.action.until_step = "go";
  Start({f});
  Handshake();
  const uint32_t held = queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "x"));
  ASSERT_TRUE(WaitLogged(4));
  wire_->SignalStep("other");
  EXPECT_THAT(queue_->Unanswered(), ElementsAre(held));
  wire_->SignalStep("go");  // returns once the release is flushed
  EXPECT_THAT(queue_->Unanswered(), IsEmpty());
  EXPECT_EQ(queue_->Trace().back(), "A4");
  EXPECT_EQ(Rec(4).action, "hold until step go");
  EXPECT_EQ(Rec(4).fate, PacketFate::kHold);
}

TEST_F(WireTest, DuplicateSendsCopiesAfterTheOriginalsVerdict) {
  Fault f = MakeFault(ActionKind::kDuplicate, "client", {TcpClass::kData});
  f.action.copies = 2;
  Start({f});
  Handshake();
  const std::vector<uint8_t> pkt = Seg(true, kTcpAck | kTcpPsh, 1, 1, "dup");
  queue_->Push(pkt);
  ASSERT_TRUE(queue_->WaitForEvents(6, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "A4", "S", "S"));
  EXPECT_EQ(queue_->events()[4].bytes, pkt);
  EXPECT_EQ(queue_->events()[5].bytes, pkt);
  ASSERT_TRUE(WaitLogged(6));
  EXPECT_EQ(Rec(4).fate, PacketFate::kDuplicate);
  EXPECT_FALSE(Rec(4).is_copy);
  EXPECT_EQ(Rec(5).fate, PacketFate::kDuplicate);
  EXPECT_TRUE(Rec(5).is_copy);
  EXPECT_EQ(Rec(6).action, "copy 2/2");
  ASSERT_TRUE(wire_->Stop().ok());
  EXPECT_EQ(wire_->queue_stats().sent, 2u);
}

TEST_F(WireTest, ReorderReleasesTheGroupReversed) {
  Fault f = MakeFault(ActionKind::kReorder, "client", {TcpClass::kData});
  f.action.count = 3;
  Start({f});
  Handshake();
  queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "a"));
  queue_->Push(Seg(true, kTcpAck | kTcpPsh, 2, 1, "b"));
  queue_->Push(Seg(true, kTcpAck | kTcpPsh, 3, 1, "c"));
  ASSERT_TRUE(queue_->WaitForEvents(6, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "A6", "A5", "A4"));
  EXPECT_EQ(Rec(4).action, "reorder 1/3");
  for (size_t i = 4; i <= 6; ++i) EXPECT_EQ(Rec(i).fate, PacketFate::kReorder);
}

TEST_F(WireTest, InjectRstDropsThePacketAndSendsTheRst) {
  Fault f = MakeFault(ActionKind::kInjectRst, "server", {TcpClass::kData});
  f.action.toward = "client";
  Start({f});
  Handshake();
  queue_->Push(Seg(false, kTcpAck | kTcpPsh, 1, 1, "resp"));
  ASSERT_TRUE(queue_->WaitForEvents(5, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "D4", "S"));
  const PacketView rst = ParsePacket(queue_->events()[4].bytes);
  ASSERT_TRUE(rst.ok);
  EXPECT_EQ(rst.FlagString(), "R.");
  EXPECT_EQ(rst.dst.ToString(), "198.18.1.2");
  EXPECT_EQ(rst.seq, kSisn + 1);
  ASSERT_TRUE(WaitLogged(5));
  EXPECT_EQ(Rec(4).fate, PacketFate::kDrop);
  EXPECT_EQ(Rec(4).action, "inject-rst toward client");
  EXPECT_EQ(Rec(5).fate, PacketFate::kInject);
  EXPECT_TRUE(Rec(5).is_copy);
}

TEST_F(WireTest, StopGivesEveryHeldPacketExactlyOneVerdict) {
  Fault hold = MakeFault(ActionKind::kHold, "client", {TcpClass::kData});
  hold.action.until_step = "never";
  hold.match.nth = 1;
  Fault delay = MakeFault(ActionKind::kDelay, "client", {TcpClass::kData});
  delay.action.delay = std::chrono::seconds(10);
  Start({hold, delay});
  queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "a"));
  queue_->Push(Seg(true, kTcpAck | kTcpPsh, 2, 1, "b"));
  ASSERT_TRUE(WaitLogged(2));
  EXPECT_EQ(queue_->Unanswered().size(), 2u);
  ASSERT_TRUE(wire_->Stop().ok());
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1", "D2"));
  for (size_t i = 1; i <= 2; ++i) {
    EXPECT_EQ(Rec(i).fate, PacketFate::kDrop);
    EXPECT_THAT(Rec(i).action, HasSubstr("dropped at stop"));
  }
  // TearDown checks: no contract error, nothing without a verdict.
}

TEST_F(WireTest, CorruptAcceptsWithReplacementBytes) {
  Start({MakeFault(ActionKind::kCorrupt, "client", {TcpClass::kData})});
  Handshake();
  const uint32_t id = queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "abcdef"));
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_EQ(queue_->Trace().back(), "A4*");
  ASSERT_TRUE(WaitLogged(4));
  EXPECT_EQ(Rec(4).fate, PacketFate::kCorrupt);
}

TEST_F(WireTest, UnparsedPacketsPassAndAreLoggedAsSuch) {
  Start({MakeFault(ActionKind::kDrop, "client")});
  const uint32_t id = queue_->Push({0x45, 0, 0, 99});
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1"));
  ASSERT_TRUE(WaitLogged(1));
  EXPECT_EQ(Rec(1).fate, PacketFate::kUnparsed);
  EXPECT_THAT(Rec(1).action, HasSubstr("unparsed"));
}

TEST_F(WireTest, ActivityCounterMovesWithEveryHandledPacket) {
  Start({});
  const uint64_t before = wire_->WaitActivity(0, 0);
  const uint32_t id = queue_->Push(Seg(true, kTcpSyn, 0, 0));
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_NE(wire_->WaitActivity(before, clock_.NowNs() + 5'000 * kMs), before);
}

TEST_F(WireTest, NoQueueAndNoNamespaceIsRefused) {
  WireConfig c;
  StatusOr<std::unique_ptr<Wire>> w = Wire::Start(c);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().message(), "wire: no wire namespace fd");
}

// The fake's own contract checks, driven directly.
TEST(FakePacketQueue, ReportsSecondAndUnknownVerdictsAndUnansweredPackets) {
  FakePacketQueue q;
  EXPECT_EQ(q.Push({1, 2, 3}), 1u);
  EXPECT_EQ(q.Push({4}, /*gso=*/true), 2u);
  EXPECT_FALSE(q.SetVerdict(1, PacketVerdict::kAccept).ok());  // not delivered yet
  std::vector<uint32_t> got;
  ASSERT_TRUE(q.ReceiveBatch([&](const QueuedPacket& p) { got.push_back(p.id); }).ok());
  EXPECT_THAT(got, ElementsAre(1u, 2u));
  EXPECT_TRUE(q.SetVerdict(1, PacketVerdict::kAccept).ok());
  EXPECT_FALSE(q.SetVerdict(1, PacketVerdict::kDrop).ok());
  EXPECT_FALSE(q.SetVerdict(9, PacketVerdict::kDrop).ok());
  EXPECT_EQ(q.unflushed(), 1u);
  EXPECT_THAT(q.Trace(), IsEmpty());  // verdicts take effect at Flush
  ASSERT_TRUE(q.Flush().ok());
  EXPECT_THAT(q.Trace(), ElementsAre("A1"));
  EXPECT_THAT(q.Unanswered(), ElementsAre(2u));
  EXPECT_EQ(q.errors().size(), 3u);
  EXPECT_THAT(q.errors()[1], HasSubstr("second verdict for packet 1"));
  EXPECT_EQ(q.stats().gso, 1u);
  EXPECT_EQ(q.stats().unknown_verdicts, 3u);
}

// The headers-only copy range: the wire gets each packet's first 256 bytes
// and its length; the log (lengths, seq/ack, options, lines) is the same as
// with whole packets, and delay/hold/drop give verdicts without bytes.
TEST_F(WireTest, AHeadersOnlyQueueLogsWhatAWholeQueueLogs) {
  std::vector<PacketRecord> logs[2];
  for (uint32_t range : {kWireWholePacket, kWireHeaderBytes}) {
    queue_ = std::make_shared<FakePacketQueue>(range);
    Fault delay = MakeFault(ActionKind::kDelay, "client");
    delay.match.length = IntRange{1000, 2000};
    delay.action.delay = std::chrono::milliseconds(10);
    Start({delay, MakeFault(ActionKind::kDrop, "server", {TcpClass::kFin})});
    Handshake();
    queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, std::string(1448, 'a')));
    queue_->Push(Seg(false, kTcpAck, 1, 1449));
    const uint32_t fin = queue_->Push(Seg(false, kTcpAck | kTcpFin, 1, 1449));
    ASSERT_TRUE(queue_->WaitForVerdict(fin, kBound));
    clock_.Advance(10 * kMs);
    wire_->CheckTimers();
    ASSERT_TRUE(queue_->WaitForVerdict(4, kBound));
    EXPECT_THAT(queue_->Trace(), ElementsAre("A1", "A2", "A3", "A5", "D6", "A4"));
    for (const auto& e : queue_->events()) EXPECT_TRUE(e.bytes.empty());
    ASSERT_TRUE(wire_->Stop().ok());
    EXPECT_EQ(wire_->queue_stats().truncated, 0u);
    logs[range == kWireHeaderBytes ? 1 : 0] = wire_->Log();
    wire_.reset();
  }
  ASSERT_EQ(logs[1].size(), 6u);
  const PacketRecord& data = logs[1][3];
  EXPECT_EQ(data.wire_len, 20u + 20u + 1448u);
  EXPECT_EQ(data.payload_len, 1448u);
  EXPECT_EQ(data.action, "delay 10ms");
  for (size_t i = 0; i < logs[0].size(); ++i) {
    EXPECT_EQ(PacketRecordLine(logs[1][i]), PacketRecordLine(logs[0][i])) << i;
    EXPECT_EQ(logs[1][i].wire_len, logs[0][i].wire_len) << i;
  }
}

TEST(WireCopyRange, HeadersOnlyUnlessSomethingReadsThePayload) {
  Case c;
  c.hosts = {HostSpec{}, HostSpec{}};
  EXPECT_EQ(WireCopyRange(c), kWireHeaderBytes);
  for (ActionKind k : {ActionKind::kDrop, ActionKind::kDelay, ActionKind::kReorder,
                       ActionKind::kSwap, ActionKind::kHold, ActionKind::kInjectRst,
                       ActionKind::kRateLimit, ActionKind::kBottleneck, ActionKind::kSlots}) {
    c.faults = {MakeFault(k, "client", {TcpClass::kSyn})};
    c.faults[0].match.fields.flags = kTcpSyn;
    EXPECT_EQ(WireCopyRange(c), kWireHeaderBytes) << ActionName(k);
  }
  for (ActionKind k : {ActionKind::kCorrupt, ActionKind::kDuplicate}) {
    c.faults = {MakeFault(ActionKind::kDrop, "server"), MakeFault(k, "client")};
    EXPECT_EQ(WireCopyRange(c), kWireWholePacket) << ActionName(k);
  }
  c.faults = {MakeFault(ActionKind::kDrop, "client")};
  c.faults[0].match.fields.data = "GET";
  EXPECT_EQ(WireCopyRange(c), kWireWholePacket);

  // A `- fault:` step whose `set:` makes it a duplicate.
  c.faults = {MakeFault(ActionKind::kDrop, "client")};
  FaultStep fs;
  auto dup = std::make_shared<FaultAction>();
  dup->kind = ActionKind::kDuplicate;
  fs.action = dup;
  Step step;
  step.body = fs;
  c.steps = {step};
  EXPECT_EQ(WireCopyRange(c), kWireWholePacket);
  c.steps.clear();

  // A scripted host: its packets are taken whole and checked.
  c.hosts[1].scripted = true;
  EXPECT_EQ(WireCopyRange(c), kWireWholePacket);
}

}  // namespace
}  // namespace faultline
