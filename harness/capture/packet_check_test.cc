#include "harness/capture/packet_check.h"

#include <limits>

#include <gtest/gtest.h>

#include "harness/capture/pcap_format.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_view.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kIfClient = 101, kIfServer = 102;
constexpr int64_t kStart = 1'700'000'000'000'000'000;  // case start, realtime ns

std::vector<uint8_t> Tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                         const std::string& payload = "", uint16_t window = 64000) {
  SegmentSpec s;
  IpAddr::Parse(from_client ? "198.18.1.2" : "198.18.2.2", &s.src);
  IpAddr::Parse(from_client ? "198.18.2.2" : "198.18.1.2", &s.dst);
  s.sport = from_client ? 40000 : 8080;
  s.dport = from_client ? 8080 : 40000;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.payload = payload;
  s.window = window;
  return BuildSegment(s);
}

// Golden capture: the client's first SYN is dropped, the retransmission
// 1 s later completes the handshake, 5 bytes of data, both FINs.
class PacketCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cx_.start_ns = kStart;
    cx_.hosts = {{"client", kIfClient, "198.18.1.2", "2001:2:0:1::2"},
                 {"server", kIfServer, "198.18.2.2", "2001:2:0:2::2"}};
    // Sent on the sender's interface, and (unless dropped) delivered 50 us later.
    auto both = [&](int64_t ms, bool from_client, std::vector<uint8_t> ip, bool dropped = false) {
      CapturedPacket in;
      in.ts_ns = kStart + ms * 1'000'000;
      in.ifindex = from_client ? kIfClient : kIfServer;
      in.pkttype = kPacketHost;
      in.orig_len = static_cast<uint32_t>(ip.size());
      in.ip = ip;
      capture_.push_back(in);
      if (dropped) return;
      CapturedPacket out = in;
      out.ts_ns += 50'000;
      out.ifindex = from_client ? kIfServer : kIfClient;
      out.pkttype = kPacketOutgoing;
      capture_.push_back(out);
    };
    both(100, true, Tcp(true, kTcpSyn, 1000, 0), /*dropped=*/true);
    both(1100, true, Tcp(true, kTcpSyn, 1000, 0));
    both(1101, false, Tcp(false, kTcpSyn | kTcpAck, 5000, 1001));
    both(1102, true, Tcp(true, kTcpAck, 1001, 5001));
    both(1110, true, Tcp(true, kTcpPsh | kTcpAck, 1001, 5001, "hello"));
    both(1111, false, Tcp(false, kTcpAck, 5001, 1006, "", /*window=*/0));
    both(1120, true, Tcp(true, kTcpFin | kTcpAck, 1006, 5001));
    both(1121, false, Tcp(false, kTcpFin | kTcpAck, 5001, 1007));
    both(1122, true, Tcp(true, kTcpAck, 1007, 5002));
    // Through the file format, as the runner's checks would read it back.
    StatusOr<std::vector<CapturedPacket>> read = ParsePcap(EncodePcap(capture_));
    ASSERT_TRUE(read.ok()) << read.status().message();
    capture_ = std::move(read).value();
  }

  PacketExpect Expect(FaultMatch m, std::optional<IntRange> count,
                      PacketExpect::At at = PacketExpect::At::kSent) {
    PacketExpect x;
    x.loc = SourceLoc{"t.yaml", 12, 5};
    x.index = 1;
    x.match = std::move(m);
    x.count = count;
    x.at = at;
    return x;
  }

  PacketCheckRecord Check(const PacketExpect& x) {
    std::vector<PacketCheckRecord> r = CheckPackets({x}, capture_, cx_);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? PacketCheckRecord{} : r[0];
  }

  static FaultMatch Syn() {
    FaultMatch m;
    m.from = "client";
    m.tcp = {TcpClass::kSyn};
    return m;
  }

  CaptureContext cx_;
  std::vector<CapturedPacket> capture_;
};

TEST_F(PacketCheckTest, SentVersusReceived) {
  EXPECT_TRUE(Check(Expect(Syn(), IntRange{2, 2})).ok);
  EXPECT_TRUE(Check(Expect(Syn(), IntRange{1, 1}, PacketExpect::At::kReceived)).ok);
  FaultMatch synack;
  synack.from = "server";
  synack.to = "client";
  synack.tcp = {TcpClass::kSynAck};
  EXPECT_TRUE(Check(Expect(synack, IntRange{1, 1}, PacketExpect::At::kReceived)).ok);
}

TEST_F(PacketCheckTest, WrongCountExplainsItselfWithBothSides) {
  PacketCheckRecord r = Check(Expect(Syn(), IntRange{4, 4}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "expected count 4 vs actual 2");
  ASSERT_EQ(r.dump.size(), 3u);
  EXPECT_EQ(
      r.dump[0],
      "#1 +0.100000s sent by client       client:40000 > server:8080 tcp S seq 0 win 64000 len 0");
  EXPECT_EQ(
      r.dump[1],
      "#2 +1.100000s sent by client       client:40000 > server:8080 tcp S seq 0 win 64000 len 0");
  EXPECT_EQ(
      r.dump[2],
      "#3 +1.100050s delivered to server  client:40000 > server:8080 tcp S seq 0 win 64000 len 0");
  EXPECT_EQ(PacketCheckMessage(r),
            "t.yaml:12:5: packets 1 (client > any tcp SYN, sent): expected count 4 vs actual 2\n"
            "  #1 +0.100000s sent by client       client:40000 > server:8080 tcp S seq 0 win 64000 "
            "len 0\n"
            "  #2 +1.100000s sent by client       client:40000 > server:8080 tcp S seq 0 win 64000 "
            "len 0\n"
            "  #3 +1.100050s delivered to server  client:40000 > server:8080 tcp S seq 0 win 64000 "
            "len 0");
}

TEST_F(PacketCheckTest, NoneMatch) {
  FaultMatch rst;
  rst.tcp = {TcpClass::kRst};
  EXPECT_TRUE(Check(Expect(rst, IntRange{0, 0})).ok);
  FaultMatch data;
  data.from = "client";
  data.tcp = {TcpClass::kData};
  PacketCheckRecord r = Check(Expect(data, IntRange{0, 0}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "expected count 0 (none) vs actual 1");
  FaultMatch udp;
  udp.proto = Proto::kUdp;
  r = Check(Expect(udp, IntRange{1, std::numeric_limits<int64_t>::max()}));
  EXPECT_EQ(r.failure, "expected count >= 1 vs actual 0");
  EXPECT_EQ(r.dump, std::vector<std::string>{"(no packet on either side matches)"});
}

TEST_F(PacketCheckTest, Gaps) {
  PacketExpect x = Expect(Syn(), std::nullopt);
  x.gaps = {DurationRange{900ms, 1100ms}};
  EXPECT_TRUE(Check(x).ok);
  x.gaps = {DurationRange{1500ms, 3s}};
  PacketCheckRecord r = Check(x);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "gap 1 (between matches 1 and 2) expected [1.5s, 3s] vs actual 1s");
  x.gaps = {DurationRange{900ms, 1100ms}, DurationRange{1800ms, 3s}};
  r = Check(x);
  EXPECT_EQ(r.failure, "expected 2 gaps (3 packets) vs actual 2 packets");
}

TEST_F(PacketCheckTest, RelativeSeqAckLengthAndWindow) {
  FaultMatch m;
  m.from = "client";
  m.seq = IntRange{1, 1};
  m.length = IntRange{5, 5};
  EXPECT_TRUE(Check(Expect(m, IntRange{1, 1})).ok);
  FaultMatch ack;
  ack.from = "server";
  ack.tcp = {TcpClass::kAck};
  ack.ack = IntRange{6, 6};  // acknowledges "hello"
  EXPECT_TRUE(Check(Expect(ack, IntRange{1, 1}, PacketExpect::At::kReceived)).ok);
  FaultMatch late;
  late.window = DurationRange{1s, 2s};
  late.from = "client";
  EXPECT_TRUE(Check(Expect(late, IntRange{5, 5})).ok);
}

TEST_F(PacketCheckTest, TcpWindowField) {
  FaultMatch zero;
  zero.win = IntRange{0, 0};  // only the server's ACK of "hello" closes the window
  EXPECT_TRUE(Check(Expect(zero, IntRange{1, 1})).ok);
  zero.from = "client";
  EXPECT_TRUE(Check(Expect(zero, IntRange{0, 0})).ok);
  FaultMatch open;
  open.from = "server";
  open.win = IntRange{1, 65535};
  PacketCheckRecord r = Check(Expect(open, IntRange{3, 3}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "expected count 3 vs actual 2");
  ASSERT_EQ(r.dump.size(), 4u);
  EXPECT_EQ(r.dump[0],
            "#4 +1.101000s sent by server       server:8080 > client:40000 tcp S. seq 0 ack 1 win "
            "64000 len 0");
}

TEST_F(PacketCheckTest, Order) {
  FaultMatch cfin, sfin;
  cfin.from = "client";
  cfin.tcp = {TcpClass::kFin};
  sfin.from = "server";
  sfin.tcp = {TcpClass::kFin};
  PacketExpect x;
  x.loc = SourceLoc{"t.yaml", 3, 5};
  x.index = 2;
  x.order = {cfin, sfin};
  std::vector<PacketCheckRecord> r = CheckPackets({x}, capture_, cx_);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].ok) << r[0].failure;
  x.order = {sfin, cfin};
  r = CheckPackets({x}, capture_, cx_);
  EXPECT_FALSE(r[0].ok);
  EXPECT_EQ(r[0].failure,
            "expected item 1 before item 2 vs actual item 2 first at #12 (+1.120000s), item 1 "
            "first at #14 (+1.121000s)");
  EXPECT_EQ(r[0].dump.size(), 4u);  // both FINs, both sides
  FaultMatch rst;
  rst.tcp = {TcpClass::kRst};
  x.order = {cfin, rst};
  r = CheckPackets({x}, capture_, cx_);
  EXPECT_EQ(r[0].failure, "order item 2 never matched");
}

TEST_F(PacketCheckTest, OtherInterfacesAndGarbageAreIgnored) {
  CapturedPacket lo;
  lo.ifindex = 1;  // the wire's loopback
  lo.ip = Tcp(true, kTcpSyn, 1, 0);
  CapturedPacket junk;
  junk.ifindex = kIfClient;
  junk.ip = {0x45, 0};
  capture_.push_back(lo);
  capture_.push_back(junk);
  EXPECT_TRUE(Check(Expect(Syn(), IntRange{2, 2})).ok);
}

TEST_F(PacketCheckTest, VocabularyFieldsSeeTheCapturedBytes) {
  FaultMatch m;
  m.fields.data.emplace("hello");  // (g++ 12: `= "hello"` warns maybe-uninitialized)
  EXPECT_TRUE(Check(Expect(m, IntRange{1, 1})).ok);
  m.fields.data = "hellO";
  EXPECT_TRUE(Check(Expect(m, IntRange{0, 0})).ok);
  FaultMatch fin;
  fin.fields.flags = kTcpFin | kTcpAck;
  fin.from = "server";
  EXPECT_TRUE(Check(Expect(fin, IntRange{1, 1}, PacketExpect::At::kReceived)).ok);
}

// ------------------------------------------------------------ timing: --

// The golden capture's steps: 1 connect (starts at 90ms, returns with the
// handshake at 1.102s), 2 send (1.109s, 1ms), 3 close (never finished),
// 4 never ran.
std::vector<StepRecord> TimingSteps() {
  std::vector<StepRecord> steps(4);
  for (int i = 0; i < 4; ++i) steps[static_cast<size_t>(i)].step_index = i + 1;
  steps[0].ran = steps[0].finished = true;
  steps[0].start_offset_ns = 90'000'000;
  steps[0].took_ns = 1'012'000'000;
  steps[1].ran = steps[1].finished = true;
  steps[1].start_offset_ns = 1'109'000'000;
  steps[1].took_ns = 1'000'000;
  steps[2].ran = true;  // a call that got no reply: no stamps
  return steps;
}

TimingEvent StepEvent(const std::string& label, int index,
                      TimingEvent::Step::At at = TimingEvent::Step::At::kStart) {
  TimingEvent e;
  e.what = TimingEvent::Step{label, index, at};
  return e;
}

TimingEvent PacketEvent(FaultMatch m, int64_t nth, PacketExpect::At at = PacketExpect::At::kSent) {
  TimingEvent e;
  e.what = TimingEvent::Packet{std::move(m), nth, at};
  return e;
}

TimingExpect Timing(TimingEvent from, TimingEvent to, DurationRange took) {
  TimingExpect x;
  x.loc = SourceLoc{"t.yaml", 20, 5};
  x.index = 1;
  x.from = std::move(from);
  x.to = std::move(to);
  x.took = took;
  return x;
}

class TimingCheckTest : public PacketCheckTest {
 protected:
  PacketCheckRecord CheckT(const TimingExpect& x) {
    const std::vector<StepRecord> steps = TimingSteps();
    std::vector<PacketCheckRecord> r =
        CheckTiming({x}, capture_, cx_, {steps, transitions_, kStartMono, lost_});
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? PacketCheckRecord{} : r[0];
  }
  static constexpr int64_t kStartMono = 5'000'000'000'000;
  std::vector<TransitionRecord> transitions_;
  uint64_t lost_ = 0;
};

TEST_F(TimingCheckTest, FromAStepStartToTheNthPacket) {
  // connect starts at +0.090s; the 2nd SYN is sent at +1.100s: 1.01s.
  TimingExpect x = Timing(StepEvent("connect", 1), PacketEvent(Syn(), 2), {1s, 1020ms});
  PacketCheckRecord r = CheckT(x);
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.kind, "timing");
  EXPECT_EQ(r.index, 1);
  EXPECT_EQ(r.description, "from step 'connect' start to the 2nd client > any tcp SYN (sent)");
  x.took = {2500ms, 3500ms};
  r = CheckT(x);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure,
            "expected [2.5s, 3.5s] from step 'connect' start to the 2nd client > any tcp SYN "
            "(sent) vs actual 1.01s");
  const std::string message = PacketCheckMessage(r);
  EXPECT_EQ(message.substr(0, message.find('\n')),
            "t.yaml:20:5: timing 1: expected [2.5s, 3.5s] from step 'connect' start to the 2nd "
            "client > any tcp SYN (sent) vs actual 1.01s");
  ASSERT_EQ(r.dump.size(), 3u);  // both SYNs sent, the second delivered
}

TEST_F(TimingCheckTest, BetweenTwoPacketsAndAtReceived) {
  // The 1st SYN sent (+0.100s) to the 1st SYN delivered (+1.10005s).
  TimingExpect x = Timing(PacketEvent(Syn(), 1), PacketEvent(Syn(), 1, PacketExpect::At::kReceived),
                          {1s, 1001ms});
  PacketCheckRecord r = CheckT(x);
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(r.description,
            "from the 1st client > any tcp SYN (sent) to the 1st client > any tcp SYN (received)");
  // The received one is 50us later than 1s; sent to sent is 1s exactly.
  x.took = {1000040us, 1001ms};
  EXPECT_TRUE(CheckT(x).ok);
  x.to = PacketEvent(Syn(), 2);
  EXPECT_FALSE(CheckT(x).ok);
  EXPECT_EQ(CheckT(x).failure,
            "expected [1s, 1.001s] from the 1st client > any tcp SYN (sent) to the 2nd "
            "client > any tcp SYN (sent) vs actual 1s");
}

TEST_F(TimingCheckTest, FromAStepReturn) {
  // connect returns at +1.102s; the client's FIN is sent at +1.120s.
  FaultMatch fin;
  fin.from = "client";
  fin.tcp = {TcpClass::kFin};
  TimingExpect x = Timing(StepEvent("connect", 1, TimingEvent::Step::At::kReturn),
                          PacketEvent(fin, 1), {DurationRange{0ns, 20ms}});
  PacketCheckRecord r = CheckT(x);
  EXPECT_TRUE(r.ok) << r.failure;
  x.took = {0ns, 10ms};
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 10ms from step 'connect' return to the 1st client > any tcp FIN "
            "(sent) vs actual 18ms");
  // Step to step: connect start to send return, 1.02s.
  x.from = StepEvent("connect", 1);
  x.to = StepEvent("send", 2, TimingEvent::Step::At::kReturn);
  x.took = {1s, 1100ms};
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  EXPECT_TRUE(CheckT(x).dump.empty());
}

TEST_F(TimingCheckTest, MissingPacket) {
  TimingExpect x =
      Timing(StepEvent("connect", 1), PacketEvent(Syn(), 2, PacketExpect::At::kReceived), {1s, 2s});
  PacketCheckRecord r = CheckT(x);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure,
            "expected [1s, 2s] from step 'connect' start to the 2nd client > any tcp SYN "
            "(received) vs actual: no such packet (1 of 2 seen)");
}

TEST_F(TimingCheckTest, NegativeIntervalShowsBothTimes) {
  TimingExpect x = Timing(PacketEvent(Syn(), 2), StepEvent("connect", 1), {0ns, 5s});
  PacketCheckRecord r = CheckT(x);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure,
            "expected <= 5s from the 2nd client > any tcp SYN (sent) to step 'connect' start "
            "vs actual -1.01s: step 'connect' start (+0.090000s) came before the 2nd client > any "
            "tcp SYN (sent) (+1.100000s)");
}

TEST_F(TimingCheckTest, StepThatDidNotReturnOrNeverRan) {
  TimingExpect x = Timing(StepEvent("connect", 1),
                          StepEvent("close", 3, TimingEvent::Step::At::kReturn), {0ns, 5s});
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to step 'close' return vs actual: step "
            "'close' did not return");
  x.to = StepEvent("close", 3);  // a call's start stamp comes with its reply
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to step 'close' start vs actual: step "
            "'close' did not return");
  x.from = StepEvent("later", 4);
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'later' start to step 'close' start vs actual: step "
            "'later' never ran");
}

// A hand-built state history: the client's connection on port 8080 opens
// and closes actively, the server closes passively; a second client socket
// (port 9000) enters TIME_WAIT later. Times in ms after the case start.
std::vector<TransitionRecord> History() {
  const std::string c = "198.18.1.2:40000 > 198.18.2.2:8080";
  const std::string s = "198.18.2.2:8080 > 198.18.1.2:40000";
  const std::string c2 = "[2001:2:0:1::2]:40001 > [2001:2:0:2::2]:9000";
  auto t = [](int64_t ms, const std::string& host, const std::string& sock, const char* from,
              const char* to) {
    return TransitionRecord{5'000'000'000'000 + ms * 1'000'000, host, sock, from, to};
  };
  return {t(50, "server", "198.18.2.2:8080 > 0.0.0.0:0", "CLOSE", "LISTEN"),
          t(90, "client", c, "CLOSE", "SYN_SENT"),
          t(1100, "client", c, "SYN_SENT", "ESTABLISHED"),
          t(1101, "server", s, "SYN_RECV", "ESTABLISHED"),
          t(1200, "client", c, "ESTABLISHED", "FIN_WAIT1"),
          t(1205, "server", s, "ESTABLISHED", "CLOSE_WAIT"),
          t(1210, "client", c, "FIN_WAIT1", "FIN_WAIT2"),
          t(1290, "server", s, "CLOSE_WAIT", "LAST_ACK"),
          t(1300, "client", c, "FIN_WAIT2", "TIME_WAIT"),
          t(1310, "server", s, "LAST_ACK", "CLOSE"),
          t(1500, "client", c2, "CLOSE", "SYN_SENT"),
          t(1600, "client", c2, "SYN_SENT", "ESTABLISHED"),
          t(2000, "client", c2, "ESTABLISHED", "TIME_WAIT")};
}

TimingEvent StateEvent(const std::string& state, const std::string& host, int port = 0,
                       int64_t nth = 1) {
  TimingEvent e;
  e.what = TimingEvent::State{state, host, port, nth};
  return e;
}

class StateTimingTest : public TimingCheckTest {
 protected:
  void SetUp() override {
    TimingCheckTest::SetUp();
    transitions_ = History();
  }
};

TEST_F(StateTimingTest, FromAStepToTheNthTransitionIntoAState) {
  TimingExpect x =
      Timing(StepEvent("connect", 1), StateEvent("TIME_WAIT", "client", 8080), {1200ms, 1220ms});
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  x.to = StateEvent("TIME_WAIT", "client");  // the first of any socket of client: port 8080's
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  x.to = StateEvent("TIME_WAIT", "client", 0, 2);  // the second: port 9000's, at 2s
  x.took = {1900ms, 1920ms};
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  x.to = StateEvent("TIME_WAIT", "client", 9000);  // an IPv6 socket's remote port
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  x.to = StateEvent("TIME_WAIT", "client", 40001);  // and its local port
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  x.took = {0ns, 1s};
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 1s from step 'connect' start to client (port 40001) entering "
            "TIME_WAIT vs actual 1.91s");
}

TEST_F(StateTimingTest, BetweenTwoTransitions) {
  TimingExpect x =
      Timing(StateEvent("TIME_WAIT", "client", 8080), StateEvent("CLOSE", "server"), {5ms, 15ms});
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
  EXPECT_TRUE(CheckT(x).dump.empty());
  std::swap(x.from, x.to);
  EXPECT_EQ(CheckT(x).failure,
            "expected [5ms, 15ms] from server entering CLOSE to client (port 8080) entering "
            "TIME_WAIT vs actual -10ms: client (port 8080) entering TIME_WAIT (+1.300000s) came "
            "before server entering CLOSE (+1.310000s)");
}

TEST_F(StateTimingTest, StateNeverEnteredListsTheSocketsPaths) {
  TimingExpect x = Timing(StepEvent("connect", 1), StateEvent("CLOSING", "client"), {0ns, 5s});
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to client entering CLOSING vs actual: "
            "client never entered CLOSING (transitions: CLOSE -> SYN_SENT -> ESTABLISHED -> "
            "FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT | CLOSE -> SYN_SENT -> ESTABLISHED -> "
            "TIME_WAIT)");
  x.to = StateEvent("TIME_WAIT", "client", 0, 3);
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to the 3rd time client enters TIME_WAIT vs "
            "actual: client entered TIME_WAIT 2 of 3 times (transitions: CLOSE -> SYN_SENT -> "
            "ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT | CLOSE -> SYN_SENT -> "
            "ESTABLISHED -> TIME_WAIT)");
  x.to = StateEvent("TIME_WAIT", "server", 8080);
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to server (port 8080) entering TIME_WAIT "
            "vs actual: server (port 8080) never entered TIME_WAIT (transitions: CLOSE -> LISTEN "
            "| SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE)");
  x.to = StateEvent("TIME_WAIT", "client", 7);
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to client (port 7) entering TIME_WAIT vs "
            "actual: client (port 7) never entered TIME_WAIT (no recorded transitions)");
  transitions_.clear();  // no history: nothing recorded (the runner skips such a case)
  x.to = StateEvent("TIME_WAIT", "client");
  EXPECT_EQ(CheckT(x).failure,
            "expected <= 5s from step 'connect' start to client entering TIME_WAIT vs actual: "
            "client never entered TIME_WAIT (no recorded transitions)");
}

// Transitions the recorder lost make an Nth event unplaceable: never a
// time from the wrong transition.
TEST_F(StateTimingTest, IncompleteHistoryPlacesNoStateEvent) {
  TimingExpect x =
      Timing(StepEvent("connect", 1), StateEvent("TIME_WAIT", "client", 8080), {1200ms, 1220ms});
  lost_ = 3;
  EXPECT_EQ(CheckT(x).failure,
            "expected [1.2s, 1.22s] from step 'connect' start to client (port 8080) entering "
            "TIME_WAIT vs actual: the socket state history is incomplete (3 transitions lost: "
            "the ring buffer was full)");
  x.to = StepEvent("connect", 1);  // no state event: unaffected
  x.took = {0ns, 0ns};
  EXPECT_TRUE(CheckT(x).ok) << CheckT(x).failure;
}

}  // namespace
}  // namespace faultline
