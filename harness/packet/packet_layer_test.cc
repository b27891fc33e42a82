// The packet layer's extensions: TCP options, IP fields, ICMP errors and
// their quotes, the checksum verifier, and the one dump format.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/packet/checksum.h"
#include "harness/packet/golden_packets_test.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/packet_view.h"
#include "harness/packet/tcp_options.h"

namespace faultline {
namespace {

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

SegmentSpec Tcp(bool v6) {
  SegmentSpec s;
  s.src = Addr(v6 ? "2001:2:0:1::2" : "198.18.1.2");
  s.dst = Addr(v6 ? "2001:2:0:2::2" : "198.18.2.2");
  s.sport = 40000;
  s.dport = 8080;
  return s;
}

std::vector<TcpOption> EveryOption() {
  return {TcpOption::Mss(1460),    TcpOption::SackPermitted(), TcpOption::Timestamp(12, 34),
          TcpOption::Nop(),        TcpOption::WindowScale(7),  TcpOption::Sack({{1, 2}}),
          TcpOption::FastOpen({}), TcpOption::Nop(),           TcpOption::Eol()};
}

TEST(TcpOptions, EveryKindRoundTripsThroughCraftAndParse) {
  for (bool v6 : {false, true}) {
    SegmentSpec s = Tcp(v6);
    s.flags = kTcpSyn;
    s.options = EveryOption();
    std::vector<uint8_t> b = BuildSegment(s);
    PacketView v = ParsePacket(b);
    ASSERT_TRUE(v.ok) << v.error;
    TcpOptionList got = v.TcpOptions(b);
    ASSERT_TRUE(got.ok()) << got.error;
    EXPECT_EQ(got.options, s.options);
    EXPECT_TRUE(VerifyChecksums(b).ok());
  }
}

TEST(TcpOptions, CookieAndUnknownKindsKeepTheirBytes) {
  SegmentSpec s = Tcp(false);
  s.options = {TcpOption::FastOpen({1, 2, 3, 4, 5, 6, 7, 8}),
               TcpOption::Unknown(253, {0xbe, 0xef})};
  std::vector<uint8_t> b = BuildSegment(s);
  TcpOptionList got = ParsePacket(b).TcpOptions(b);
  ASSERT_TRUE(got.ok());
  ASSERT_GE(got.options.size(), 2u);
  EXPECT_EQ(got.options[0], s.options[0]);
  EXPECT_EQ(got.options[1], s.options[1]);
}

TEST(TcpOptions, AListOver40BytesIsCutAt40) {
  SegmentSpec s = Tcp(false);
  s.options.assign(11, TcpOption::Mss(1460));  // 44 bytes
  EXPECT_EQ(SerializeTcpOptions(s.options).size(), 44u);
  std::vector<uint8_t> b = BuildSegment(s);
  ASSERT_EQ(b.size(), 20u + 60u);
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.tcp_options_len, 40u);
  TcpOptionList got = v.TcpOptions(b);
  EXPECT_TRUE(got.ok()) << got.error;
  EXPECT_EQ(got.options, std::vector<TcpOption>(10, TcpOption::Mss(1460)));
  EXPECT_TRUE(VerifyChecksums(b).ok());

  // Cut inside an option: the receiver sees the list as malformed there.
  s.options.assign(9, TcpOption::Mss(1460));
  s.options.push_back(TcpOption::Timestamp(1, 2));  // 36 + 10 bytes
  b = BuildSegment(s);
  got = ParsePacket(b).TcpOptions(b);
  EXPECT_EQ(got.error, "TCP option 8 at offset 36: length 10 (4 bytes left)");
  EXPECT_EQ(got.options.size(), 9u);
}

struct Malformed {
  std::vector<uint8_t> bytes;
  size_t parsed;  // options before the fault
  std::string error;
};

TEST(TcpOptions, MalformedListsAreReportedNotCrashedOn) {
  const std::vector<Malformed> cases = {
      {{1, 2}, 1, "TCP option 2 at offset 1: no length byte"},
      {{2, 4, 5}, 0, "TCP option 2 at offset 0: length 4 (3 bytes left)"},
      {{1, 9, 1}, 1, "TCP option 9 at offset 1: length 1 (2 bytes left)"},
      {{2, 3, 5}, 0, "TCP option 2 (mss) at offset 0: bad length 3"},
      {{1, 5, 6, 0, 0, 0, 1, 0, 0}, 1, "TCP option 5 (sack) at offset 1: bad length 6"},
      {{8, 9, 0, 0, 0, 0, 0, 0, 0}, 0, "TCP option 8 (TS) at offset 0: bad length 9"},
  };
  for (const Malformed& m : cases) {
    TcpOptionList l = ParseTcpOptions(m.bytes);
    EXPECT_EQ(l.error, m.error);
    EXPECT_EQ(l.options.size(), m.parsed);
  }
  EXPECT_EQ(FormatTcpOptions(std::vector<uint8_t>{1, 2}), "<nop,[bad opt]>");
  EXPECT_EQ(FormatTcpOptions(std::vector<uint8_t>{2, 3, 5}), "<[bad opt]>");
}

TEST(IpFields, RoundTripBothFamilies) {
  for (bool v6 : {false, true}) {
    SegmentSpec s = Tcp(v6);
    s.ip.ttl = 3;
    s.ip.dscp = 46;
    s.ip.ecn = 1;
    s.ip.df = false;
    s.ip.ip_id = 0x1234;
    s.ip.flow_label = 0xabcde;
    std::vector<uint8_t> b = BuildSegment(s);
    PacketView v = ParsePacket(b);
    ASSERT_TRUE(v.ok);
    EXPECT_EQ(v.ttl, 3);
    EXPECT_EQ(v.dscp, 46);
    EXPECT_EQ(v.ecn, 1);
    EXPECT_EQ(v.df, false);
    EXPECT_EQ(v.ip_id, v6 ? 0 : 0x1234);
    EXPECT_EQ(v.flow_label, v6 ? 0xabcdeu : 0u);
    EXPECT_TRUE(VerifyChecksums(b).ok());
  }
}

TEST(Golden, Ipv4TcpWithIpFieldsSackAndFastOpen) {
  SegmentSpec s = Tcp(false);
  s.seq = 1001;
  s.ack = 5001;
  s.flags = kTcpAck;
  s.window = 502;
  s.ip = {.ttl = 3, .dscp = 46, .ecn = 1, .df = false, .ip_id = 0x1234, .flow_label = 0};
  s.options = {TcpOption::Nop(), TcpOption::Nop(), TcpOption::Sack({{1000, 2000}}),
               TcpOption::FastOpen({1, 2, 3, 4, 5, 6, 7, 8}),
               TcpOption::Unknown(253, {0xbe, 0xef})};
  EXPECT_EQ(BuildSegment(s), golden::kV4TcpIpFieldsSackTfo);
  EXPECT_TRUE(VerifyChecksums(golden::kV4TcpIpFieldsSackTfo).ok());
}

TEST(Golden, Ipv6UdpWithFlowLabel) {
  SegmentSpec s;
  s.src = Addr("2001:2:0:1::2");
  s.dst = Addr("2001:2:0:2::2");
  s.proto = 17;
  s.sport = 5000;
  s.dport = 9000;
  s.payload = "hi!";
  s.ip = {.ttl = 7, .dscp = 10, .ecn = 2, .df = true, .ip_id = 0, .flow_label = 0xabcde};
  EXPECT_EQ(BuildSegment(s), golden::kV6UdpFlowLabel);
  EXPECT_TRUE(VerifyChecksums(golden::kV6UdpFlowLabel).ok());
}

std::vector<uint8_t> BigTcp(bool v6, size_t payload) {
  SegmentSpec s = Tcp(v6);
  s.seq = s.ack = 1;
  s.flags = kTcpPsh | kTcpAck;
  s.window = 502;
  s.payload.assign(payload, v6 ? 'y' : 'x');
  return BuildSegment(s);
}

TEST(Golden, Icmpv4FragNeededQuotesUpTo576Bytes) {
  const std::vector<uint8_t> inner = BigTcp(false, 1000);
  IcmpErrorSpec e;
  e.src = Addr("198.18.2.1");
  e.dst = Addr("198.18.1.2");
  e.type = 3;
  e.code = 4;
  e.mtu = 1400;
  e.quoted = inner;
  std::vector<uint8_t> b = BuildIcmpError(e);
  ASSERT_EQ(b.size(), golden::kV4FragNeededSize);
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 56), golden::kV4FragNeededHead);
  EXPECT_EQ(b[22] << 8 | b[23], golden::kV4FragNeededIcmpChecksum);
  EXPECT_TRUE(VerifyChecksums(b).ok());
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.IsIcmpError());
  EXPECT_EQ(v.icmp_mtu, 1400u);
  PacketView q = ParseIcmpQuote(b, v);
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_TRUE(q.truncated);
  EXPECT_EQ(q.sport, 40000);
  EXPECT_EQ(q.dport, 8080);
  EXPECT_EQ(q.seq, 1u);
}

TEST(Golden, Icmpv6PacketTooBigQuotesUpTo1280Bytes) {
  const std::vector<uint8_t> inner = BigTcp(true, 1400);
  IcmpErrorSpec e;
  e.src = Addr("2001:2:0:2::1");
  e.dst = Addr("2001:2:0:1::2");
  e.type = 2;
  e.mtu = 1280;
  e.quoted = inner;
  std::vector<uint8_t> b = BuildIcmpError(e);
  ASSERT_EQ(b.size(), golden::kV6PacketTooBigSize);
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 96), golden::kV6PacketTooBigHead);
  EXPECT_EQ(b[42] << 8 | b[43], golden::kV6PacketTooBigChecksum);
  EXPECT_TRUE(VerifyChecksums(b).ok());
  PacketView v = ParsePacket(b);
  EXPECT_EQ(v.icmp_mtu, 1280u);
  PacketView q = ParseIcmpQuote(b, v);
  ASSERT_TRUE(q.ok) << q.error;
  EXPECT_TRUE(q.v6);
  EXPECT_EQ(q.dport, 8080);
}

TEST(IcmpQuote, TruncatedQuotesAreToleratedOrRefused) {
  const std::vector<uint8_t> inner = BigTcp(false, 10);
  IcmpErrorSpec e;
  e.src = Addr("198.18.2.1");
  e.dst = Addr("198.18.1.2");
  e.type = 11;
  for (size_t n : {size_t{0}, size_t{19}, size_t{20}, size_t{27}, size_t{28}, size_t{34}}) {
    e.quoted = std::span<const uint8_t>(inner).first(n);
    std::vector<uint8_t> b = BuildIcmpError(e);
    PacketView v = ParsePacket(b);
    ASSERT_TRUE(v.ok);
    PacketView q = ParseIcmpQuote(b, v);
    EXPECT_EQ(q.ok, n >= 28) << n;
    if (q.ok) {
      EXPECT_EQ(q.sport, 40000);
      EXPECT_EQ(q.seq, 1u);
    } else {
      EXPECT_FALSE(q.error.empty());
    }
  }
}

TEST(Checksum, SumsOfSuperPacketsDoNotOverflow) {
  // 150000 words of 0xffff: a one's-complement sum of 0xffff (-0), so the
  // checksum is 0. A 32-bit running sum would wrap and get it wrong.
  EXPECT_EQ(InetChecksum(std::vector<uint8_t>(300000, 0xff)), 0x0000);
  EXPECT_EQ(InetChecksum(std::vector<uint8_t>(300001, 0xff)), 0x00ff);  // odd: ff00 last
}

TEST(Verify, DetectsACorruptedByte) {
  std::vector<uint8_t> b = golden::kV4Syn;
  EXPECT_TRUE(VerifyChecksums(b).ok());
  CorruptPacket(b);
  EXPECT_FALSE(VerifyChecksums(b).transport_ok);
  EXPECT_TRUE(VerifyChecksums(b).ip_ok);
  b[8] = 1;  // TTL
  EXPECT_FALSE(VerifyChecksums(b).ip_ok);
}

std::string NameOf(const IpAddr& a) {
  const std::string s = a.ToString();
  if (s == "198.18.1.2" || s == "2001:2:0:1::2") return "client";
  if (s == "198.18.2.2" || s == "2001:2:0:2::2") return "server";
  return "";
}

// golden::kV4Syn as a non-first fragment (offset 16 * 8): no TCP header.
std::vector<uint8_t> Fragment() {
  std::vector<uint8_t> b = golden::kV4Syn;
  b[7] = 0x10;
  return b;
}

struct DumpCase {
  std::vector<uint8_t> bytes;
  DumpContext cx;
  std::string text;
};

TEST(Dump, EveryFormWordForWord) {
  SegmentSpec syn = Tcp(false);
  syn.flags = kTcpSyn | kTcpAck;
  syn.seq = 100;
  syn.ack = 200;
  syn.window = 64240;
  syn.options = {TcpOption::Mss(1460), TcpOption::SackPermitted(), TcpOption::Timestamp(12, 0),
                 TcpOption::Nop(), TcpOption::WindowScale(7)};
  SegmentSpec udp = Tcp(true);
  udp.proto = 17;
  udp.sport = 5000;
  udp.dport = 9000;
  udp.payload = "hi!";
  IcmpErrorSpec e;
  e.src = Addr("198.18.2.1");
  e.dst = Addr("198.18.1.2");
  e.code = 4;
  e.mtu = 1400;
  const std::vector<uint8_t> big = BigTcp(false, 1000);
  e.quoted = big;
  DumpContext named{.name = NameOf, .rel_seq = {}, .rel_ack = {}, .fault = 0, .action = ""};
  DumpContext rel = named;
  rel.rel_seq = 0;
  rel.rel_ack = 1;
  DumpContext half = named;  // the ack is not known relatively: both raw
  half.rel_seq = 0;
  DumpContext fault = named;
  fault.fault = 2;
  fault.action = "delay 200ms";
  const std::vector<DumpCase> cases = {
      {BuildSegment(syn), rel,
       "client:40000 > server:8080 tcp S. seq 0 ack 1 win 64240 <mss 1460,sackOK,TS val 12 ecr "
       "0,nop,wscale 7> len 0"},
      {BuildSegment(syn), half,
       "client:40000 > server:8080 tcp S. seq 100 ack 200 win 64240 <mss 1460,sackOK,TS val 12 "
       "ecr 0,nop,wscale 7> len 0"},
      {BuildSegment(syn),
       {},
       "198.18.1.2:40000 > 198.18.2.2:8080 tcp S. seq 100 ack 200 win 64240 <mss 1460,sackOK,TS "
       "val 12 ecr 0,nop,wscale 7> len 0"},
      {BuildSegment(udp), named, "client:5000 > server:9000 udp len 3"},
      {BuildSegment(udp), fault, "client:5000 > server:9000 udp len 3 [fault 2: delay 200ms]"},
      {BuildIcmpError(e), named,
       "198.18.2.1 > client icmp unreachable frag-needed mtu 1400 for client:40000 > "
       "server:8080 tcp seq 1 len 552"},
      {golden::kV6HbhUdp, named, "client:5000 > server:9000 udp len 3"},
      {{0x45, 0, 0, 99}, {}, "0.0.0.0 > 0.0.0.0 unparsed: truncated IPv4 header (4 of 20 bytes)"},
      {Fragment(), named, "client > server tcp frag len 40"},
  };
  for (const DumpCase& c : cases) {
    EXPECT_EQ(DumpPacket(c.bytes, ParsePacket(c.bytes), c.cx), c.text);
  }
  EXPECT_EQ(IcmpText(true, 2, 0, 1280), "packet-too-big mtu 1280");
  EXPECT_EQ(IcmpText(true, 3, 0, 0), "time-exceeded hop-limit");
  EXPECT_EQ(IcmpText(false, 8, 0, 0), "echo request");
  EXPECT_EQ(IcmpText(false, 3, 3, 0), "unreachable port");
  EXPECT_EQ(IcmpText(false, 42, 1, 0), "type 42 code 1");
}

TEST(Dump, RecordLineIsTheViewLine) {
  SegmentSpec s = Tcp(false);
  s.flags = kTcpPsh | kTcpAck;
  s.seq = 1001;
  s.ack = 5001;
  s.window = 502;
  s.options = {TcpOption::Nop(), TcpOption::Nop(), TcpOption::Timestamp(5, 6)};
  s.payload = "hello";
  std::vector<uint8_t> b = BuildSegment(s);
  PacketView v = ParsePacket(b);
  PacketRecord r;
  r.proto = v.ProtoName();
  r.flags = v.FlagString();
  r.sport = v.sport;
  r.dport = v.dport;
  r.seq = v.seq;
  r.ack = v.ack;
  r.payload_len = v.payload_len;
  FillRecordHeaders(b, v, &r);
  r.fault = 1;
  r.action = "drop";
  DumpContext cx;
  cx.fault = 1;
  cx.action = "drop";
  EXPECT_EQ(PacketRecordLine(r), DumpPacket(b, v, cx));
  EXPECT_EQ(PacketRecordLine(r),
            "198.18.1.2:40000 > 198.18.2.2:8080 tcp P. seq 1001 ack 5001 win 502 "
            "<nop,nop,TS val 5 ecr 6> len 5 [fault 1: drop]");
  // A fragment's record, filled from its view as the wire does.
  const std::vector<uint8_t> fb = Fragment();
  const PacketView fv = ParsePacket(fb);
  PacketRecord frag;
  frag.from = "client";
  frag.to = "server";
  frag.proto = fv.ProtoName();
  frag.payload_len = fv.payload_len;
  FillRecordHeaders(fb, fv, &frag);
  EXPECT_TRUE(frag.fragment);
  EXPECT_EQ(PacketRecordLine(frag),
            DumpPacket(Fragment(), ParsePacket(Fragment()),
                       {.name = NameOf, .rel_seq = {}, .rel_ack = {}, .fault = 0, .action = ""}));
  r.from = "client";
  r.has_rel = true;
  r.rel_seq = 1;
  r.rel_ack = 1;
  EXPECT_EQ(PacketRecordLine(r),
            "client:40000 > 198.18.2.2:8080 tcp P. seq 1 ack 1 win 502 <nop,nop,TS val 5 ecr 6> "
            "len 5 [fault 1: drop]");
}

}  // namespace
}  // namespace faultline
