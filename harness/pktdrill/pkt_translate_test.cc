#include "harness/pktdrill/pkt_translate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "harness/pktdrill/pkt_loader.h"
#include "harness/pktdrill/tfo_cookie.h"

namespace faultline {
namespace {

std::vector<std::string> Lines(const Case& c) {
  std::vector<std::string> out;
  for (const Step& s : c.steps) out.push_back(s.Describe());
  return out;
}

TEST(PktTranslate, OwnScriptsLoad) {
  for (const char* f : {"passive-open-data.pkt", "active-open-options.pkt", "syscalls-misc.pkt",
                        "urgent-zerocopy.pkt", "tcp-info-blocks.pkt",
                        "failing/tcp-info-block-fails.pkt", "fastopen-client.pkt"}) {
    StatusOr<Case> c = LoadPacketdrillFile(std::string(FAULTLINE_PKT_DIR) + "/" + f);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->hosts.size(), 2u);
    EXPECT_TRUE(c->hosts[0].offloads);
    EXPECT_TRUE(c->hosts[1].scripted);
  }
}

TEST(PktTranslate, StepsTimingAndSkip) {
  StatusOr<Case> c =
      LoadPacketdrillFile(std::string(FAULTLINE_PKT_DIR) + "/active-open-options.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const std::vector<std::string> l = Lines(*c);
  EXPECT_EQ(c->families, std::vector<Family>{Family::kIPv4});
  EXPECT_EQ(c->tolerance, std::chrono::milliseconds(30));
  EXPECT_EQ(l[0].substr(0, 12), "host: run sh");  // the untimed tcp_rmem line comes first
  EXPECT_EQ(l[2], "host: connect fd3 to remote:8080");
  EXPECT_EQ(l[4],
            "remote: send tcp S. seq 0 ack 1 win 65535 <mss 1460,sackOK,TS val 700 ecr "
            "echo,nop,wscale 6> len 0");
  EXPECT_EQ(l[9],
            "remote: send tcp P. seq 1 ack 1 win 257 <nop,nop,TS val 710 ecr echo> len 1000 "
            "ecn ect0");
  EXPECT_EQ(l[13], "host: read fd3");
  EXPECT_EQ(l[14], "host: read fd3 (async)");
  EXPECT_EQ(l[15],
            "remote: send tcp P. seq 1001 ack 1 win 257 <nop,nop,TS val 730 ecr echo> len 1000");
  EXPECT_EQ(l[16], "await call1");  // the call returns before the next event
  EXPECT_EQ(l[17], "remote: expect tcp . seq 1 ack 3001 len 0");
  const auto& syn_ack = std::get<PacketStep>(c->steps[4].body);
  EXPECT_EQ(syn_ack.after->lo, std::chrono::milliseconds(50));
  const auto& read = std::get<CallStep>(c->steps[14].body);
  // The packet that unblocks the read is what its return counts from.
  EXPECT_FALSE(read.expect.took.has_value());  // the runner may start it late
  EXPECT_EQ(read.expect.returned_after->ToString(), "[-30ms, 30ms]");
  EXPECT_EQ(read.expect.returned_since, "pkt16");
  EXPECT_EQ(c->steps[15].label, "pkt16");
  EXPECT_FALSE(c->requirements.has_value());

  c = LoadPacketdrillFile(std::string(FAULTLINE_PKT_DIR) + "/syscalls-misc.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->requirements.has_value());  // its %{ }% block runs
  EXPECT_EQ(c->families.size(), 2u);
}

// A blocking call's return counts from the latest inbound packet between
// its start and its return (the event that unblocks it), both bounds; its
// start does not bound it (the runner may have started it late).
TEST(PktTranslate, ABlockingCallReturnsAfterTheInboundPacketThatUnblocksIt) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0...0.3 accept(3, ..., ...) = 4\n"
      "+.1 < S 0:0(0) win 1000 <mss 1000>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+.15 < . 1:1(0) ack 1 win 257\n"
      "+.05 write(4, ..., 10) = 10\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(
      Lines(*c),
      (std::vector<std::string>{
          "host: socket tcp as fd3", "host: bind fd3 any:8080", "host: listen fd3",
          "host: accept fd3 as fd4 (async)", "remote: send tcp S seq 0 win 1000 <mss 1000> len 0",
          "remote: expect tcp S. ack 1 <mss 1460> len 0",
          "remote: send tcp . seq 1 ack 1 win 257 <> len 0", "await call1", "host: write fd4"}));
  const auto& accept = std::get<CallStep>(c->steps[3].body);
  EXPECT_FALSE(accept.expect.took.has_value());
  // 50 ms after the ACK, with packetdrill's tolerance for a blocking call:
  // 12.5% (--tolerance_percent) of its 300 ms from start to return.
  EXPECT_EQ(accept.expect.returned_after->ToString(), "[12.5ms, 87.5ms]");
  EXPECT_EQ(accept.expect.returned_since, "pkt7");
  EXPECT_EQ(c->steps[6].label, "pkt7");
  EXPECT_EQ(c->steps[4].label, "");
}

// `+0...0 connect` returns at once in script time, but only after the
// SYN-ACK the script sends at that time: the stack's SYN (same time, no
// inbound packet since the call) comes before the await, not after it
// (zerocopy/client.pkt waited for the case timeout).
TEST(PktTranslate, AZeroLengthBlockingConnectIsAwaitedAfterItsSynAck) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
      "+0...0 connect(4, ..., ...) = 0\n"
      "+0 > S 0:0(0) <...>\n"
      "+0 < S. 0:0(0) ack 1 win 32792 <mss 1000>\n"
      "+0 > . 1:1(0) ack 1\n"
      "+0 write(4, ..., 10) = 10\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(Lines(*c),
            (std::vector<std::string>{
                "host: socket tcp as fd4", "host: connect fd4 to remote:8080 (async)",
                "remote: expect tcp S len 0",
                "remote: send tcp S. seq 0 ack 1 win 32792 <mss 1000> len 0", "await call1",
                "remote: expect tcp . seq 1 ack 1 <> len 0", "host: write fd4"}));
  const auto& connect = std::get<CallStep>(c->steps[1].body);
  EXPECT_EQ(connect.expect.returned_since, "pkt4");
}

// sendmsg's iov elements stay separate buffers (zerocopy/maxfrags.pkt:
// MSG_ZEROCOPY makes one page fragment of each).
TEST(PktTranslate, SendmsgKeepsItsIovSizes) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
      "+0 sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 1}, {..., 2}, {..., 1}], "
      "msg_flags=0}, MSG_ZEROCOPY) = 4\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& send = std::get<CallStep>(c->steps[1].body);
  EXPECT_EQ(send.call.iov, (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(send.call.size, 4);
}

// `urg N`: the script's segment carries URG with that urgent pointer; the
// stack's is compared (splice/tcp_splice_loop_test.pkt).
TEST(PktTranslate, UrgentPointers) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 32972 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <...>\n"
      "+0 < . 1:1(0) ack 1 win 257\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 < U. 1:101(100) ack 1 win 257 urg 100\n"
      "+0 > U. 1:11(10) ack 101 urg 10\n"
      "+0 > U. 11:21(10) ack 101\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const std::vector<std::string> l = Lines(*c);
  EXPECT_EQ(l[7], "remote: send tcp U. seq 1 ack 1 win 257 urg 100 <> len 100");
  EXPECT_EQ(l[8], "remote: expect tcp U. seq 1 ack 101 urg 10 <> len 10");
  EXPECT_EQ(l[9], "remote: expect tcp U. seq 11 ack 101 urg 0 <> len 10");  // as packetdrill: 0
  EXPECT_FALSE(std::get<PacketStep>(c->steps[5].body).packet.urg.has_value());
  EXPECT_EQ(
      LoadPacketdrillText("0 < U. 1:2(1) ack 1 win 257 urg 65536\n", "t.pkt").status().message(),
      "t.pkt:1:1: urgent pointer (urg) 65536 is out of range (0..65535)");
}

// packetdrill's event semantics: no check after the last event, early
// packets kept for their expect; each event's script time for the timing
// of a kept packet (an async call's is its await's, a `*` packet has none).
TEST(PktTranslate, ScriptsGetPacketdrillsEventSemanticsAndScriptTimes) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0...0.3 accept(3, ..., ...) = 4\n"
      "+.1 < S 0:0(0) win 1000 <mss 1000>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+.2 < . 1:1(0) ack 1 win 257\n"
      "* > . 1:1(0) ack 1\n"
      "+.05 write(4, ..., 10) = 10\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->check_after_last_step);
  EXPECT_TRUE(c->keep_early_packets);
  EXPECT_TRUE(c->batch_calls);
  std::vector<std::string> at;
  for (const Step& s : c->steps) {
    at.push_back(s.script_at ? FormatDuration(*s.script_at) : "-");
  }
  EXPECT_EQ(Lines(*c)[9], "host: sleep 50ms");
  EXPECT_EQ(at, (std::vector<std::string>{"0s", "0s", "0s", "-", "100ms", "100ms", "300ms", "300ms",
                                          "-", "350ms", "350ms"}));
}

TEST(PktTranslate, ABlockingCallWithNoInboundPacketBeforeItsReturnCountsFromItsStart) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 < S 0:0(0) win 1000 <mss 1000>\n"
      "+0...0.2 close(3) = 0\n"
      "+.3 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& close = std::get<CallStep>(c->steps[2].body);
  // 12.5% of its 200 ms (packetdrill's --tolerance_percent) is over 4 ms.
  EXPECT_EQ(close.expect.took->ToString(), "[175ms, 225ms]");
  EXPECT_FALSE(close.expect.returned_after.has_value());
  EXPECT_EQ(close.expect.returned_since, "");
}

// packetdrill's --tolerance_percent (default 12.5): an outbound packet's
// tolerance is the larger of --tolerance_usecs and that share of the
// script's time since the previous event; a blocking call's, of the time
// from its start to its return. `+1 > S` (a SYN retransmission: at HZ=250
// the kernel's timer wheel fires it up to 32 ms late) may come within 125 ms.
TEST(PktTranslate, ToleranceGrowsWithTheTimeSinceThePreviousEvent) {
  const std::string body =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 > S 0:0(0) <...>\n"
      "+1 > S 0:0(0) <...>\n"
      "+.01 < S. 0:0(0) ack 1 win 1000\n"
      "+0...0.4 read(3, ..., 10) = 10\n"
      "+.4 < P. 1:11(10) ack 1 win 1000\n";
  StatusOr<Case> c = LoadPacketdrillText(body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& first = std::get<PacketStep>(c->steps[2].body);
  const auto& retrans = std::get<PacketStep>(c->steps[3].body);
  EXPECT_FALSE(first.tolerance.has_value());  // +0: the script's 4 ms
  ASSERT_TRUE(retrans.tolerance.has_value());
  EXPECT_EQ(*retrans.tolerance, std::chrono::milliseconds(125));
  const auto& read = std::get<CallStep>(c->steps[5].body);
  EXPECT_EQ(read.expect.returned_after->ToString(), "[-50ms, 50ms]");

  c = LoadPacketdrillText("--tolerance_percent=0\n" + body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(std::get<PacketStep>(c->steps[3].body).tolerance.has_value());
  EXPECT_EQ(std::get<CallStep>(c->steps[5].body).expect.returned_after->ToString(), "[-4ms, 4ms]");
  c = LoadPacketdrillText("--tolerance_percent=1.5\n" + body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*std::get<PacketStep>(c->steps[3].body).tolerance, std::chrono::milliseconds(15));

  c = LoadPacketdrillText("--tolerance_percent=200\n" + body, "t.pkt");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "t.pkt:1:1: --tolerance_percent=200: expected a number 0..100");
}

// The stack's TS val windows are anchored like its packets' times: each
// outbound TS packet after the first carries the tick and the script time
// from the first one to its anchor (the previous event).
TEST(PktTranslate, TsValWindowsCarryTheirAnchor) {
  StatusOr<Case> c = LoadPacketdrillText(
      "--tcp_ts_tick_usecs=1000\n"
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 1000 <TS val 10 ecr 0>\n"
      "+0 > S. 0:0(0) ack 1 <TS val 100 ecr 10>\n"
      "+.1 < . 1:1(0) ack 1 win 257 <TS val 20 ecr 100>\n"
      "+.2 close(3) = 0\n"
      "+0 > F. 1:1(0) ack 1 <TS val 400 ecr 20>\n",
      "/s/t.pkt", PktRunOptions{});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->steps.size(), 8u);
  const auto& syn_ack = std::get<PacketStep>(c->steps[3].body);
  EXPECT_EQ(syn_ack.ts_tick, std::chrono::milliseconds(1));
  EXPECT_EQ(syn_ack.ts_script_anchor, Duration(0));
  const auto& fin = std::get<PacketStep>(c->steps[7].body);
  EXPECT_EQ(fin.ts_tick, std::chrono::milliseconds(1));
  EXPECT_EQ(fin.ts_script_anchor, std::chrono::milliseconds(300));
  EXPECT_EQ(fin.packet.options->at(0).ts_val->ToString(), "[296, 304]");
  EXPECT_FALSE(std::get<PacketStep>(c->steps[4].body).ts_tick.has_value());  // inbound
}

TEST(PktTranslate, ShellLinesRunInTheScriptsDirectory) {
  PktRunOptions o;
  o.defines = {{"X", "1"}, {"Y", "a$b"}};
  StatusOr<Case> c = LoadPacketdrillText(
      "`../common/defaults.sh`\n0 close(3) = 0\n+0.1 `echo it's`\n`/tmp/undo_${PPID}.sh`\n",
      "/s/it's dir/t.pkt", o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->steps.size(), 5u);
  const auto& init = std::get<CallStep>(c->steps[0].body);
  const std::string prologue =
      "cd '/s/it'\\''s dir' && PACKETDRILL_PID=$$(stat -L -c %i /proc/self/ns/net) && export "
      "PACKETDRILL_PID && { if (PPID=0) 2>/dev/null; then PPID=$$PACKETDRILL_PID; fi; } && "
      "NSTAT_HISTORY=\"$$FAULTLINE_WORKDIR/nstat.$$FAULTLINE_HOST\" && export NSTAT_HISTORY && ";
  EXPECT_EQ(init.call.command.argv,
            (std::vector<std::string>{"sh", "-c", prologue + "../common/defaults.sh"}));
  EXPECT_EQ(init.call.command.env, (std::vector<std::pair<std::string, std::string>>{
                                       {"X", "1"}, {"Y", "a$$b"}}));  // $$: a literal $
  ASSERT_TRUE(init.has_expect && init.expect.exit.has_value());       // any status
  EXPECT_TRUE(init.expect.exit->Contains(1));
  EXPECT_EQ(Lines(*c)[2], "host: sleep 100ms");
  const auto& timed = std::get<CallStep>(c->steps[3].body);
  EXPECT_EQ(timed.call.command.argv[2], prologue + "echo it's");
  EXPECT_FALSE(timed.expect.exit.has_value());  // exit 0, as packetdrill's system(3)
  const auto& cleanup = std::get<CallStep>(c->steps[4].body);
  EXPECT_EQ(cleanup.call.command.argv[2], prologue + "/tmp/undo_$${PPID}.sh");
  EXPECT_TRUE(cleanup.expect.exit.has_value());
}

TEST(PktTranslate, ExperimentalFastOpenOption) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:10(10) win 1000 <mss 1460,FOEXP 0a0b>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& syn = std::get<PacketStep>(c->steps.back().body);
  const OptionSpec& fo = syn.packet.options->back();
  EXPECT_EQ(fo.kind, 254);
  EXPECT_EQ(*fo.bytes, std::string("\xF9\x89\x0a\x0b", 4));
}

TEST(PktTranslate, IPv6VariantGetsPacketdrillsMtuUnlessTheHeaderSetsOne) {
  const std::string body = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";
  StatusOr<Case> c = LoadPacketdrillText(body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (const HostSpec& h : c->hosts) {
    EXPECT_EQ(h.mtu, 1500) << h.name;
    ASSERT_TRUE(h.mtu_ipv6.has_value()) << h.name;
    EXPECT_EQ(*h.mtu_ipv6, 1520) << h.name;
  }
  c = LoadPacketdrillText("--mtu=1400\n" + body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (const HostSpec& h : c->hosts) {
    EXPECT_EQ(h.mtu, 1400) << h.name;
    EXPECT_FALSE(h.mtu_ipv6.has_value()) << h.name;
  }
}

TEST(PktTranslate, CodeBlocksBecomeTcpInfoSnapshotsOfTheSocketUnderTest) {
  const std::string head =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n";
  const std::string accepted = head + "+0 accept(3, ..., ...) = 4\n";
  StatusOr<Case> c =
      LoadPacketdrillText(accepted +
                              "+0 %{ assert tcpi_options & TCPI_OPT_SYN_DATA, tcpi_options }%\n"
                              "+.1 %{\nx = tcpi_rtt\nassert tcpi_ca_state == TCP_CA_Open\n}%\n",
                          "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->requirements.has_value());
  const std::vector<std::string> l = Lines(*c);
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(l[4], "host: tcp_info snapshot fd4 for %{ }% block 1");
  EXPECT_EQ(l[5], "host: sleep 100ms");
  EXPECT_EQ(l[6], "host: tcp_info snapshot fd4 for %{ }% block 2");
  const auto& b1 = std::get<ObserveStep>(c->steps[4].body);
  const auto& b2 = std::get<ObserveStep>(c->steps[6].body);
  EXPECT_EQ(b1.kind, ObserveKind::kSnapshot);
  EXPECT_EQ(b1.block, 1);
  EXPECT_EQ(b1.code, " assert tcpi_options & TCPI_OPT_SYN_DATA, tcpi_options ");  // as written
  EXPECT_TRUE(b1.fields.empty());
  EXPECT_EQ(b2.block, 2);
  EXPECT_EQ(b2.code, "\nx = tcpi_rtt\nassert tcpi_ca_state == TCP_CA_Open\n");
  EXPECT_EQ(c->steps[6].loc.ToString(), "t.pkt:6:1");

  // The socket under test is the latest call's: a listener too.
  StatusOr<Case> l3 =
      LoadPacketdrillText(head + "+0 %{ assert tcpi_state == TCP_LISTEN }%\n", "t.pkt");
  ASSERT_TRUE(l3.ok()) << l3.status().message();
  EXPECT_FALSE(l3->requirements.has_value());
  EXPECT_EQ(Lines(*l3).back(), "host: tcp_info snapshot fd3 for %{ }% block 1");

  // What truly cannot run: a block before any socket exists.
  StatusOr<Case> k = LoadPacketdrillText("0 %{ x = 1 }%\n" + accepted, "t.pkt");
  ASSERT_TRUE(k.ok()) << k.status().message();
  ASSERT_TRUE(k->requirements.has_value());
  EXPECT_EQ(k->requirements->loc.ToString() + ": " + k->requirements->unsupported,
            "t.pkt:1:1: %{ }% block: no socket to read tcp_info from (no socket exists yet): "
            "skipped");
}

TEST(PktTranslate, TheScriptSidesIsnIsItsSynsSeq) {
  // Active open: the SYN-ACK's seq 123 is the ISN; the ack of 1 is relative.
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n"
      "+0 > S 0:0(0) <...>\n+0 < S. 123:123(0) ack 1 win 1000\n+0 > . 1:1(0) ack 1\n"
      "+0 < . 1:11(10) ack 1 win 1000\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto pkt = [&](size_t i) { return std::get<PacketStep>(c->steps[i].body); };
  EXPECT_EQ(pkt(2).isn, 123u);  // on the connection's first step
  EXPECT_EQ(pkt(3).packet.seq->lo, 0);
  EXPECT_FALSE(pkt(3).isn.has_value());
  EXPECT_EQ(pkt(4).packet.ack->lo, 1);
  EXPECT_EQ(pkt(5).packet.seq->lo, 1);
  // Passive open: the SYN's seq, and the absolute ack of the stack's SYN-ACK.
  c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 999000:999040(40) win 1000\n"
      "+0 > S. 1234:1234(0) ack 999001\n+0 < . 1:1(0) ack 1 win 100\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(pkt(3).isn, 999000u);
  EXPECT_EQ(pkt(3).packet.seq->lo, 0);
  EXPECT_EQ(pkt(4).packet.ack->lo, 1);
  EXPECT_EQ(pkt(5).packet.seq->lo, 1);
}

// packetdrill gathers consecutive outbound segments into the script's
// length (its TSO/GSO aggregation); --strict_segments turns that off.
TEST(PktTranslate, OutboundDataGathersSegmentsUnlessStrict) {
  const std::string body =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n"
      "+0 < . 1:1(0) ack 1 win 1000\n+0 accept(3, ..., ...) = 4\n"
      "+0 write(4, ..., 5000) = 5000\n+0 > P. 1:5001(5000) ack 1\n"
      "+0 < . 1:1(0) ack 5001 win 1000\n";
  StatusOr<Case> c = LoadPacketdrillText(body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto pkt = [&](size_t i) { return std::get<PacketStep>(c->steps[i].body); };
  EXPECT_FALSE(pkt(4).gather);  // the SYN-ACK: no data
  EXPECT_TRUE(pkt(8).gather);   // > P. 1:5001(5000)
  EXPECT_FALSE(pkt(9).gather);  // inbound
  c = LoadPacketdrillText("--strict_segments\n" + body, "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(pkt(8).gather);
}

// The script's Fast Open cookie (for packetdrill's addresses) becomes the
// one the lab's stack derives for the lab's, with the key the script's
// shell lines set (in the line or in a file it runs).
TEST(PktTranslate, FastOpenCookieMapsToTheLabsAddresses) {
  const std::string key = "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4";
  const std::string body =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:10(10) win 1000 <mss 1460,FOEXP 3021b9d889017eeb>\n"
      "+0 > S. 0:0(0) ack 11 <mss 1460,FO 3021b9d889017eeb>\n"
      "+0 < S 0:10(10) win 1000 <mss 1460,FO 0102030405060708>\n";
  const std::string lab =
      *pkt::FastOpenCookie(*pkt::ParseFastOpenKey(key), "198.18.2.2", "198.18.1.2");
  PktRunOptions o;
  o.ip_version = "ipv4";
  StatusOr<Case> c =
      LoadPacketdrillText("`sysctl -q net.ipv4.tcp_fastopen_key=" + key + "`\n" + body, "t.pkt", o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto fo = [&](size_t i) {
    return *std::get<PacketStep>(c->steps[i].body).packet.options->back().bytes;
  };
  EXPECT_EQ(fo(4), std::string("\xF9\x89", 2) + lab);    // inbound FOEXP
  EXPECT_EQ(fo(5), lab);                                 // the stack's SYN-ACK
  EXPECT_EQ(fo(6), "\x01\x02\x03\x04\x05\x06\x07\x08");  // another cookie: as written
  // Without a key the cookie stays.
  c = LoadPacketdrillText(body, "t.pkt", o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(fo(3), std::string("\xF9\x89\x30\x21\xb9\xd8\x89\x01\x7e\xeb", 10));
  // The key from a file the line runs, relative to the script's directory.
  // A directory of this test's own (mkdtemp): no fixed name in the shared
  // temporary directory, nothing written through a planted link.
  std::string tmpl = ::testing::TempDir() + "/tfo_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  {
    std::ofstream f(dir + "/tfo_defaults.sh");
    f << "sysctl -q net.ipv4.tcp_fastopen=0x70403\nsysctl -q net.ipv4.tcp_fastopen_key=" << key
      << "\n";
  }
  c = LoadPacketdrillText("`./tfo_defaults.sh`\n" + body, dir + "/t.pkt", o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(fo(5), lab);
  std::remove((dir + "/tfo_defaults.sh").c_str());
  rmdir(dir.c_str());
}

// An inbound SYN's TS ecr goes out as written (the stack has sent no TS val
// on the new connection); a later packet's echoes the stack's latest.
TEST(PktTranslate, ASynsTsEcrIsSentAsWrittenTheStacksIsnUnchecked) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000 <TS val 100 ecr 100>\n"
      "+0 > S. 1234:1234(0) ack 1 <...>\n+0 < . 1:1(0) ack 1 win 1000 <TS val 101 ecr 7>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto ts = [&](size_t i) {
    return std::get<PacketStep>(c->steps[i].body).packet.options->back();
  };
  EXPECT_FALSE(ts(3).ts_ecr_echo);
  EXPECT_EQ(ts(3).ts_ecr->lo, 100);
  EXPECT_TRUE(ts(5).ts_ecr_echo);
  // The stack's SYN-ACK's seq (its ISN, any number in the script): unchecked.
  EXPECT_FALSE(std::get<PacketStep>(c->steps[4].body).packet.seq.has_value());
}

// packetdrill: a passive connection per inbound SYN to a listener, each from
// a new port; an inbound SYN while the stack's own SYN is out is a
// simultaneous open on that connection.
TEST(PktTranslate, ConnectionsOfInboundSyns) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n"
      "+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto pkt = [&](size_t i) { return std::get<PacketStep>(c->steps[i].body); };
  EXPECT_EQ(pkt(3).conn, "");
  EXPECT_FALSE(pkt(3).port.has_value());  // the runner's default, 40000
  EXPECT_EQ(pkt(5).conn, "c2");
  EXPECT_EQ(pkt(5).port, 40001);
  c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n"
      "+0 > S 0:0(0) <...>\n+0 < S 1234:1234(0) win 1000\n+0 > S. 0:0(0) ack 1235 <...>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(pkt(3).conn, "");  // the simultaneous open's SYN
  EXPECT_EQ(pkt(2).isn, 1234u);
}

// The stack's SYN again while its first is unanswered is a retransmission
// on the same connection (it was taken for a new connection's first packet,
// and the runner then skipped the packet as one of an earlier connection),
// also after data the stack drops in SYN-SENT; after a new socket, or once
// the script answered with a SYN or RST, a SYN opens a new one.
TEST(PktTranslate, OutboundSynRetransmissionsStayOnTheirConnection) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 > S 0:0(0) <...>\n"
      "+0 close(3) = 0\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n"
      "+0 sendto(4, ..., 1000, MSG_FASTOPEN, ..., ...) = 1000\n"
      "+0 > S 0:1000(1000) <...>\n"
      "+.01 < icmp unreachable frag_needed mtu 840 [0:1000(1000)]\n"
      "+0 > S 0:0(0) <...>\n"
      "+.01 < . 1401:2801(1400) ack 1001 win 257\n"
      "+1 > S 0:0(0) <...>\n"
      "+.01 < S. 0:0(0) ack 1 win 1000\n"
      "+0 > . 1:1(0) ack 1\n"
      "+0 > S 0:0(0) <...>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto pkt = [&](size_t i) { return std::get<PacketStep>(c->steps[i].body); };
  EXPECT_EQ(pkt(2).conn, "");
  EXPECT_EQ(pkt(6).conn, "c2");  // a new socket's SYN
  EXPECT_EQ(pkt(8).conn, "c2");  // after an ICMP error: the same connection
  // its timer's retransmission, after data the stack drops in SYN-SENT
  EXPECT_EQ(pkt(10).conn, "c2");
  EXPECT_EQ(pkt(11).conn, "c2");
  EXPECT_EQ(pkt(13).conn, "c3");  // a SYN after the script answered opens one
}

// An fd number created again while the script left the earlier one open.
TEST(PktTranslate, AnFdCreatedAgainWhileOpenGetsANewName) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto call = [&](size_t i) { return std::get<CallStep>(c->steps[i].body).call; };
  EXPECT_EQ(call(0).as, "fd3");
  EXPECT_EQ(call(2).as, "fd3");  // closed before: the same name
  EXPECT_EQ(call(3).as, "fd3_2");
  EXPECT_EQ(call(4).fd, "fd3_2");
}

TEST(PktTranslate, ExactErrors) {
  auto err = [](const std::string& text) {
    StatusOr<Case> c = LoadPacketdrillText(text, "t.pkt");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(err("0 dup(3) = 4\n"), "t.pkt:1:3: system call 'dup' is not supported");
  EXPECT_EQ(err("0 getsockopt(3, SOL_TCP, TCP_INFO, ..., ...) = 0\n"),
            "t.pkt:1:26: getsockopt: socket option 'TCP_INFO' is not supported");
  EXPECT_EQ(err("--speed=10\n0 close(3) = 0\n"),
            "t.pkt:1:1: header option --speed is not supported by faultline");
  EXPECT_EQ(err("0 close(3) = -1 ENOTANERRNO\n"), "t.pkt:1:14: close: unknown errno ENOTANERRNO");
  EXPECT_EQ(err("0 < icmp redirect\n"), "t.pkt:1:1: ICMP type 'redirect' is not supported");
  EXPECT_EQ(err(""), "t.pkt:1:1: script has no events");
  EXPECT_EQ(err("0 send(3, ..., 10, MSG_DONTWAIT|MSG_CONFIRM) = 10\n"),
            "t.pkt:1:20: send: flag 'MSG_CONFIRM' is not supported");
  StatusOr<Case> c =
      LoadPacketdrillText("0 sendto(3, ..., 10, MSG_FASTOPEN, ..., ...) = 10\n", "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(std::get<CallStep>(c->steps[0].body).call.flags,
            std::vector<std::string>{"MSG_FASTOPEN"});
  // Flags as a number (valid-cookie-format.pkt: 0x20000000, MSG_FASTOPEN)
  // were dropped: the sendto went out without MSG_FASTOPEN (EPIPE).
  c = LoadPacketdrillText(
      "0 sendto(3, ..., 10, 0x20000000, ..., ...) = 10\n"
      "+0 send(3, ..., 10, MSG_DONTWAIT|0x8000) = 10\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(std::get<CallStep>(c->steps[0].body).call.flags,
            std::vector<std::string>{"MSG_FASTOPEN"});
  EXPECT_EQ(std::get<CallStep>(c->steps[1].body).call.flags,
            (std::vector<std::string>{"MSG_DONTWAIT", "MSG_MORE"}));
  EXPECT_EQ(err("0 send(3, ..., 10, MSG_DONTWAIT|0x20000800) = 10\n"),
            "t.pkt:1:33: send: flags 0x800 are not supported");
}

// The one option table (SockOptFromName in the model): every option the YAML
// vocabulary has, packetdrill's IPV6_TCLASS spelling, and the issue 16 ones.
TEST(PktTranslate, SocketOptionsComeFromTheModelsTable) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 setsockopt(3, SOL_IP, IP_FREEBIND, [1], 4) = 0\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n"
      "+0 setsockopt(3, SOL_IP, IP_TOS, [4], 4) = 0\n"
      "+0 setsockopt(3, SOL_IPV6, IPV6_TCLASS, [4], 4) = 0\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=1, tv_usec=0}, 16) = 0\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [2048], 4) = 0\n"
      "+0 send(3, ..., 10, MSG_ZEROCOPY) = 10\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<SockOpt> opts;
  for (size_t i = 0; i + 1 < c->steps.size(); ++i) {
    opts.push_back(*std::get<CallStep>(c->steps[i].body).call.opt);
  }
  EXPECT_EQ(opts, (std::vector<SockOpt>{SockOpt::kIpFreebind, SockOpt::kSoZerocopy, SockOpt::kIpTos,
                                        SockOpt::kIpTos, SockOpt::kSoRcvtimeo,
                                        SockOpt::kSoTimestamping}));
  EXPECT_EQ(std::get<CallStep>(c->steps[4].body).call.opt_value, 1000000);
  EXPECT_EQ(std::get<CallStep>(c->steps.back().body).call.flags,
            std::vector<std::string>{"MSG_ZEROCOPY"});
}

// A NULL buffer is an unmapped pointer at the peer; sendto's AF_UNSPEC
// address is passed as such, any other address is the lab's peer.
TEST(PktTranslate, NullBufferAndAfUnspecAddress) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 write(4, NULL, 1000) = -1 EFAULT (Bad address)\n"
      "+0 recvfrom(4, NULL, 1000, 0, ..., ...) = -1 EFAULT (Bad address)\n"
      "+0 sendto(3, ..., 0, MSG_FASTOPEN, AF_UNSPEC, ...) = -1 EOPNOTSUPP (Operation not "
      "supported)\n"
      "+0 sendto(3, ..., 10, 0, ..., ...) = 10\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto call = [&](size_t i) { return std::get<CallStep>(c->steps[i].body).call; };
  EXPECT_TRUE(call(0).bad_buffer);
  EXPECT_TRUE(call(1).bad_buffer);
  EXPECT_FALSE(call(2).bad_buffer);
  EXPECT_TRUE(call(2).to_unspec);
  EXPECT_FALSE(call(2).endpoint.has_value());
  EXPECT_FALSE(call(3).to_unspec);
  ASSERT_TRUE(call(3).endpoint.has_value());
  EXPECT_EQ(call(3).endpoint->kind, Endpoint::Kind::kHost);
  EXPECT_EQ(c->steps[0].Describe(), "host: write fd4 (invalid buffer)");
}

// sendmsg's msg_name is the script's remote, as sendto's address: a Fast
// Open sendmsg connects to it (without it the kernel says EINVAL).
TEST(PktTranslate, SendmsgsMsgNameIsTheRemote) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0}, "
      "MSG_DONTWAIT|MSG_FASTOPEN) = 1000\n"
      "+0 sendmsg(4, {msg_iov(1)=[{..., 10}]}, 0) = 10\n"
      "+0 sendmsg(4, {msg_name=NULL, msg_iov(1)=[{..., 10}]}, 0) = 10\n"
      "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}]}, 0) = 10\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto call = [&](size_t i) { return std::get<CallStep>(c->steps[i].body).call; };
  ASSERT_TRUE(call(0).endpoint.has_value());
  EXPECT_EQ(call(0).endpoint->kind, Endpoint::Kind::kHost);
  EXPECT_EQ(call(0).endpoint->host, "remote");
  EXPECT_EQ(call(0).endpoint->port, 8080);
  EXPECT_EQ(call(0).size, 1000);
  EXPECT_FALSE(call(1).endpoint.has_value());
  EXPECT_FALSE(call(2).endpoint.has_value());
  EXPECT_FALSE(call(3).endpoint.has_value());
  EXPECT_EQ(c->steps[0].Describe(), "host: sendmsg fd4 to remote:8080");
}

TEST(PktTranslate, GetsocknameAndGetpeernameCheckTheirReturn) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 getsockname(3, ..., ...) = 0\n"
      "+0 getpeername(3, ..., ...) = -1 ENOTCONN (Transport endpoint is not connected)\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const CallStep& name = std::get<CallStep>(c->steps[0].body);
  const CallStep& peer = std::get<CallStep>(c->steps[1].body);
  EXPECT_EQ(name.call.op, Op::kGetsockname);
  EXPECT_EQ(name.call.fd, "fd3");
  EXPECT_EQ(peer.call.op, Op::kGetpeername);
  EXPECT_EQ(peer.expect.errnos, std::vector<int>{ENOTCONN});
}

// recvmsg's msg_control: the control messages expected, in order, with
// the fields written (constants by name; `...` and SCM_TIMESTAMPING's times
// not compared); SO_TIMESTAMPING's value as SOF_TIMESTAMPING_* names.
TEST(PktTranslate, AncillaryDataAndTimestampingNames) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 setsockopt(4, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_TX_SCHED | "
      "SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID], 4) = 0\n"
      "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE,\n"
      "  msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING,\n"
      "                cmsg_data={scm_sec=0,scm_nsec=10000000}},\n"
      "               {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR,\n"
      "                cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING,\n"
      "                           ee_type=0, ee_code=..., ee_info=SCM_TSTAMP_SCHED,\n"
      "                           ee_data=1999}}]}, MSG_ERRQUEUE) = 0\n"
      "+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0,\n"
      "  msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]}, 0) = 1000\n"
      "+0 recvmsg(3, {msg_iov(1)=[{..., 10}], msg_control=NULL}, 0) = 10\n"
      "+0 recvmsg(4, {msg_iov(1)=[{...,0}], msg_control=[]}, MSG_ERRQUEUE) = -1 EAGAIN\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto step = [&](size_t i) -> const CallStep& {
    return std::get<CallStep>(c->steps[i].body);
  };
  EXPECT_EQ(step(0).call.opt_value, 0x100 | 0x10 | 0x80);
  ASSERT_TRUE(step(1).expect.cmsgs.has_value());
  EXPECT_EQ(step(1).call.flags, std::vector<std::string>{"MSG_ERRQUEUE"});
  const std::vector<CmsgFields>& m = *step(1).expect.cmsgs;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].ToString(), "timestamping");
  EXPECT_EQ(m[1].ToString(),
            "recverr {ee_errno=ENOMSG, ee_origin=4, ee_type=0, ee_info=1, ee_data=1999}");
  ASSERT_TRUE(step(2).expect.cmsgs.has_value());
  ASSERT_EQ(step(2).expect.cmsgs->size(), 1u);
  EXPECT_EQ(step(2).expect.cmsgs->front().ToString(), "inq {value=9000}");
  EXPECT_FALSE(step(3).expect.cmsgs.has_value());
  EXPECT_FALSE(step(4).expect.cmsgs.has_value());  // a failing call's are not compared
}

TEST(PktTranslate, AncillaryDataErrors) {
  auto err = [](const std::string& text) {
    StatusOr<Case> c = LoadPacketdrillText(text, "t.pkt");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(err("0 recvmsg(3, {msg_iov(1)=[{..., 1}], msg_control=[{cmsg_level=SOL_IP, "
                "cmsg_type=IP_PKTINFO, cmsg_data=1}]}, 0) = 1\n"),
            "t.pkt:1:63: recvmsg: control message SOL_IP/IP_PKTINFO is not supported "
            "(supported: IP_RECVERR, IPV6_RECVERR, SCM_TIMESTAMPING, TCP_CM_INQ)");
  EXPECT_EQ(err("0 recvmsg(3, {msg_iov(1)=[{..., 1}], msg_control=[{cmsg_level=SOL_IP, "
                "cmsg_type=IP_RECVERR, cmsg_data={ee_pad=1}}]}, 0) = 1\n"),
            "t.pkt:1:111: recvmsg: cmsg_data field 'ee_pad' is not supported");
  EXPECT_EQ(err("0 recvmsg(3, {msg_iov(1)=[{..., 1}], msg_control=[{cmsg_level=SOL_TCP, "
                "cmsg_type=TCP_CM_INQ, cmsg_data=LOTS}]}, 0) = 1\n"),
            "t.pkt:1:104: recvmsg: cmsg_data value 'LOTS' is not supported");
  EXPECT_EQ(err("0 sendmsg(3, {msg_iov(1)=[{..., 1}], msg_control=[{cmsg_level=SOL_TCP, "
                "cmsg_type=TCP_CM_INQ, cmsg_data=1}]}, 0) = 1\n"),
            "t.pkt:1:50: sendmsg: ancillary data (msg_control) is not supported");
  EXPECT_EQ(err("0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [SOF_TIMESTAMPING_NOPE], 4) = 0\n"),
            "t.pkt:1:46: setsockopt: option value '[SOF_TIMESTAMPING_NOPE]' is not supported");
}

// A segment larger than the link's MTU (packetdrill's tun takes it): the
// stack's link gets an MTU that carries it (its routes keep the script's
// MTU and MSS); a full-sized segment does not widen it.
TEST(PktTranslate, SegmentsLargerThanTheMtuWidenTheLink) {
  const std::string open =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 65535 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n+0 < . 1:1(0) ack 1 win 65535\n";
  StatusOr<Case> full = LoadPacketdrillText(
      open + "+0 < . 1:1449(1448) ack 1 win 257 <nop,nop,TS val 1 ecr 0>\n", "t.pkt");
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(full->hosts[0].link_mtu, 0);
  StatusOr<Case> big = LoadPacketdrillText(open + "+0 < P. 1:2001(2000) ack 1 win 257\n", "t.pkt");
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->hosts[0].mtu, 1500);
  EXPECT_EQ(big->hosts[0].link_mtu, 2060);
  EXPECT_EQ(big->hosts[1].link_mtu, 0);
}

// The stack's host's lab link is packetdrill's tun0, which the scripts'
// shell lines name; the scripted host has no interface of its own to name.
TEST(PktTranslate, TheStacksLinkIsTun0) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `tc qdisc add dev tun0 root pfifo`\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].name, "host");
  EXPECT_EQ(c->hosts[0].ifname, "tun0");
  EXPECT_EQ(c->hosts[1].ifname, "eth0");
}

}  // namespace
}  // namespace faultline
