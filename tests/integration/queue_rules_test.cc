// The wire's NFQUEUE rules in real namespaces: the nf_tables netlink route
// installs what iptables-restore did, a kernel refusal is kUnsupported and
// leaves nothing behind, and the installer falls back to iptables-restore.
// Needs root; the rules are only ever installed in lab namespaces.
#include "injectors/queue_rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

#define REQUIRE_ROOT()                                                               \
  do {                                                                               \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces"; \
  } while (0)

std::unique_ptr<Lab> BuildLab() {
  LabSpec spec;
  for (const char* name : {"client", "server"}) {
    HostSpec h;
    h.name = name;
    spec.hosts.push_back(h);
  }
  StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
  EXPECT_TRUE(lab.ok()) << lab.status().ToString();
  return lab.ok() ? std::move(*lab) : nullptr;
}

// `iptables-nft-save`-style dump of one family in a namespace (-1: ours,
// read only), or "" with a skip message when the tool is missing.
std::string Save(int netns_fd, const char* tool) {
  const std::string bin = std::string("/usr/sbin/") + tool;
  if (access(bin.c_str(), X_OK) != 0) return "";
  std::string out;
  StatusOr<int> rc = RunInNetns(netns_fd, bin, {}, "", &out);
  EXPECT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(rc.ok() ? *rc : -1, 0) << out;
  return out;
}

// The rule lines ("-A ...") of a dump.
std::vector<std::string> RuleLines(const std::string& dump) {
  std::vector<std::string> lines;
  std::istringstream in(dump);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("-A ", 0) == 0) lines.push_back(l);
  }
  return lines;
}

bool HaveNftSave() { return access("/usr/sbin/iptables-nft-save", X_OK) == 0; }

TEST(QueueRulesNetlink, InstallsTheRuleIptablesRestoreInstalled) {
  REQUIRE_ROOT();
  if (!HaveNftSave()) GTEST_SKIP() << "iptables-nft-save is needed to read the rules back";
  const size_t host_before = RuleLines(Save(-1, "iptables-nft-save")).size() +
                             RuleLines(Save(-1, "ip6tables-nft-save")).size();
  std::unique_ptr<Lab> a = BuildLab(), b = BuildLab();
  ASSERT_TRUE(a && b);
  Status st = InstallQueueRulesNetlink(a->wire_netns(), 0);
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = InstallQueueRulesIptables(b->wire_netns(), 0);
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const char* tool : {"iptables-nft-save", "ip6tables-nft-save"}) {
    const std::vector<std::string> nl = RuleLines(Save(a->wire_netns(), tool));
    const std::vector<std::string> ipt = RuleLines(Save(b->wire_netns(), tool));
    EXPECT_THAT(nl, ::testing::ElementsAre("-A FORWARD -j NFQUEUE --queue-num 0")) << tool;
    EXPECT_EQ(nl, ipt) << tool << ": same rules as iptables-restore made";
    const std::string dump = Save(a->wire_netns(), tool);
    EXPECT_THAT(dump, HasSubstr(":FORWARD ACCEPT")) << tool;
    EXPECT_THAT(dump, Not(HasSubstr("bypass"))) << tool;
    EXPECT_THAT(dump, Not(HasSubstr("Warning"))) << tool << ": iptables-nft reads it as its own";
  }
  EXPECT_EQ(RuleLines(Save(-1, "iptables-nft-save")).size() +
                RuleLines(Save(-1, "ip6tables-nft-save")).size(),
            host_before)
      << "the host's namespace is never touched";
}

TEST(QueueRulesNetlink, RefusedTargetIsUnsupportedAndLeavesNothing) {
  REQUIRE_ROOT();
  std::unique_ptr<Lab> lab = BuildLab();
  ASSERT_TRUE(lab);
  for (NftTarget t : {NftTarget{"NFQUEUE", 200}, NftTarget{"FLNOSUCHTARGET", 0}}) {
    Status st = InstallQueueRulesNetlink(lab->wire_netns(), 0, t);
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
    EXPECT_THAT(st.message(), HasSubstr("rule in filter FORWARD"));
    EXPECT_THAT(st.message(), HasSubstr("ENOENT"));
  }
  if (HaveNftSave()) {
    // One transaction: the tables and chains before the refused rule are
    // not there either.
    EXPECT_EQ(Save(lab->wire_netns(), "iptables-nft-save").find("*filter"), std::string::npos);
    EXPECT_EQ(Save(lab->wire_netns(), "ip6tables-nft-save").find("*filter"), std::string::npos);
  }
  // And the real rule still goes in afterwards.
  Status st = InstallQueueRulesNetlink(lab->wire_netns(), 0);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(QueueRulesInstaller, FallsBackToIptablesRestoreWhenTheKernelRefuses) {
  REQUIRE_ROOT();
  std::unique_ptr<Lab> lab = BuildLab();
  ASSERT_TRUE(lab);
  QueueRulesInstaller inst([](int netns_fd, uint16_t queue) {
    return InstallQueueRulesNetlink(netns_fd, queue, NftTarget{"FLNOSUCHTARGET", 0});
  });
  QueueRulesRoute used = QueueRulesRoute::kNetlink;
  Status st = inst.Install(lab->wire_netns(), 0, &used);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(used, QueueRulesRoute::kIptablesRestore);
  EXPECT_THAT(inst.FallbackReason(), HasSubstr("ENOENT"));
  if (HaveNftSave()) {
    EXPECT_THAT(RuleLines(Save(lab->wire_netns(), "iptables-nft-save")),
                ::testing::Contains("-A FORWARD -j NFQUEUE --queue-num 0"));
  }
}

// No bypass: with the rule in and nobody bound to the queue, a forwarded
// datagram is dropped (the same datagram went through before the rule).
TEST(QueueRulesNetlink, UnboundQueueDropsForwardedPackets) {
  REQUIRE_ROOT();
  std::unique_ptr<Lab> lab = BuildLab();
  ASSERT_TRUE(lab);
  const LabHost& client = *lab->host("client");
  const LabHost& server = *lab->host("server");
  UniqueFd rx, tx;
  ASSERT_TRUE(InNetns(server.netns.get(), [&]() -> Status {
                rx.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
                return rx ? Status::Ok() : Status::FromErrno("socket", errno);
              }).ok());
  ASSERT_TRUE(InNetns(client.netns.get(), [&]() -> Status {
                tx.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
                return tx ? Status::Ok() : Status::FromErrno("socket", errno);
              }).ok());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(9000);
  ASSERT_EQ(inet_pton(AF_INET, server.addr4.c_str(), &addr.sin_addr), 1);
  ASSERT_EQ(bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto delivered = [&](int timeout_ms) {
    const char b = 'x';
    EXPECT_EQ(sendto(tx.get(), &b, 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 1);
    pollfd p{rx.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return false;
    char got;
    return recv(rx.get(), &got, 1, 0) == 1;
  };
  ASSERT_TRUE(delivered(5000)) << "control: the lab forwards without the rule";
  Status st = InstallQueueRulesNetlink(lab->wire_netns(), 0);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(delivered(300)) << "queued to nobody must mean dropped, not bypassed";
}

}  // namespace
}  // namespace faultline
