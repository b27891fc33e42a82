// The load-time name lists: what counts as a misspelling and what passes.
#include "harness/loader/known_names.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(KnownNamesTest, ListedSysctlsPass) {
  EXPECT_EQ(MisspeltSysctl("net.ipv4.tcp_syn_retries"), "");
  EXPECT_EQ(MisspeltSysctl("net.core.somaxconn"), "");
  EXPECT_EQ(MisspeltSysctl("net.ipv4.conf.all.rp_filter"), "");
  EXPECT_EQ(MisspeltSysctl("net.ipv6.conf.eth0.disable_ipv6"), "");
  EXPECT_EQ(MisspeltSysctl("net.ipv6.neigh.eth0.base_reachable_time_ms"), "");
}

TEST(KnownNamesTest, MisspeltSysctlsGetTheListedName) {
  EXPECT_EQ(MisspeltSysctl("net.ipv4.tcp_syn_retrie"), "net.ipv4.tcp_syn_retries");
  EXPECT_EQ(MisspeltSysctl("net.ipv4.tcp_sak"), "net.ipv4.tcp_sack");
  EXPECT_EQ(MisspeltSysctl("net.ipv6.conf.eth0.acept_ra"), "net.ipv6.conf.eth0.accept_ra");
}

TEST(KnownNamesTest, NamesFarFromTheListAreLeftToTheKernel) {
  // A kernel newer than the list may have them; the lab's /proc/sys decides.
  EXPECT_EQ(MisspeltSysctl("net.ipv4.tcp_some_future_knob"), "");
  EXPECT_EQ(MisspeltCounter("TCPSomeFutureCounter"), "");
  EXPECT_EQ(MisspeltCounter("X"), "");  // two edits from "TW", but that is all of it
}

TEST(KnownNamesTest, Counters) {
  EXPECT_EQ(MisspeltCounter("ListenOverflows"), "");
  EXPECT_EQ(MisspeltCounter("TcpExt.ListenOverflows"), "");
  EXPECT_EQ(MisspeltCounter("Udp.InErrors"), "");
  EXPECT_EQ(MisspeltCounter("Udp6NoPorts"), "");
  EXPECT_EQ(MisspeltCounter("IcmpMsg.InType3"), "");
  EXPECT_EQ(MisspeltCounter("OutType0"), "");
  EXPECT_EQ(MisspeltCounter("Icmp6InType133"), "");
  EXPECT_EQ(MisspeltCounter("ListenOverflow"), "ListenOverflows");
  EXPECT_EQ(MisspeltCounter("Tcpext.ListenOverflows"), "TcpExt.ListenOverflows");
  EXPECT_EQ(MisspeltCounter("Udp.NoPort"), "Udp.NoPorts");
}

}  // namespace
}  // namespace faultline
