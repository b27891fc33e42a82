// The peer's jail: what a peer (and every command a `run` step starts in it)
// sees of the machine (docs/design.md, "What a case can and cannot do").
//
// A peer is cloned with CLONE_NEWPID | CLONE_NEWNS (peer_client.cc): it is
// the init of its own PID namespace and has a mount namespace of its own.
// ConfineMounts, run in that child after setns into the host's network
// namespace and before execve, makes every mount private (so nothing it does
// propagates back to the machine), then replaces
//   /proc          with a procfs of the peer's PID namespace: /proc/1 is the
//                  peer, no process outside the lab host is visible, so
//                  /proc/PID/ns/* of other processes cannot be entered;
//   /sys           with a sysfs of the host's network namespace, so
//                  /sys/class/net lists the lab's interfaces;
//   /run/netns     with an empty tmpfs (and /var/run/netns when it is a
//   /var/run/netns separate directory), so `ip netns` finds no named
//                  namespace of other programs.
// Where the old mount can be detached (real root) it is, so unmounting the
// new one does not uncover the machine's; in a user namespace the inherited
// mounts are locked and the new ones go on top.
//
// Async-signal-safe: only syscalls (mount, umount2, stat), no allocation,
// because it runs in the clone(CLONE_VM | CLONE_VFORK) child of a
// multi-threaded runner (harness/common/spawn.h).
#pragma once

namespace faultline::peer {

// The steps of ConfineMounts, in order; kConfineSteps[i] names step i in an
// error message ("starting peer 'client' (...): mounting proc on /proc: ...").
inline constexpr const char* kConfineSteps[] = {
    "making every mount private (mount / MS_REC|MS_PRIVATE)",
    "mounting proc on /proc",
    "mounting sysfs on /sys",
    "mounting an empty tmpfs on /run/netns",
    "mounting an empty tmpfs on /var/run/netns",
};
inline constexpr int kConfineStepCount = sizeof kConfineSteps / sizeof kConfineSteps[0];

// Returns -1 on success, else the index of the step that failed (errno set).
// A directory that does not exist (/run/netns on a machine where no named
// namespace was ever made) is skipped: there is nothing behind it to hide, and
// named namespaces made later are mounts that no longer propagate to the peer.
int ConfineMounts();

}  // namespace faultline::peer
