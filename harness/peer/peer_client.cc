#include "harness/peer/peer_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/common/errno_names.h"
#include "harness/common/interrupt.h"
#include "harness/common/spawn.h"
#include "harness/peer/confine.h"

extern char** environ;

namespace faultline::peer {
namespace {

// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++: call the syscall.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// How long PeerDied waits for a peer whose control socket closed to exit.
constexpr int kReapTimeoutMs = 2000;
// Socket buffer asked for on both control ends: a kMaxMessageBytes datagram
// must fit (the kernel caps it at net.core.[rw]mem_max, doubled).
constexpr int kControlBuffer = 512 * 1024;

// What the child reports through the exec pipe when a stage fails.
struct ChildError {
  int stage;  // index into kStages, or kConfineStage + a step of ConfineMounts
  int err;
};
constexpr const char* kStages[] = {
    "setns", "dup2 of the control socket", "open /dev/null", "dup2 of stdin", "setpgid", "execve"};
constexpr int kStageCount = sizeof kStages / sizeof kStages[0];
constexpr int kConfineStage = 100;

std::string StageName(int stage) {
  if (stage >= kConfineStage && stage < kConfineStage + kConfineStepCount) {
    return fmt::format("confining it to its lab: {}", kConfineSteps[stage - kConfineStage]);
  }
  return kStages[stage >= 0 && stage < kStageCount ? stage : kStageCount - 1];
}

[[noreturn]] void ChildFail(int pipe_fd, int stage) {
  ChildError e{stage, errno};
  ssize_t ignored = write(pipe_fd, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void ChildExec(const char* bin, char* const* argv, char* const* envp, int netns_fd,
                            int control_fd, int pipe_fd, const sigset_t* empty_mask) {
  if (setns(netns_fd, CLONE_NEWNET) != 0) ChildFail(pipe_fd, 0);
  // Its own /proc, /sys and /run/netns (confine.h); after setns, so that
  // /sys is the lab host's.
  const int failed = ConfineMounts();
  if (failed >= 0) ChildFail(pipe_fd, kConfineStage + failed);
  if (control_fd == 3) {
    if (fcntl(3, F_SETFD, 0) != 0) ChildFail(pipe_fd, 1);
  } else if (dup2(control_fd, 3) != 3) {
    ChildFail(pipe_fd, 1);
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) ChildFail(pipe_fd, 2);
  if (null_fd == 0) {
    if (fcntl(0, F_SETFD, 0) != 0) ChildFail(pipe_fd, 3);
  } else if (dup2(null_fd, 0) != 0) {
    ChildFail(pipe_fd, 3);
  }
  if (setpgid(0, 0) != 0) ChildFail(pipe_fd, 4);
  sigprocmask(SIG_SETMASK, empty_mask, nullptr);
  execve(bin, argv, envp);
  ChildFail(pipe_fd, 5);
}

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  return fmt::format("wait status {:#x}", status);
}

// Moves fd to a number >= 4 (close-on-exec), so that the child's dup2 onto
// fd 3 cannot clobber it. Returns the fd to use.
int AboveThree(UniqueFd* fd) {
  if (fd->get() > 3) return fd->get();
  const int moved = fcntl(fd->get(), F_DUPFD_CLOEXEC, 4);
  if (moved >= 0) fd->reset(moved);
  return fd->get();
}

}  // namespace

std::string PeerExecutable(const std::string& faultline_bin) {
  const size_t slash = faultline_bin.rfind('/');
  if (slash == std::string::npos) return faultline_bin;
  std::string small = faultline_bin.substr(0, slash + 1) + kPeerExecutableName;
  return access(small.c_str(), X_OK) == 0 ? small : faultline_bin;
}

StatusOr<std::unique_ptr<PeerClient>> PeerClient::Spawn(const std::string& faultline_bin,
                                                        int netns_fd, const std::string& name,
                                                        const Clock& clock) {
  auto where = [&](const std::string& what) {
    return fmt::format("starting peer '{}' ({}): {}", name, faultline_bin, what);
  };
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::FromErrno(where("socketpair"), errno);
  }
  UniqueFd mine(sv[0]), theirs(sv[1]);
  for (int fd : sv) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kControlBuffer, sizeof kControlBuffer);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kControlBuffer, sizeof kControlBuffer);
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::FromErrno(where("pipe2"), errno);
  UniqueFd pipe_rd(pipe_fds[0]), pipe_wr(pipe_fds[1]);
  const int pipe_wr_fd = AboveThree(&pipe_wr);

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = {faultline_bin, "__peer", "--control-fd", "3", "--name", name};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* const* envp = environ;
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  const char* bin = faultline_bin.c_str();
  const int theirs_fd = theirs.get();

  // clone(CLONE_VM | CLONE_VFORK), not fork(): no page-table copy of a big
  // multi-threaded runner (harness/common/spawn.h).
  auto child = [&] {
    ChildExec(bin, argv.data(), envp, netns_fd, theirs_fd, pipe_wr_fd, &empty_mask);
  };
  // A PID namespace of its own: the peer is its init, so every program a
  // `run` step starts (and whatever those fork) is killed by the kernel when
  // the peer dies, even by SIGKILL with the runner. A mount namespace of its
  // own, for its own /proc, /sys and /run/netns (confine.h). Both or no
  // peer: where the kernel refuses either, a command would see the machine's
  // processes and namespaces, so there is no unconfined fallback.
  const pid_t pid = SpawnChild(child, CLONE_NEWPID | CLONE_NEWNS);
  if (pid < 0) {
    return Status::FromErrno(
        where("clone with a PID and a mount namespace of its own (CLONE_NEWPID | CLONE_NEWNS), "
              "which confine it to its lab"),
        errno);
  }
  // Also from this side, so the group exists before anyone signals it. The
  // child may have exec'd already (EACCES): it did setpgid itself then.
  (void)setpgid(pid, pid);
  theirs.reset();
  pipe_wr.reset();

  std::unique_ptr<PeerClient> client(new PeerClient(pid, std::move(mine), name, clock));
  ChildError e{};
  ssize_t n;
  do {
    n = read(pipe_rd.get(), &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof e)) {
    client->Kill();  // reaps the child, which has exited already
    return Status::FromErrno(where(StageName(e.stage)), e.err);
  }
  // EOF: execve succeeded (the pipe closed on exec).
  return client;
}

PeerClient::~PeerClient() { Kill(); }

void PeerClient::SignalKill() {
  if (pid_ > 0 && !reaped_) kill(pid_, SIGKILL);
}

void PeerClient::Kill() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    if (dead_.ok()) {
      dead_ =
          Status::System(fmt::format("peer '{}' (pid {}) was killed by the runner", name_, pid_));
    }
  }
  control_.reset();
}

Status PeerClient::PeerDied() {
  if (!dead_.ok()) return dead_;
  std::string how = "its control socket closed";
  if (!reaped_) {
    // EOF arrives as the process exits; give it a bounded moment to finish.
    const int pidfd = PidfdOpen(pid_);
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      while (poll(&p, 1, kReapTimeoutMs) < 0 && errno == EINTR) {
      }
      close(pidfd);
    }
    int status = 0;
    pid_t w;
    do {
      w = waitpid(pid_, &status, WNOHANG);
    } while (w < 0 && errno == EINTR);
    if (w == pid_) {
      reaped_ = true;
      how = DescribeWaitStatus(status);
    } else {
      Kill();
      how = "closed its control socket but did not exit (killed)";
    }
  }
  dead_ = Status::System(fmt::format("peer '{}' (pid {}) exited: {}", name_, pid_, how));
  control_.reset();
  return dead_;
}

Status PeerClient::Send(const Request& req) {
  if (!dead_.ok()) return dead_;
  const std::vector<uint8_t> msg = Encode(req);
  if (msg.size() > kMaxMessageBytes) {
    return Status::Invalid(
        fmt::format("request {} ({}) to peer '{}' is {} bytes, over the limit of {}", req.id,
                    OpName(req.op), name_, msg.size(), kMaxMessageBytes));
  }
  for (;;) {
    if (send(control_.get(), msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return Status::Ok();
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return PeerDied();
    return Status::FromErrno(fmt::format("sending request {} to peer '{}'", req.id, name_), errno);
  }
}

Status PeerClient::ReadOne(int timeout_ms, bool* got) {
  if (got) *got = false;
  if (!dead_.ok()) return dead_;
  // A stop request (SIGINT/SIGTERM, harness/common/interrupt.h) ends any wait.
  pollfd p[2] = {{control_.get(), POLLIN, 0}, {InterruptFd(), POLLIN, 0}};
  const int pr = poll(p, timeout_ms == 0 ? 1 : 2, timeout_ms);
  if (pr < 0) {
    if (errno == EINTR) return Status::Ok();
    return Status::FromErrno(fmt::format("poll on the control socket of peer '{}'", name_), errno);
  }
  if (p[0].revents == 0 && timeout_ms != 0 && InterruptSignal() != 0) {
    return Status::System(InterruptReason());
  }
  if (pr == 0 || p[0].revents == 0) return Status::Ok();
  if (buf_.empty()) buf_.resize(kMaxMessageBytes + 1);
  const ssize_t n = recv(control_.get(), buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return Status::Ok();
    if (errno == ECONNRESET) return PeerDied();
    return Status::FromErrno(fmt::format("reading from peer '{}'", name_), errno);
  }
  if (n == 0) return PeerDied();
  if (static_cast<size_t>(n) > kMaxMessageBytes) {
    return Status::System(fmt::format("peer '{}' sent a {}-byte reply, over the limit of {}", name_,
                                      n, kMaxMessageBytes));
  }
  StatusOr<Reply> reply = DecodeReply(buf_.data(), static_cast<size_t>(n));
  if (!reply.ok()) {
    return Status::System(fmt::format("peer '{}' sent a reply that does not decode: {}", name_,
                                      reply.status().message()));
  }
  if (reply->id == 0) {
    return Status::System(
        fmt::format("peer '{}' rejected a request: {}", name_, reply->harness_error));
  }
  const uint64_t id = reply->id;
  done_[id] = std::move(reply).value();
  if (got) *got = true;
  return Status::Ok();
}

StatusOr<Reply> PeerClient::Wait(uint64_t id, int64_t deadline_ns) {
  for (;;) {
    auto it = done_.find(id);
    if (it != done_.end()) {
      Reply r = std::move(it->second);
      done_.erase(it);
      return r;
    }
    if (!dead_.ok()) return dead_;
    const int64_t now = clock_.NowNs();
    if (now >= deadline_ns) {
      return Status::Timeout(
          fmt::format("no reply from peer '{}' to request {} by the deadline", name_, id));
    }
    const int64_t ms = (deadline_ns - now + 999'999) / 1'000'000;
    FL_RETURN_IF_ERROR(ReadOne(static_cast<int>(std::min<int64_t>(ms, INT_MAX))));
  }
}

bool PeerClient::HasReply(uint64_t id) {
  for (;;) {
    if (done_.count(id)) return true;
    bool got = false;
    if (!ReadOne(0, &got).ok() || !got) return false;
  }
}

}  // namespace faultline::peer
