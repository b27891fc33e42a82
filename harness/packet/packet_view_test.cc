#include "harness/packet/packet_view.h"

#include "harness/packet/golden_packets_test.h"
#include "harness/packet/packet_craft.h"

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <vector>

namespace faultline {
namespace {

using golden::kV4Syn;
using golden::kV6HbhUdp;

// IPv4 ICMP echo request 198.18.2.2 -> 198.18.1.2 with 4 bytes of data.
const std::vector<uint8_t> kV4Icmp = {
    0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0xc6, 0x12, 0x02, 0x02,
    0xc6, 0x12, 0x01, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};

// IPv6 TCP ACK with 2 bytes of payload, through a destination-options header
// (8 bytes) and a routing header (16 bytes, hdr ext len 1).
std::vector<uint8_t> V6TcpThroughTwoExtHeaders() {
  std::vector<uint8_t> b = {0x60, 0, 0, 0, 0, 0, 60, 64};  // next: dest opts
  for (int i = 0; i < 16; ++i) b.push_back(i == 15 ? 1 : (i == 0 ? 0x20 : 0));
  for (int i = 0; i < 16; ++i) b.push_back(i == 15 ? 2 : (i == 0 ? 0x20 : 0));
  std::vector<uint8_t> dst_opts = {43, 0, 1, 4, 0, 0, 0, 0};                        // next: routing
  std::vector<uint8_t> routing = {6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // next: TCP
  std::vector<uint8_t> tcp = {0x30, 0x39, 0x00, 0x50, 0,    0, 0x10, 0, 0, 0,   0x20,
                              0,    0x50, 0x18, 0xff, 0xff, 0, 0,    0, 0, 'o', 'k'};
  b.insert(b.end(), dst_opts.begin(), dst_opts.end());
  b.insert(b.end(), routing.begin(), routing.end());
  b.insert(b.end(), tcp.begin(), tcp.end());
  const size_t plen = b.size() - 40;
  b[4] = static_cast<uint8_t>(plen >> 8);
  b[5] = static_cast<uint8_t>(plen);
  return b;
}

TEST(ParsePacket, Ipv4TcpSynWithOptions) {
  PacketView v = ParsePacket(kV4Syn);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_FALSE(v.v6);
  EXPECT_EQ(v.src.ToString(), "198.18.1.2");
  EXPECT_EQ(v.dst.ToString(), "198.18.2.2");
  EXPECT_EQ(v.ip_len, 60u);
  EXPECT_TRUE(v.is_tcp());
  EXPECT_STREQ(v.ProtoName(), "tcp");
  EXPECT_EQ(v.sport, 40000);
  EXPECT_EQ(v.dport, 8080);
  EXPECT_EQ(v.seq, 0x01020304u);
  EXPECT_EQ(v.ack, 0u);
  EXPECT_EQ(v.window, 64240);
  EXPECT_EQ(v.tcp_flags, kTcpSyn);
  EXPECT_EQ(v.FlagString(), "S");
  EXPECT_EQ(v.l4_offset, 20u);
  EXPECT_EQ(v.payload_offset, 60u);  // 40-byte TCP header with options
  EXPECT_EQ(v.payload_len, 0u);
}

TEST(ParsePacket, Ipv6HopByHopUdp) {
  PacketView v = ParsePacket(kV6HbhUdp);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.v6);
  EXPECT_EQ(v.src.ToString(), "2001:2:0:1::2");
  EXPECT_EQ(v.dst.ToString(), "2001:2:0:2::2");
  EXPECT_TRUE(v.is_udp());
  EXPECT_EQ(v.l4_offset, 48u);
  EXPECT_EQ(v.sport, 5000);
  EXPECT_EQ(v.dport, 9000);
  EXPECT_EQ(v.payload_len, 3u);
  EXPECT_EQ(std::string(kV6HbhUdp.begin() + static_cast<long>(v.payload_offset), kV6HbhUdp.end()),
            "hi!");
  EXPECT_EQ(v.FlagString(), "");
}

TEST(ParsePacket, Ipv6TcpThroughTwoExtensionHeaders) {
  const std::vector<uint8_t> b = V6TcpThroughTwoExtHeaders();
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.is_tcp());
  EXPECT_EQ(v.l4_offset, 64u);
  EXPECT_EQ(v.sport, 12345);
  EXPECT_EQ(v.dport, 80);
  EXPECT_EQ(v.seq, 0x1000u);
  EXPECT_EQ(v.ack, 0x2000u);
  EXPECT_EQ(v.FlagString(), "P.");
  EXPECT_EQ(v.payload_len, 2u);
}

TEST(ParsePacket, Icmp) {
  PacketView v = ParsePacket(kV4Icmp);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.is_icmp());
  EXPECT_STREQ(v.ProtoName(), "icmp");
  EXPECT_EQ(v.payload_len, 8u - 4u + 4u);  // rest of echo header + data
}

TEST(ParsePacket, Icmpv6) {
  std::vector<uint8_t> b(40, 0);
  b[0] = 0x60;
  b[5] = 8;
  b[6] = 58;
  for (uint8_t x : {128, 0, 0, 0, 0, 1, 0, 1}) b.push_back(x);
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_STREQ(v.ProtoName(), "icmpv6");
  EXPECT_TRUE(v.is_icmp());
}

TEST(ParsePacket, TcpFlagStrings) {
  std::vector<uint8_t> b = kV4Syn;
  auto flags = [&](uint8_t f) {
    b[33] = f;
    return ParsePacket(b).FlagString();
  };
  EXPECT_EQ(flags(kTcpSyn | kTcpAck), "S.");
  EXPECT_EQ(flags(kTcpAck), ".");
  EXPECT_EQ(flags(kTcpFin | kTcpAck), "F.");
  EXPECT_EQ(flags(kTcpPsh | kTcpAck), "P.");
  EXPECT_EQ(flags(kTcpRst), "R");
  EXPECT_EQ(flags(kTcpRst | kTcpAck), "R.");
  EXPECT_EQ(flags(kTcpFin | kTcpPsh | kTcpAck), "FP.");
  EXPECT_EQ(flags(0), "none");
}

// Every prefix shorter than the packet must be refused (the IP length says
// more bytes are due), and parsing never reads out of bounds (ASan build).
TEST(ParsePacket, EveryTruncationIsRefused) {
  for (const std::vector<uint8_t>& pkt :
       {kV4Syn, kV6HbhUdp, kV4Icmp, V6TcpThroughTwoExtHeaders()}) {
    for (size_t n = 0; n < pkt.size(); ++n) {
      std::vector<uint8_t> prefix(pkt.begin(), pkt.begin() + static_cast<long>(n));
      PacketView v = ParsePacket(prefix);
      EXPECT_FALSE(v.ok) << "prefix " << n << " of " << pkt.size();
      EXPECT_FALSE(v.error.empty());
    }
  }
}

// A captured prefix (the wire's headers-only queue: NFQUEUE copies the first
// bytes and says the packet's length in NFQA_CAP_LEN): every header parses,
// the lengths are the packet's, `partial` says the payload is cut.
TEST(ParsePacket, ACapturedPrefixParsesWithThePacketsLengths) {
  SegmentSpec s;
  ASSERT_TRUE(IpAddr::Parse("198.18.1.2", &s.src));
  ASSERT_TRUE(IpAddr::Parse("198.18.2.2", &s.dst));
  s.sport = 40000;
  s.dport = 8080;
  s.seq = 1000;
  s.ack = 2000;
  s.flags = kTcpAck | kTcpPsh;
  s.options = {TcpOption::Timestamp(1, 2)};
  s.payload = std::string(1400, 'x');
  const std::vector<uint8_t> whole = BuildSegment(s);
  const std::span<const uint8_t> prefix = std::span<const uint8_t>(whole).first(256);
  const PacketView w = ParsePacket(whole);
  const PacketView v = ParsePacket(prefix, whole.size());
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_TRUE(v.partial);
  EXPECT_FALSE(w.partial);
  EXPECT_EQ(v.ip_len, w.ip_len);
  EXPECT_EQ(v.payload_len, 1400u);
  EXPECT_EQ(v.payload_offset, w.payload_offset);
  EXPECT_EQ(v.seq, 1000u);
  EXPECT_EQ(v.FlagString(), "P.");
  EXPECT_EQ(v.TcpOptions(prefix).options.size(), w.TcpOptions(whole).options.size());
  // Without the length the prefix is a truncated packet, as before.
  EXPECT_FALSE(ParsePacket(prefix).ok);
  // A length equal to the bytes is the whole packet.
  const PacketView same = ParsePacket(whole, whole.size());
  EXPECT_TRUE(same.ok);
  EXPECT_FALSE(same.partial);
  // The length must still agree with the IP header.
  EXPECT_EQ(ParsePacket(prefix, whole.size() - 1).error,
            fmt::format("bad IPv4 total length {} (header 20, {} bytes)", whole.size(),
                        whole.size() - 1));
}

TEST(ParsePacket, APrefixMustHoldTheHeaders) {
  SegmentSpec s;
  ASSERT_TRUE(IpAddr::Parse("2001:2:0:1::2", &s.src));
  ASSERT_TRUE(IpAddr::Parse("2001:2:0:2::2", &s.dst));
  s.flags = kTcpAck;
  s.tcp_options = std::vector<uint8_t>(40, 1);  // NOPs: a 60-byte TCP header
  s.payload = "data";
  const std::vector<uint8_t> whole = BuildSegment(s);
  ASSERT_EQ(whole.size(), 104u);
  const PacketView v = ParsePacket(std::span<const uint8_t>(whole).first(100), whole.size());
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.payload_len, 4u);
  EXPECT_EQ(ParsePacket(std::span<const uint8_t>(whole).first(99), whole.size()).error,
            "TCP header not captured (59 of 60 bytes)");
  EXPECT_EQ(ParsePacket(std::span<const uint8_t>(whole).first(50), whole.size()).error,
            "TCP header not captured (10 of 20 bytes)");
}

// Golden heads of ICMP errors (the first bytes of a 576- and a 1280-byte
// packet): the error and its quote parse from the prefix.
TEST(ParsePacket, CapturedIcmpErrorHeadsParseWithTheirQuote) {
  const PacketView v4 = ParsePacket(golden::kV4FragNeededHead, golden::kV4FragNeededSize);
  ASSERT_TRUE(v4.ok) << v4.error;
  EXPECT_TRUE(v4.partial);
  EXPECT_EQ(v4.ip_len, golden::kV4FragNeededSize);
  EXPECT_EQ(v4.icmp_mtu, 1400u);
  const PacketView q4 = ParseIcmpQuote(golden::kV4FragNeededHead, v4);
  ASSERT_TRUE(q4.ok) << q4.error;
  EXPECT_EQ(q4.sport, 40000);
  const PacketView v6 = ParsePacket(golden::kV6PacketTooBigHead, golden::kV6PacketTooBigSize);
  ASSERT_TRUE(v6.ok) << v6.error;
  EXPECT_EQ(v6.ip_len, golden::kV6PacketTooBigSize);
  EXPECT_EQ(v6.icmp_mtu, 1280u);
  const PacketView q6 = ParseIcmpQuote(golden::kV6PacketTooBigHead, v6);
  ASSERT_TRUE(q6.ok) << q6.error;
  EXPECT_EQ(q6.dport, 8080);
}

// Headers claiming a shorter packet than the bytes: the header wins and the
// trailing bytes (link padding) are ignored.
TEST(ParsePacket, TrailingPaddingIsIgnored) {
  std::vector<uint8_t> b = kV4Syn;
  b.insert(b.end(), 6, 0);
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.ip_len, 60u);
  EXPECT_EQ(v.payload_len, 0u);
}

TEST(ParsePacket, MalformedHeadersAreRefusedWithAReason) {
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    const char* error_has;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, "empty"});
  cases.push_back({"version 5", {0x55, 0, 0, 20}, "unknown IP version 5"});
  {
    auto b = kV4Syn;
    b[0] = 0x44;  // IHL 16 bytes < 20
    cases.push_back({"ihl too small", b, "bad IPv4 header length"});
  }
  {
    auto b = kV4Syn;
    b[0] =
        0x4f;  // IHL 60 > TCP start, still within: total < ihl? total 60 == ihl 60 -> no TCP room
    cases.push_back({"ihl eats packet", b, "truncated TCP header"});
  }
  {
    auto b = kV4Syn;
    b[3] = 10;  // total length < header
    cases.push_back({"total < ihl", b, "bad IPv4 total length"});
  }
  {
    auto b = kV4Syn;
    b[32] = 0x40;  // data offset 16 < 20
    cases.push_back({"tcp doff small", b, "bad TCP data offset 16"});
  }
  {
    auto b = kV4Syn;
    b[32] = 0xf0;  // data offset 60 > 40 available
    cases.push_back({"tcp doff large", b, "bad TCP data offset 60"});
  }
  {
    auto b = kV6HbhUdp;
    b[41] = 10;  // hop-by-hop length 88 bytes: overruns
    cases.push_back({"ext overrun", b, "overruns the packet"});
  }
  {
    auto b = kV6HbhUdp;
    b[52] = 0;
    b[53] = 4;  // UDP length 4 < 8
    cases.push_back({"udp len small", b, "bad UDP length 4"});
  }
  {
    auto b = kV6HbhUdp;
    b[53] = 200;
    cases.push_back({"udp len large", b, "bad UDP length 200"});
  }
  {
    auto b = kV6HbhUdp;
    b[5] = 200;  // payload length beyond the bytes
    cases.push_back({"v6 plen", b, "bad IPv6 payload length"});
  }
  for (const Case& c : cases) {
    PacketView v = ParsePacket(c.bytes);
    EXPECT_FALSE(v.ok) << c.what;
    EXPECT_NE(v.error.find(c.error_has), std::string::npos) << c.what << ": " << v.error;
  }
}

TEST(ParsePacket, NonFirstFragmentHasNoTransportHeader) {
  std::vector<uint8_t> b = kV4Syn;
  b[6] = 0x00;
  b[7] = 0x10;  // fragment offset 16 * 8
  PacketView v = ParsePacket(b);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.is_fragment);
  EXPECT_EQ(v.sport, 0);
  EXPECT_EQ(v.FlagString(), "");  // no TCP header in this fragment
}

TEST(ParsePacket, AnExtensionHeaderLoopCannotRunAway) {
  // 100 chained destination-options headers; the last is truncated.
  std::vector<uint8_t> b(40, 0);
  b[0] = 0x60;
  b[6] = 60;
  for (int i = 0; i < 100; ++i) {
    for (uint8_t x : {60, 0, 1, 4, 0, 0, 0, 0}) b.push_back(x);
  }
  const size_t plen = b.size() - 40;
  b[4] = static_cast<uint8_t>(plen >> 8);
  b[5] = static_cast<uint8_t>(plen);
  PacketView v = ParsePacket(b);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.error.find("truncated IPv6 extension header"), std::string::npos) << v.error;
}

TEST(IpAddr, ParsesBothFamilies) {
  IpAddr a, b;
  ASSERT_TRUE(IpAddr::Parse("198.18.1.2", &a));
  EXPECT_FALSE(a.v6);
  ASSERT_TRUE(IpAddr::Parse("2001:2:0:1::2", &b));
  EXPECT_TRUE(b.v6);
  EXPECT_NE(a, b);
  EXPECT_EQ(b.ToString(), "2001:2:0:1::2");
  EXPECT_FALSE(IpAddr::Parse("198.18.1", &a));
  EXPECT_FALSE(IpAddr::Parse("", &a));
}

}  // namespace
}  // namespace faultline
