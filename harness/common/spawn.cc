#include "harness/common/spawn.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace faultline {
namespace {

// The child's stack: the child runs only small async-signal-safe code before
// execve, but the dynamic loader's lazy binding may run on it too.
constexpr size_t kChildStack = 256 * 1024;

struct Trampoline {
  void (*fn)(void*);
  void* arg;
  sigset_t mask;  // the caller's, restored in the child before fn
};

int ChildMain(void* p) {
  auto* t = static_cast<Trampoline*>(p);
  sigprocmask(SIG_SETMASK, &t->mask, nullptr);
  t->fn(t->arg);
  _exit(127);
}

}  // namespace

pid_t SpawnChildRaw(void (*fn)(void*), void* arg, int clone_flags) {
  void* stack = mmap(nullptr, kChildStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  Trampoline t{fn, arg, {}};
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &t.mask);
  // The stack grows down on every architecture Linux runs faultline on.
  const pid_t pid = clone(ChildMain, static_cast<char*>(stack) + kChildStack,
                          CLONE_VM | CLONE_VFORK | SIGCHLD | clone_flags, &t);
  const int err = errno;
  pthread_sigmask(SIG_SETMASK, &t.mask, nullptr);
  // CLONE_VFORK: the child has exec'd or exited; its stack is free again.
  munmap(stack, kChildStack);
  errno = err;
  return pid;
}

}  // namespace faultline
