#include "harness/lab/rootless.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "harness/common/unique_fd.h"

namespace faultline {
namespace {

std::atomic<bool> g_rootless{false};
uid_t g_outer_uid = 0;
gid_t g_outer_gid = 0;

// A /proc file's first line, or "" when it does not exist / cannot be read.
std::string ReadFirstLine(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  char buf[256];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

Status WriteProcFile(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Status::FromErrno(fmt::format("open {}", path), errno);
  const ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0) return Status::FromErrno(fmt::format("write '{}' to {}", text, path), errno);
  return Status::Ok();
}

int ThreadCount() {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Why the kernel may refuse an unprivileged user namespace, from the knobs
// that exist on this machine; "" when none of them explains it.
std::string KnownBlockers() {
  std::string out;
  if (ReadFirstLine("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
    out +=
        "\n  - kernel.unprivileged_userns_clone = 0: this kernel lets only root create user "
        "namespaces (an administrator can allow them: sysctl -w "
        "kernel.unprivileged_userns_clone=1)";
  }
  if (ReadFirstLine("/proc/sys/user/max_user_namespaces") == "0") {
    out +=
        "\n  - user.max_user_namespaces = 0: user namespaces are disabled (an administrator "
        "can allow them: sysctl -w user.max_user_namespaces=10000)";
  }
  if (ReadFirstLine("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1") {
    out +=
        "\n  - kernel.apparmor_restrict_unprivileged_userns = 1: AppArmor gives unprivileged "
        "user namespaces no capabilities unless the program has a profile allowing `userns` "
        "(an administrator can add one for faultline, or set the sysctl to 0)";
  }
  return out;
}

Status Refused(const std::string& what, const Status& st) {
  std::string why = KnownBlockers();
  if (why.empty()) {
    why =
        "\n  - no kernel setting on this machine explains it; inside a container, its seccomp "
        "profile or the runtime may forbid user namespaces (Docker: --security-opt "
        "seccomp=unconfined, or run privileged)";
  }
  return Status::Unsupported(fmt::format(
      "running rootless (as uid {}) needs a user namespace, and {}: {}.\nWhy:{}\nRun as "
      "root (sudo) instead, or ask an administrator to allow unprivileged user namespaces; "
      "faultline never changes these settings itself.",
      getuid(), what, st.message(), why));
}

}  // namespace

bool RunningRootless() { return g_rootless.load(); }

std::string RootlessOuterIdentity() {
  return fmt::format("uid {} (gid {})", g_outer_uid, g_outer_gid);
}

Status EnterRootlessUserNamespace() {
  if (geteuid() == 0) return Status::Ok();
  g_outer_uid = geteuid();
  g_outer_gid = getegid();
  if (unshare(CLONE_NEWUSER) != 0) {
    const int err = errno;
    if (err == EINVAL && ThreadCount() > 1) {
      return Status::System(fmt::format(
          "unshare(CLONE_NEWUSER) must happen while the runner has one thread; it has {}",
          ThreadCount()));
    }
    return Refused("the kernel refused to create one",
                   Status::FromErrno("unshare(CLONE_NEWUSER)", err));
  }
  // An unprivileged process may write a one-line map of its own ids, and
  // the gid map only after giving up setgroups.
  if (Status st = WriteProcFile("/proc/self/setgroups", "deny"); !st.ok()) {
    return Refused("could not deny setgroups in it", st);
  }
  if (Status st = WriteProcFile("/proc/self/uid_map", fmt::format("0 {} 1", g_outer_uid));
      !st.ok()) {
    return Refused("could not map its uid to root in it", st);
  }
  if (Status st = WriteProcFile("/proc/self/gid_map", fmt::format("0 {} 1", g_outer_gid));
      !st.ok()) {
    return Refused("could not map its gid to root in it", st);
  }
  // The runner's own network namespace too: the lab's threads return to
  // the namespace they came from after building in a lab's (lab.cc), and
  // setns into the host's namespace needs CAP_SYS_ADMIN over the initial
  // user namespace, which we do not have. A private, empty namespace owned
  // by our user namespace is home instead; the runner needs nothing of the
  // host's network. This also shows AppArmor's restriction, which lets the
  // user namespace exist but without capabilities.
  if (unshare(CLONE_NEWNET) != 0) {
    return Refused("cannot create a network namespace in it",
                   Status::FromErrno("unshare(CLONE_NEWNET)", errno));
  }
  g_rootless.store(true);
  return Status::Ok();
}

}  // namespace faultline
