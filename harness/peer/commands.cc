#include "harness/peer/commands.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "harness/common/clock.h"

namespace faultline::peer {
namespace {

// How long Stop waits after SIGKILL (the kernel ends the group promptly;
// this only bounds a process stuck in an uninterruptible sleep).
constexpr int64_t kAfterKillNs = 5'000'000'000;

void Append(std::string* keep, int64_t* count, const char* p, size_t n) {
  *count += static_cast<int64_t>(n);
  if (keep->size() < kMaxCommandOutput) {
    keep->append(p, std::min(n, kMaxCommandOutput - keep->size()));
  }
}

// Closes fd and sets it to -1.
void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// The spawn's file actions and attributes; destroyed with the object.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// The child's stdio (stdin from `in_fd`, or /dev/null without one), working
// directory, signal mask and dispositions, and process group.
void PrepareSpawn(const Request& req, int in_fd, int out_fd, int err_fd, SpawnSetup* setup) {
  posix_spawn_file_actions_t* fa = setup->actions();
  if (req.has_stdin) {
    posix_spawn_file_actions_adddup2(fa, in_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(fa, err_fd, 2);
  posix_spawn_file_actions_addclosefrom_np(fa, 3);
  if (!req.cwd.empty()) posix_spawn_file_actions_addchdir_np(fa, req.cwd.c_str());
  posix_spawnattr_t* attr = setup->attr();
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setsigdefault(attr, &all);  // SIGPIPE is ignored in the peer, not in them
  posix_spawnattr_setpgroup(attr, 0);
  posix_spawnattr_setflags(attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
}

// A background run's ready test on its output (req.ready_stream), or null.
std::shared_ptr<LineMatcher> ReadyMatcher(const Request& req) {
  if (!req.background || (req.ready_stream != 1 && req.ready_stream != 2)) return nullptr;
  const int t = req.ready_test;
  return std::make_shared<LineMatcher>(t == 1   ? LineMatcher::Test::kContains
                                       : t == 2 ? LineMatcher::Test::kMatches
                                                : LineMatcher::Test::kEquals,
                                       req.ready_text, kMaxCommandOutput);
}

}  // namespace

Commands* Commands::Start() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  // Orphans of our commands come to us when we are not a namespace's init.
  if (getpid() != 1) (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Intentionally leaked: the peer exits with _exit, threads still running.
  auto* c = new Commands();
  std::thread([c] { c->ReapLoop(); }).detach();
  return c;
}

void Commands::ReapLoop() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&chld, &info) < 0) continue;  // EINTR
    for (;;) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;  // none left to reap now (0) or no children (ECHILD)
      const int64_t now = MonotonicNs();
      std::lock_guard lock(mu_);
      auto it = by_pid_.find(pid);
      if (it == by_pid_.end()) continue;  // an orphan a command left behind
      Proc& p = *it->second;
      p.exited = true;
      p.status = status;
      p.end_ns = now;
      const uint64_t one = 1;
      ssize_t ignored = write(p.exit_event, &one, sizeof one);
      (void)ignored;
      by_pid_.erase(it);
    }
  }
}

std::shared_ptr<Commands::Proc> Commands::Find(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = procs_.find(name);
  return it == procs_.end() ? nullptr : it->second;
}

Reply Commands::Run(const Request& req) {
  if (req.argv.empty()) return ErrorReply(req.id, "run: no program given");
  if (std::shared_ptr<Proc> old = Find(req.as); old != nullptr) {
    std::lock_guard lock(mu_);
    if (!old->finished) {  // a name is free again once its command has ended
      return ErrorReply(req.id,
                        fmt::format("a command named '{}' is still running on this host", req.as));
    }
  }
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return ErrorReply(req.id, "run: pipe2 failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return ErrorReply(req.id, "run: pipe2 failed");
  }
  if (req.has_stdin && pipe2(in_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return ErrorReply(req.id, "run: pipe2 failed");
  }
  auto p = std::make_shared<Proc>();
  p->exit_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  SpawnSetup setup;
  PrepareSpawn(req, in_pipe[0], out_pipe[1], err_pipe[1], &setup);
  posix_spawn_file_actions_t* fa = setup.actions();
  posix_spawnattr_t* attr = setup.attr();

  std::vector<char*> argv, envp;
  std::vector<std::string> args = req.argv, env = req.env;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  Reply r;
  r.id = req.id;
  pid_t pid = 0;
  int rc = 0;
  {
    // Spawn and register under the lock: the reaper looks the pid up under
    // it, so even a child that exits at once is found.
    std::lock_guard lock(mu_);
    p->start_ns = MonotonicNs();
    rc = posix_spawnp(&pid, argv[0], fa, attr, argv.data(), envp.data());
    if (rc == 0) {
      p->pid = pid;
      procs_[req.as] = p;
      by_pid_[pid] = p;
    }
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  if (rc != 0) {
    for (int fd : {out_pipe[0], err_pipe[0], in_pipe[1], p->exit_event}) {
      if (fd >= 0) close(fd);
    }
    r.ret = -1;
    r.err = rc;
    r.start_ns = p->start_ns;
    r.end_ns = MonotonicNs();
    return r;
  }
  std::shared_ptr<LineMatcher> ready = ReadyMatcher(req);
  std::thread(&Commands::Monitor, this, p, out_pipe[0], err_pipe[0], in_pipe[1],
              std::string(req.data.begin(), req.data.end()), ready, req.ready_stream)
      .detach();
  if (ready != nullptr) return AwaitReady(req, *p);
  if (req.background) {
    r.ret = pid;
    r.pid = pid;
    r.start_ns = p->start_ns;
    r.end_ns = MonotonicNs();
    return r;
  }
  WaitFinished(*p, 0);
  std::lock_guard lock(mu_);
  return Describe(req.id, *p);
}

Reply Commands::AwaitReady(const Request& req, Proc& p) {
  const int64_t deadline = MonotonicNs() + std::max<int64_t>(req.timeout_ns, 0);
  std::unique_lock lock(mu_);
  for (;;) {
    if (p.ready || p.finished) break;
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0) break;
    cv_.wait_for(lock, std::chrono::nanoseconds(left));
  }
  if (!p.ready && p.finished) return Describe(req.id, p);  // it ended first
  Reply r;
  r.id = req.id;
  r.ret = p.pid;
  r.pid = p.pid;
  r.start_ns = p.start_ns;
  r.end_ns = MonotonicNs();
  r.ready = p.ready;
  r.ready_line = p.ready_line;
  return r;
}

void Commands::Monitor(std::shared_ptr<Proc> p, int out_fd, int err_fd, int in_fd,
                       std::string input, std::shared_ptr<LineMatcher> ready, int ready_stream) {
  for (int fd : {out_fd, err_fd, in_fd}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  size_t written = 0;
  if (in_fd >= 0 && input.empty()) CloseFd(&in_fd);
  std::string out, err;
  int64_t out_bytes = 0, err_bytes = 0;
  char buf[16384];
  // Reads what `fd` has now; closes it at EOF or error.
  // The ready test reads every byte of its stream, as it arrives.
  auto test_line = [&](int stream, ssize_t n) {
    if (ready == nullptr || stream != ready_stream || ready->matched()) return;
    std::optional<std::string> line = ready->Feed(std::string_view(buf, static_cast<size_t>(n)));
    if (!line) return;
    std::lock_guard lock(mu_);
    p->ready = true;
    p->ready_line = std::move(*line);
    cv_.notify_all();
  };
  auto drain = [&](int* fd, std::string* keep, int64_t* count) {
    const int stream = keep == &out ? 1 : 2;
    for (;;) {
      const ssize_t n = read(*fd, buf, sizeof buf);
      if (n > 0) {
        Append(keep, count, buf, static_cast<size_t>(n));
        test_line(stream, n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      CloseFd(fd);
      return;
    }
  };
  bool exited = false;
  while (!exited) {
    pollfd fds[4];
    int n = 0;
    fds[n++] = {p->exit_event, POLLIN, 0};
    const int out_i = out_fd >= 0 ? n : -1;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    const int err_i = err_fd >= 0 ? n : -1;
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    const int in_i = in_fd >= 0 ? n : -1;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) continue;  // EINTR
    if (out_i >= 0 && fds[out_i].revents != 0) drain(&out_fd, &out, &out_bytes);
    if (err_i >= 0 && fds[err_i].revents != 0) drain(&err_fd, &err, &err_bytes);
    if (in_i >= 0 && fds[in_i].revents != 0) {
      const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        CloseFd(&in_fd);  // all written (EOF for the program), or it closed its end
      }
    }
    exited = fds[0].revents != 0;
  }
  // It has exited: what it wrote is in the pipes now. Whatever it left
  // running may hold the pipes open; only what is there now counts.
  if (out_fd >= 0) drain(&out_fd, &out, &out_bytes);
  if (err_fd >= 0) drain(&err_fd, &err, &err_bytes);
  for (int* fd : {&out_fd, &err_fd, &in_fd}) CloseFd(fd);
  std::lock_guard lock(mu_);
  CloseFd(&p->exit_event);
  p->out = std::move(out);
  p->err = std::move(err);
  p->out_bytes = out_bytes;
  p->err_bytes = err_bytes;
  p->finished = true;
  cv_.notify_all();
}

bool Commands::WaitFinished(Proc& p, int64_t deadline_ns) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (p.finished) return true;
    if (deadline_ns == 0) {
      cv_.wait(lock);
      continue;
    }
    const int64_t left = deadline_ns - MonotonicNs();
    if (left <= 0) return false;
    cv_.wait_for(lock, std::chrono::nanoseconds(left));
  }
}

Reply Commands::Describe(uint64_t id, const Proc& p) {
  Reply r;
  r.id = id;
  r.ret = 0;
  r.pid = p.pid;
  r.exited = p.exited;
  r.stopped = p.signalled;
  if (WIFEXITED(p.status)) r.exit_code = WEXITSTATUS(p.status);
  if (WIFSIGNALED(p.status)) r.term_signal = WTERMSIG(p.status);
  r.out.assign(p.out.begin(), p.out.end());
  r.err_out.assign(p.err.begin(), p.err.end());
  r.out_bytes = p.out_bytes;
  r.err_bytes = p.err_bytes;
  r.start_ns = p.start_ns;
  r.end_ns = p.end_ns;
  return r;
}

Reply Commands::Wait(const Request& req) {
  std::shared_ptr<Proc> p = Find(req.fd);
  if (!p) return ErrorReply(req.id, fmt::format("no command named '{}' on this host", req.fd));
  WaitFinished(*p, 0);
  std::lock_guard lock(mu_);
  return Describe(req.id, *p);
}

Reply Commands::Stop(const Request& req) {
  std::shared_ptr<Proc> p = Find(req.fd);
  if (!p) return ErrorReply(req.id, fmt::format("no command named '{}' on this host", req.fd));
  {
    std::lock_guard lock(mu_);
    if (!p->exited) {
      p->signalled = true;
      kill(-p->pid, SIGTERM);
    }
  }
  if (!WaitFinished(*p, MonotonicNs() + req.timeout_ns)) {
    {
      std::lock_guard lock(mu_);
      if (!p->exited) kill(-p->pid, SIGKILL);
    }
    if (!WaitFinished(*p, MonotonicNs() + kAfterKillNs)) {
      return ErrorReply(
          req.id, fmt::format("command '{}' (pid {}) did not exit after SIGKILL", req.fd, p->pid));
    }
  }
  std::lock_guard lock(mu_);
  return Describe(req.id, *p);
}

void Commands::KillAll() {
  std::lock_guard lock(mu_);
  for (auto& [pid, p] : by_pid_) {
    p->signalled = true;
    kill(-pid, SIGKILL);
  }
}

}  // namespace faultline::peer
