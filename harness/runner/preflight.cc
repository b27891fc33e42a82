#include "harness/runner/preflight.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <fmt/format.h>

#include "harness/common/unique_fd.h"
#include "harness/lab/rootless.h"
#include "injectors/queue_rules.h"

namespace faultline {

Status RootlessWireError(const std::string& identity, const Status& install_error) {
  return Status::Unsupported(fmt::format(
      "running rootless (as {}), the wire's NFQUEUE rule cannot be installed from the user "
      "namespace: {}\n(iptables-legacy needs /run/xtables.lock, which only root may create: "
      "use iptables-nft, Debian's default; the xt_NFQUEUE and nf_tables modules must already "
      "be loaded, since a user namespace cannot load modules) -- or run as root",
      identity, install_error.message()));
}

Status CheckRootlessWire(const QueueRuleInstaller& install) {
  // A short-lived thread makes the namespace, so the caller's own thread
  // never changes namespace (docs/design.md, "The lab").
  UniqueFd ns;
  int err = 0;
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    ns.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns) err = errno;
  }).join();
  if (!ns) return Status::FromErrno("making a test network namespace", err);
  Status st = install ? install(ns.get()) : InstallQueueRules(ns.get(), 0);
  if (st.ok()) return st;
  return RootlessWireError(RootlessOuterIdentity(), st);
}

Status RootlessPreflight() {
  if (geteuid() == 0) return Status();
  Status st = EnterRootlessUserNamespace();
  if (st.ok()) st = CheckRootlessWire();
  return st;
}

}  // namespace faultline
