// A `run:` command cannot leave its lab host (harness/peer/confine.h,
// docs/design.md "What a case can and cannot do"): each escape attempt is
// made from a case's commands, in a real lab, and must fail. Needs root;
// skips otherwise.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/unique_fd.h"
#include "harness/peer/peer_client.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsSubsetOf;

class LabJailTest : public CaseFixture {
 protected:
  // Runs one command on the client (`run:` given as a YAML flow sequence);
  // the case passes when the command exits 0.
  CaseResult RunCommand(const std::string& run) {
    return Run("name: jail\nsteps:\n  - client: {run: " + run + "}\n");
  }
};

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

std::string Readlink(const std::string& path) {
  std::error_code ec;
  return fs::read_symlink(path, ec).string();
}

TEST_F(LabJailTest, ProcOneIsThePeerNotTheMachinesInit) {
  CaseResult r = RunCommand("[cat, /proc/1/cmdline]");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_THAT(r.steps[0].stdout_text, HasSubstr("__peer")) << r.steps[0].stdout_text;
}

TEST_F(LabJailTest, ProcShowsOnlyTheLabHostsProcesses) {
  // Builtins only besides the shell itself: every process it can see is the
  // peer (pid 1) or this shell.
  CaseResult r = RunCommand(
      "[sh, -c, 'for p in /proc/[0-9]*; do read c < \"$$p/comm\" && "
      "echo \"$${p#/proc/} $$c\"; done']");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const std::set<std::string> seen = Lines(r.steps[0].stdout_text);
  EXPECT_EQ(seen.size(), 2u) << r.steps[0].stdout_text;
  EXPECT_TRUE(seen.count("1 faultline-peer")) << r.steps[0].stdout_text;
  // Not this test process, whatever pid it has in the lab's view.
  for (const std::string& line : seen) EXPECT_THAT(line, ::testing::Not(HasSubstr("integration")));
}

TEST_F(LabJailTest, NsenterIntoProcOneEntersTheLabHostsOwnNetwork) {
  CaseResult r = RunCommand(
      "[sh, -c, 'readlink /proc/self/ns/net; "
      "nsenter --net=/proc/1/ns/net readlink /proc/self/ns/net; "
      "nsenter --net=/proc/1/ns/net ip -o link | cut -d: -f2 | cut -d@ -f1']");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  std::istringstream out(r.steps[0].stdout_text);
  std::string own, entered;
  std::getline(out, own);
  std::getline(out, entered);
  EXPECT_EQ(entered, own);
  EXPECT_NE(entered, Readlink("/proc/self/ns/net")) << "entered the machine's network namespace";
  std::set<std::string> links;
  for (std::string l; std::getline(out, l);) links.insert(l.substr(l.find_first_not_of(' ')));
  EXPECT_EQ(links, (std::set<std::string>{"lo", "eth0"})) << r.steps[0].stdout_text;
}

// A named network namespace made on the machine (as `ip netns add` does),
// removed at the end of the test whatever happens.
class NamedNetns {
 public:
  NamedNetns() : name_("faultline-test-" + std::to_string(getpid())) {
    ok_ = system(("ip netns add " + name_).c_str()) == 0;
  }
  ~NamedNetns() { (void)!system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

TEST_F(LabJailTest, NamedNamespacesOfTheMachineAreNotReachable) {
  NamedNetns named;
  ASSERT_TRUE(named.ok()) << "ip netns add " << named.name();
  ASSERT_TRUE(fs::exists("/run/netns/" + named.name()));
  CaseResult r = RunCommand(
      "[sh, -c, 'ls -A /run/netns /var/run/netns; ip netns list; "
      "ip -all netns exec echo reached; "
      "ip netns exec " +
      named.name() + " echo reached']");
  // The last command fails: there is no such namespace in the lab host.
  ASSERT_EQ(r.outcome, Outcome::kFail) << r.message;
  EXPECT_THAT(r.message, HasSubstr("expected exit 0 vs actual exit 255"));
  EXPECT_THAT(r.steps[0].stderr_text, HasSubstr("Cannot open network namespace")) << r.message;
  const std::string& out = r.steps[0].stdout_text;
  EXPECT_EQ(out, "/run/netns:\n\n/var/run/netns:\n") << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr(named.name())));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("reached")));
}

TEST_F(LabJailTest, SysClassNetListsTheLabHostsInterfaces) {
  // Name and MAC address from sysfs against the same from rtnetlink.
  CaseResult r = RunCommand(
      "[sh, -c, 'for i in /sys/class/net/*; do echo \"$${i##*/} $$(cat $$i/address)\"; "
      "done; echo --; ip -o link | sed -E \"s/^[0-9]+: ([^:@]+)[^ ]*: .* "
      "link.[a-z]+ ([0-9a-f:]+) .*/\\\\1 \\\\2/\"']");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const std::string& out = r.steps[0].stdout_text;
  const size_t sep = out.find("--\n");
  ASSERT_NE(sep, std::string::npos) << out;
  const std::set<std::string> sysfs = Lines(out.substr(0, sep));
  const std::set<std::string> netlink = Lines(out.substr(sep + 3));
  EXPECT_EQ(sysfs, netlink) << out;
  EXPECT_EQ(sysfs.size(), 2u) << out;
}

TEST_F(LabJailTest, AMountACommandMakesStaysInTheLab) {
  char tmpl[] = "/tmp/faultline-jail-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  struct stat before {};
  ASSERT_EQ(stat(dir.c_str(), &before), 0);
  CaseResult r = RunCommand("[mount, -t, tmpfs, none, " + dir + "]");
  struct stat after {};
  ASSERT_EQ(stat(dir.c_str(), &after), 0);
  if (after.st_dev != before.st_dev) (void)umount2(dir.c_str(), MNT_DETACH);  // today's leak
  rmdir(dir.c_str());
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(after.st_dev, before.st_dev) << "the command's mount reached the machine";
}

TEST_F(LabJailTest, LabTrafficStillStaysIn) {
  CaseResult r = RunCommand("[ip, route, get, 192.0.2.1]");
  ASSERT_EQ(r.outcome, Outcome::kFail) << r.message;
  EXPECT_THAT(r.steps[0].stderr_text, HasSubstr("unreachable"));
}

// The library's own guard (cases/isolation/) passes in both families.
TEST_F(LabJailTest, TheIsolationCasePasses) {
  const fs::path file =
      fs::path(FAULTLINE_SOURCE_DIR) / "cases/isolation/command-stays-in-lab.yaml";
  StatusOr<Case> c = LoadCaseFile(file.string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = RunCaseVariant(*c, f, options_);
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  }
}

// A kernel (or seccomp profile) that refuses a mount namespace stops the
// peer's start with an error naming it; the peer never runs unconfined.
#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kAuditArch = 0;
#endif

// On the calling thread only: clone with CLONE_NEWNS fails with EPERM.
bool RefuseMountNamespaces() {
  sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      // The low 32 bits of the flags (little-endian on both architectures).
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWNS, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

TEST(LabJailSpawn, ARefusedMountNamespaceIsAClearError) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to start a peer";
  if (kAuditArch == 0) GTEST_SKIP() << "no seccomp filter for this architecture";
  bool filtered = false;
  Status st;
  // A throwaway thread: the filter and a fresh network namespace (for the
  // peer to enter, were it started) are its own and end with it.
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      st = Status::FromErrno("unshare(CLONE_NEWNET)", errno);
      return;
    }
    UniqueFd netns(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    filtered = netns && RefuseMountNamespaces();
    if (!filtered) return;
    auto p = peer::PeerClient::Spawn(FAULTLINE_BIN, netns.get(), "client");
    st = p.ok() ? Status::Ok() : p.status();
  }).join();
  ASSERT_TRUE(filtered) << "installing the seccomp filter: " << st.ToString();
  ASSERT_FALSE(st.ok()) << "the peer started without a mount namespace of its own";
  EXPECT_THAT(st.message(), HasSubstr("starting peer 'client'"));
  EXPECT_THAT(st.message(), HasSubstr("CLONE_NEWNS"));
  EXPECT_THAT(st.message(), HasSubstr("EPERM"));
}

}  // namespace
}  // namespace faultline
