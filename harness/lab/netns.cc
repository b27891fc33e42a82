#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <cstdlib>

#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"

namespace faultline {

Status InNetns(int netns_fd, const std::function<Status()>& fn) {
  UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self) return Status::FromErrno("open /proc/thread-self/ns/net", errno);
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return Status::FromErrno("setns into lab namespace", errno);
  Status st = fn();
  if (::setns(self.get(), CLONE_NEWNET) != 0) {
    // The thread would keep running in the lab's namespace: nothing the
    // runner does afterwards on this thread could be trusted.
    std::abort();
  }
  return st;
}

}  // namespace faultline
