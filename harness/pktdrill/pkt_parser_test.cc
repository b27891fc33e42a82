#include "harness/pktdrill/pkt_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline::pkt {
namespace {

std::string Err(const std::string& text) {
  StatusOr<Script> s = ParseScript(text, "t.pkt");
  if (s.ok()) return "ok";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidInput);
  return s.status().message();
}

TEST(PktParser, TimesOfEveryKind) {
  StatusOr<Script> s = ParseScript(
      "0.1 close(3) = 0\n+.25 close(4) = 0\n* > . 1:1(0) ack 1\n0.1~0.2 > . 1:1(0)\n"
      "+0~+0.1 > . 1:1(0)\n+0...0.200 read(4, ..., 10) = 10\n2 close(5) = 0\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->events.size(), 7u);
  EXPECT_EQ(s->events[0].time.usecs, 100000);
  EXPECT_EQ(s->events[1].time.kind, Time::Kind::kRelative);
  EXPECT_EQ(s->events[1].time.usecs, 250000);
  EXPECT_EQ(s->events[2].time.kind, Time::Kind::kAny);
  EXPECT_EQ(*s->events[3].time.range_end_usecs, 200000);
  EXPECT_EQ(*s->events[4].time.range_end_usecs, 100000);
  EXPECT_EQ(*s->events[5].time.blocking_end_usecs, 200000);
  EXPECT_EQ(s->events[6].time.usecs, 2000000);
  EXPECT_EQ(s->events[6].loc.ToString(), "t.pkt:7:1");
}

TEST(PktParser, TcpPacketWithOptions) {
  StatusOr<Script> s = ParseScript(
      "+0 < [ect0] S. 0:0(0) ack 1 win 14600 <mss 940,TS val 2000 ecr 1000,sackOK,nop,"
      "wscale 6,FO abcd1234,sack 1:1001 2001:3001,eol,FOEXP 0102>\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const Packet& p = std::get<Packet>(s->events[0].body);
  EXPECT_TRUE(p.inbound);
  EXPECT_EQ(p.ecn, "ect0");
  EXPECT_EQ(p.flags, "S.");
  EXPECT_EQ(*p.ack, 1);
  EXPECT_EQ(*p.win, 14600);
  ASSERT_EQ(p.options->size(), 9u);
  EXPECT_EQ((*p.options)[8].name, "FOEXP");
  EXPECT_EQ((*p.options)[8].cookie, "0102");
  EXPECT_EQ((*p.options)[1].ts_val, 2000);
  EXPECT_EQ((*p.options)[1].ts_ecr, 1000);
  EXPECT_EQ((*p.options)[5].cookie, "abcd1234");
  EXPECT_EQ((*p.options)[6].sack.size(), 2u);
}

TEST(PktParser, SyscallExpressionsAndNote) {
  StatusOr<Script> s = ParseScript(
      "0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{iov_base=..., iov_len=10}], "
      "msg_flags=0}, MSG_DONTWAIT|MSG_MORE) = -1 EAGAIN (Resource temporarily unavailable)\n"
      "`echo hi`\n+0 close(3) = 0\n",
      "t.pkt");
  EXPECT_FALSE(s.ok());  // a shell line in the middle needs a time
  s = ParseScript(
      "0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{iov_base=..., iov_len=10}], "
      "msg_flags=0}, MSG_DONTWAIT|MSG_MORE) = -1 EAGAIN (Resource temporarily unavailable)\n"
      "+0 `echo hi`\n+0 %{ assert tcpi_rto == 1 }%\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const Syscall& c = std::get<Syscall>(s->events[0].body);
  EXPECT_EQ(c.args[1].ToString(),
            "{msg_name=..., msg_iov(1)=[{iov_base=..., iov_len=10}], msg_flags=0}");
  EXPECT_EQ(c.args[2].ToString(), "MSG_DONTWAIT|MSG_MORE");
  EXPECT_EQ(c.result.num, -1);
  EXPECT_EQ(c.errno_name, "EAGAIN");
  EXPECT_EQ(c.note, "Resource temporarily unavailable");
  EXPECT_EQ(std::get<Shell>(s->events[1].body).command, "echo hi");
  EXPECT_EQ(std::get<Code>(s->events[2].body).text, " assert tcpi_rto == 1 ");
}

TEST(PktParser, ErrnoOnTheLastLineOfAMultiLineCall) {
  StatusOr<Script> s = ParseScript(
      "0 recvmsg(3, {msg_name(...)=...,\n"
      "              msg_iov(1)=[{...,0}],\n"
      "              msg_flags=0}, 0) = -1 EAGAIN (Resource temporarily unavailable)\n"
      "+0 close(3) = 0\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->events.size(), 2u);
  const Syscall& c = std::get<Syscall>(s->events[0].body);
  EXPECT_EQ(c.result.num, -1);
  EXPECT_EQ(c.errno_name, "EAGAIN");
  EXPECT_EQ(c.note, "Resource temporarily unavailable");
}

TEST(PktParser, UntimedShellLinesAreInitAndCleanup) {
  StatusOr<Script> s = ParseScript(
      "--tolerance_usecs=7000\n`../common/defaults.sh\n ./set.py x=1\n`\n0 close(3) = 0\n"
      "`/tmp/restore.sh`\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->events.size(), 3u);
  const Shell& init = std::get<Shell>(s->events[0].body);
  EXPECT_EQ(init.role, Shell::Role::kInit);
  EXPECT_EQ(init.command, "../common/defaults.sh\n ./set.py x=1\n");
  EXPECT_EQ(s->events[0].loc.ToString(), "t.pkt:2:1");
  EXPECT_EQ(std::get<Shell>(s->events[2].body).role, Shell::Role::kCleanup);
  EXPECT_EQ(std::get<Shell>(s->events[2].body).command, "/tmp/restore.sh");
  s = ParseScript("0 `echo hi`\n", "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::get<Shell>(s->events[0].body).role, Shell::Role::kTimed);
  EXPECT_EQ(Err("0 close(3) = 0\n`echo hi`\n+0 close(4) = 0\n"),
            "t.pkt:2:1: a `shell` line without a time may only be the script's first event (its "
            "init command) or its last (its cleanup command); give it a time (+0 `...`)");
}

TEST(PktParser, ShortIovec) {
  StatusOr<Script> s = ParseScript(
      "0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {...,0}], msg_flags=0}, 0) = 10\n",
      "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::get<Syscall>(s->events[0].body).args[1].ToString(),
            "{msg_name=..., msg_iov(2)=[{iov_base=..., iov_len=10}, {iov_base=..., iov_len=0}], "
            "msg_flags=0}");
  EXPECT_EQ(Err("0 writev(4, [{..., 10, 2}], 1) = 10\n"),
            "t.pkt:1:22: expected '}' closing '{' (an iovec {..., LEN}), found ','");
}

TEST(PktParser, DefinesReplaceWords) {
  StatusOr<Script> s = ParseScript(
      "0 < S 0:0(0) win 1000 <FO TFO_COOKIE>\n+0 < icmp unreachable CODE\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_MARK, [MARK], 4) = 0\n+0 write(3, MSG, 1) = 1\n+0 CMD\n",
      "t.pkt",
      {{"TFO_COOKIE", "3021b9d889017eeb"},
       {"CODE", "host_unreachable"},
       {"MARK", "0x10"},
       {"MSG", "\"hi\""},
       {"CMD", "`echo x`"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*std::get<Packet>(s->events[0].body).options)[0].cookie, "3021b9d889017eeb");
  EXPECT_EQ(std::get<Packet>(s->events[1].body).icmp_code, "host_unreachable");
  EXPECT_EQ(std::get<Syscall>(s->events[2].body).args[3].ToString(), "[16]");
  EXPECT_EQ(std::get<Syscall>(s->events[3].body).args[1].ToString(), "\"hi\"");
  EXPECT_EQ(std::get<Shell>(s->events[4].body).command, "echo x");
  EXPECT_EQ(ParseScript("0 < icmp unreachable CODE\n", "t.pkt", {{"CODE", "7"}}).status().message(),
            "t.pkt:2:1: expected a packet (< or >), a system call, a `shell` line or a %{ }% "
            "block, found end of file");  // 7 read as the next event's time
}

TEST(PktParser, HeaderOptions) {
  StatusOr<Script> s = ParseScript(
      "--tolerance_usecs=7000  // comment\n--strict_segments\n0 close(3) = 0\n", "t.pkt");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->options.size(), 2u);
  EXPECT_EQ(s->options[0].name, "tolerance_usecs");
  EXPECT_EQ(s->options[0].value, "7000");
  EXPECT_EQ(s->options[1].value, "");
}

TEST(PktParser, ExactMessages) {
  EXPECT_EQ(Err("--no_such=1\n"), "t.pkt:1:1: unknown header option --no_such");
  EXPECT_EQ(Err("0 close(3) = 0\n--mss=100\n"),
            "t.pkt:2:1: header options (--mss) must come before the first event");
  EXPECT_EQ(Err("close(3) = 0\n"),
            "t.pkt:1:1: expected an event time (0.1, +0.1, *, 0.1~0.2), found 'close'");
  EXPECT_EQ(Err("0 < S 0:1(0) win 1\n"),
            "t.pkt:1:7: inconsistent TCP sequence numbers and payload size: 0:1(0)");
  EXPECT_EQ(Err("0 < SX 0:0(0)\n"),
            "t.pkt:1:5: unknown TCP flag 'X' in 'SX' (flags: S F R P . E W U)");
  EXPECT_EQ(Err("0 < S 0:0(0) <md6 1>\n"),
            "t.pkt:1:15: unsupported TCP option 'md6' (supported: nop, eol, mss, wscale, sackOK, "
            "sack, TS, FO, FOEXP, md5)");
  EXPECT_EQ(Err("0 < S 0:0(0) <md5>\n"),
            "t.pkt:1:18: expected the digest's hex bytes after 'md5', found '>'");
  EXPECT_EQ(
      Err("0 < [tos 1] S 0:0(0)\n"),
      "t.pkt:1:6: unsupported IP information 'tos' (supported: noecn, ect0, ect1, ce, ect01)");
  EXPECT_EQ(Err("* close(3) = 0\n"),
            "t.pkt:1:1: event time * can only be used with outbound packets");
  EXPECT_EQ(Err("0~1 < . 1:1(0)\n"),
            "t.pkt:1:1: event time range can only be used with outbound packets");
  EXPECT_EQ(Err("0 close(3)\n"),
            "t.pkt:2:1: expected '=' and the result after close(...), found end of file");
  EXPECT_EQ(Err("0 /* open"), "t.pkt:1:3: unterminated comment /* (no */)");
  EXPECT_EQ(Err("0 %{ x"), "t.pkt:1:3: unterminated %{ block (no closing }%)");
  EXPECT_EQ(Err("0 `ls"), "t.pkt:1:3: unterminated `shell` line (no closing `)");
  EXPECT_EQ(Err("0 close(\"x) = 0\n"), "t.pkt:1:9: unterminated string");
  EXPECT_EQ(Err("0 hello\n"),
            "t.pkt:1:3: expected a packet (< or >), a system call, a `shell` line or a %{ }% "
            "block, found 'hello'");
}

TEST(PktParser, BoundedInput) {
  std::string deep = "0 f(";
  for (int i = 0; i < 100; ++i) deep += "[";
  EXPECT_EQ(Err(deep), "t.pkt:1:38: expression nested too deeply");
  EXPECT_EQ(Err(std::string(kMaxScriptBytes + 1, ' ')),
            "t.pkt: script is 1048577 bytes; at most 1048576 are read");
  EXPECT_EQ(Err(std::string("0 close(3) = 0\0", 15)),
            "t.pkt: script holds a NUL byte (not a text file)");
}

}  // namespace
}  // namespace faultline::pkt
