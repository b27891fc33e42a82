#include "harness/packet/script_packet.h"

#include <gtest/gtest.h>

#include "harness/packet/checksum.h"
#include "harness/packet/packet_craft.h"

namespace faultline {
namespace {

IntRange R(int64_t v) { return {v, v}; }

IpAddr Addr(const char* text) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(text, &a));
  return a;
}

// The scripted host `peer` (198.18.1.2:40000, ISN 1000) talking to the real
// host `server` (198.18.2.2:8080).
ScriptConn Conn(bool v6 = false) {
  ScriptConn c;
  c.local_host = "peer";
  c.remote_host = "server";
  c.local = Addr(v6 ? "2001:2:0:1::2" : "198.18.1.2");
  c.remote = Addr(v6 ? "2001:2:0:2::2" : "198.18.2.2");
  c.local_port = 40000;
  c.remote_port = 8080;
  c.local_isn = 1000;
  c.local_nxt = 1000;
  return c;
}

OptionSpec Opt(uint8_t kind) {
  OptionSpec o;
  o.kind = kind;
  return o;
}
OptionSpec Val(uint8_t kind, int64_t v) {
  OptionSpec o = Opt(kind);
  o.value = v;
  return o;
}
OptionSpec Ts(std::optional<IntRange> val, std::optional<IntRange> ecr, bool echo = false) {
  OptionSpec o = Opt(kTcpOptTimestamp);
  o.ts_val = val;
  o.ts_ecr = ecr;
  o.ts_ecr_echo = echo;
  return o;
}

// A packet of the stack (server -> peer), raw numbers.
std::vector<uint8_t> FromStack(const ScriptConn& c, uint8_t flags, uint32_t seq, uint32_t ack,
                               std::vector<TcpOption> opts = {}, std::string payload = "") {
  SegmentSpec s;
  s.src = c.remote;
  s.dst = c.local;
  s.sport = 8080;
  s.dport = 40000;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.window = 64240;
  s.options = std::move(opts);
  s.payload = std::move(payload);
  return BuildSegment(s);
}

// The conn after the stack's SYN-ACK (ISN 5000, TS val 777) to our SYN.
ScriptConn Established() {
  ScriptConn c = Conn();
  PacketFields syn;
  syn.flags = kTcpSyn;
  EXPECT_TRUE(BuildScripted(syn, c).ok());
  const std::vector<uint8_t> synack =
      FromStack(c, kTcpSyn | kTcpAck, 5000, 1001, {TcpOption::Timestamp(777, 100)});
  PacketFields any;
  EXPECT_TRUE(CheckScripted(any, synack, c).ok());
  return c;
}

TEST(BuildScripted, SynCarriesTheFieldsAndDefaults) {
  ScriptConn c = Conn();
  PacketFields f;
  f.flags = kTcpSyn;
  f.seq = R(0);
  f.options = {Val(kTcpOptMss, 1460), Opt(kTcpOptSackPermitted), Ts(R(100), R(0)), Opt(kTcpOptNop),
               Val(kTcpOptWindowScale, 7)};
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const PacketView v = ParsePacket(*b);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.seq, 1000u);  // relative 0 = our ISN
  EXPECT_EQ(v.ack, 0u);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);
  EXPECT_EQ(v.window, 65535);
  EXPECT_EQ(v.ttl, 64);
  EXPECT_TRUE(v.df);
  EXPECT_EQ(v.ip_id, 0);
  EXPECT_EQ(v.dscp, 0);
  EXPECT_EQ(v.ecn, 0);
  EXPECT_EQ(v.sport, 40000);
  EXPECT_EQ(v.dport, 8080);
  EXPECT_EQ(v.payload_len, 0u);
  EXPECT_TRUE(VerifyChecksums(*b).ok());
  const std::vector<TcpOption> opts = v.TcpOptions(*b).options;
  ASSERT_EQ(opts.size(), 5u);
  EXPECT_EQ(opts[0], TcpOption::Mss(1460));
  EXPECT_EQ(opts[2], TcpOption::Timestamp(100, 0));
  EXPECT_EQ(opts[4], TcpOption::WindowScale(7));
  EXPECT_EQ(c.local_nxt, 1001u);  // SYN counts one
  EXPECT_EQ(ScriptedLine(*b, c),
            "peer:40000 > server:8080 tcp S seq 0 win 65535 "
            "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7> len 0");
}

TEST(BuildScripted, AckBeforeTheStackSpokeIsAnErrorInTheCasesWords) {
  ScriptConn c = Conn();
  PacketFields f;  // flags "." by default: ack defaults to the stack's next
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(b.status().message(),
            "ack is relative to the ISN of server, which no packet of server has shown yet "
            "(write raw-ack: N)");
  f.ack = R(1);
  EXPECT_EQ(BuildScripted(f, c).status().message(), b.status().message());
  f.ack.reset();
  f.raw_ack = R(77);
  b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).ack, 77u);
}

TEST(BuildScripted, RelativeAndAbsoluteSeqAck) {
  ScriptConn c = Established();
  PacketFields f;
  f.seq = R(10);
  f.ack = R(3);
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).seq, 1010u);
  EXPECT_EQ(ParsePacket(*b).ack, 5003u);
  f = {};
  f.raw_seq = R(7);
  f.raw_ack = R(9);
  b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).seq, 7u);
  EXPECT_EQ(ParsePacket(*b).ack, 9u);
}

TEST(BuildScripted, LocalNxtAdvancesPastSynDataAndFin) {
  ScriptConn c = Established();
  EXPECT_EQ(c.local_nxt, 1001u);
  PacketFields ack;  // defaults: seq = local_nxt, ack = remote_nxt
  StatusOr<std::vector<uint8_t>> b = BuildScripted(ack, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).seq, 1001u);
  EXPECT_EQ(ParsePacket(*b).ack, 5001u);
  EXPECT_EQ(c.local_nxt, 1001u);  // a pure ACK takes no sequence space
  PacketFields data;
  data.flags = kTcpPsh | kTcpAck;
  data.data = "hello";
  b = BuildScripted(data, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).payload_len, 5u);
  EXPECT_EQ(c.local_nxt, 1006u);
  PacketFields fin;
  fin.flags = kTcpFin | kTcpAck;
  b = BuildScripted(fin, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).seq, 1006u);
  EXPECT_EQ(c.local_nxt, 1007u);
  PacketFields old;  // an old duplicate does not move local_nxt back
  old.seq = R(1);
  old.data = "x";
  ASSERT_TRUE(BuildScripted(old, c).ok());
  EXPECT_EQ(c.local_nxt, 1007u);
}

TEST(BuildScripted, LengthWithoutDataSendsTheAlphabet) {
  ScriptConn c = Established();
  PacketFields f;
  f.length = R(28);
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  const PacketView v = ParsePacket(*b);
  const std::string payload(b->begin() + static_cast<long>(v.payload_offset), b->end());
  EXPECT_EQ(payload, "abcdefghijklmnopqrstuvwxyzab");
}

TEST(BuildScripted, IpFieldsAndTheirIpv6Errors) {
  ScriptConn c = Established();
  PacketFields f;
  f.ttl = R(3);
  f.dscp = R(46);
  f.ecn = R(3);
  f.df = false;
  f.ip_id = R(4660);
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  const PacketView v = ParsePacket(*b);
  EXPECT_EQ(v.ttl, 3);
  EXPECT_EQ(v.dscp, 46);
  EXPECT_EQ(v.ecn, 3);
  EXPECT_FALSE(v.df);
  EXPECT_EQ(v.ip_id, 4660);
  ScriptConn c6 = Conn(true);
  PacketFields df;
  df.flags = kTcpSyn;
  df.df = true;
  EXPECT_EQ(BuildScripted(df, c6).status().message(),
            "df is an IPv4 header field; this variant is ipv6 (families: [ipv4])");
  PacketFields id;
  id.flags = kTcpSyn;
  id.ip_id = R(1);
  EXPECT_EQ(BuildScripted(id, c6).status().message(),
            "ip-id is an IPv4 header field; this variant is ipv6 (families: [ipv4])");
  PacketFields hop;
  hop.flags = kTcpSyn;
  hop.ttl = R(1);
  b = BuildScripted(hop, c6);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).ttl, 1);
  EXPECT_TRUE(ParsePacket(*b).v6);
}

TEST(BuildScripted, ARangeIsNotOneValue) {
  ScriptConn c = Conn();
  PacketFields f;
  f.flags = kTcpSyn;
  f.seq = IntRange{0, 5};
  EXPECT_EQ(BuildScripted(f, c).status().message(),
            "seq: a crafted packet's value is one number, not a range");
}

TEST(BuildScripted, TimestampEchoAndSackRelativeToTheStack) {
  ScriptConn c = Established();
  PacketFields f;
  OptionSpec sack = Opt(kTcpOptSack);
  sack.sack = {{1, 101}};
  f.options = {Opt(kTcpOptNop), Opt(kTcpOptNop), Ts(R(110), std::nullopt, true), sack};
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const std::vector<TcpOption> opts = ParsePacket(*b).TcpOptions(*b).options;
  ASSERT_EQ(opts.size(), 5u);  // and an EOL of padding
  EXPECT_EQ(opts[4], TcpOption::Eol());
  EXPECT_EQ(opts[2], TcpOption::Timestamp(110, 777));
  EXPECT_EQ(opts[3], TcpOption::Sack({{5001, 5101}}));

  ScriptConn fresh = Conn();
  PacketFields echo;
  echo.flags = kTcpSyn;
  echo.options = {Ts(R(1), std::nullopt, true)};
  EXPECT_EQ(BuildScripted(echo, fresh).status().message(),
            "ts: ecr echo sends the last TS val of server, which no packet of server has "
            "carried yet");
}

TEST(BuildScripted, UdpAndEcho) {
  ScriptConn c = Conn();
  PacketFields u;
  u.proto = PacketFields::L4::kUdp;
  u.data = "hi!";
  StatusOr<std::vector<uint8_t>> b = BuildScripted(u, c);
  ASSERT_TRUE(b.ok());
  PacketView v = ParsePacket(*b);
  EXPECT_TRUE(v.is_udp());
  EXPECT_EQ(v.payload_len, 3u);
  EXPECT_TRUE(VerifyChecksums(*b).ok());
  EXPECT_EQ(c.local_nxt, 1000u);

  PacketFields e;
  e.icmp = IcmpSpec{};
  e.icmp->type = "echo-request";
  e.data = "ping";
  for (bool v6 : {false, true}) {
    ScriptConn ce = Conn(v6);
    b = BuildScripted(e, ce);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    v = ParsePacket(*b);
    EXPECT_TRUE(v.is_icmp());
    EXPECT_EQ(v.icmp_type, v6 ? 128 : 8);
    EXPECT_TRUE(VerifyChecksums(*b).ok());
  }
}

TEST(BuildScripted, IcmpErrorsQuoteTheStacksLastPacket) {
  ScriptConn c = Conn();
  PacketFields f;
  f.icmp = IcmpSpec{};
  f.icmp->type = "packet-too-big";
  f.icmp->mtu = 1400;
  EXPECT_EQ(BuildScripted(f, c).status().message(),
            "icmp: an ICMP error quotes the last packet of server on conn '', and server has "
            "sent none yet");
  c = Established();
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok());
  PacketView v = ParsePacket(*b);
  EXPECT_EQ(v.icmp_type, 3);  // IPv4: unreachable frag-needed
  EXPECT_EQ(v.icmp_code, 4);
  EXPECT_EQ(v.icmp_mtu, 1400u);
  const PacketView q = ParseIcmpQuote(*b, v);
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(q.seq, 5000u);
  EXPECT_EQ(ScriptedLine(*b, c),
            "peer > server icmp unreachable frag-needed mtu 1400 for server:8080 > "
            "peer:40000 tcp seq 5000 len 56");
}

TEST(CheckScripted, LearnsIsnPortAndTimestamps) {
  ScriptConn c = Conn();
  c.remote_port = 0;  // the stack opens: its port is learned
  const std::vector<uint8_t> syn = FromStack(c, kTcpSyn, 5000, 0, {TcpOption::Timestamp(777, 0)});
  PacketFields f;
  f.flags = kTcpSyn;
  f.seq = R(0);  // relative to the ISN this very SYN teaches
  f.options = {Ts(R(0), R(0))};
  const Verdict v = CheckScripted(f, syn, c);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(c.remote_port, 8080);
  EXPECT_TRUE(c.remote_isn_known);
  EXPECT_EQ(c.remote_isn, 5000u);
  EXPECT_EQ(c.remote_nxt, 5001u);
  EXPECT_TRUE(c.remote_ts_known);
  EXPECT_EQ(c.remote_first_ts, 777u);
  EXPECT_EQ(c.last_remote_packet, syn);
  // Data: remote_nxt moves, TS val is relative to the first.
  const std::vector<uint8_t> data =
      FromStack(c, kTcpPsh | kTcpAck, 5001, 1001, {TcpOption::Timestamp(787, 5)}, "hello");
  PacketFields d;
  d.flags = kTcpPsh | kTcpAck;
  d.seq = R(1);
  d.ack = R(1);
  d.data = "hello";
  d.options = {Ts(R(10), R(5))};
  EXPECT_TRUE(CheckScripted(d, data, c).ok()) << CheckScripted(d, data, c).message;
  EXPECT_EQ(c.remote_nxt, 5006u);
  EXPECT_EQ(c.remote_last_ts, 787u);
  EXPECT_EQ(c.remote_first_ts, 777u);
}

// Checks `f` against `bytes` on a copy of the established conn; returns the
// part of the message after the packet line.
std::string Why(const PacketFields& f, const std::vector<uint8_t>& bytes) {
  ScriptConn c = Established();
  const Verdict v = CheckScripted(f, bytes, c);
  EXPECT_TRUE(v.failed());
  const std::string head =
      "expected " + f.ToString() + " vs actual " + ScriptedLine(bytes, c) + " ";
  EXPECT_EQ(v.message.substr(0, head.size()), head);
  EXPECT_EQ(v.expected, f.ToString());
  EXPECT_EQ(v.actual, ScriptedLine(bytes, c));
  return v.message.size() > head.size() ? v.message.substr(head.size()) : v.message;
}

// The urgent pointer (`urg:`): a crafted packet carries it, an expected
// packet's is compared (packetdrill's `urg N`).
TEST(ScriptedPacket, UrgentPointerIsSentAndCompared) {
  ScriptConn c = Established();
  PacketFields f;
  f.flags = kTcpUrg | kTcpAck;
  f.length = R(100);
  f.urg = R(100);
  StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
  ASSERT_TRUE(b.ok()) << b.status().message();
  const PacketView v = ParsePacket(*b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.urg_ptr, 100);
  EXPECT_EQ(v.tcp_flags, kTcpUrg | kTcpAck);
  EXPECT_TRUE(VerifyChecksums(*b).ok());
  EXPECT_EQ(f.ToString(), "packet U. urg 100 len 100");

  SegmentSpec s;
  s.src = c.remote;
  s.dst = c.local;
  s.sport = 8080;
  s.dport = 40000;
  s.flags = kTcpUrg | kTcpAck;
  s.seq = 5001;
  s.ack = 1101;
  s.urg_ptr = 7;
  s.payload = "0123456789";
  const std::vector<uint8_t> urgent = BuildSegment(s);
  PacketFields want;
  want.urg = R(7);
  EXPECT_TRUE(CheckScripted(want, urgent, c).ok());
  ScriptConn cc = Established();
  want.urg = R(10);
  const Verdict bad = CheckScripted(want, urgent, cc);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message.find("(urg: expected 10 vs actual 7)"), std::string::npos) << bad.message;
  const PacketView uv = ParsePacket(urgent);
  EXPECT_FALSE(FieldsHold(want, uv, urgent, std::nullopt, std::nullopt));
  want.urg = R(7);
  EXPECT_TRUE(FieldsHold(want, uv, urgent, std::nullopt, std::nullopt));
}

TEST(CheckScripted, MismatchMessages) {
  const ScriptConn c = Established();
  const std::vector<uint8_t> data =
      FromStack(c, kTcpPsh | kTcpAck, 5001, 1001,
                {TcpOption::Nop(), TcpOption::Nop(), TcpOption::Timestamp(787, 5)}, "hello");
  {
    ScriptConn cc = Established();
    const Verdict v = CheckScripted(PacketFields{}, data, cc);
    EXPECT_EQ(v.actual,
              "server:8080 > peer:40000 tcp P. seq 1 ack 1 win 64240 <nop,nop,TS val 787 ecr 5> "
              "len 5");
  }
  PacketFields f;
  f.flags = kTcpAck;
  EXPECT_EQ(Why(f, data), "(flags: expected . vs actual P.)");
  f = {};
  f.seq = R(2);
  EXPECT_EQ(Why(f, data), "(seq: expected 2 vs actual 1)");
  f = {};
  f.ack = IntRange{2, 10};
  EXPECT_EQ(Why(f, data), "(ack: expected [2, 10] vs actual 1)");
  f = {};
  f.raw_seq = R(1);
  EXPECT_EQ(Why(f, data), "(raw-seq: expected 1 vs actual 5001)");
  f = {};
  f.win = R(65535);
  EXPECT_EQ(Why(f, data), "(win: expected 65535 vs actual 64240)");
  f = {};
  f.options = std::vector<OptionSpec>{Ts(std::nullopt, std::nullopt)};
  EXPECT_EQ(Why(f, data), "(options: expected <" + Ts(std::nullopt, std::nullopt).ToString() +
                              "> vs actual <nop,nop,TS val 787 ecr 5>)");
  f.options = std::vector<OptionSpec>{};
  EXPECT_EQ(Why(f, data), "(options: expected <> vs actual <nop,nop,TS val 787 ecr 5>)");
  f.options = {Opt(kTcpOptNop), Opt(kTcpOptNop), Ts(R(0), std::nullopt)};
  EXPECT_EQ(Why(f, data), "(TS val: expected 0 vs actual 10)");
  f.options = {Opt(kTcpOptNop), Opt(kTcpOptNop), Ts(std::nullopt, R(4))};
  EXPECT_EQ(Why(f, data), "(TS ecr: expected 4 vs actual 5)");
  f = {};
  f.length = R(4);
  EXPECT_EQ(Why(f, data), "(length: expected 4 vs actual 5)");
  f = {};
  f.data = "hellO";
  EXPECT_EQ(Why(f, data), "(data: expected \"hellO\" vs actual \"hello\")");
  f = {};
  f.ttl = R(3);
  EXPECT_EQ(Why(f, data), "(ttl: expected 3 vs actual 64)");
  f = {};
  f.dscp = R(46);
  EXPECT_EQ(Why(f, data), "(dscp: expected 46 vs actual 0)");
  f = {};
  f.ecn = R(3);
  EXPECT_EQ(Why(f, data), "(ecn: expected 3 vs actual 0)");
  f = {};
  f.df = false;
  EXPECT_EQ(Why(f, data), "(df: expected false vs actual true)");
  f = {};
  f.ip_id = R(5);
  EXPECT_EQ(Why(f, data), "(ip-id: expected 5 vs actual 0)");
  f = {};
  f.proto = PacketFields::L4::kUdp;
  EXPECT_EQ(Why(f, data), "(proto: expected udp vs actual tcp)");
  f = {};
  f.icmp = IcmpSpec{};
  f.icmp->type = "packet-too-big";
  EXPECT_EQ(Why(f, data), "(proto: expected icmp vs actual tcp)");
}

TEST(CheckScripted, OptionValueMismatches) {
  const ScriptConn c = Established();
  SackBlock b{1001 + 100, 1001 + 200};
  const std::vector<uint8_t> p =
      FromStack(c, kTcpAck, 5001, 1001,
                {TcpOption::Mss(1400), TcpOption::WindowScale(7), TcpOption::Sack({b}),
                 TcpOption::FastOpen({1, 2}), TcpOption::Unknown(253, {0xbe, 0xef})});
  OptionSpec mss = Val(kTcpOptMss, 1460), ws = Val(kTcpOptWindowScale, 7), sack = Opt(kTcpOptSack),
             tfo = Opt(kTcpOptFastOpen), unk = Opt(253);
  sack.sack = {{101, 201}};
  tfo.bytes = std::string("\x01\x02", 2);
  unk.bytes = std::string("\xbe\xef", 2);
  PacketFields f;
  f.options = {mss, ws, sack, tfo, unk};
  EXPECT_EQ(Why(f, p), "(mss: expected 1460 vs actual 1400)");
  (*f.options)[0].value = 1400;
  ScriptConn cc = Established();
  EXPECT_TRUE(CheckScripted(f, p, cc).ok()) << CheckScripted(f, p, cc).message;
  (*f.options)[1].value = 8;
  EXPECT_EQ(Why(f, p), "(wscale: expected 8 vs actual 7)");
  (*f.options)[1].value = 7;
  (*f.options)[2].sack = {{100, 200}};
  EXPECT_EQ(Why(f, p), "(sack: expected {100:200} vs actual {101:201})");
  (*f.options)[2].sack = {{101, 201}};
  (*f.options)[3].bytes = "";
  EXPECT_EQ(Why(f, p), "(tfo: expected \"\" vs actual \"\\x01\\x02\")");
  (*f.options)[3].bytes = std::string("\x01\x02", 2);
  (*f.options)[4].bytes = "A";
  EXPECT_EQ(Why(f, p), "(opt-253: expected \"A\" vs actual \"\\xbe\\xef\")");
}

TEST(CheckScripted, IcmpFromTheStack) {
  const ScriptConn c = Established();
  IcmpErrorSpec e;
  e.src = c.remote;
  e.dst = c.local;
  e.type = 3;
  e.code = 3;
  std::vector<uint8_t> quoted(48, 0);
  const std::vector<uint8_t> ours = FromStack(c, kTcpAck, 1, 1);
  e.quoted = ours;
  const std::vector<uint8_t> unreach = BuildIcmpError(e);
  PacketFields f;
  f.icmp = IcmpSpec{};
  f.icmp->type = "unreachable";
  f.icmp->code = 3;
  ScriptConn cc = Established();
  EXPECT_TRUE(CheckScripted(f, unreach, cc).ok());
  f.icmp->code = 1;
  EXPECT_EQ(Why(f, unreach), "(icmp: expected unreachable code 1 vs actual unreachable port)");
  f.icmp->type = "time-exceeded";
  f.icmp->code.reset();
  EXPECT_EQ(Why(f, unreach), "(icmp: expected time-exceeded vs actual unreachable port)");
}

TEST(CheckScripted, ABadChecksumIsAMismatch) {
  const ScriptConn c = Established();
  std::vector<uint8_t> p = FromStack(c, kTcpAck, 5001, 1001);
  p[20 + 16] ^= 0x01;  // the TCP checksum
  EXPECT_EQ(Why(PacketFields{}, p), "(checksum: bad tcp checksum)");
}

TEST(CheckScripted, AChecksumLeftForOffloadIsNotBad) {
  const ScriptConn c = Established();
  std::vector<uint8_t> p = FromStack(c, kTcpAck, 5001, 1001);
  const PacketView v = ParsePacket(p);
  const uint32_t l4len = v.ip_len - static_cast<uint32_t>(v.l4_offset);
  // CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
  const uint16_t partial =
      static_cast<uint16_t>(~InetChecksum({}, PseudoHeaderSum(v.src, v.dst, 6, l4len)));
  p[20 + 16] = static_cast<uint8_t>(partial >> 8);
  p[20 + 17] = static_cast<uint8_t>(partial & 0xff);
  EXPECT_TRUE(VerifyChecksums(p).transport_partial);
  EXPECT_FALSE(VerifyChecksums(p).transport_ok);
  ScriptConn cc = Established();
  EXPECT_TRUE(CheckScripted(PacketFields{}, p, cc).ok());
  p[20 + 17] ^= 0x01;
  EXPECT_FALSE(VerifyChecksums(p).transport_partial);
  EXPECT_EQ(Why(PacketFields{}, p), "(checksum: bad tcp checksum)");
}

TEST(CheckScripted, SeqOfAnUnknownIsnDoesNotHold) {
  ScriptConn c = Conn();
  const std::vector<uint8_t> p = FromStack(c, kTcpAck, 5001, 1001);
  PacketFields f;
  f.seq = R(1);
  const Verdict v = CheckScripted(f, p, c);
  ASSERT_TRUE(v.failed());
  EXPECT_NE(v.message.find("(seq: expected 1 vs actual raw 5001 (ISN not known))"),
            std::string::npos)
      << v.message;
}

TEST(FieldsHold, RawTimestampsAndRelativeSeqFromTheCaller) {
  const ScriptConn c = Conn();
  const std::vector<uint8_t> p =
      FromStack(c, kTcpAck, 5001, 1001, {TcpOption::Timestamp(787, 5)}, "abc");
  const PacketView v = ParsePacket(p);
  PacketFields f;
  f.flags = kTcpAck;
  f.options = {Ts(R(787), R(5))};
  f.data = "abc";
  EXPECT_TRUE(FieldsHold(f, v, p, std::nullopt, std::nullopt));
  f.options = {Ts(R(10), std::nullopt)};  // raw here: 787
  EXPECT_FALSE(FieldsHold(f, v, p, std::nullopt, std::nullopt));
  PacketFields s;
  s.seq = R(1);
  EXPECT_FALSE(FieldsHold(s, v, p, std::nullopt, std::nullopt));
  EXPECT_TRUE(FieldsHold(s, v, p, 1u, std::nullopt));
  // Without the bytes, options and data do not hold (and nothing is read).
  PacketFields d;
  d.data = "abc";
  EXPECT_FALSE(FieldsHold(d, v, {}, std::nullopt, std::nullopt));
  PacketFields ttl;
  ttl.ttl = IntRange{60, 64};
  EXPECT_TRUE(FieldsHold(ttl, v, {}, std::nullopt, std::nullopt));
}

// Review fix: an expect checks the connection's addresses and ports, and
// only a packet of the connection teaches it.
TEST(CheckScripted, TheConnectionsAddressesAndPortsAreChecked) {
  ScriptConn c = Conn();
  c.local_port = 7000;  // an expect opened the connection with `port: 7000`
  c.remote_port = 0;    // the stack's port: learned from its first packet
  const std::vector<uint8_t> syn = FromStack(c, kTcpSyn, 5000, 0);  // to peer:40000
  PacketFields f;
  f.flags = kTcpSyn;
  const Verdict v = CheckScripted(f, syn, c);
  ASSERT_TRUE(v.failed());
  EXPECT_NE(v.message.find("(connection: expected server:* > peer:7000 vs actual server:8080 > "
                           "peer:40000)"),
            std::string::npos)
      << v.message;
  EXPECT_EQ(c.remote_port, 0);  // nothing learned from another connection's packet
  EXPECT_FALSE(c.remote_isn_known);
  EXPECT_TRUE(c.last_remote_packet.empty());
  // Another connection of the same host (the stack's port 8081): one inbox,
  // but its packet neither satisfies nor teaches this one.
  ScriptConn other = Established();
  other.remote_port = 8081;
  const uint32_t nxt = other.remote_nxt;
  const std::vector<uint8_t> data = FromStack(other, kTcpPsh | kTcpAck, 5001, 1001, {}, "hello");
  const Verdict w = CheckScripted(PacketFields{}, data, other);
  ASSERT_TRUE(w.failed());
  EXPECT_NE(w.message.find("(connection: expected server:8081 > peer:40000 vs actual "
                           "server:8080 > peer:40000)"),
            std::string::npos)
      << w.message;
  EXPECT_EQ(other.remote_nxt, nxt);
  // From another address than the connection's.
  ScriptConn far = Established();
  far.remote = Addr("198.18.3.2");
  far.remote_host = "client";
  const Verdict x = CheckScripted(PacketFields{}, data, far);
  ASSERT_TRUE(x.failed());
  EXPECT_NE(x.message.find("(connection: expected client:8080 > peer:40000 vs actual "
                           "198.18.2.2:8080 > peer:40000)"),
            std::string::npos)
      << x.message;
}

// Review fix: the default seq does not jump after an out-of-window send, an
// old one, a RST or a SYN on the open connection.
TEST(BuildScripted, LocalNxtMovesOnlyForInOrderAndForwardInWindowSends) {
  ScriptConn c = Established();  // the stack's SYN-ACK: ack 1001 win 64240
  ASSERT_EQ(c.local_nxt, 1001u);
  PacketFields far;
  far.flags = kTcpPsh | kTcpAck;
  far.seq = R(50000000);
  far.data = "far";
  ASSERT_TRUE(BuildScripted(far, c).ok());
  EXPECT_EQ(c.local_nxt, 1001u);
  PacketFields next;  // default seq
  next.flags = kTcpPsh | kTcpAck;
  next.data = "near";
  StatusOr<std::vector<uint8_t>> b = BuildScripted(next, c);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(ParsePacket(*b).seq, 1001u);
  EXPECT_EQ(c.local_nxt, 1005u);
  PacketFields syn;  // a SYN on the established connection (RFC 5961 4)
  syn.flags = kTcpSyn;
  syn.seq = R(500);
  ASSERT_TRUE(BuildScripted(syn, c).ok());
  EXPECT_EQ(c.local_nxt, 1005u);
  PacketFields rst;
  rst.flags = kTcpRst;
  rst.seq = R(100);
  ASSERT_TRUE(BuildScripted(rst, c).ok());
  EXPECT_EQ(c.local_nxt, 1005u);
  PacketFields hole;  // a forward send inside the window (out of order)
  hole.flags = kTcpPsh | kTcpAck;
  hole.seq = R(1004 + 10);
  hole.data = "later";
  ASSERT_TRUE(BuildScripted(hole, c).ok());
  EXPECT_EQ(c.local_nxt, 1000u + 1014 + 5);
}

TEST(BuildScripted, TheOpeningSynSetsLocalNxtAndALaterSynDoesNot) {
  ScriptConn c = Conn();
  PacketFields syn;
  syn.flags = kTcpSyn;
  syn.seq = R(10);
  ASSERT_TRUE(BuildScripted(syn, c).ok());
  EXPECT_EQ(c.local_nxt, 1011u);
  ASSERT_TRUE(BuildScripted(syn, c).ok());  // the same SYN again
  EXPECT_EQ(c.local_nxt, 1011u);
  syn.seq = R(0);
  ASSERT_TRUE(BuildScripted(syn, c).ok());
  EXPECT_EQ(c.local_nxt, 1011u);
}

TEST(CheckScripted, TheWindowScaleAppliesAfterBothSynsCarriedOne) {
  ScriptConn c = Conn();
  PacketFields syn;
  syn.flags = kTcpSyn;
  syn.options = {Val(kTcpOptWindowScale, 7)};
  ASSERT_TRUE(BuildScripted(syn, c).ok());
  std::vector<uint8_t> synack =
      FromStack(c, kTcpSyn | kTcpAck, 5000, 1001, {TcpOption::WindowScale(2)});
  ASSERT_TRUE(CheckScripted(PacketFields{}, synack, c).ok());
  EXPECT_EQ(c.remote_window_edge, 1001u + 64240);  // a SYN's window is unscaled
  const std::vector<uint8_t> ack = FromStack(c, kTcpAck, 5001, 1001);
  ASSERT_TRUE(CheckScripted(PacketFields{}, ack, c).ok());
  EXPECT_EQ(c.remote_window_edge, 1001u + 64240 * 4);
}

// Review fix: ICMP names per family (RFC 792, 4443).
TEST(BuildScripted, IcmpCodesPerFamily) {
  struct Row {
    int64_t code;
    bool v6;
    int type, want;
  };
  const Row rows[] = {{0, false, 3, 0}, {1, false, 3, 1},   {2, false, 3, 2},
                      {3, false, 3, 3}, {13, false, 3, 13}, {0, true, 1, 0},
                      {1, true, 1, 3},  {3, true, 1, 4},    {13, true, 1, 1}};
  for (const Row& r : rows) {
    ScriptConn c = Conn(r.v6);
    c.last_remote_packet = FromStack(c, kTcpAck, 5001, 1001);
    PacketFields f;
    f.icmp = IcmpSpec{};
    f.icmp->type = "unreachable";
    f.icmp->code = r.code;
    StatusOr<std::vector<uint8_t>> b = BuildScripted(f, c);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    const PacketView v = ParsePacket(*b);
    EXPECT_EQ(v.icmp_type, r.type) << r.code << (r.v6 ? " v6" : " v4");
    EXPECT_EQ(v.icmp_code, r.want) << r.code << (r.v6 ? " v6" : " v4");
  }
  ScriptConn c = Conn(true);
  c.last_remote_packet = FromStack(c, kTcpAck, 5001, 1001);
  PacketFields f;
  f.icmp = IcmpSpec{};
  f.icmp->type = "unreachable";
  f.icmp->code = 2;  // protocol
  const std::string want =
      "icmp: unreachable code protocol (2) has no ICMPv6 form (RFC 4443: an unrecognised next "
      "header is parameter-problem code 1); this variant is ipv6 (families: [ipv4])";
  EXPECT_EQ(BuildScripted(f, c).status().message(), want);
  const Verdict v = CheckScripted(f, c.last_remote_packet, c);
  EXPECT_TRUE(v.error());
  EXPECT_EQ(v.message, want);
}

// Review fix: without `from:`, failure lines name the stack's host by name.
TEST(ScriptedLine, HostsByNameWhenTheStepGaveNone) {
  ScriptConn c = Conn();
  c.remote_host.clear();
  c.remote = IpAddr{};
  c.remote_port = 0;
  c.host_names[Addr("198.18.2.2")] = "server";
  c.host_names[Addr("198.18.1.2")] = "peer";
  ScriptConn stack = Conn();
  const std::vector<uint8_t> syn = FromStack(stack, kTcpSyn, 5000, 0);
  PacketFields f;
  f.flags = kTcpSyn | kTcpAck;
  const Verdict v = CheckScripted(f, syn, c);
  ASSERT_TRUE(v.failed());
  EXPECT_EQ(v.actual, "server:8080 > peer:40000 tcp S seq 0 win 64240 len 0");
  EXPECT_EQ(c.remote_host, "server");
  EXPECT_EQ(ScriptedLine(syn, c), v.actual);
}

}  // namespace
}  // namespace faultline
