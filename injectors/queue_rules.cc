#include "injectors/queue_rules.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/common/errno_names.h"
#include "harness/common/spawn.h"
#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"
#include "harness/lab/nl_receive.h"

namespace faultline {

const char* QueueRulesRouteName(QueueRulesRoute r) {
  switch (r) {
    case QueueRulesRoute::kNetlink: return "nf_tables netlink";
    case QueueRulesRoute::kIptablesRestore: return "iptables-restore";
  }
  return "?";
}

// ------------------------------------------------------ route 1: netlink --

namespace {

constexpr char kTable[] = "filter";
constexpr char kChain[] = "FORWARD";
constexpr size_t kBatchBuf = 4096;  // the whole batch is ~600 bytes
constexpr int kAckTimeoutMs = 5000;

nlmsghdr* PutNfMsg(mnl_nlmsg_batch* b, uint16_t type, uint8_t family, uint16_t flags, uint32_t seq,
                   uint16_t res_id) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(res_id);
  return nlh;
}

uint16_t NftType(int msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

}  // namespace

NftBatch BuildNftQueueBatch(uint16_t queue, uint32_t first_seq, const NftTarget& target) {
  NftBatch out;
  std::vector<uint8_t> buf(kBatchBuf, 0);
  mnl_nlmsg_batch* b = mnl_nlmsg_batch_start(buf.data(), buf.size());
  uint32_t seq = first_seq;
  PutNfMsg(b, NFNL_MSG_BATCH_BEGIN, AF_UNSPEC, 0, seq++, NFNL_SUBSYS_NFTABLES);
  mnl_nlmsg_batch_next(b);
  // The target's data: XT_ALIGN(sizeof info) bytes, as x_tables stores it.
  xt_NFQ_info_v3 info{};
  info.queuenum = queue;
  info.queues_total = 1;
  info.flags = 0;  // no NFQ_FLAG_BYPASS, no CPU fanout
  uint8_t info_bytes[XT_ALIGN(sizeof(xt_NFQ_info_v3))] = {};
  std::memcpy(info_bytes, &info, sizeof info);

  for (const uint8_t family : {uint8_t{NFPROTO_IPV4}, uint8_t{NFPROTO_IPV6}}) {
    const char* fam = family == NFPROTO_IPV4 ? "ip" : "ip6";
    nlmsghdr* nlh =
        PutNfMsg(b, NftType(NFT_MSG_NEWTABLE), family, NLM_F_CREATE | NLM_F_ACK, seq, 0);
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, kTable);
    out.acked.push_back({seq++, fmt::format("{} table {}", fam, kTable)});
    mnl_nlmsg_batch_next(b);

    nlh = PutNfMsg(b, NftType(NFT_MSG_NEWCHAIN), family, NLM_F_CREATE | NLM_F_ACK, seq, 0);
    mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, kTable);
    mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, kChain);
    nlattr* hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
    mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(NF_INET_FORWARD));
    mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(0));  // NF_IP_PRI_FILTER
    mnl_attr_nest_end(nlh, hook);
    mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_ACCEPT));
    mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "filter");
    out.acked.push_back(
        {seq++, fmt::format("{} chain {} {} (type filter hook forward priority 0 policy accept)",
                            fam, kTable, kChain)});
    mnl_nlmsg_batch_next(b);

    nlh = PutNfMsg(b, NftType(NFT_MSG_NEWRULE), family, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
                   seq, 0);
    mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, kTable);
    mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, kChain);
    nlattr* exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
    nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "target");
    nlattr* data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
    mnl_attr_put_strz(nlh, NFTA_TARGET_NAME, target.name.c_str());
    mnl_attr_put_u32(nlh, NFTA_TARGET_REV, htonl(target.revision));
    mnl_attr_put(nlh, NFTA_TARGET_INFO, sizeof info_bytes, info_bytes);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, elem);
    mnl_attr_nest_end(nlh, exprs);
    out.acked.push_back(
        {seq++, fmt::format("{} rule in {} {}: -j {} (revision {}) --queue-num {}", fam, kTable,
                            kChain, target.name, target.revision, queue)});
    mnl_nlmsg_batch_next(b);
  }
  PutNfMsg(b, NFNL_MSG_BATCH_END, AF_UNSPEC, 0, seq++, NFNL_SUBSYS_NFTABLES);
  mnl_nlmsg_batch_next(b);
  const size_t len = mnl_nlmsg_batch_size(b);
  mnl_nlmsg_batch_stop(b);
  buf.resize(len);
  out.bytes = std::move(buf);
  return out;
}

bool IsMissingFeatureErrno(int err) {
  switch (err) {
    case ENOENT:           // no such expression type, x_tables target or chain type
    case EOPNOTSUPP:       // no nf_tables subsystem in nfnetlink, or no such hook
    case EAFNOSUPPORT:     // no nf_tables family (CONFIG_NF_TABLES_IPV6=n)
    case EPROTONOSUPPORT:  // no NETLINK_NETFILTER
      return true;
    default: return false;
  }
}

namespace {

struct MnlCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

}  // namespace

namespace {

// The answers to an nf_tables batch: one per acked message (0 or an errno),
// or, when the kernel gives up early (ENOMEM, a malformed batch), one to
// the batch header.
struct NftAnswers {
  std::vector<int> answer;  // per acked message: -1 no answer yet; else errno
  size_t answered = 0;
  int first_err = 0;
  std::string first_what, first_ack;

  void Note(const NftBatch& batch, uint32_t portid, const nlmsghdr* nlh) {
    if (nlh->nlmsg_pid != portid && nlh->nlmsg_pid != 0) return;
    if (nlh->nlmsg_type != NLMSG_ERROR) return;  // no other answers expected
    const int err = NlErrorCode(nlh);
    size_t i = 0;
    while (i < batch.acked.size() && batch.acked[i].seq != nlh->nlmsg_seq) ++i;
    const bool header = i == batch.acked.size();  // the batch header or trailer
    if (!header) {
      if (answer[i] == -1) ++answered;
      answer[i] = err;
    }
    if (err != 0 && first_err == 0) {
      first_err = err;
      first_what = header ? "the batch" : batch.acked[i].what;
      first_ack = NlExtAckMessage(nlh);
    }
  }
  bool done() const { return answered == answer.size() || first_err != 0; }
};

// Opens a NETLINK_NETFILTER socket in the namespace, bound, with extended acks.
StatusOr<std::unique_ptr<mnl_socket, MnlCloser>> OpenNfNetlink(int netns_fd) {
  std::unique_ptr<mnl_socket, MnlCloser> nl;
  Status st = InNetns(netns_fd, [&]() -> Status {
    nl.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
    if (!nl) {
      const int err = errno;
      Status s = Status::FromErrno("socket(NETLINK_NETFILTER)", err);
      return IsMissingFeatureErrno(err) ? Status::Unsupported(s.message()) : s;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st.Prefixed("nf_tables");
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return Status::FromErrno("nf_tables: bind netlink socket", errno);
  const int fd = mnl_socket_get_fd(nl.get());
  const int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);  // best effort
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return nl;
}

}  // namespace

Status InstallQueueRulesNetlink(int netns_fd, uint16_t queue, const NftTarget& target,
                                const Clock& clock) {
  StatusOr<std::unique_ptr<mnl_socket, MnlCloser>> nl = OpenNfNetlink(netns_fd);
  if (!nl.ok()) return nl.status();
  const uint32_t portid = mnl_socket_get_portid(nl->get());

  // Sequence numbers only need to be unique on this socket.
  const NftBatch batch = BuildNftQueueBatch(queue, 1, target);
  if (mnl_socket_sendto(nl->get(), batch.bytes.data(), batch.bytes.size()) < 0)
    return Status::FromErrno("nf_tables: send batch", errno);

  // The kernel handles the batch inside sendto (netlink to the kernel is
  // synchronous), so the answers are queued already; the deadline is only
  // a guard.
  NftAnswers a;
  a.answer.assign(batch.acked.size(), -1);
  NlReceiver r;
  r.done = [&a] { return a.done(); };
  r.message = [&](const nlmsghdr* nlh) { a.Note(batch, portid, nlh); };
  std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
  bool overrun = false;
  const Status st =
      NlReceiveUntil(mnl_socket_get_fd(nl->get()), rx,
                     clock.NowNs() + int64_t{kAckTimeoutMs} * 1'000'000, clock, r, &overrun);
  if (!st.ok() && st.code() != StatusCode::kTimeout) return st.Prefixed("nf_tables");
  if (a.first_err != 0) {
    std::string msg = fmt::format("nf_tables: the kernel refused {}: {} ({})", a.first_what,
                                  std::strerror(a.first_err), ErrnoName(a.first_err));
    if (!a.first_ack.empty()) msg += ": " + a.first_ack;
    msg += "; nothing was installed (one transaction)";
    return IsMissingFeatureErrno(a.first_err) ? Status::Unsupported(msg) : Status::System(msg);
  }
  if (a.answered < a.answer.size()) {
    return Status::Timeout(fmt::format("nf_tables: {} of {} requests unanswered after {} ms",
                                       a.answer.size() - a.answered, a.answer.size(),
                                       kAckTimeoutMs));
  }
  return Status::Ok();
}

// ------------------------------------------------------- route selection --

QueueRulesInstaller::QueueRulesInstaller(RouteFn netlink, RouteFn iptables, bool force_iptables)
    : netlink_(std::move(netlink)), iptables_(std::move(iptables)), use_netlink_(!force_iptables) {
  if (!netlink_) {
    netlink_ = [](int netns_fd, uint16_t queue) {
      return InstallQueueRulesNetlink(netns_fd, queue);
    };
  }
  if (!iptables_) {
    iptables_ = [](int netns_fd, uint16_t queue) {
      return InstallQueueRulesIptables(netns_fd, queue);
    };
  }
  if (force_iptables) fallback_reason_ = "FAULTLINE_WIRE_RULES=iptables-restore";
}

Status QueueRulesInstaller::Install(int netns_fd, uint16_t queue, QueueRulesRoute* used) {
  bool try_netlink;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try_netlink = use_netlink_;
  }
  if (try_netlink) {
    Status st = netlink_(netns_fd, queue);
    if (st.ok()) {
      if (used != nullptr) *used = QueueRulesRoute::kNetlink;
      return st;
    }
    // Only a kernel that says it lacks something sends us to route 2; any
    // other failure is reported (trying route 2 after a batch whose fate is
    // unknown could leave the rule twice).
    if (st.code() != StatusCode::kUnsupported) return st;
    std::lock_guard<std::mutex> lock(mu_);
    if (use_netlink_) {
      use_netlink_ = false;
      fallback_reason_ = st.message();
    }
  }
  Status st = iptables_(netns_fd, queue);
  if (!st.ok()) {
    return Status(st.code(), fmt::format("{} (the nf_tables route was not usable either: {})",
                                         st.message(), FallbackReason()));
  }
  if (used != nullptr) *used = QueueRulesRoute::kIptablesRestore;
  return st;
}

std::string QueueRulesInstaller::FallbackReason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fallback_reason_;
}

QueueRulesInstaller& ProcessQueueRulesInstaller() {
  static QueueRulesInstaller installer(nullptr, nullptr, [] {
    const char* env = std::getenv("FAULTLINE_WIRE_RULES");
    return env != nullptr && std::strcmp(env, "iptables-restore") == 0;
  }());
  return installer;
}

Status InstallQueueRules(int netns_fd, int queue) {
  QueueRulesInstaller& inst = ProcessQueueRulesInstaller();
  const bool had_reason = !inst.FallbackReason().empty();
  Status st = inst.Install(netns_fd, static_cast<uint16_t>(queue));
  if (!had_reason) {
    static std::once_flag noted;
    std::string reason = inst.FallbackReason();
    if (!reason.empty()) {
      std::call_once(noted, [&] {
        std::fprintf(stderr,
                     "faultline: note: the wire's NFQUEUE rules are installed with "
                     "iptables-restore (two process starts per case, ~25 ms) because the "
                     "nf_tables netlink route is not available: %s\n",
                     reason.c_str());
      });
    }
  }
  return st;
}

// ---------------------------------------------- route 2: iptables-restore --

std::string QueueRulesText(int queue) {
  return fmt::format(
      "*filter\n"
      ":INPUT ACCEPT [0:0]\n"
      ":FORWARD ACCEPT [0:0]\n"
      ":OUTPUT ACCEPT [0:0]\n"
      "-A FORWARD -j NFQUEUE --queue-num {}\n"
      "COMMIT\n",
      queue);
}

StatusOr<int> RunInNetns(int netns_fd, const std::string& binary,
                         const std::vector<std::string>& args, const std::string& input,
                         std::string* output) {
  // Everything the child needs is prepared before fork.
  std::vector<std::string> argv_s;
  argv_s.push_back(binary);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char env1[] = "LC_ALL=C";
  char* envp[] = {env0, env1, nullptr};

  // stdin is a socket so that writing to a child that exited early gives
  // EPIPE (MSG_NOSIGNAL) instead of a process-wide SIGPIPE.
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return Status::FromErrno("socketpair", errno);
  }
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return Status::FromErrno("pipe", errno);
  UniqueFd out_r(out[0]), out_w(out[1]);

  // clone(CLONE_VM | CLONE_VFORK), not fork(): no page-table copy of a big
  // multi-threaded runner (harness/common/spawn.h).
  const int in_fd = in_r.get(), out_fd = out_w.get();
  auto child = [&] {
    // Child: async-signal-safe calls only.
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) _exit(126);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) _exit(126);
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), envp);
    _exit(127);
  };
  const pid_t pid = SpawnChild(child);
  if (pid < 0) return Status::FromErrno("clone", errno);
  in_r.reset();
  out_w.reset();
  // Feed stdin and collect output without deadlocking on either pipe
  // (non-blocking writes, so a child blocked on a full stdout never blocks
  // us). Bounded: a child silent for 10 s is killed.
  size_t written = 0;
  if (input.empty()) in_w.reset();
  char buf[4096];
  bool timed_out = false;
  while (out_r) {
    pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {in_w ? in_w.get() : -1, POLLOUT, 0}};
    const int pr = poll(fds, 2, 10'000);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (fds[1].revents != 0 && in_w) {
      const ssize_t n = send(in_w.get(), input.data() + written, input.size() - written,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in_w.reset();
    }
    if (fds[0].revents != 0) {
      const ssize_t n = read(out_r.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        out_r.reset();
      } else if (output != nullptr) {
        output->append(buf, static_cast<size_t>(n));
      }
    }
  }
  in_w.reset();
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return Status::FromErrno(fmt::format("waitpid {}", binary), errno);
  }
  if (timed_out) return Status::Timeout(fmt::format("{}: no progress for 10 s; killed", binary));
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  return 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}

Status InstallQueueRulesIptables(int netns_fd, int queue) {
  const std::string rules = QueueRulesText(queue);
  for (const char* family : {"iptables", "ip6tables"}) {
    std::string tried;
    bool done = false;
    for (const char* flavour : {"-nft-restore", "-restore", "-legacy-restore"}) {
      for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
        const std::string bin = std::string(dir) + family + flavour;
        if (access(bin.c_str(), X_OK) != 0) {
          tried += fmt::format("\n  {}: not found", bin);
          continue;
        }
        std::string out;
        StatusOr<int> rc = RunInNetns(netns_fd, bin, {"-w", "5"}, rules, &out);
        if (!rc.ok())
          return rc.status().Prefixed(fmt::format("installing NFQUEUE rules ({})", bin));
        if (*rc == 0) {
          done = true;
          break;
        }
        while (!out.empty() && out.back() == '\n') out.pop_back();
        tried += fmt::format("\n  {}: exit {}: {}", bin, *rc, out);
        break;  // same binary in /sbin: do not try it twice
      }
      if (done) break;
    }
    if (!done) {
      return Status::Unsupported(fmt::format(
          "cannot install the wire's NFQUEUE rule with {}-restore; tried:{}", family, tried));
    }
  }
  return Status::Ok();
}

}  // namespace faultline
