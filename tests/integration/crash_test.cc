// Crash safety: whatever kills the runner, the host is left as it was. The
// lab is anonymous namespaces held by the runner's fds and by its peers, and
// each peer exits when its control socket reaches EOF, so the kernel frees
// everything once the runner is gone. These tests kill a real runner in the
// middle of a case and of a parallel suite and then look for leftovers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/common/clock.h"

extern char** environ;

namespace faultline {
namespace {

namespace fs = std::filesystem;

// The contents of a /proc file, or "" when it cannot be read: processes of
// other tests come and go while /proc is scanned.
std::string ReadFile(const fs::path& p) {
  std::string out;
  int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// Output of a shell command (host-namespace inspection tools).
std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// What the host namespace looks like: links, named namespaces, NFQUEUE rules.
struct HostState {
  std::string links, named_netns, nfqueue_rules;
  bool operator==(const HostState&) const = default;
};
HostState ReadHostState() {
  HostState s;
  s.links = Shell("ip -o link show | cut -d: -f2");
  // Other tests may name namespaces of their own (--keep); only names this
  // test's cases could produce count.
  s.named_netns = Shell("ls /run/netns | grep hang");
  s.nfqueue_rules = Shell("iptables-save | grep -c NFQUEUE; ip6tables-save | grep -c NFQUEUE");
  return s;
}

// Peers the runner started: its children running `__peer`.
std::vector<pid_t> PeersOf(pid_t runner) {
  std::vector<pid_t> out;
  std::error_code dir_ec;
  for (const auto& e : fs::directory_iterator("/proc", dir_ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadFile(e.path() / "stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid) != 1 || ppid != runner) continue;
    if (ReadFile(e.path() / "cmdline").find("__peer") != std::string::npos) {
      out.push_back(static_cast<pid_t>(std::stoi(name)));
    }
  }
  return out;
}

// Network namespace identities (st_ino of /proc/PID/ns/net) of processes.
std::set<ino_t> NetnsOf(const std::vector<pid_t>& pids) {
  std::set<ino_t> out;
  for (pid_t p : pids) {
    struct stat st {};
    if (stat(("/proc/" + std::to_string(p) + "/ns/net").c_str(), &st) == 0) out.insert(st.st_ino);
  }
  return out;
}

// Every network namespace any process on the machine is in.
std::set<ino_t> AllNetns() {
  std::vector<pid_t> pids;
  std::error_code dir_ec;
  for (const auto& e : fs::directory_iterator("/proc", dir_ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") == std::string::npos) pids.push_back(std::stoi(name));
  }
  return NetnsOf(pids);
}

bool Alive(pid_t p) { return kill(p, 0) == 0; }

// Polls `cond` every millisecond until it holds or `bound` passes. Used only
// where no event exists to wait on (another process starting its children).
template <typename F>
bool WaitFor(F cond, std::chrono::milliseconds bound) {
  const int64_t deadline = MonotonicNs() + bound.count() * 1'000'000;
  while (!cond()) {
    if (MonotonicNs() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class CrashTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    dir_ = fs::temp_directory_path() / ("faultline-crash-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (runner_ > 0 && Alive(runner_)) {
      kill(runner_, SIGKILL);
      waitpid(runner_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  // Writes `n` cases that each block in recv for 60 s, and starts a runner
  // on them with `jobs` labs at once.
  void StartRunner(int n, int jobs) {
    for (int i = 0; i < n; ++i) {
      std::ofstream(dir_ / ("hang" + std::to_string(i) + ".yaml"))
          << "name: hang" << i << "\ntimeout: 60s\nsteps:\n"
          << "  - server: listen 8080\n"
          << "  - client: {connect: \"server:8080\", as: c}\n"
          << "  - server: {accept: ls, as: s}\n"
          << "  - server: {recv: s}\n";
    }
    std::string out = (dir_ / "out").string();
    std::string j = std::to_string(jobs);
    std::string cases = dir_.string();
    std::vector<char*> argv = {const_cast<char*>(FAULTLINE_BIN),
                               const_cast<char*>("run"),
                               const_cast<char*>("--no-color"),
                               const_cast<char*>("-j"),
                               j.data(),
                               const_cast<char*>("--out"),
                               out.data(),
                               cases.data(),
                               nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&runner_, FAULTLINE_BIN, &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
  }

  fs::path dir_;
  pid_t runner_ = -1;
};

TEST_P(CrashTest, KilledRunnerLeavesNothingBehind) {
  const int sig = GetParam();
  const HostState before = ReadHostState();

  // Four labs at once, each hung in its last step.
  ASSERT_NO_FATAL_FAILURE(StartRunner(8, 4));
  std::vector<pid_t> peers;
  ASSERT_TRUE(
      WaitFor([&] { return (peers = PeersOf(runner_)).size() >= 8; }, std::chrono::seconds(20)))
      << "the runner did not start 4 labs; peers seen: " << peers.size();
  const std::set<ino_t> lab_netns = NetnsOf(peers);
  std::vector<int> peer_fds;
  for (pid_t p : peers) {
    int fd = static_cast<int>(syscall(SYS_pidfd_open, p, 0));
    ASSERT_GE(fd, 0) << "pidfd_open: " << strerror(errno);
    peer_fds.push_back(fd);
  }
  EXPECT_GE(lab_netns.size(), 8u);
  EXPECT_NE(ReadHostState().links, "") << "sanity";

  ASSERT_EQ(kill(runner_, sig), 0);
  int status = 0;
  ASSERT_EQ(waitpid(runner_, &status, 0), runner_);
  // Killed, or (SIGINT/SIGTERM) stopped early with a failing status.
  EXPECT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
      << "status " << status;
  runner_ = -1;

  // Every peer notices the runner is gone and exits by itself.
  for (int fd : peer_fds) {
    pollfd pfd{fd, POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 5000), 1) << "a peer outlived the runner by 5 s";
    close(fd);
  }
  // No process is left in any lab namespace (other tests may run labs of
  // their own at the same time, so only this runner's are checked).
  std::set<ino_t> now = AllNetns();
  for (ino_t ns : lab_netns) EXPECT_EQ(now.count(ns), 0u) << "lab namespace still in use";
  EXPECT_EQ(ReadHostState(), before);
}

INSTANTIATE_TEST_SUITE_P(Signals, CrashTest, ::testing::Values(SIGKILL, SIGTERM, SIGINT),
                         [](const auto& info) {
                           return std::string(info.param == SIGKILL   ? "sigkill"
                                              : info.param == SIGTERM ? "sigterm"
                                                                      : "sigint");
                         });

}  // namespace
}  // namespace faultline
