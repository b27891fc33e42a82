#include "injectors/queue_rules.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ------------------------------------------------ the nf_tables batch --

// Attributes by type between begin and end.
std::map<uint16_t, const nlattr*> Walk(const char* begin, const char* end) {
  std::map<uint16_t, const nlattr*> out;
  const auto* a = reinterpret_cast<const nlattr*>(begin);
  while (mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)))) {
    out[mnl_attr_get_type(a)] = a;
    a = mnl_attr_next(a);
  }
  return out;
}

// One message of the batch, decoded with libmnl.
struct Msg {
  const nlmsghdr* nlh;
  uint16_t subsys() const { return static_cast<uint16_t>(nlh->nlmsg_type >> 8); }
  uint16_t type() const { return static_cast<uint16_t>(nlh->nlmsg_type & 0xff); }
  const nfgenmsg* nfg() const { return static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh)); }
  // Top-level attributes by type.
  std::map<uint16_t, const nlattr*> attrs() const {
    const auto* begin =
        static_cast<const char*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
    const auto* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    return Walk(begin, end);
  }
};

std::map<uint16_t, const nlattr*> Nested(const nlattr* nest) {
  const auto* begin = static_cast<const char*>(mnl_attr_get_payload(nest));
  return Walk(begin, begin + mnl_attr_get_payload_len(nest));
}

std::vector<Msg> Decode(const std::vector<uint8_t>& bytes) {
  std::vector<Msg> out;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data());
  int left = static_cast<int>(bytes.size());
  while (mnl_nlmsg_ok(nlh, left)) {
    out.push_back({nlh});
    nlh = mnl_nlmsg_next(nlh, &left);
  }
  EXPECT_EQ(left, 0) << "trailing bytes after the last message";
  return out;
}

uint32_t Be32(const nlattr* a) { return ntohl(mnl_attr_get_u32(a)); }

TEST(NftQueueBatch, IsOneTransactionForBothFamilies) {
  const NftBatch b = BuildNftQueueBatch(0, 100);
  const std::vector<Msg> m = Decode(b.bytes);
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[0].nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(ntohs(m[0].nfg()->res_id), NFNL_SUBSYS_NFTABLES);
  EXPECT_EQ(m[7].nlh->nlmsg_type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(ntohs(m[7].nfg()->res_id), NFNL_SUBSYS_NFTABLES);
  std::vector<int> types;
  for (size_t i = 1; i < 7; ++i) {
    EXPECT_EQ(m[i].subsys(), NFNL_SUBSYS_NFTABLES);
    EXPECT_EQ(m[i].nfg()->version, NFNETLINK_V0);
    EXPECT_EQ(m[i].nfg()->nfgen_family, i < 4 ? NFPROTO_IPV4 : NFPROTO_IPV6) << i;
    EXPECT_TRUE(m[i].nlh->nlmsg_flags & NLM_F_REQUEST);
    EXPECT_TRUE(m[i].nlh->nlmsg_flags & NLM_F_ACK) << "every request is acknowledged";
    EXPECT_TRUE(m[i].nlh->nlmsg_flags & NLM_F_CREATE);
    types.push_back(m[i].type());
  }
  EXPECT_THAT(types, ElementsAre(NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE,
                                 NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE));
  // Sequence numbers count up from first_seq; `acked` names the six requests.
  for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].nlh->nlmsg_seq, 100 + i);
  ASSERT_EQ(b.acked.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(b.acked[i].seq, 101 + i);
  EXPECT_EQ(b.acked[0].what, "ip table filter");
  EXPECT_THAT(b.acked[5].what, HasSubstr("ip6 rule in filter FORWARD: -j NFQUEUE"));
}

TEST(NftQueueBatch, ChainIsIptablesForwardBaseChain) {
  const NftBatch b = BuildNftQueueBatch(0, 1);
  const std::vector<Msg> m = Decode(b.bytes);
  ASSERT_EQ(m.size(), 8u);
  for (size_t i : {1u, 4u}) {
    auto t = m[i].attrs();
    ASSERT_TRUE(t.count(NFTA_TABLE_NAME));
    EXPECT_STREQ(mnl_attr_get_str(t[NFTA_TABLE_NAME]), "filter");
  }
  for (size_t i : {2u, 5u}) {
    auto c = m[i].attrs();
    ASSERT_TRUE(c.count(NFTA_CHAIN_TABLE) && c.count(NFTA_CHAIN_NAME) && c.count(NFTA_CHAIN_HOOK) &&
                c.count(NFTA_CHAIN_POLICY) && c.count(NFTA_CHAIN_TYPE));
    EXPECT_STREQ(mnl_attr_get_str(c[NFTA_CHAIN_TABLE]), "filter");
    EXPECT_STREQ(mnl_attr_get_str(c[NFTA_CHAIN_NAME]), "FORWARD");
    EXPECT_STREQ(mnl_attr_get_str(c[NFTA_CHAIN_TYPE]), "filter");
    EXPECT_EQ(Be32(c[NFTA_CHAIN_POLICY]), static_cast<uint32_t>(NF_ACCEPT));
    auto hook = Nested(c[NFTA_CHAIN_HOOK]);
    ASSERT_TRUE(hook.count(NFTA_HOOK_HOOKNUM) && hook.count(NFTA_HOOK_PRIORITY));
    EXPECT_EQ(Be32(hook[NFTA_HOOK_HOOKNUM]), static_cast<uint32_t>(NF_INET_FORWARD));
    EXPECT_EQ(Be32(hook[NFTA_HOOK_PRIORITY]), 0u);
  }
}

TEST(NftQueueBatch, RuleIsOnlyTheNfqueueTargetWithoutBypass) {
  const NftBatch b = BuildNftQueueBatch(7, 1);
  const std::vector<Msg> m = Decode(b.bytes);
  ASSERT_EQ(m.size(), 8u);
  for (size_t i : {3u, 6u}) {
    auto r = m[i].attrs();
    EXPECT_TRUE(m[i].nlh->nlmsg_flags & NLM_F_APPEND);
    EXPECT_STREQ(mnl_attr_get_str(r[NFTA_RULE_TABLE]), "filter");
    EXPECT_STREQ(mnl_attr_get_str(r[NFTA_RULE_CHAIN]), "FORWARD");
    EXPECT_FALSE(r.count(NFTA_RULE_COMPAT)) << "no protocol match";
    ASSERT_TRUE(r.count(NFTA_RULE_EXPRESSIONS));
    auto list = Nested(r[NFTA_RULE_EXPRESSIONS]);
    ASSERT_EQ(list.size(), 1u) << "one expression: no match, no counter";
    auto expr = Nested(list[NFTA_LIST_ELEM]);
    EXPECT_STREQ(mnl_attr_get_str(expr[NFTA_EXPR_NAME]), "target");
    auto tg = Nested(expr[NFTA_EXPR_DATA]);
    EXPECT_STREQ(mnl_attr_get_str(tg[NFTA_TARGET_NAME]), "NFQUEUE");
    EXPECT_EQ(Be32(tg[NFTA_TARGET_REV]), 3u);
    ASSERT_EQ(mnl_attr_get_payload_len(tg[NFTA_TARGET_INFO]), 8u) << "XT_ALIGN(sizeof info)";
    xt_NFQ_info_v3 info;
    std::memcpy(&info, mnl_attr_get_payload(tg[NFTA_TARGET_INFO]), sizeof info);
    EXPECT_EQ(info.queuenum, 7);
    EXPECT_EQ(info.queues_total, 1);
    EXPECT_EQ(info.flags, 0) << "neither NFQ_FLAG_BYPASS nor CPU fanout";
    const auto* raw = static_cast<const uint8_t*>(mnl_attr_get_payload(tg[NFTA_TARGET_INFO]));
    EXPECT_EQ(raw[6], 0);
    EXPECT_EQ(raw[7], 0);
  }
}

TEST(NftQueueBatch, TargetIsAParameterAndBytesAreDeterministic) {
  NftTarget t;
  t.name = "NOSUCH";
  t.revision = 42;
  const NftBatch b = BuildNftQueueBatch(0, 1, t);
  const std::vector<Msg> m = Decode(b.bytes);
  auto expr = Nested(Nested(m[3].attrs()[NFTA_RULE_EXPRESSIONS])[NFTA_LIST_ELEM]);
  auto tg = Nested(expr[NFTA_EXPR_DATA]);
  EXPECT_STREQ(mnl_attr_get_str(tg[NFTA_TARGET_NAME]), "NOSUCH");
  EXPECT_EQ(Be32(tg[NFTA_TARGET_REV]), 42u);
  EXPECT_EQ(BuildNftQueueBatch(3, 9).bytes, BuildNftQueueBatch(3, 9).bytes);
}

TEST(IsMissingFeatureErrno, OnlyNotSupportedAnswers) {
  for (int e : {ENOENT, EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT})
    EXPECT_TRUE(IsMissingFeatureErrno(e)) << e;
  for (int e : {0, EPERM, ENOMEM, ENOBUFS, EINVAL, EEXIST, EBUSY})
    EXPECT_FALSE(IsMissingFeatureErrno(e)) << e;
}

// ------------------------------------------------------ route choice --

struct FakeRoutes {
  int netlink_calls = 0, iptables_calls = 0;
  Status netlink_result, iptables_result;
  QueueRulesInstaller Make(bool force = false) {
    return QueueRulesInstaller(
        [this](int, uint16_t) {
          ++netlink_calls;
          return netlink_result;
        },
        [this](int, uint16_t) {
          ++iptables_calls;
          return iptables_result;
        },
        force);
  }
};

TEST(QueueRulesInstaller, UsesNetlinkWhenTheKernelTakesIt) {
  FakeRoutes f;
  QueueRulesInstaller inst = f.Make();
  QueueRulesRoute used = QueueRulesRoute::kIptablesRestore;
  ASSERT_TRUE(inst.Install(5, 0, &used).ok());
  ASSERT_TRUE(inst.Install(5, 0, &used).ok());
  EXPECT_EQ(used, QueueRulesRoute::kNetlink);
  EXPECT_EQ(f.netlink_calls, 2);
  EXPECT_EQ(f.iptables_calls, 0);
  EXPECT_EQ(inst.FallbackReason(), "");
}

TEST(QueueRulesInstaller, FallsBackOnceTheKernelLacksAPieceAndStays) {
  FakeRoutes f;
  f.netlink_result = Status::Unsupported("nf_tables: the kernel refused ip rule: ENOENT");
  QueueRulesInstaller inst = f.Make();
  QueueRulesRoute used = QueueRulesRoute::kNetlink;
  ASSERT_TRUE(inst.Install(5, 0, &used).ok());
  EXPECT_EQ(used, QueueRulesRoute::kIptablesRestore);
  EXPECT_THAT(inst.FallbackReason(), HasSubstr("ENOENT"));
  ASSERT_TRUE(inst.Install(5, 0, &used).ok());
  EXPECT_EQ(f.netlink_calls, 1) << "not retried for every case";
  EXPECT_EQ(f.iptables_calls, 2);
}

TEST(QueueRulesInstaller, OtherNetlinkFailuresAreReportedNotPapered) {
  FakeRoutes f;
  f.netlink_result = Status::System("nf_tables: the kernel refused ip table filter: ENOMEM");
  QueueRulesInstaller inst = f.Make();
  Status st = inst.Install(5, 0);
  EXPECT_EQ(st.code(), StatusCode::kSystem);
  EXPECT_THAT(st.message(), HasSubstr("ENOMEM"));
  EXPECT_EQ(f.iptables_calls, 0);
  EXPECT_EQ(inst.FallbackReason(), "");
  f.netlink_result = Status::Ok();
  EXPECT_TRUE(inst.Install(5, 0).ok()) << "netlink is still tried";
}

TEST(QueueRulesInstaller, ForcedIptablesNeverTriesNetlink) {
  FakeRoutes f;
  QueueRulesInstaller inst = f.Make(/*force=*/true);
  QueueRulesRoute used = QueueRulesRoute::kNetlink;
  ASSERT_TRUE(inst.Install(5, 0, &used).ok());
  EXPECT_EQ(used, QueueRulesRoute::kIptablesRestore);
  EXPECT_EQ(f.netlink_calls, 0);
  EXPECT_THAT(inst.FallbackReason(), HasSubstr("FAULTLINE_WIRE_RULES"));
}

TEST(QueueRulesInstaller, FallbackFailureKeepsTheFallbackError) {
  FakeRoutes f;
  f.netlink_result = Status::Unsupported("nf_tables: EOPNOTSUPP");
  f.iptables_result = Status::Unsupported("cannot install the wire's NFQUEUE rule with iptables");
  QueueRulesInstaller inst = f.Make();
  Status st = inst.Install(5, 0);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_THAT(st.message(), HasSubstr("iptables"));
  EXPECT_THAT(st.message(), HasSubstr("EOPNOTSUPP")) << "both reasons";
}

TEST(QueueRulesText, QueuesEveryForwardedPacketWithoutBypass) {
  const std::string t = QueueRulesText(0);
  EXPECT_THAT(t, HasSubstr("*filter\n"));
  EXPECT_THAT(t, HasSubstr("-A FORWARD -j NFQUEUE --queue-num 0\n"));
  EXPECT_THAT(t, HasSubstr("COMMIT\n"));
  EXPECT_EQ(t.find("bypass"), std::string::npos);
}

// RunInNetns with netns -1 stays in the caller's namespace: it is the plain
// fork/exec/pipe plumbing.
TEST(RunInNetns, FeedsStdinAndCollectsOutput) {
  std::string out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/cat", {}, "rules\n", &out);
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(*rc, 0);
  EXPECT_EQ(out, "rules\n");
}

TEST(RunInNetns, LargeInputDoesNotDeadlock) {
  std::string in(1 << 20, 'x'), out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/cat", {}, in, &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(out.size(), in.size());
}

TEST(RunInNetns, ReportsExitStatusAndMissingBinary) {
  std::string out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/sh", {"-c", "echo oops >&2; exit 3"}, "", &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 3);
  EXPECT_EQ(out, "oops\n");
  rc = RunInNetns(-1, "/nonexistent/iptables-restore", {}, "x", &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 127);
}

}  // namespace
}  // namespace faultline
