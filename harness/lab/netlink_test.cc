#include "harness/lab/netlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <string.h>

#include <cerrno>
#include <map>
#include <string>

namespace faultline {
namespace {

// Attributes of one level, by type (the last one wins).
using Attrs = std::map<uint16_t, const nlattr*>;

int Collect(const nlattr* a, void* data) {
  (*static_cast<Attrs*>(data))[mnl_attr_get_type(a)] = a;
  return MNL_CB_OK;
}

Attrs Parse(const nlmsghdr* nlh, size_t header) {
  Attrs out;
  EXPECT_GE(mnl_attr_parse(nlh, static_cast<unsigned>(header), Collect, &out), 0);
  return out;
}

Attrs ParseNested(const nlattr* a) {
  Attrs out;
  EXPECT_GE(mnl_attr_parse_nested(a, Collect, &out), 0);
  return out;
}

TEST(NlBatch, MessagesAreLaidOutBackToBack) {
  NlBatch b;
  AddLinkUp(b, 1, "lo up");
  AddLinkUp(b, 7, "eth up");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.what(1), "eth up");
  const nlmsghdr* first = b.message(0);
  const nlmsghdr* second = b.message(1);
  EXPECT_EQ(reinterpret_cast<const char*>(second) - reinterpret_cast<const char*>(first),
            static_cast<long>(NLMSG_ALIGN(first->nlmsg_len)));
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(second));
  EXPECT_EQ(second->nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(second->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(ifi->ifi_index, 7);
  EXPECT_EQ(ifi->ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_UP));
}

TEST(AddVeth, BuildsPairWithPeerInItsNamespace) {
  NlBatch b;
  VethSpec v;
  v.name = "w-client";
  v.ifindex = 101;
  v.netns_fd = 5;
  v.peer_name = "eth0";
  v.peer_ifindex = 2;
  v.peer_netns_fd = 6;
  const unsigned char mac[6] = {2, 0x66, 0x6c, 0, 1, 1};
  const unsigned char peer_mac[6] = {2, 0x66, 0x6c, 0, 1, 2};
  v.mac = mac;
  v.peer_mac = peer_mac;
  v.mtu = 1400;
  AddVeth(b, v, "veth");
  ASSERT_EQ(b.size(), 1u);
  const nlmsghdr* nlh = b.message(0);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifi->ifi_index, 101);
  EXPECT_EQ(ifi->ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));

  Attrs top = Parse(nlh, sizeof(ifinfomsg));
  ASSERT_TRUE(top.count(IFLA_IFNAME) && top.count(IFLA_MTU) && top.count(IFLA_NET_NS_FD) &&
              top.count(IFLA_LINKINFO));
  EXPECT_STREQ(mnl_attr_get_str(top[IFLA_IFNAME]), "w-client");
  EXPECT_EQ(mnl_attr_get_u32(top[IFLA_MTU]), 1400u);
  EXPECT_EQ(mnl_attr_get_u32(top[IFLA_NET_NS_FD]), 5u);
  ASSERT_TRUE(top.count(IFLA_NUM_TX_QUEUES) && top.count(IFLA_NUM_RX_QUEUES));
  EXPECT_EQ(mnl_attr_get_u32(top[IFLA_NUM_TX_QUEUES]), 1u);
  EXPECT_EQ(mnl_attr_get_u32(top[IFLA_NUM_RX_QUEUES]), 1u);
  ASSERT_TRUE(top.count(IFLA_ADDRESS));
  ASSERT_EQ(mnl_attr_get_payload_len(top[IFLA_ADDRESS]), 6);
  EXPECT_EQ(memcmp(mnl_attr_get_payload(top[IFLA_ADDRESS]), mac, 6), 0);

  Attrs info = ParseNested(top[IFLA_LINKINFO]);
  ASSERT_TRUE(info.count(IFLA_INFO_KIND) && info.count(IFLA_INFO_DATA));
  EXPECT_STREQ(mnl_attr_get_str(info[IFLA_INFO_KIND]), "veth");
  Attrs data = ParseNested(info[IFLA_INFO_DATA]);
  ASSERT_TRUE(data.count(VETH_INFO_PEER));

  // The peer: an ifinfomsg, then attributes.
  const nlattr* peer = data[VETH_INFO_PEER];
  ASSERT_GE(mnl_attr_get_payload_len(peer), NLMSG_ALIGN(sizeof(ifinfomsg)));
  const auto* pifi = static_cast<const ifinfomsg*>(mnl_attr_get_payload(peer));
  EXPECT_EQ(pifi->ifi_index, 2);
  EXPECT_EQ(pifi->ifi_flags & IFF_UP, 0u) << "a peer created up is refused with ENOTCONN";
  Attrs pattrs;
  ASSERT_GE(
      mnl_attr_parse_payload(
          static_cast<const char*>(mnl_attr_get_payload(peer)) + NLMSG_ALIGN(sizeof(ifinfomsg)),
          mnl_attr_get_payload_len(peer) - NLMSG_ALIGN(sizeof(ifinfomsg)), Collect, &pattrs),
      0);
  ASSERT_TRUE(pattrs.count(IFLA_IFNAME) && pattrs.count(IFLA_MTU) && pattrs.count(IFLA_NET_NS_FD));
  EXPECT_STREQ(mnl_attr_get_str(pattrs[IFLA_IFNAME]), "eth0");
  EXPECT_EQ(mnl_attr_get_u32(pattrs[IFLA_MTU]), 1400u);
  EXPECT_EQ(mnl_attr_get_u32(pattrs[IFLA_NET_NS_FD]), 6u);
  ASSERT_TRUE(pattrs.count(IFLA_NUM_TX_QUEUES) && pattrs.count(IFLA_NUM_RX_QUEUES));
  EXPECT_EQ(mnl_attr_get_u32(pattrs[IFLA_NUM_TX_QUEUES]), 1u);
  ASSERT_TRUE(pattrs.count(IFLA_ADDRESS));
  EXPECT_EQ(memcmp(mnl_attr_get_payload(pattrs[IFLA_ADDRESS]), peer_mac, 6), 0);
}

TEST(AddNeighbor, PermanentEntry) {
  NlBatch b;
  const unsigned char mac[6] = {2, 0x66, 0x6c, 0, 1, 1};
  AddNeighbor(b, 2, "2001:2:0:1::1", mac, "neigh");
  ASSERT_EQ(b.size(), 1u);
  const nlmsghdr* nlh = b.message(0);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWNEIGH);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ndm->ndm_family, AF_INET6);
  EXPECT_EQ(ndm->ndm_ifindex, 2);
  EXPECT_EQ(ndm->ndm_state, NUD_PERMANENT);
  Attrs a = Parse(nlh, sizeof(ndmsg));
  ASSERT_TRUE(a.count(NDA_DST) && a.count(NDA_LLADDR));
  EXPECT_EQ(mnl_attr_get_payload_len(a[NDA_DST]), 16);
  EXPECT_EQ(memcmp(mnl_attr_get_payload(a[NDA_LLADDR]), mac, 6), 0);
}

TEST(AddAddress, IPv6WithNodad) {
  NlBatch b;
  AddAddress(b, 2, "2001:2:0:1::2", 64, true, "addr");
  ASSERT_EQ(b.size(), 1u);
  const nlmsghdr* nlh = b.message(0);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWADDR);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_INET6);
  EXPECT_EQ(ifa->ifa_prefixlen, 64);
  EXPECT_EQ(ifa->ifa_index, 2u);
  Attrs a = Parse(nlh, sizeof(ifaddrmsg));
  ASSERT_TRUE(a.count(IFA_LOCAL) && a.count(IFA_ADDRESS) && a.count(IFA_FLAGS));
  EXPECT_EQ(mnl_attr_get_u32(a[IFA_FLAGS]), static_cast<uint32_t>(IFA_F_NODAD));
  in6_addr want{};
  inet_pton(AF_INET6, "2001:2:0:1::2", &want);
  ASSERT_EQ(mnl_attr_get_payload_len(a[IFA_LOCAL]), 16);
  EXPECT_EQ(memcmp(mnl_attr_get_payload(a[IFA_LOCAL]), &want, 16), 0);
}

TEST(AddAddress, IPv4WithoutFlags) {
  NlBatch b;
  AddAddress(b, 2, "198.18.1.2", 24, false, "addr");
  const nlmsghdr* nlh = b.message(0);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_INET);
  EXPECT_EQ(ifa->ifa_prefixlen, 24);
  Attrs a = Parse(nlh, sizeof(ifaddrmsg));
  EXPECT_EQ(a.count(IFA_FLAGS), 0u);
  ASSERT_EQ(mnl_attr_get_payload_len(a[IFA_LOCAL]), 4);
  EXPECT_EQ(mnl_attr_get_u32(a[IFA_LOCAL]), htonl(0xC6120102));
}

TEST(AddRoute, ViaGatewayInMainTable) {
  NlBatch b;
  AddRoute(b, "198.18.0.0", 15, "198.18.1.1", 2, "route");
  const nlmsghdr* nlh = b.message(0);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWROUTE);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(rtm->rtm_family, AF_INET);
  EXPECT_EQ(rtm->rtm_dst_len, 15);
  EXPECT_EQ(rtm->rtm_table, RT_TABLE_MAIN);
  EXPECT_EQ(rtm->rtm_type, RTN_UNICAST);
  Attrs a = Parse(nlh, sizeof(rtmsg));
  EXPECT_EQ(mnl_attr_get_u32(a[RTA_DST]), htonl(0xC6120000));
  EXPECT_EQ(mnl_attr_get_u32(a[RTA_GATEWAY]), htonl(0xC6120101));
  EXPECT_EQ(mnl_attr_get_u32(a[RTA_OIF]), 2u);
}

// `mtu M advmss A`: RTA_METRICS nesting RTAX_MTU and RTAX_ADVMSS; none
// without metrics.
TEST(AddRoute, MetricsMtuAndAdvmss) {
  NlBatch b;
  AddRoute(b, "2001:2::", 48, "2001:2:0:1::1", 2, "route", RouteMetrics{1520, 1460});
  AddRoute(b, "198.18.0.0", 15, "198.18.1.1", 2, "plain");
  ASSERT_EQ(b.size(), 2u);
  Attrs a = Parse(b.message(0), sizeof(rtmsg));
  ASSERT_NE(a[RTA_METRICS], nullptr);
  std::map<int, uint32_t> m;
  for (const auto& [type, attr] : ParseNested(a[RTA_METRICS])) m[type] = mnl_attr_get_u32(attr);
  EXPECT_EQ(m, (std::map<int, uint32_t>{{RTAX_MTU, 1520}, {RTAX_ADVMSS, 1460}}));
  EXPECT_EQ(Parse(b.message(1), sizeof(rtmsg))[RTA_METRICS], nullptr);
}

TEST(Builders, BadArgumentsFailTheBatchBeforeSending) {
  NlBatch b;
  AddAddress(b, 2, "not-an-address", 24, false, "host 'x': add address");
  AddRoute(b, "198.18.0.0", 15, "2001:2::1", 2, "mixed families");
  EXPECT_EQ(b.size(), 0u);
  StatusOr<NlSocket> s = NlSocket::Open(false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Status st = s->Run(b);
  EXPECT_EQ(st.code(), StatusCode::kSystem);
  EXPECT_NE(st.message().find("host 'x': add address"), std::string::npos) << st.message();
}

// A read-only request the kernel refuses (no link has index 0x7ffffff0):
// the error names the operation and the errno. Safe in any namespace.
TEST(NlSocket, DecodesKernelError) {
  StatusOr<NlSocket> s = NlSocket::Open(false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  NlBatch b;
  nlmsghdr* nlh = b.Begin(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = 0x7ffffff0;
  b.End(nlh, "get link #2147483632");
  Status st = s->Run(b);
  EXPECT_EQ(st.code(), StatusCode::kSystem);
  EXPECT_EQ(st.message().rfind("get link #2147483632", 0), 0u) << st.message();
  EXPECT_NE(st.message().find(strerror(ENODEV)), std::string::npos) << st.message();
}

// More requests than one chunk: every one is sent and acknowledged (read-only
// requests, safe in any namespace). Each also gets a full link message back.
TEST(NlSocket, RunsBatchesLargerThanOneChunk) {
  StatusOr<NlSocket> s = NlSocket::Open(false);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  NlBatch b;
  for (int i = 0; i < 200; ++i) {
    nlmsghdr* nlh = b.Begin(RTM_GETLINK, NLM_F_ACK);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_index = 1;
    b.End(nlh, "get lo #" + std::to_string(i));
  }
  // The last one fails: the error must name it, so all before were answered.
  nlmsghdr* nlh = b.Begin(RTM_GETLINK, NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = 0x7ffffff0;
  b.End(nlh, "get the missing link");
  Status st = s->Run(b);
  EXPECT_EQ(st.message().rfind("get the missing link", 0), 0u) << st.ToString();
}

TEST(NlSocket, DumpMarksWatchedLinkUp) {
  // Loopback (ifindex 1) of the test's namespace: its operstate is UNKNOWN,
  // never UP, so it must stay "not up"; the dump must still complete.
  StatusOr<NlSocket> s = NlSocket::Open(false);
  ASSERT_TRUE(s.ok());
  s->WatchLink(1, "lo");
  NlBatch b;
  AddLinkDump(b, AF_UNSPEC, "dump");
  ASSERT_TRUE(s->Run(b).ok());
  EXPECT_FALSE(s->AllReady());
  ASSERT_EQ(s->NotReady().size(), 1u);
  EXPECT_EQ(s->NotReady()[0], "lo");
}

}  // namespace
}  // namespace faultline
