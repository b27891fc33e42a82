// Crash safety: whatever kills the runner, the host is left as it was. The
// lab is anonymous namespaces held by the runner's fds and by its peers, and
// each peer exits when its control socket reaches EOF, so the kernel frees
// everything once the runner is gone. These tests kill a real runner in the
// middle of a case and of a parallel suite and then look for leftovers.
// SIGINT and SIGTERM are a stop, not a kill (harness/common/interrupt.h):
// the runner must exit promptly with 128 + N and still write reports that
// list the cases that finished and the ones it interrupted.
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
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "harness/common/clock.h"
#include "reports/json.h"

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
  s.named_netns = Shell("ls /run/netns 2>/dev/null | grep hang");
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

// (signal, rootless): rootless runs start the runner as uid 65534 through
// setpriv, so its labs belong to a user namespace of its own
// (harness/lab/rootless.h).
class CrashTest : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    dir_ = fs::temp_directory_path() / ("faultline-crash-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (std::get<1>(GetParam())) {
      ASSERT_EQ(access("/usr/bin/setpriv", X_OK), 0) << "setpriv (util-linux) is needed";
      ASSERT_EQ(chown(dir_.c_str(), 65534, 65534), 0) << strerror(errno);
    }
  }
  void TearDown() override {
    if (runner_ > 0 && Alive(runner_)) {
      kill(runner_, SIGKILL);
      waitpid(runner_, nullptr, 0);
    }
    if (pidfd_ >= 0) close(pidfd_);
    if (out_fd_ >= 0) close(out_fd_);
    fs::remove_all(dir_);
  }

  // Writes one case that passes at once (done0, first in file order) and
  // `n` cases that each block in recv for 60 s, and starts a runner on them
  // with `jobs` labs at once, its stdout and stderr on a pipe (ReadOutput).
  void StartRunner(int n, int jobs) {
    std::ofstream(dir_ / "a-done0.yaml") << "name: done0\nsteps:\n"
                                         << "  - server: listen 8080\n"
                                         << "  - client: {connect: \"server:8080\", as: c}\n";
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
    std::vector<char*> argv;
    if (std::get<1>(GetParam())) {
      for (const char* a : {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--reset-env"}) {
        argv.push_back(const_cast<char*>(a));
      }
    }
    argv.insert(argv.end(), {const_cast<char*>(FAULTLINE_BIN), const_cast<char*>("run"),
                             const_cast<char*>("--no-color"), const_cast<char*>("-j"), j.data(),
                             const_cast<char*>("--out"), out.data(), cases.data(), nullptr});
    int out_pipe[2];
    ASSERT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDERR_FILENO);
    const int rc = posix_spawn(&runner_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    out_fd_ = out_pipe[0];
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(fcntl(out_fd_, F_SETFL, O_NONBLOCK), 0);
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, runner_, 0));
    ASSERT_GE(pidfd_, 0) << "pidfd_open: " << strerror(errno);
  }

  // Appends whatever the runner printed since the last call; returns all of it.
  const std::string& ReadOutput() {
    char buf[4096];
    ssize_t n;
    while (out_fd_ >= 0 && (n = read(out_fd_, buf, sizeof buf)) > 0) {
      output_.append(buf, static_cast<size_t>(n));
    }
    return output_;
  }

  // Waits (bounded) for the runner to exit; its wait status, or -1.
  int WaitRunner(std::chrono::milliseconds bound) {
    pollfd p{pidfd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(bound.count())) != 1) return -1;
    int status = 0;
    if (waitpid(runner_, &status, 0) != runner_) return -1;
    runner_ = -1;
    return status;
  }

  fs::path dir_;
  pid_t runner_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

TEST_P(CrashTest, KilledRunnerLeavesNothingBehind) {
  const int sig = std::get<0>(GetParam());
  const bool rootless = std::get<1>(GetParam());
  const HostState before = ReadHostState();

  // Four labs at once, each hung in its last step, after done0 has passed
  // (both variants; its peers are gone by the time its line is printed).
  ASSERT_NO_FATAL_FAILURE(StartRunner(8, 4));
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string& out = ReadOutput();
        return out.find("done0 [ipv4]") != std::string::npos &&
               out.find("done0 [ipv6]") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << "done0 did not finish; runner output:\n"
      << ReadOutput();
  // (A machine without unprivileged user namespaces fails here, with the
  // runner's explanation in the output: the rootless variants must not pass
  // silently there.)
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
  // Rootless, the runner itself lives in a private namespace (its "home"):
  // that must go too. As root it is the host's own.
  std::set<ino_t> runner_netns;
  if (rootless) {
    runner_netns = NetnsOf({runner_});
    EXPECT_EQ(runner_netns.size(), 1u);
    for (ino_t own : NetnsOf({getpid()})) EXPECT_EQ(runner_netns.count(own), 0u);
  }

  ASSERT_EQ(kill(runner_, sig), 0);
  // SIGINT/SIGTERM: the running labs are torn down at once, not after the
  // cases' 60 s timeout (the bound leaves room for a loaded machine).
  const int status = WaitRunner(std::chrono::seconds(15));
  ASSERT_NE(status, -1) << "the runner did not exit within 15 s of the signal; output:\n"
                        << ReadOutput();
  if (sig == SIGKILL) {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  } else {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig)
        << "status " << status << "; output:\n"
        << ReadOutput();
  }

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
  for (ino_t ns : runner_netns) EXPECT_EQ(now.count(ns), 0u) << "the runner's namespace lives on";
  EXPECT_EQ(ReadHostState(), before);
  if (sig == SIGKILL) return;

  // The reports exist, parse, and list done0 as passed and the hung cases
  // that were running as interrupted in their last step.
  const std::string out = ReadOutput();
  const std::string signame = sig == SIGINT ? "SIGINT" : "SIGTERM";
  EXPECT_NE(out.find("interrupted by " + signame), std::string::npos) << out;
  EXPECT_NE(out.find("passed"), std::string::npos) << "no summary line:\n" << out;
  const fs::path reports = dir_ / "out";
  EXPECT_TRUE(fs::exists(reports / "report.html"));
  std::ifstream json_in(reports / "report.json");
  ASSERT_TRUE(json_in) << "no report.json; output:\n" << out;
  const std::string json((std::istreambuf_iterator<char>(json_in)), {});
  StatusOr<RunResult> run = ParseReportJson(json);
  ASSERT_TRUE(run.ok()) << run.status().message();
  int passed = 0, interrupted = 0;
  for (const CaseResult& r : run->cases) {
    if (r.name == "done0") {
      EXPECT_EQ(r.outcome, Outcome::kPass) << r.variant << ": " << r.message;
      ++passed;
    } else {
      EXPECT_EQ(r.outcome, Outcome::kError) << r.name << " [" << r.variant << "]";
      EXPECT_NE(r.message.find("interrupted by " + signame), std::string::npos) << r.message;
      // Stopped in its hung step (4: recv) or, if the signal came while the
      // case set up, before a step or before its lab: never a timeout.
      EXPECT_EQ(r.message.find("timeout"), std::string::npos) << r.message;
      ++interrupted;
    }
  }
  EXPECT_EQ(passed, 2);
  EXPECT_GE(interrupted, 4) << "the four running labs";
  pugi::xml_document junit;
  pugi::xml_parse_result parsed = junit.load_file((reports / "junit.xml").c_str());
  ASSERT_TRUE(parsed) << "junit.xml: " << parsed.description();
  int testcases = 0;
  bool junit_has_done0 = false;
  for (pugi::xpath_node tc : junit.select_nodes("//testcase")) {
    ++testcases;
    if (std::string(tc.node().attribute("name").value()).find("done0") != std::string::npos)
      junit_has_done0 = true;
  }
  EXPECT_EQ(testcases, static_cast<int>(run->cases.size()));
  EXPECT_TRUE(junit_has_done0);
}

// A second SIGINT/SIGTERM ends the runner at once, killed by that signal,
// without waiting for the teardown or the reports; the labs still go.
class SecondSignalTest : public CrashTest {};

TEST_P(SecondSignalTest, ExitsAtOnceAndLeavesNothingBehind) {
  const int sig = std::get<0>(GetParam());
  const HostState before = ReadHostState();
  ASSERT_NO_FATAL_FAILURE(StartRunner(8, 4));
  std::vector<pid_t> peers;
  ASSERT_TRUE(
      WaitFor([&] { return (peers = PeersOf(runner_)).size() >= 8; }, std::chrono::seconds(30)))
      << "the runner did not start 4 labs; output:\n"
      << ReadOutput();
  const std::set<ino_t> lab_netns = NetnsOf(peers);
  ASSERT_EQ(kill(runner_, sig), 0);
  // The watcher thread has taken the first one once it says so.
  ASSERT_TRUE(WaitFor([&] { return ReadOutput().find(" received: ") != std::string::npos; },
                      std::chrono::seconds(10)))
      << ReadOutput();
  ASSERT_EQ(kill(runner_, sig), 0);
  const int status = WaitRunner(std::chrono::seconds(15));
  ASSERT_NE(status, -1) << "the runner did not exit within 15 s of the second signal";
  // Killed by the signal; only if the teardown of four labs and the reports
  // all finished before the second signal arrived is it the first's 128 + N.
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == sig) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig))
      << "status " << status;
  RecordProperty("killed_by_second_signal", WIFSIGNALED(status) ? "yes" : "no");
  for (pid_t p : peers) {
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, p, 0));
    if (fd < 0) continue;  // already gone
    pollfd pfd{fd, POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 5000), 1) << "a peer outlived the runner by 5 s";
    close(fd);
  }
  std::set<ino_t> now = AllNetns();
  for (ino_t ns : lab_netns) EXPECT_EQ(now.count(ns), 0u) << "lab namespace still in use";
  EXPECT_EQ(ReadHostState(), before);
}

INSTANTIATE_TEST_SUITE_P(Signals, CrashTest,
                         ::testing::Combine(::testing::Values(SIGKILL, SIGTERM, SIGINT),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           const int sig = std::get<0>(info.param);
                           return std::string(sig == SIGKILL   ? "sigkill"
                                              : sig == SIGTERM ? "sigterm"
                                                               : "sigint") +
                                  (std::get<1>(info.param) ? "_rootless" : "");
                         });

INSTANTIATE_TEST_SUITE_P(Signals, SecondSignalTest,
                         ::testing::Combine(::testing::Values(SIGTERM, SIGINT), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == SIGTERM ? "sigterm"
                                                                                 : "sigint") +
                                  (std::get<1>(info.param) ? "_rootless" : "");
                         });

}  // namespace
}  // namespace faultline
