#include "injectors/queue_rules.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "harness/common/spawn.h"
#include "harness/common/unique_fd.h"

namespace faultline {

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

Status InstallQueueRules(int netns_fd, int queue) {
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
