// Rootless runs: an ordinary user runs labs from inside a user namespace.
//
// A network namespace is owned by the user namespace its creator was in,
// and CAP_NET_ADMIN in the owning user namespace is all that links,
// addresses, routes, nf_tables rules, NFQUEUE and packet sockets need. So a
// runner that is not root first makes a user namespace in which it is root
// (its own uid and gid mapped to 0, setgroups denied, as an unprivileged
// process must), and every lab it builds afterwards belongs to it. Nothing
// of the host changes: the user namespace, like the lab, is anonymous and
// dies with the process.
//
// What the kernel may refuse, and how it is reported (never changed):
//   - user namespaces for unprivileged users: kernel.unprivileged_userns_clone
//     (Debian's patch), user.max_user_namespaces = 0, AppArmor's
//     kernel.apparmor_restrict_unprivileged_userns, a container's seccomp;
//   - some net.* sysctls are read-only or absent in a namespace owned by a
//     user namespace other than the initial one (harness/lab/lab.cc turns
//     that into a skip of the case that sets one, naming the sysctl);
//   - iptables-legacy wants /run/xtables.lock (harness/runner/preflight.h
//     probes for it before the first lab).
#pragma once

#include <string>

#include "harness/common/status.h"

namespace faultline {

// When the effective uid is not 0: unshare(CLONE_NEWUSER), deny setgroups,
// map the caller's uid and gid to 0, then move the process into a private
// network namespace owned by that user namespace (the runner's "home": the
// lab's threads must be able to setns back to it). Must be called while the
// process has a single thread (the kernel refuses a multi-threaded
// unshare(CLONE_NEWUSER), and the new home must be every thread's). A no-op
// for root.
// kUnsupported with every reason found (sysctls named with their values, and
// what an administrator could change) when the kernel does not allow it.
Status EnterRootlessUserNamespace();

// True once EnterRootlessUserNamespace made the process root of its own
// user namespace.
bool RunningRootless();

// "uid 1000 (gid 1000)": who the process really is, outside.
std::string RootlessOuterIdentity();

}  // namespace faultline
