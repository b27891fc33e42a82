#include "harness/observe/proc_counters.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace faultline {
namespace {

const char* kNetstat =
    "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPTimeouts\n"
    "TcpExt: 0 0 3 4 17\n"
    "IpExt: InNoRoutes InTruncatedPkts\n"
    "IpExt: 0 0\n";
const char* kSnmp =
    "Ip: Forwarding DefaultTTL InReceives\n"
    "Ip: 2 64 100\n"
    "Icmp: InMsgs InErrors\n"
    "Icmp: 1 0\n"
    "Tcp: RtoAlgorithm MaxConn RetransSegs InErrs\n"
    "Tcp: 1 -1 9 0\n"
    "Udp: InDatagrams InErrors\n"
    "Udp: 5 2\n";
const char* kSnmp6 =
    "Ip6InReceives                   	42\n"
    "Ip6InHdrErrors                  	0\n";

TEST(ProcCounters, ParsesGroupedAndFlat) {
  Counters c;
  ASSERT_TRUE(ParseGroupedCounters(kNetstat, &c).ok());
  ASSERT_TRUE(ParseGroupedCounters(kSnmp, &c).ok());
  ASSERT_TRUE(ParseFlatCounters(kSnmp6, &c).ok());
  EXPECT_EQ(c.at("TcpExt.ListenOverflows"), 3);
  EXPECT_EQ(c.at("TcpExt.TCPTimeouts"), 17);
  EXPECT_EQ(c.at("Tcp.MaxConn"), -1);
  EXPECT_EQ(c.at("Tcp.RetransSegs"), 9);
  EXPECT_EQ(c.at("Udp.InErrors"), 2);
  EXPECT_EQ(c.at("Ip6InReceives"), 42);
}

TEST(ProcCounters, ResolvesPlainQualifiedAmbiguousAndUnknown) {
  Counters c;
  ASSERT_TRUE(ParseGroupedCounters(kNetstat, &c).ok());
  ASSERT_TRUE(ParseGroupedCounters(kSnmp, &c).ok());
  ASSERT_TRUE(ParseFlatCounters(kSnmp6, &c).ok());
  EXPECT_EQ(ResolveCounter(c, "ListenOverflows").value(), "TcpExt.ListenOverflows");
  EXPECT_EQ(ResolveCounter(c, "Udp.InErrors").value(), "Udp.InErrors");
  EXPECT_EQ(ResolveCounter(c, "Ip6InReceives").value(), "Ip6InReceives");
  StatusOr<std::string> amb = ResolveCounter(c, "InErrors");
  ASSERT_FALSE(amb.ok());
  EXPECT_EQ(amb.status().message(),
            "counter 'InErrors' is in several groups (Icmp.InErrors, Udp.InErrors): write one of "
            "them");
  StatusOr<std::string> unk = ResolveCounter(c, "ListenOverflow");
  ASSERT_FALSE(unk.ok());
  EXPECT_EQ(unk.status().message(),
            "no counter 'ListenOverflow' in /proc/net/netstat, snmp or snmp6 on this kernel (did "
            "you mean 'ListenOverflows'?)");
}

TEST(ProcCounters, MalformedInputNamesTheLine) {
  Counters c;
  Status st = ParseGroupedCounters("TcpExt: A B\nTcpExt: 1\n", &c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "counters line 2: 2 names vs 1 values in group TcpExt:");
  st = ParseGroupedCounters("TcpExt: A\nIpExt: 1\n", &c);
  EXPECT_EQ(st.message(), "counters line 2: group 'TcpExt:' vs 'IpExt:'");
  st = ParseGroupedCounters("TcpExt: A\n", &c);
  EXPECT_EQ(st.message(), "counters line 1: a header line without values");
  st = ParseGroupedCounters("TcpExt: A\nTcpExt: x\n", &c);
  EXPECT_EQ(st.message(), "counters line 2: value 'x' of TcpExt.A is not an integer");
  st = ParseFlatCounters("Ip6InReceives\n", &c);
  EXPECT_EQ(st.message(), "counters line 1: expected 'Name value', not 'Ip6InReceives'");
}

TEST(ProcCounters, ReadsTheCallingNamespaceWhenRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "InNetns needs CAP_SYS_ADMIN";
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  StatusOr<Counters> c = ReadNetnsCounters(fd);
  close(fd);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->count("TcpExt.ListenOverflows"));
  EXPECT_TRUE(c->count("Tcp.RetransSegs"));
}

}  // namespace
}  // namespace faultline
