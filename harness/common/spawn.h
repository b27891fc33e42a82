// Starting a child process from a large, multi-threaded runner without
// fork()'s cost.
//
// fork() copies the caller's page tables and makes every page copy-on-write;
// the exec that follows tears them down again. With 64 labs at once the
// runner has hundreds of MB mapped (capture rings, packet logs) and dozens of
// threads, and every peer or iptables-restore start paid that twice while
// holding the address space's lock that every other thread's page faults
// need: lab setup went from ~0.3 s to ~13 s at -j 64 (docs/performance.md).
//
// SpawnChild starts the child with clone(CLONE_VM | CLONE_VFORK), the way
// posix_spawn does: the child shares the caller's memory (no copy) and the
// calling thread is suspended until the child calls execve or _exit.
//
// Contract for `fn`, which runs in the child: only async-signal-safe calls
// (setns, dup2, fcntl, open, close_range, setpgid, sigprocmask, execve,
// write, _exit); never return normally without exec (if it returns, the
// child _exits with 127); never write to memory the parent uses except
// through those calls (errno is fine: the parent thread is suspended). The
// child starts with the caller's signal mask; all signals are blocked in the
// caller for the duration of the call so no handler runs in the child on
// the shared memory before the mask is set.
#pragma once

#include <sys/types.h>

namespace faultline {

// Returns the child's pid, or -1 with errno set (clone or stack allocation
// failed). The child's exit is reported by SIGCHLD / waitpid as for fork().
// `clone_flags` are added to clone's (e.g. CLONE_NEWPID: the child is the
// first process of a new PID namespace, whose other processes the kernel
// kills when it dies).
pid_t SpawnChildRaw(void (*fn)(void*), void* arg, int clone_flags = 0);

// `fn` is any callable `void()`; see the contract above.
template <typename F>
pid_t SpawnChild(F& fn, int clone_flags = 0) {
  return SpawnChildRaw([](void* p) { (*static_cast<F*>(p))(); }, &fn, clone_flags);
}

}  // namespace faultline
