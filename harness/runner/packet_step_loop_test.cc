// Packet steps of scripted hosts and `wire:` steps in the step loop, on a
// FakeCaseEnv (scripted packets, FakeClock). Cases are built in C++.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cerrno>

#include "harness/loader/case_loader.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_view.h"
#include "harness/packet/script_packet.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/fake_case_env.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMs = 1'000'000;
constexpr uint32_t kServerIsn = 7000;

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

// A packet from server:8080 to peer:40000 (the peer's ISN is 0).
std::vector<uint8_t> FromServer(uint8_t flags, uint32_t rel_seq, uint32_t ack,
                                const std::string& data = "") {
  SegmentSpec s;
  s.src = Addr("10.0.2.1");
  s.dst = Addr("10.0.3.1");
  s.sport = 8080;
  s.dport = 40000;
  s.seq = kServerIsn + rel_seq;
  s.ack = ack;
  s.flags = flags;
  s.payload = data;
  return BuildSegment(s);
}

PacketFields Flags(uint8_t flags) {
  PacketFields f;
  f.proto = PacketFields::L4::kTcp;
  f.flags = flags;
  return f;
}

class PacketStepLoopTest : public ::testing::Test {
 protected:
  PacketStepLoopTest() {
    c_.name = "t";
    c_.loc = {"t.yaml", 1, 1};
    c_.hosts.resize(3);
    c_.hosts[0].name = "client";
    c_.hosts[1].name = "server";
    c_.hosts[2].name = "peer";
    c_.hosts[2].scripted = true;
    env_.AddHost({"peer", "10.0.3.1", "fd00:3::1"});
  }
  Step& Add(PacketStep::Dir dir, PacketFields f, std::optional<int64_t> after_ms = std::nullopt) {
    PacketStep p;
    p.host = "peer";
    p.dir = dir;
    p.packet = std::move(f);
    if (c_.steps.empty()) {
      p.to = Endpoint{Endpoint::Kind::kHost, "server", "", 8080};
    }
    if (after_ms) p.after = DurationRange{Duration(*after_ms * kMs), Duration(*after_ms * kMs)};
    return AddStep(p);
  }
  template <typename T>
  Step& AddStep(T body) {
    Step s;
    s.index = static_cast<int>(c_.steps.size()) + 1;
    s.loc = {"t.yaml", s.index + 2, 5};
    s.body = std::move(body);
    c_.steps.push_back(std::move(s));
    return c_.steps.back();
  }
  CaseResult Run() {
    CaseRunOptions o;
    o.seed = 1;
    return RunCaseVariant(c_, Family::kIPv4, o, env_);
  }
  std::string Prefix(int index) const {
    const Step& s = c_.steps[static_cast<size_t>(index - 1)];
    return fmt::format("t.yaml:{}:5: step {} ({}): ", index + 2, index, s.Describe());
  }

  Case c_;
  FakeCaseEnv env_;
};

TEST_F(PacketStepLoopTest, HandshakeExchangePasses) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 0);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env_.sent_packets().size(), 1u);
  const PacketView syn = ParsePacket(env_.sent_packets()[0].bytes);
  ASSERT_TRUE(syn.ok);
  EXPECT_EQ(syn.tcp_flags, kTcpSyn);
  EXPECT_EQ(syn.seq, 0u);
  EXPECT_EQ(syn.sport, 40000);
  EXPECT_EQ(syn.dport, 8080);
  EXPECT_EQ(syn.src, Addr("10.0.3.1"));
  EXPECT_EQ(syn.dst, Addr("10.0.2.1"));
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[1].host, "peer");
  EXPECT_TRUE(r.steps[1].ok);
  EXPECT_THAT(r.steps[1].actual, HasSubstr(" at +10ms"));
  EXPECT_EQ(r.steps[1].expected, Flags(kTcpSyn | kTcpAck).ToString() + " within [-50ms, 50ms]");
  EXPECT_EQ(r.steps[1].start_offset_ns, 10 * kMs);
}

TEST_F(PacketStepLoopTest, MismatchSaysExpectedVersusActual) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  const std::vector<uint8_t> rst = FromServer(kTcpRst | kTcpAck, 0, 1);
  env_.ScriptPacket("peer", rst, 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  // The engine's words after the step's prefix.
  ScriptConn conn;
  conn.local_host = "peer";
  conn.remote_host = "server";
  conn.local = Addr("10.0.3.1");
  conn.remote = Addr("10.0.2.1");
  conn.local_port = 40000;
  conn.remote_port = 8080;
  conn.local_nxt = 1;
  const Verdict v = CheckScripted(Flags(kTcpSyn | kTcpAck), rst, conn);
  EXPECT_EQ(r.message, Prefix(2) + v.message);
}

// The FIN a `close` causes can reach the wire before the call's return
// stamp (the anchor of the next step): `after: 0` allows a negative offset.
TEST_F(PacketStepLoopTest, PacketBeforeTheAnchorCallsReturnIsInsideTheWindow) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  CallStep call;
  call.host = "server";
  call.call.op = Op::kListen;
  AddStep(call);
  Add(PacketStep::Dir::kExpect, Flags(kTcpFin | kTcpAck), 0);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpFin | kTcpAck, 1, 1), 10 * kMs);
  const int64_t t0 = env_.fake_clock().NowNs();
  peer::Reply ret;
  ret.start_ns = t0 + 10 * kMs;
  ret.end_ns = t0 + 10 * kMs + 22'000;  // returns 22us after the FIN left
  env_.Script("server", Op::kListen, ret);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_THAT(r.steps[3].actual, HasSubstr(" at -22us"));
  EXPECT_EQ(r.steps[3].expected, Flags(kTcpFin | kTcpAck).ToString() + " within [-50ms, 50ms]");
}

TEST_F(PacketStepLoopTest, PacketTooLongBeforeTheAnchorFailsWithANegativeOffset) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  CallStep call;
  call.host = "server";
  call.call.op = Op::kListen;
  AddStep(call);
  Add(PacketStep::Dir::kExpect, Flags(kTcpFin | kTcpAck), 0);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpFin | kTcpAck, 1, 1), 10 * kMs);
  const int64_t t0 = env_.fake_clock().NowNs();
  peer::Reply ret;
  ret.start_ns = t0 + 10 * kMs;
  ret.end_ns = t0 + 100 * kMs;
  env_.Script("server", Op::kListen, ret);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(4) + "packet at -90ms after step 3, expected [-50ms, 50ms]");
}

TEST_F(PacketStepLoopTest, NothingWithinTheWindowTimesOut) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 200);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(2) + "expected " + Flags(kTcpSyn | kTcpAck).ToString() +
                           " within [150ms, 250ms] after step 1; none came");
}

TEST_F(PacketStepLoopTest, EarlyPacketFailsTheWindow) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 200);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 100 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(2) + "packet at +100ms after step 1, expected [150ms, 250ms]");
}

TEST_F(PacketStepLoopTest, LatePacketIsNotWaitedFor) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 200);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 300 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("within [150ms, 250ms] after step 1; none came"));
}

TEST_F(PacketStepLoopTest, SendWaitsUntilDueAndAPacketBeforeItIsUnexpected) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, StartsWith(Prefix(2) + "unexpected packet: "));
  EXPECT_EQ(env_.sent_packets().size(), 1u);
}

TEST_F(PacketStepLoopTest, SendGoesOutWhenDue) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env_.sent_packets().size(), 2u);
  EXPECT_EQ(env_.sent_packets()[1].at_ns - env_.sent_packets()[0].at_ns, 110 * kMs);
  const PacketView ack = ParsePacket(env_.sent_packets()[1].bytes);
  EXPECT_EQ(ack.seq, 1u);
  EXPECT_EQ(ack.ack, kServerIsn + 1);
}

TEST_F(PacketStepLoopTest, PacketLeftAfterTheLastStepFailsTheCase) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message,
              StartsWith("t.yaml:1:1: unexpected packet toward peer after the last step: "));
}

// .pkt scripts (Case::check_after_last_step false): packetdrill stops
// checking at its last event.
TEST_F(PacketStepLoopTest, NoCheckAfterTheLastStepForScripts) {
  c_.check_after_last_step = false;
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

// Case::keep_early_packets: steps with their script times, as the
// translation gives them: SYN at 0, SYN-ACK at 10ms, ACK at 110ms, data at
// 110ms (+0 after the ACK). The data comes `data_ms` after the start.
class KeptPacketTest : public PacketStepLoopTest {
 protected:
  void Script(int64_t data_ms) {
    c_.keep_early_packets = true;
    c_.tolerance = Duration(4 * kMs);
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn), 0).script_at = Duration(0);
    Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 10).script_at = Duration(10 * kMs);
    Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100).script_at = Duration(110 * kMs);
    Add(PacketStep::Dir::kExpect, Flags(kTcpAck | kTcpPsh), 0).script_at = Duration(110 * kMs);
    env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
    env_.ScriptPacket("peer", FromServer(kTcpAck | kTcpPsh, 1, 1, "data"), data_ms * kMs);
  }
};

// A packet before a send is kept for the next expect and timed from the
// latest event before it (step 2's SYN-ACK at 10ms): +97ms of 100ms.
TEST_F(KeptPacketTest, APacketBeforeASendIsKeptForTheNextExpect) {
  Script(107);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env_.sent_packets().size(), 2u);
  // The send still went out when due.
  EXPECT_EQ(env_.sent_packets()[1].at_ns - env_.sent_packets()[0].at_ns, 110 * kMs);
  EXPECT_THAT(r.steps[2].actual, StartsWith("kept for the next expect: server:8080 > peer:40000 "
                                            "tcp P. seq 1 ack 1"));
  EXPECT_EQ(r.steps[3].expected,
            Flags(kTcpAck | kTcpPsh).ToString() + " within [96ms, 104ms] after step 2");
  EXPECT_THAT(r.steps[3].actual, HasSubstr(" at +97ms"));
}

// Its time is checked as packetdrill checks it: 50ms early is a failure.
TEST_F(KeptPacketTest, AKeptPacketOutsideItsScriptTimeFails) {
  Script(60);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(4) + "packet at +50ms after step 2, expected [96ms, 104ms]");
}

// YAML cases keep failing it.
TEST_F(KeptPacketTest, WithoutKeepingAPacketBeforeASendFailsIt) {
  Script(107);
  c_.keep_early_packets = false;
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, StartsWith(Prefix(3) + "unexpected packet: server:8080 > peer:40000 "));
}

// A packet the stack sent within the window but that the wire's thread
// hands over after the window's end (it was not scheduled: the kernel's
// stamp is its time) is the step's for a .pkt script; it was "none came".
// YAML cases keep the window's end as the deadline; a packet stamped after
// the window is not the step's either way.
class HandoverTest : public PacketStepLoopTest {
 protected:
  CaseResult RunWith(bool keep, int64_t stamp_ms, int64_t lag_ms) {
    c_.keep_early_packets = keep;
    c_.tolerance = Duration(4 * kMs);
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn), 0);
    Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 10);
    env_.SetHandoverLag(lag_ms * kMs);
    env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), stamp_ms * kMs);
    return Run();
  }
  std::string None() const {
    return Prefix(2) + "expected " + Flags(kTcpSyn | kTcpAck).ToString() +
           " within [6ms, 14ms] after step 1; none came";
  }
};

TEST_F(HandoverTest, APacketStampedInItsWindowButHandedOverLateIsTheSteps) {
  CaseResult r = RunWith(true, 12, 20);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[1].actual, HasSubstr(" at +12ms"));
}

TEST_F(HandoverTest, YamlCasesAndPacketsStampedAfterTheWindowHaveNone) {
  CaseResult r = RunWith(false, 12, 20);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, None());
}

TEST_F(HandoverTest, APacketStampedAfterTheWindowIsNotTheSteps) {
  CaseResult r = RunWith(true, 20, 5);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, None());
}

// Two connections of a script, one after the other (keep_early_packets, as
// .pkt scripts run): the first one's FIN, from server:8080 to peer:40000,
// comes while the script waits for the second one's SYN-ACK (to
// peer:40001). packetdrill skips a packet of a socket that is no longer the
// one under test; so does faultline, and notes it.
class EarlierConnectionTest : public PacketStepLoopTest {
 protected:
  void Script(int64_t fin_ms) {
    c_.keep_early_packets = true;
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn), 0).script_at = Duration(0);
    Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck)).script_at = Duration(10 * kMs);
    Add(PacketStep::Dir::kSend, Flags(kTcpAck), 20).script_at = Duration(30 * kMs);
    PacketStep second;
    second.host = "peer";
    second.dir = PacketStep::Dir::kSend;
    second.packet = Flags(kTcpSyn);
    second.conn = "c2";
    second.port = 40001;
    second.to = Endpoint{Endpoint::Kind::kHost, "server", "", 8080};
    second.after = DurationRange{Duration(5 * kMs), Duration(5 * kMs)};
    AddStep(second).script_at = Duration(35 * kMs);
    PacketStep reply = second;
    reply.dir = PacketStep::Dir::kExpect;
    reply.packet = Flags(kTcpSyn | kTcpAck);
    reply.to.reset();
    reply.port.reset();
    reply.after.reset();
    AddStep(reply).script_at = Duration(40 * kMs);
    env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
    env_.ScriptPacket("peer", FromServer(kTcpFin | kTcpAck, 1, 1), fin_ms * kMs);
    std::vector<uint8_t> second_synack = FromServer(kTcpSyn | kTcpAck, 100, 1);
    SegmentSpec s;
    s.src = Addr("10.0.2.1");
    s.dst = Addr("10.0.3.1");
    s.sport = 8080;
    s.dport = 40001;
    s.seq = kServerIsn + 100;
    s.ack = 1;
    s.flags = kTcpSyn | kTcpAck;
    env_.ScriptPacket("peer", BuildSegment(s), 45 * kMs);
  }
};

// The FIN came while the first connection's ACK was due: kept for the next
// expect, which is the second connection's, and skipped there.
TEST_F(EarlierConnectionTest, AKeptPacketOfAnEarlierConnectionIsSkipped) {
  Script(15);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[2].actual, StartsWith("kept for the next expect: server:8080 > peer:40000 "));
  EXPECT_THAT(r.steps[4].actual,
              StartsWith("ignored, of an earlier connection: server:8080 > peer:40000 tcp F."));
  EXPECT_THAT(r.steps[4].actual, HasSubstr("\nserver:8080 > peer:40001 tcp S."));
}

// The FIN came while the script waited for the second SYN-ACK: skipped as
// it arrives.
TEST_F(EarlierConnectionTest, AFreshPacketOfAnEarlierConnectionIsSkipped) {
  Script(40);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[4].actual,
              StartsWith("ignored, of an earlier connection: server:8080 > peer:40000 tcp F."));
}

// YAML cases name every packet: there it is a mismatch.
TEST_F(EarlierConnectionTest, WithoutKeepingItIsAMismatch) {
  Script(40);
  c_.keep_early_packets = false;
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("connection: expected server:8080 > peer:40001 vs actual "
                                   "server:8080 > peer:40000"));
}

TEST_F(PacketStepLoopTest, SinceAnchorsAtTheLabelledStep) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn)).label = "syn";
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Step& third = Add(PacketStep::Dir::kExpect, Flags(kTcpAck), 60);
  std::get<PacketStep>(third.body).tolerance = Duration(10 * kMs);
  std::get<PacketStep>(third.body).since = "syn";
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 30 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpAck, 1, 1), 60 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[2].actual, HasSubstr(" at +60ms"));
}

TEST_F(PacketStepLoopTest, WithoutSinceTheAnchorIsThePreviousStep) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn)).label = "syn";
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Step& third = Add(PacketStep::Dir::kExpect, Flags(kTcpAck), 60);
  std::get<PacketStep>(third.body).tolerance = Duration(10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 30 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpAck, 1, 1), 60 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(3) + "packet at +30ms after step 2, expected [50ms, 70ms]");
}

// A step between that does not run in this variant (`when:`) is passed
// over: the anchor is the last step before it that ran (it was "now",
// when the step came to run, before; review of the when: merge).
TEST_F(PacketStepLoopTest, AStepNotInTheVariantIsNotTheAnchor) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Add(PacketStep::Dir::kExpect, Flags(kTcpAck)).not_in_variant = true;
  Step& fourth = Add(PacketStep::Dir::kExpect, Flags(kTcpAck), 10);
  std::get<PacketStep>(fourth.body).tolerance = Duration(1 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 30 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpAck, 1, 1), 60 * kMs);
  CaseResult r = Run();
  EXPECT_TRUE(r.steps[2].not_in_variant);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(4) + "expected tcp . within [9ms, 11ms] after step 2; none came");
}

// A blocking call whose return counts from the inbound packet that unblocks
// it (`returned_after`, the packetdrill translation's): the SYN-ACK comes
// 20ms late, so the ACK goes out late and the accept returns late; from
// the ACK's time on the wire it is on time. Its start still bounds it from
// below (`took`).
CallStep BlockingAccept() {
  CallStep call;
  call.host = "server";
  call.call.op = Op::kAccept;
  call.async = true;
  call.id = "call1";
  call.has_expect = true;
  call.expect.took = DurationRange{Duration(96 * kMs), Duration::max()};
  call.expect.returned_after = DurationRange{Duration(-4 * kMs), Duration(4 * kMs)};
  call.expect.returned_since = "ack";
  return call;
}

TEST_F(PacketStepLoopTest, ABlockingCallReturnsAfterTheEventThatUnblocksIt) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  AddStep(BlockingAccept());
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 0);
  Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100).label = "ack";
  AddStep(AwaitStep{"call1"});
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 20 * kMs);
  env_.Script("server", Op::kAccept, peer::Reply{}, 121 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[1].took_ns, 121 * kMs);
  EXPECT_THAT(r.steps[1].expected, HasSubstr("took >= 96ms, returned [-4ms, 4ms] after step 4"));
  EXPECT_THAT(r.steps[1].actual, HasSubstr("took 121ms, returned at +1ms after step 4"));
}

TEST_F(PacketStepLoopTest, ABlockingCallLateAfterTheEventThatUnblocksItFails) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  AddStep(BlockingAccept());
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 0);
  Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100).label = "ack";
  AddStep(AwaitStep{"call1"});
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 20 * kMs);
  env_.Script("server", Op::kAccept, peer::Reply{}, 130 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(2) + "returned at +10ms after step 4, expected [-4ms, 4ms]");
}

// The peer's own run-queue wait during the call (peer::Reply::run_delay_ns)
// makes its return's window that much longer: 10ms late with 7ms of waiting
// passes, with 5ms it fails, saying so.
class RunDelayTest : public PacketStepLoopTest {
 protected:
  CaseResult LateAccept(int64_t delay_ms) {
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
    AddStep(BlockingAccept());
    Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 0);
    Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100).label = "ack";
    AddStep(AwaitStep{"call1"});
    env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 20 * kMs);
    peer::Reply late;
    late.run_delay_ns = delay_ms * kMs;
    env_.Script("server", Op::kAccept, late, 130 * kMs);
    return Run();
  }
};

TEST_F(RunDelayTest, ThePeersRunQueueWaitWidensAReturnsWindow) {
  CaseResult r = LateAccept(7);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[1].expected,
              HasSubstr("returned [-4ms, 4ms] + 7ms the peer waited to run after step 4"));
}

TEST_F(RunDelayTest, OnlyByThatWait) {
  CaseResult r = LateAccept(5);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(2) +
                           "returned at +10ms after step 4, expected [-4ms, 4ms] + 5ms the peer "
                           "waited to run");
}

TEST_F(PacketStepLoopTest, ABlockingCallReturningTooEarlyAfterItsStartFails) {
  AddStep(BlockingAccept());
  Step& syn = Add(PacketStep::Dir::kSend, Flags(kTcpSyn), 50);
  syn.label = "ack";
  std::get<PacketStep>(syn.body).to = Endpoint{Endpoint::Kind::kHost, "server", "", 8080};
  AddStep(AwaitStep{"call1"});
  env_.Script("server", Op::kAccept, peer::Reply{}, 51 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, Prefix(1) + "expected took >= 96ms vs actual took 51ms");
}

// The step after an await is anchored to the awaited call's return (its
// stamp), not to when the step loop got the reply: here the reply reaches
// the loop 20ms after the call returned.
TEST_F(PacketStepLoopTest, TheStepAfterAnAwaitIsAnchoredToTheCallsReturn) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  CallStep call;
  call.host = "server";
  call.call.op = Op::kAccept;
  call.async = true;
  call.id = "call1";
  AddStep(call);
  AddStep(AwaitStep{"call1"});
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck), 0);
  const int64_t t0 = env_.fake_clock().NowNs();
  peer::Reply ret;
  ret.start_ns = t0;
  ret.end_ns = t0 + 10 * kMs;
  env_.Script("server", Op::kAccept, ret, 30 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 30 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_THAT(r.steps[3].actual, HasSubstr(" at +20ms"));
}

// The stack's TS val windows are anchored like the packet's time: the
// listen below returns 6ms later than the script says, so the ACK (100ms
// after it) carries a TS val 106 ticks after the SYN-ACK's; its window,
// written from the script's times as [96, 104], is shifted by those 6ms.
std::vector<uint8_t> FromServerTs(uint8_t flags, uint32_t rel_seq, uint32_t ack, uint32_t ts) {
  SegmentSpec s;
  s.src = Addr("10.0.2.1");
  s.dst = Addr("10.0.3.1");
  s.sport = 8080;
  s.dport = 40000;
  s.seq = kServerIsn + rel_seq;
  s.ack = ack;
  s.flags = flags;
  s.options = {TcpOption::Nop(), TcpOption::Nop(), TcpOption::Timestamp(ts, 0)};
  return BuildSegment(s);
}

PacketFields FlagsTs(uint8_t flags, int64_t lo, int64_t hi) {
  PacketFields f = Flags(flags);
  OptionSpec ts;
  ts.kind = kTcpOptTimestamp;
  ts.ts_val = IntRange{lo, hi};
  f.options = std::vector<OptionSpec>{OptionSpec{}, OptionSpec{}, ts};
  return f;
}

class TsAnchorTest : public PacketStepLoopTest {
 protected:
  CaseResult RunWithAckTs(bool anchored) {
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
    Add(PacketStep::Dir::kExpect, FlagsTs(kTcpSyn | kTcpAck, 0, 4), 0);
    CallStep call;
    call.host = "server";
    call.call.op = Op::kListen;
    AddStep(call);
    Step& ack = Add(PacketStep::Dir::kExpect, FlagsTs(kTcpAck, 96, 104), 100);
    if (anchored) std::get<PacketStep>(ack.body).ts_tick = Duration(kMs);
    env_.ScriptPacket("peer", FromServerTs(kTcpSyn | kTcpAck, 0, 1, 1000), kMs);
    env_.Script("server", Op::kListen, peer::Reply{}, 6 * kMs);
    env_.ScriptPacket("peer", FromServerTs(kTcpAck, 1, 1, 1106), 106 * kMs);
    return Run();
  }
};

TEST_F(TsAnchorTest, TsValWindowIsAnchoredToTheAnchorsActualTime) {
  CaseResult r = RunWithAckTs(true);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(TsAnchorTest, WithoutTsTickTheTsValWindowIsTheScripts) {
  CaseResult r = RunWithAckTs(false);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("TS val: expected [96, 104] vs actual 106"));
}

TEST_F(PacketStepLoopTest, WireStepGoesToTheWire) {
  WireSendStep w;
  w.from = "client";
  w.toward = "server";
  w.packet = Flags(kTcpRst);
  w.seq_next = 0;
  AddStep(w);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env_.wire_steps().size(), 1u);
  EXPECT_EQ(env_.wire_steps()[0].toward, "server");
  EXPECT_THAT(env_.wire_step_indices(), ::testing::ElementsAre(1));
  EXPECT_EQ(r.steps[0].actual, "crafted");
  EXPECT_EQ(r.steps[0].host, "wire");
}

TEST_F(PacketStepLoopTest, WireStepWithoutAConnectionIsAnError) {
  WireSendStep w;
  w.from = "client";
  w.toward = "server";
  w.packet = Flags(kTcpRst);
  AddStep(w);
  env_.SetInjectInto(
      Status::Invalid("no TCP connection between client and server seen on the wire yet"));
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            Prefix(1) + "no TCP connection between client and server seen on the wire yet");
}

// The stack's SYN-ACK retransmit before the script's next send, which an
// `ignore:` entry holds for: skipped, noted in the step's record and
// marked at the wire; not an unexpected packet.
TEST_F(PacketStepLoopTest, AnIgnorablePacketBeforeASendIsSkippedAndNoted) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Add(PacketStep::Dir::kSend, Flags(kTcpAck), 100);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 50 * kMs, true);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(env_.ignored().size(), 1u);
  EXPECT_THAT(r.steps[2].actual,
              StartsWith("ignored: server:8080 > peer:40000 tcp S. seq 0 ack 1 "));
  EXPECT_EQ(env_.sent_packets().size(), 2u);
}

// `ignore: [{flags: S}]` must not swallow the SYN an expect waits for.
TEST_F(PacketStepLoopTest, AnExpectConsumesAnIgnorablePacketThatMatchesIt) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  Add(PacketStep::Dir::kExpect, Flags(kTcpAck | kTcpPsh));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs, true);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs, true);
  env_.ScriptPacket("peer", FromServer(kTcpAck | kTcpPsh, 1, 1, "hi"), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(env_.ignored().size(), 1u);  // only the retransmit
  EXPECT_THAT(r.steps[1].actual, StartsWith("server:8080 > peer:40000 tcp S. "));
  EXPECT_THAT(r.steps[2].actual, StartsWith("ignored: server:8080 > peer:40000 tcp S. "));
}

// PacketStep::gather (packetdrill's aggregation of outbound segments): an
// expected 2500-byte packet that the stack sent as 1000 + 1000 + 500.
class GatherTest : public PacketStepLoopTest {
 protected:
  void Steps(bool gather, int64_t length) {
    Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
    Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
    PacketFields data = Flags(kTcpAck | kTcpPsh);
    data.seq = IntRange{1, 1};
    data.length = IntRange{length, length};
    std::get<PacketStep>(Add(PacketStep::Dir::kExpect, data).body).gather = gather;
    env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  }
  void Segment(uint8_t flags, uint32_t rel_seq, size_t len, int64_t at_ms) {
    env_.ScriptPacket("peer", FromServer(flags, rel_seq, 1, std::string(len, 'x')), at_ms * kMs);
  }
};

TEST_F(GatherTest, ConsecutiveSegmentsMatchOneLongerPacket) {
  Steps(true, 2500);
  Segment(kTcpAck, 1, 1000, 20);
  Segment(kTcpAck, 1001, 1000, 20);
  Segment(kTcpAck | kTcpPsh, 2001, 500, 21);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 3u);
  // Seq of the first, flags (P.) of the last, the last one's time.
  EXPECT_EQ(r.steps[2].actual,
            "server:8080 > peer:40000 tcp P. seq 1 ack 1 win 65535 len 2500 at +11ms "
            "(3 segments)");
}

TEST_F(GatherTest, WithoutGatherTheFirstSegmentIsThePacket) {
  Steps(false, 2500);
  Segment(kTcpAck, 1, 1000, 20);
  Segment(kTcpAck | kTcpPsh, 1001, 1500, 20);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("(flags: expected P. vs actual .)"));
}

TEST_F(GatherTest, APacketThatDoesNotContinueEndsTheGathering) {
  Steps(true, 2500);
  Segment(kTcpAck, 1, 1000, 20);
  Segment(kTcpAck, 2001, 1000, 20);  // a gap: not after seq 1001
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("(flags: expected P. vs actual .)"));
  EXPECT_EQ(r.steps[2].actual,
            "server:8080 > peer:40000 tcp . seq 1 ack 1 win 65535 len 1000 at +10ms\n"
            "then: server:8080 > peer:40000 tcp . seq 2001 ack 1 win 65535 len 1000");
}

TEST_F(GatherTest, AShorterSegmentBeforeTheLengthEndsTheGathering) {
  Steps(true, 2500);
  Segment(kTcpAck, 1, 1000, 20);
  Segment(kTcpAck | kTcpPsh, 1001, 500, 20);
  Segment(kTcpAck | kTcpPsh, 1501, 1000, 20);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("(length: expected 2500 vs actual 1500)"));
}

TEST_F(PacketStepLoopTest, AnIgnorablePacketAfterTheLastStepIsSkipped) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs, true);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(env_.ignored().size(), 1u);
  EXPECT_THAT(r.steps[1].actual,
              HasSubstr(" at +10ms\nignored: server:8080 > peer:40000 tcp S. seq 0 ack 1 "));
}

// A case ends tolerance after its last step: a packet 30ms late (the
// default tolerance is 50ms) is unexpected, not left to chance.
TEST_F(PacketStepLoopTest, APacketWithinTheToleranceAfterTheLastStepFailsTheCase) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpRst, 1, 0), 30 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, StartsWith("t.yaml:1:1: unexpected packet toward peer after the last "
                                    "step: server:8080 > peer:40000 tcp R seq 1 "));
}

TEST_F(PacketStepLoopTest, APacketPastTheToleranceAfterTheLastStepIsNotChecked) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  env_.ScriptPacket("peer", FromServer(kTcpSyn | kTcpAck, 0, 1), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpRst, 1, 0), 100 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(PacketStepLoopTest, AStopRequestEndsAPendingExpect) {
  Add(PacketStep::Dir::kSend, Flags(kTcpSyn));
  Add(PacketStep::Dir::kExpect, Flags(kTcpSyn | kTcpAck));
  const int64_t start = env_.fake_clock().NowNs();
  env_.InterruptAt(start + 20 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message, Prefix(2) + "interrupted by SIGINT");
  EXPECT_EQ(env_.fake_clock().NowNs(), start + 20 * kMs);
}

// An expect without `from:` (the stack connects to us): the failure line
// names the real host by name, not by address.
TEST_F(PacketStepLoopTest, FailureLinesNameTheRealHostByName) {
  PacketStep p;
  p.host = "peer";
  p.dir = PacketStep::Dir::kExpect;
  p.packet = Flags(kTcpSyn);
  p.port = 40000;
  AddStep(p);
  env_.ScriptPacket("peer", FromServer(kTcpRst, 0, 0), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.steps[0].actual, "server:8080 > peer:40000 tcp R seq 7000 win 65535 len 0 at +10ms");
}

TEST_F(PacketStepLoopTest, LeftoverLinesNameTheRealHostByName) {
  PacketStep p;
  p.host = "peer";
  p.dir = PacketStep::Dir::kExpect;
  p.packet = Flags(kTcpSyn);
  p.port = 40000;
  AddStep(p);
  env_.ScriptPacket("peer", FromServer(kTcpSyn, 0, 0), 10 * kMs);
  env_.ScriptPacket("peer", FromServer(kTcpRst, 1, 0), 10 * kMs);
  CaseResult r = Run();
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:1:1: unexpected packet toward peer after the last step: server:8080 > "
            "peer:40000 tcp R seq 1 win 65535 len 0");
}

// The step after an async call is anchored at the call's start (when it
// was sent), not its reply: pkt_translate relies on it.
TEST(PacketStepAnchorTest, TheStepAfterAnAsyncCallIsAnchoredAtItsStart) {
  StatusOr<Case> c = LoadCaseText(R"(name: async-anchor
hosts:
  client: {}
  server: {}
  peer: {scripted: true}
steps:
  - server: {connect: "peer:40000", as: c, async: true}
  - peer: {expect: {flags: S}, port: 40000, after: 5ms, tolerance: 2ms}
  - peer: {send: {flags: R., seq: 0, ack: 1}}
  - await: c
)",
                                  "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  FakeCaseEnv env;
  env.AddHost({"peer", "10.0.3.1", "fd00:3::1"});
  peer::Reply refused;
  refused.ret = -1;
  refused.err = ECONNREFUSED;
  env.Script("server", Op::kConnect, refused, 100 * kMs);
  SegmentSpec syn;
  syn.src = Addr("10.0.2.1");
  syn.dst = Addr("10.0.3.1");
  syn.sport = 50000;
  syn.dport = 40000;
  syn.seq = kServerIsn;
  syn.flags = kTcpSyn;
  env.ScriptPacket("peer", BuildSegment(syn), 5 * kMs);
  CaseRunOptions o;
  o.seed = 1;
  CaseResult r = RunCaseVariant(*c, Family::kIPv4, o, env);
  EXPECT_TRUE(r.steps[1].ok) << r.steps[1].failure;
  EXPECT_THAT(r.steps[1].actual, ::testing::EndsWith(" at +5ms"));
}

}  // namespace
}  // namespace faultline
