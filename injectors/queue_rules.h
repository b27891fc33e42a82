// Installing the wire's NFQUEUE rules inside a namespace.
//
// The rules: in the namespace's FORWARD hook, for IPv4 and IPv6, one rule
// that sends every packet to NFQUEUE `queue` without bypass (bind the queue
// first: a queued packet with no listener is dropped). They die with the
// namespace; the caller's namespace is never touched.
//
// Two routes install the same rules (docs/design.md, "The wire's rules
// without iptables-restore"):
//  1. nf_tables over netlink, from this process (InstallQueueRulesNetlink):
//     one nfnetlink batch, one transaction for both families, with the
//     tables and chains iptables-nft would make (tables ip/ip6 "filter",
//     base chain "FORWARD", type filter, hook forward, priority 0, policy
//     accept) and a rule whose only expression is the x_tables compat
//     target NFQUEUE revision 3 (struct xt_NFQ_info_v3). `iptables-nft -S`
//     in the namespace shows it as `-A FORWARD -j NFQUEUE --queue-num N`.
//     About 0.1 ms instead of two process starts (~25 ms, ~60 ms busy).
//  2. `iptables-restore` and `ip6tables-restore` (the nft flavour first,
//     then the distribution default, then legacy) run in a child process
//     that joins the namespace before exec, with QueueRulesText on stdin
//     (InstallQueueRulesIptables): for kernels without nf_tables, without
//     its x_tables compat expressions (CONFIG_NFT_COMPAT) or that refuse the
//     batch for another "not supported" reason. The child makes only
//     async-signal-safe calls between clone and exec.
// InstallQueueRules tries 1, falls back to 2 when the kernel says it lacks
// something, and then uses 2 for the rest of the process (with one note on
// stderr saying why). FAULTLINE_WIRE_RULES=iptables-restore in the
// environment forces route 2.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"

namespace faultline {

enum class QueueRulesRoute { kNetlink, kIptablesRestore };
const char* QueueRulesRouteName(QueueRulesRoute r);  // "nf_tables netlink", "iptables-restore"

// The x_tables target the nf_tables rule carries (a parameter for tests,
// which ask for a target the kernel does not have).
struct NftTarget {
  std::string name = "NFQUEUE";
  uint32_t revision = 3;
};

// The nfnetlink batch of route 1: BATCH_BEGIN, then for NFPROTO_IPV4 and
// NFPROTO_IPV6 NEWTABLE, NEWCHAIN, NEWRULE (each with NLM_F_ACK), then
// BATCH_END; sequence numbers first_seq, first_seq + 1, ... Pure bytes.
struct NftBatch {
  struct Message {
    uint32_t seq;
    std::string what;  // "ip6 table filter", for error messages
  };
  std::vector<uint8_t> bytes;
  std::vector<Message> acked;  // the messages that get an ack, in order
};
NftBatch BuildNftQueueBatch(uint16_t queue, uint32_t first_seq, const NftTarget& target = {});

// True for the errnos with which a kernel says it lacks a piece of route 1
// (no nf_tables subsystem, family, chain type, expression or x_tables
// target): those make InstallQueueRules fall back to iptables-restore.
bool IsMissingFeatureErrno(int err);

// Route 1. kUnsupported when the kernel lacks a piece (IsMissingFeatureErrno;
// nothing was installed: the batch is one transaction), other codes for
// other failures. Messages name the request the kernel refused and its
// extended-ack text.
Status InstallQueueRulesNetlink(int netns_fd, uint16_t queue, const NftTarget& target = {},
                                const Clock& clock = RealClock());

// Route 2. kUnsupported (with each binary tried and its output) if no
// restore binary exists or none accepts the rules (e.g. no NFQUEUE target).
Status InstallQueueRulesIptables(int netns_fd, int queue);

// Chooses the route (see the top of this file). Thread-safe.
class QueueRulesInstaller {
 public:
  using RouteFn = std::function<Status(int netns_fd, uint16_t queue)>;
  // `netlink` and `iptables` replace routes 1 and 2 (tests; nullptr: the
  // real ones); `force_iptables` skips route 1.
  explicit QueueRulesInstaller(RouteFn netlink = nullptr, RouteFn iptables = nullptr,
                               bool force_iptables = false);
  // `*used` (optional) says which route installed the rules.
  Status Install(int netns_fd, uint16_t queue, QueueRulesRoute* used = nullptr);
  // Why route 1 is no longer tried ("" while it is); set once, with the
  // kernel's answer.
  std::string FallbackReason() const;

 private:
  RouteFn netlink_, iptables_;
  mutable std::mutex mu_;
  bool use_netlink_;
  std::string fallback_reason_;
};

// Installs the rules with the process-wide installer; the first fallback
// prints one note to stderr.
Status InstallQueueRules(int netns_fd, int queue);
QueueRulesInstaller& ProcessQueueRulesInstaller();

// The iptables-restore input (same text for both families).
std::string QueueRulesText(int queue);

// Runs `binary` (absolute path) with `args` (argv[1..]) inside the namespace
// with `input` on stdin; collects stdout+stderr into *output. Returns the
// exit status (0 ok), or kSystem if fork/exec plumbing failed; exec failure
// is exit status 127.
StatusOr<int> RunInNetns(int netns_fd, const std::string& binary,
                         const std::vector<std::string>& args, const std::string& input,
                         std::string* output);

}  // namespace faultline
