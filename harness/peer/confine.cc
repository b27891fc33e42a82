#include "harness/peer/confine.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

namespace faultline::peer {
namespace {

constexpr unsigned long kSafe = MS_NOSUID | MS_NODEV | MS_NOEXEC;

bool Exists(const char* path, struct stat* st) { return stat(path, st) == 0; }

// Detaches whatever is mounted at `path` (and below it) in this mount
// namespace, if it can: only after every mount was made private, so the
// machine's own mounts stay where they are. Locked mounts (a user namespace)
// and paths that are not a mount point stay; the new mount goes on top.
void DetachOld(const char* path) { (void)umount2(path, MNT_DETACH); }

bool MountFresh(const char* fstype, const char* path, const char* data) {
  DetachOld(path);
  return mount(fstype, path, fstype, kSafe, data) == 0;
}

}  // namespace

int ConfineMounts() {
  // First, and required: with shared mounts a detach below would propagate
  // to the machine's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 0;
  // The procfs takes the PID namespace of the mounting process: ours.
  if (!MountFresh("proc", "/proc", nullptr)) return 1;
  // The sysfs takes the network namespace of the mounting process: the lab
  // host's (setns came first).
  if (!MountFresh("sysfs", "/sys", nullptr)) return 2;
  struct stat run {
  }, var_run{};
  if (Exists("/run/netns", &run)) {
    if (!MountFresh("tmpfs", "/run/netns", "mode=755,size=16k")) return 3;
    if (!Exists("/run/netns", &run)) return 3;
  } else if (errno != ENOENT) {
    return 3;
  }
  if (!Exists("/var/run/netns", &var_run)) return errno == ENOENT ? -1 : 4;
  // Usually /var/run is a symlink to /run: the same directory, done above.
  if (var_run.st_dev == run.st_dev && var_run.st_ino == run.st_ino) return -1;
  if (!MountFresh("tmpfs", "/var/run/netns", "mode=755,size=16k")) return 4;
  return -1;
}

}  // namespace faultline::peer
