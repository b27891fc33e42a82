// Golden bytes of every packet kind a scripted host crafts, read back by an
// independent parser: libpcap's BPF compiler and interpreter (filters on a
// DLT_RAW "capture"; its tcp[]/udp[] index IPv4 only, so IPv6 filters use
// ip6[40 + offset]), and checksums summed here from scratch.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include "harness/packet/checksum.h"
#include "harness/packet/script_packet.h"

namespace faultline {
namespace {

IntRange R(int64_t v) { return {v, v}; }

ScriptConn Conn(bool v6) {
  ScriptConn c;
  c.local_host = "peer";
  c.remote_host = "server";
  EXPECT_TRUE(IpAddr::Parse(v6 ? "2001:2:0:1::2" : "198.18.1.2", &c.local));
  EXPECT_TRUE(IpAddr::Parse(v6 ? "2001:2:0:2::2" : "198.18.2.2", &c.remote));
  c.local_port = 40000;
  c.remote_port = 8080;
  c.local_isn = 1000;
  c.local_nxt = 1000;
  // As if the stack's SYN (ISN 5000) had come: quoted by ICMP errors.
  c.remote_isn_known = true;
  c.remote_isn = 5000;
  c.remote_nxt = 5001;
  c.remote_ts_known = true;
  c.remote_first_ts = c.remote_last_ts = 777;
  c.last_remote_packet = {0x45, 0, 0,   40, 0, 0, 0x40, 0,    64,   6,    0, 0, 198,  18,
                          2,    2, 198, 18, 1, 2, 0x1f, 0x90, 0x9c, 0x40, 0, 0, 0x13, 0x88};
  if (v6) {
    c.last_remote_packet = std::vector<uint8_t>(48, 0);
    c.last_remote_packet[0] = 0x60;
    c.last_remote_packet[6] = 6;
  }
  return c;
}

OptionSpec Opt(uint8_t kind, std::optional<int64_t> value = std::nullopt) {
  OptionSpec o;
  o.kind = kind;
  o.value = value;
  return o;
}

PacketFields Tcp(uint8_t flags) {
  PacketFields f;
  f.flags = flags;
  return f;
}

PacketFields Icmp(const char* type, std::optional<int64_t> code, std::optional<int64_t> mtu) {
  PacketFields f;
  f.icmp = IcmpSpec{};
  f.icmp->type = type;
  f.icmp->code = code;
  f.icmp->mtu = mtu;
  return f;
}

struct Golden {
  const char* name;
  bool v6;
  PacketFields fields;
  const char* holds;     // a BPF filter the packet must pass
  const char* must_not;  // a filter that differs in one value: must fail
};

std::vector<Golden> Cases() {
  std::vector<Golden> g;
  PacketFields syn = Tcp(kTcpSyn);
  syn.seq = R(0);
  syn.options = {Opt(kTcpOptMss, 1460), Opt(kTcpOptSackPermitted), Opt(kTcpOptTimestamp),
                 Opt(kTcpOptNop), Opt(kTcpOptWindowScale, 7)};
  (*syn.options)[2].ts_val = R(100);
  (*syn.options)[2].ts_ecr = R(0);
  g.push_back({"syn", false, syn,
               "tcp[tcpflags] == tcp-syn and tcp[14:2] = 65535 and ip[8] = 64 and "
               "ip[6] & 0x40 != 0 and src host 198.18.1.2 and dst host 198.18.2.2 and "
               "src port 40000 and dst port 8080 and tcp[4:4] = 1000 and tcp[12] = 0xa0 and "
               "tcp[20] = 2 and tcp[21] = 4 and tcp[22:2] = 1460 and tcp[24:2] = 0x0402 and "
               "tcp[26:2] = 0x080a and tcp[28:4] = 100 and tcp[32:4] = 0 and tcp[36] = 1 and "
               "tcp[37:2] = 0x0303 and tcp[39] = 7 and ip[2:2] = 60",
               "tcp[22:2] = 1400"});
  g.push_back({"syn-ack v6", true, Tcp(kTcpSyn | kTcpAck),
               "ip6 and ip6[6] = 6 and ip6[7] = 64 and ip6[53] = 0x12 and ip6[44:4] = 1000 and "
               "ip6[48:4] = 5001 and ip6[4:2] = 20 and src host 2001:2:0:1::2 and tcp port 8080",
               "ip6 and ip6[53] = 0x02"});
  PacketFields data = Tcp(kTcpPsh | kTcpAck);
  data.data = "hello";
  data.seq = R(1);
  data.ack = R(1);
  g.push_back({"data", false, data,
               "tcp[13] = 0x18 and tcp[4:4] = 1001 and tcp[8:4] = 5001 and ip[2:2] = 45 and "
               "tcp[20:4] = 0x68656c6c and tcp[24] = 0x6f",
               "tcp[24] = 0x21"});
  g.push_back({"data v6", true, data, "ip6 and ip6[4:2] = 25 and ip6[60:4] = 0x68656c6c",
               "ip6 and ip6[4:2] = 24"});
  g.push_back({"fin", false, Tcp(kTcpFin | kTcpAck),
               "tcp[tcpflags] & tcp-fin != 0 and tcp[13] = 0x11", "tcp[13] = 0x01"});
  g.push_back({"rst", false, Tcp(kTcpRst), "tcp[13] = 0x04 and tcp[8:4] = 0", "tcp[13] = 0x14"});
  g.push_back(
      {"ece cwr", false, Tcp(kTcpSyn | kTcpEce | kTcpCwr), "tcp[13] = 0xc2", "tcp[13] = 0x02"});
  PacketFields sack = Tcp(kTcpAck);
  sack.options = {Opt(kTcpOptNop), Opt(kTcpOptNop), Opt(kTcpOptSack)};
  (*sack.options)[2].sack = {{1, 101}, {201, 301}};
  g.push_back({"sack", false, sack,
               "tcp[12] = 0xa0 and tcp[20:2] = 0x0101 and tcp[22] = 5 and tcp[23] = 18 and "
               "tcp[24:4] = 5001 and tcp[28:4] = 5101 and tcp[32:4] = 5201 and tcp[36:4] = 5301",
               "tcp[24:4] = 1"});
  PacketFields tfo = Tcp(kTcpSyn);
  tfo.options = {Opt(kTcpOptFastOpen), Opt(253), Opt(kTcpOptFastOpen)};
  (*tfo.options)[0].bytes = std::string("\x01\x02\x03\x04", 4);
  (*tfo.options)[1].bytes = std::string("\xbe\xef", 2);
  (*tfo.options)[2].bytes = "";  // a cookie request
  g.push_back({"tfo and unknown", false, tfo,
               "tcp[20] = 34 and tcp[21] = 6 and tcp[22:4] = 0x01020304 and tcp[26] = 253 and "
               "tcp[27] = 4 and tcp[28:2] = 0xbeef and tcp[30] = 34 and tcp[31] = 2",
               "tcp[26] = 254"});
  PacketFields ts = Tcp(kTcpAck);
  ts.options = {Opt(kTcpOptNop), Opt(kTcpOptNop), Opt(kTcpOptTimestamp)};
  (*ts.options)[2].ts_val = R(110);
  (*ts.options)[2].ts_ecr_echo = true;
  g.push_back({"ts echo", false, ts, "tcp[22:2] = 0x080a and tcp[24:4] = 110 and tcp[28:4] = 777",
               "tcp[28:4] = 0"});
  PacketFields udp;
  udp.proto = PacketFields::L4::kUdp;
  udp.data = "hi!";
  g.push_back({"udp", false, udp,
               "udp and src port 40000 and dst port 8080 and udp[4:2] = 11 and udp[8:2] = 0x6869",
               "tcp"});
  g.push_back({"udp v6", true, udp, "ip6 and udp and ip6[44:2] = 11 and ip6[50] = 0x21", "icmp6"});
  PacketFields ipf = Tcp(kTcpAck);
  ipf.ttl = R(3);
  ipf.dscp = R(46);
  ipf.ecn = R(1);
  ipf.df = false;
  ipf.ip_id = R(0x1234);
  g.push_back({"ip fields", false, ipf,
               "ip[8] = 3 and ip[1] = 0xb9 and ip[6] & 0x40 = 0 and ip[4:2] = 0x1234",
               "ip[1] = 0xb8"});
  PacketFields ip6f = Tcp(kTcpAck);
  ip6f.ttl = R(7);
  ip6f.dscp = R(10);
  ip6f.ecn = R(2);
  g.push_back({"ip6 fields", true, ip6f, "ip6 and ip6[7] = 7 and ip6[0:2] & 0xfff0 = 0x62a0",
               "ip6 and ip6[7] = 64"});
  g.push_back({"frag-needed", false, Icmp("unreachable", 4, 1400),
               "icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 4 and icmp[6:2] = 1400 and "
               "icmp[8] = 0x45 and icmp[17] = 6 and icmp[28:2] = 8080 and icmp[32:4] = 5000 and "
               "src host 198.18.1.2",
               "icmp[6:2] = 1500"});
  g.push_back({"packet-too-big as v4", false, Icmp("packet-too-big", std::nullopt, 1400),
               "icmp[0] = 3 and icmp[1] = 4 and icmp[6:2] = 1400", "icmp[1] = 3"});
  g.push_back({"packet-too-big", true, Icmp("packet-too-big", std::nullopt, 1280),
               "icmp6 and ip6[40] = 2 and ip6[44:4] = 1280 and ip6[48] & 0xf0 = 0x60 and "
               "ip6[54] = 6",
               "icmp6 and ip6[44:4] = 1500"});
  g.push_back({"port unreachable", false, Icmp("unreachable", 3, std::nullopt),
               "icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 3", "icmp[icmpcode] = 1"});
  g.push_back({"port unreachable v6", true, Icmp("unreachable", 3, std::nullopt),
               "icmp6 and ip6[40] = 1 and ip6[41] = 4", "icmp6 and ip6[41] = 3"});
  g.push_back({"time exceeded", false, Icmp("time-exceeded", 0, std::nullopt),
               "icmp[icmptype] = icmp-timxceed and icmp[icmpcode] = 0", "icmp[icmptype] = 3"});
  g.push_back({"time exceeded v6", true, Icmp("time-exceeded", 0, std::nullopt),
               "icmp6 and ip6[40] = 3 and ip6[41] = 0", "icmp6 and ip6[40] = 1"});
  g.push_back({"parameter problem", false, Icmp("parameter-problem", 0, std::nullopt),
               "icmp[icmptype] = icmp-paramprob", "icmp[icmptype] = 11"});
  g.push_back({"parameter problem v6", true, Icmp("parameter-problem", 0, std::nullopt),
               "icmp6 and ip6[40] = 4", "icmp6 and ip6[40] = 3"});
  PacketFields echo = Icmp("echo-request", std::nullopt, std::nullopt);
  echo.data = "ping";
  g.push_back({"echo", false, echo,
               "icmp[icmptype] = icmp-echo and icmp[4:2] = 40000 and icmp[8:4] = 0x70696e67",
               "icmp[icmptype] = icmp-echoreply"});
  PacketFields reply = Icmp("echo-reply", std::nullopt, std::nullopt);
  g.push_back({"echo reply v6", true, reply, "icmp6 and ip6[40] = 129", "icmp6 and ip6[40] = 128"});
  return g;
}

// libpcap's verdict on `bytes` for `filter` (compiled for raw IP).
bool Bpf(const std::vector<uint8_t>& bytes, const char* filter) {
  pcap_t* p = pcap_open_dead(DLT_RAW, 65535);
  EXPECT_NE(p, nullptr);
  bpf_program prog{};
  const int rc = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
  EXPECT_EQ(rc, 0) << filter << ": " << pcap_geterr(p);
  bool match = false;
  if (rc == 0) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<uint32_t>(bytes.size());
    match = pcap_offline_filter(&prog, &h, bytes.data()) != 0;
    pcap_freecode(&prog);
  }
  pcap_close(p);
  return match;
}

// RFC 1071, written here again: the sum of 16-bit big-endian words.
uint32_t Sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 == 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
uint16_t Fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Whether the IP header (v4) and the transport sum (over its pseudo-header,
// none for ICMPv4) fold to 0xffff.
bool SumsHold(const std::vector<uint8_t>& b) {
  const bool v6 = b[0] >> 4 == 6;
  const size_t iph = v6 ? 40 : 20;
  const uint8_t proto = v6 ? b[6] : b[9];
  const size_t len = b.size() - iph;
  if (!v6 && Fold(Sum(b.data(), 20)) != 0xffff) return false;
  uint32_t pseudo = 0;
  if (v6 || proto != 1) {
    pseudo = v6 ? Sum(b.data() + 8, 32) : Sum(b.data() + 12, 8);
    pseudo += proto + static_cast<uint32_t>(len);
  }
  return Fold(Sum(b.data() + iph, len, pseudo)) == 0xffff;
}

TEST(CraftedPacketsGolden, LibpcapReadsBackEveryKind) {
  for (const Golden& g : Cases()) {
    SCOPED_TRACE(g.name);
    ScriptConn c = Conn(g.v6);
    StatusOr<std::vector<uint8_t>> b = BuildScripted(g.fields, c);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_TRUE(Bpf(*b, g.holds)) << g.holds;
    EXPECT_FALSE(Bpf(*b, g.must_not)) << g.must_not;
    EXPECT_FALSE(Bpf(*b, g.v6 ? "ip" : "ip6"));
    EXPECT_TRUE(VerifyChecksums(*b).ok());
    EXPECT_TRUE(SumsHold(*b));
  }
}

TEST(CraftedPacketsGolden, AFlippedByteBreaksTheIndependentSum) {
  ScriptConn c = Conn(false);
  StatusOr<std::vector<uint8_t>> b = BuildScripted(Tcp(kTcpAck), c);
  ASSERT_TRUE(b.ok());
  (*b)[30] ^= 0x10;  // the TCP ack number
  EXPECT_FALSE(SumsHold(*b));
  EXPECT_FALSE(VerifyChecksums(*b).ok());
}

}  // namespace
}  // namespace faultline
