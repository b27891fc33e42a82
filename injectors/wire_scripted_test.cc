// The wire's part for scripted hosts and `wire:` steps, through a
// FakePacketQueue and a FakeClock: no root, no sleeps (bounded waits).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "harness/common/interrupt.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_view.h"
#include "injectors/fake_packet_queue.h"
#include "injectors/testing_segments.h"
#include "injectors/wire.h"

namespace faultline {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kBound = std::chrono::milliseconds(5000);

class WireScriptedTest : public ::testing::Test {
 protected:
  // `server` is scripted unless `real`.
  void Start(bool real, std::vector<PacketFields> ignore = {}, std::vector<Fault> faults = {}) {
    for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
    WireConfig c;
    c.links.push_back({"client", "w0", "198.18.1.2", "2001:2:0:1::2"});
    c.links.push_back({"server", "w1", "198.18.2.2", "2001:2:0:2::2"});
    if (!real) c.scripted.push_back({"server", std::move(ignore)});
    c.faults = std::move(faults);
    c.clock = &clock_;
    c.queue = queue_;
    c.request_bound = request_bound_;
    StatusOr<std::unique_ptr<Wire>> w = Wire::Start(c);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wire_ = std::move(w).value();
  }
  void TearDown() override {
    if (wire_) {
      EXPECT_TRUE(wire_->Stop().ok());
    }
    EXPECT_THAT(queue_->errors(), IsEmpty());
    EXPECT_THAT(queue_->Unanswered(), IsEmpty());  // exactly one verdict each
  }
  static std::vector<uint8_t> Seg(bool from_client, uint8_t flags, uint32_t rel_seq,
                                  uint32_t rel_ack, const std::string& payload = "") {
    return TestSegment(from_client, flags, rel_seq, rel_ack, payload);
  }
  PacketRecord Rec(size_t seq_no) const { return wire_->Log().at(seq_no - 1); }
  // The packet sent by InjectInto after a client/server handshake.
  PacketView Crafted(const WireSendStep& step) {
    queue_->Push(Seg(true, kTcpSyn, 0, 0));
    queue_->Push(Seg(false, kTcpSyn | kTcpAck, 0, 1));
    EXPECT_TRUE(queue_->WaitForVerdict(queue_->Push(Seg(true, kTcpAck, 1, 1)), kBound));
    StatusOr<WirePacket> p = wire_->InjectInto(step, 7);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_TRUE(queue_->WaitForEvents(4, kBound));
    const auto events = queue_->events();
    EXPECT_EQ(events.back().kind, FakePacketQueue::Event::Kind::kSend);
    EXPECT_EQ(Rec(4).fate, PacketFate::kInject);
    EXPECT_EQ(Rec(4).action, "inject (step 7)");
    EXPECT_EQ(p.ok() ? p->seq_no : 0, 4u);
    bytes_ = events.back().bytes;
    return ParsePacket(bytes_);
  }

  FakeClock clock_;
  std::chrono::milliseconds request_bound_{1000};
  std::shared_ptr<FakePacketQueue> queue_ = std::make_shared<FakePacketQueue>();
  std::unique_ptr<Wire> wire_;
  std::vector<uint8_t> bytes_;
};

TEST_F(WireScriptedTest, PacketTowardAScriptedHostIsTakenOffIntoItsInbox) {
  Start(false);
  const std::vector<uint8_t> syn = Seg(true, kTcpSyn, 0, 0);
  const uint32_t id = queue_->Push(syn);
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->bytes, syn);
  EXPECT_EQ(p->seq_no, 1u);
  EXPECT_EQ(p->at_ns, clock_.NowNs());
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1"));  // never forwarded
  EXPECT_EQ(Rec(1).fate, PacketFate::kScripted);
  EXPECT_EQ(Rec(1).action, "scripted take");
  EXPECT_EQ(Rec(1).to, "server");
}

// The queue's kernel stamp is the packet's time: a wire thread that read
// the packet 30 ms after the kernel queued it (held, under load) does not
// make it look 30 ms late, in the inbox or in the packet log.
TEST_F(WireScriptedTest, APacketIsTimedAtItsKernelStampNotWhenTheWireThreadReadIt) {
  Start(false);
  const int64_t queued = clock_.NowNs();
  clock_.Advance(30'000'000);  // the wire thread gets to it 30 ms later
  queue_->Push(Seg(true, kTcpSyn, 0, 0), false, queued);
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->at_ns, queued);
  EXPECT_EQ(Rec(1).arrival_ns, queued);
  EXPECT_EQ(queue_->stats().kernel_stamps, 1u);
}

// Without a believable stamp the packet is timed when the wire thread read
// it: none, one in the future, one older than 10 s (a clock step). A stamp
// before the previous packet's time is moved up to it (the log stays in
// arrival order).
TEST_F(WireScriptedTest, AnUnbelievableKernelStampFallsBackToTheReadTime) {
  Start(false);
  clock_.Advance(20'000'000'000);
  const int64_t t0 = clock_.NowNs();
  queue_->Push(Seg(true, kTcpSyn, 0, 0));                              // none
  queue_->Push(Seg(true, kTcpSyn, 0, 0), false, t0 + 1'000'000);       // future
  queue_->Push(Seg(true, kTcpSyn, 0, 0), false, t0 - 11'000'000'000);  // too old
  for (int i = 0; i < 3; ++i) {
    StatusOr<WirePacket> p = wire_->Take("server", t0 + 5'000'000'000);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->at_ns, t0) << "packet " << i + 1;
  }
  clock_.Advance(10'000'000);
  queue_->Push(Seg(true, kTcpSyn, 0, 0), false, t0 - 5'000'000);  // before packet 3's time
  StatusOr<WirePacket> p = wire_->Take("server", t0 + 5'000'000'000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->at_ns, t0);
  EXPECT_EQ(Rec(4).arrival_ns, t0);
}

TEST_F(WireScriptedTest, TakeTimesOutAtItsDeadlineWhenNothingCame) {
  Start(false);
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kTimeout);
}

TEST_F(WireScriptedTest, IgnorablePacketsReachTheInboxMarkedAndTheRunnerMarksThemIgnored) {
  PacketFields pure_ack;
  pure_ack.flags = kTcpAck;
  pure_ack.length = IntRange{0, 0};
  Start(false, {pure_ack});
  queue_->Push(Seg(true, kTcpAck, 1, 1));
  const uint32_t data = queue_->Push(Seg(true, kTcpAck | kTcpPsh, 1, 1, "hi"));
  ASSERT_TRUE(queue_->WaitForVerdict(data, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1", "D2"));
  EXPECT_EQ(Rec(1).action, "scripted take");  // the runner decides
  EXPECT_EQ(Rec(1).fate, PacketFate::kScripted);
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->seq_no, 1u);
  EXPECT_TRUE(p->ignorable);
  wire_->MarkIgnored(p->seq_no);
  EXPECT_EQ(Rec(1).action, "scripted ignore");
  p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->seq_no, 2u);
  EXPECT_FALSE(p->ignorable);
  EXPECT_EQ(Rec(2).action, "scripted take");
  EXPECT_FALSE(wire_->Take("server", clock_.NowNs()).ok());
}

TEST_F(WireScriptedTest, AnIgnoreEntryNeverHidesAPacketFromTheInbox) {
  // `ignore: [{flags: S, seq: 0}]` for SYN retransmits: the first SYN,
  // which an expect waits for, still reaches the inbox.
  PacketFields syn;
  syn.flags = kTcpSyn;
  syn.seq = IntRange{0, 0};
  Start(false, {syn});
  queue_->Push(Seg(true, kTcpSyn, 0, 0));
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->ignorable);
  EXPECT_EQ(Rec(1).action, "scripted take");
}

TEST_F(WireScriptedTest, AnUnparsedPacketTowardAScriptedHostIsTakenOffNotForwarded) {
  Start(false);
  // A TCP packet cut inside its TCP header: the IP header alone names server.
  std::vector<uint8_t> cut = Seg(true, kTcpSyn, 0, 0);
  cut.resize(24);
  cut[2] = 0;
  cut[3] = 24;  // IPv4 total length
  const uint32_t id = queue_->Push(cut);
  StatusOr<WirePacket> p = wire_->Take("server", clock_.NowNs() + 5'000'000'000);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->bytes, cut);
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1"));  // never forwarded
  EXPECT_EQ(Rec(1).fate, PacketFate::kScripted);
  EXPECT_EQ(Rec(1).action, "scripted take");
  EXPECT_EQ(Rec(1).to, "server");
}

TEST_F(WireScriptedTest, AnUnparsedPacketTowardARealHostIsStillForwarded) {
  Start(false);
  std::vector<uint8_t> cut = Seg(false, kTcpSyn | kTcpAck, 0, 1);
  cut.resize(24);
  cut[2] = 0;
  cut[3] = 24;
  const uint32_t id = queue_->Push(cut);
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("A1"));
  EXPECT_EQ(Rec(1).fate, PacketFate::kUnparsed);
}

TEST(WireInterruptTest, TakeEndsPromptlyOnAStopRequest) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto queue = std::make_shared<FakePacketQueue>();
        WireConfig c;
        c.links.push_back({"client", "w0", "198.18.1.2", ""});
        c.links.push_back({"server", "w1", "198.18.2.2", ""});
        c.scripted.push_back({"server", {}});
        c.queue = queue;  // RealClock: a wait of an hour unless interrupted
        StatusOr<std::unique_ptr<Wire>> w = Wire::Start(c);
        if (!w.ok()) std::exit(2);
        std::thread stopper([] { RequestInterrupt(SIGINT); });
        StatusOr<WirePacket> p = (*w)->Take("server", RealClock().NowNs() + 3'600'000'000'000);
        stopper.join();
        const bool ok = !p.ok() && p.status().message() == "interrupted by SIGINT";
        (void)(*w)->Stop();
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(WireScriptedTest, NoFaultAppliesToAScriptedHostsPackets) {
  Fault drop;
  drop.match.from = "client";
  drop.action.kind = ActionKind::kDelay;
  drop.action.delay = std::chrono::milliseconds(50);
  Start(false, {}, {drop});
  queue_->Push(Seg(true, kTcpSyn, 0, 0));
  ASSERT_TRUE(wire_->Take("server", clock_.NowNs() + 5'000'000'000).ok());
  EXPECT_EQ(Rec(1).fault, 0);
  EXPECT_EQ(Rec(1).action, "scripted take");
}

TEST_F(WireScriptedTest, InjectSendsInOrderAndLogsAScriptedSend) {
  Start(false);
  const uint32_t id = queue_->Push(Seg(true, kTcpSyn, 0, 0));
  ASSERT_TRUE(queue_->WaitForVerdict(id, kBound));
  const std::vector<uint8_t> synack = Seg(false, kTcpSyn | kTcpAck, 0, 1);
  clock_.Advance(3'000'000);
  StatusOr<WirePacket> sent = wire_->Inject(synack);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->seq_no, 2u);
  EXPECT_EQ(sent->at_ns, clock_.NowNs());
  ASSERT_TRUE(queue_->WaitForEvents(2, kBound));
  EXPECT_THAT(queue_->Trace(), ElementsAre("D1", "S"));
  EXPECT_EQ(queue_->events()[1].bytes, synack);
  EXPECT_EQ(Rec(2).fate, PacketFate::kScripted);
  EXPECT_EQ(Rec(2).action, "scripted send");
  EXPECT_EQ(Rec(2).from, "server");
  EXPECT_EQ(Rec(2).flags, "S.");
}

TEST_F(WireScriptedTest, InjectIntoRstTakesTheSendersNextSeq) {
  Start(true);
  WireSendStep step;
  step.from = "client";
  step.toward = "server";
  step.packet.flags = kTcpRst;
  const PacketView v = Crafted(step);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.tcp_flags, kTcpRst);
  EXPECT_EQ(v.seq, kCisn + 1);
  EXPECT_EQ(v.ack, 0u);
  EXPECT_EQ(v.sport, 40000);
  EXPECT_EQ(v.dport, 8080);
}

TEST_F(WireScriptedTest, InjectIntoOffsetsSeqAndAckFromTheNextNumbers) {
  Start(true);
  WireSendStep step;
  step.from = "client";
  step.toward = "server";
  step.packet.flags = kTcpAck | kTcpPsh;
  step.packet.data = "old";
  step.seq_next = -100;
  step.ack_next = 7;
  const PacketView v = Crafted(step);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.seq, kCisn + 1 - 100);
  EXPECT_EQ(v.ack, kSisn + 1 + 7);
  EXPECT_EQ(v.payload_len, 3u);
}

// The wire thread is stuck in a send past the request bound: each caller
// gives up with kTimeout and returns (its stack frame is gone); the job it
// queued must neither write into that frame nor send when it runs later.
TEST_F(WireScriptedTest, InjectCallerThatGaveUpLeavesNothingForTheWireThread) {
  request_bound_ = std::chrono::milliseconds(50);
  Start(true);
  queue_->HoldSends(true);
  StatusOr<WirePacket> first = wire_->Inject(Seg(true, kTcpSyn, 0, 0));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(first.status().message(),
            "wire: the wire thread did not handle the inject within 50ms (nothing more is sent "
            "for it)");
  ASSERT_TRUE(queue_->WaitForSendsStarted(1, kBound));  // the wire thread is in Send
  StatusOr<WirePacket> second = wire_->Inject(Seg(true, kTcpRst, 1, 0));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kTimeout);
  WireSendStep step;
  step.from = "client";
  step.toward = "server";
  StatusOr<WirePacket> third = wire_->InjectInto(step, 3);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kTimeout);
  queue_->HoldSends(false);
  wire_->CheckTimers();  // the wire thread ran (and skipped) the late jobs
  ASSERT_TRUE(wire_->Stop().ok());
  EXPECT_THAT(queue_->Trace(), ElementsAre("S"));  // the first one only
  ASSERT_EQ(wire_->Log().size(), 1u);
  EXPECT_EQ(Rec(1).action, "scripted send");
}

TEST_F(WireScriptedTest, InjectIntoWithoutAConnectionSaysSo) {
  Start(true);
  WireSendStep step;
  step.from = "client";
  step.toward = "server";
  StatusOr<WirePacket> p = wire_->InjectInto(step, 1);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "no TCP connection between client and server seen on the wire yet");
}

}  // namespace
}  // namespace faultline
