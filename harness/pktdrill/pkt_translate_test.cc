#include "harness/pktdrill/pkt_translate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness/pktdrill/pkt_loader.h"

namespace faultline {
namespace {

std::vector<std::string> Lines(const Case& c) {
  std::vector<std::string> out;
  for (const Step& s : c.steps) out.push_back(s.Describe());
  return out;
}

TEST(PktTranslate, OwnScriptsLoad) {
  for (const char* f : {"passive-open-data.pkt", "active-open-options.pkt", "syscalls-misc.pkt",
                        "tcp-info-blocks.pkt", "tcp-info-block-fails.pkt"}) {
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
  EXPECT_EQ(c->tolerance, std::chrono::milliseconds(4));
  EXPECT_EQ(l[1], "host: connect fd3 to remote:8080");
  EXPECT_EQ(l[3],
            "remote: send tcp S. seq 0 ack 1 win 65535 <mss 1460,sackOK,TS val 700 ecr "
            "echo,nop,wscale 6> len 0");
  EXPECT_EQ(l[8],
            "remote: send tcp P. seq 1 ack 1 win 257 <nop,nop,TS val 710 ecr echo> len 1000 "
            "ecn ect0");
  EXPECT_EQ(l[12], "host: read fd3 (async)");
  EXPECT_EQ(l[13], "remote: send tcp . seq 1 ack 1 win 257 <> len 0");
  EXPECT_EQ(l[14], "await call1");
  const auto& syn_ack = std::get<PacketStep>(c->steps[3].body);
  EXPECT_EQ(syn_ack.after->lo, std::chrono::milliseconds(50));
  const auto& read = std::get<CallStep>(c->steps[12].body);
  EXPECT_EQ(read.expect.took->ToString(), "[96ms, 104ms]");
  EXPECT_FALSE(c->requirements.has_value());

  c = LoadPacketdrillFile(std::string(FAULTLINE_PKT_DIR) + "/syscalls-misc.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->requirements.has_value());  // its %{ }% block runs
  EXPECT_EQ(c->families.size(), 2u);
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
      "PACKETDRILL_PID && { if (PPID=0) 2>/dev/null; then PPID=$$PACKETDRILL_PID; fi; } && ";
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

TEST(PktTranslate, ExactErrors) {
  auto err = [](const std::string& text) {
    StatusOr<Case> c = LoadPacketdrillText(text, "t.pkt");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  EXPECT_EQ(err("0 pipe([3, 4]) = 0\n"), "t.pkt:1:3: system call 'pipe' is not supported");
  EXPECT_EQ(err("0 getsockopt(3, SOL_TCP, TCP_INFO, ..., ...) = 0\n"),
            "t.pkt:1:26: getsockopt: socket option 'TCP_INFO' is not supported");
  EXPECT_EQ(err("--speed=10\n0 close(3) = 0\n"),
            "t.pkt:1:1: header option --speed is not supported by faultline");
  EXPECT_EQ(err("0 close(3) = -1 ENOTANERRNO\n"), "t.pkt:1:14: close: unknown errno ENOTANERRNO");
  EXPECT_EQ(err("0 < icmp redirect\n"), "t.pkt:1:1: ICMP type 'redirect' is not supported");
  EXPECT_EQ(err(""), "t.pkt:1:1: script has no events");
  EXPECT_EQ(err("0 send(3, ..., 10, MSG_DONTWAIT|MSG_ZEROCOPY) = 10\n"),
            "t.pkt:1:20: send: flag 'MSG_ZEROCOPY' is not supported");
  StatusOr<Case> c =
      LoadPacketdrillText("0 sendto(3, ..., 10, MSG_FASTOPEN, ..., ...) = 10\n", "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(std::get<CallStep>(c->steps[0].body).call.flags,
            std::vector<std::string>{"MSG_FASTOPEN"});
}

}  // namespace
}  // namespace faultline
