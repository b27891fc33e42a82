// A process-wide request to stop: SIGINT or SIGTERM arrived.
//
// The CLI starts a watcher thread (StartSignalWatcher) that receives the
// signals through a signalfd; no code runs in a signal handler. The first
// signal records itself here (RequestInterrupt) and everything that waits
// for long notices: the runner starts no new case, a case waiting for a
// setup slot gives up, a case's blocking waits (peer replies, observation
// waits) return an error naming the signal, so the case is torn down and
// reported. A second signal ends the process at once, killed by that
// signal (nothing is left behind either way: the labs are anonymous
// namespaces that die with the process).
//
// Threads: every function may be called from any thread at any time.
#pragma once

#include <functional>
#include <string>

#include "harness/common/status.h"

namespace faultline {

// Records a stop request for `signo`. Idempotent: the first request wins.
void RequestInterrupt(int signo);

// 0 until a stop was requested, then the first request's signal number.
int InterruptSignal();

// "interrupted by SIGINT" (or SIGTERM, ...); "" before any request.
std::string InterruptReason();

// A file descriptor that polls readable (POLLIN) from the moment a stop is
// requested, forever. For poll() loops that must wake up; never read it.
// Valid for the life of the process; -1 only if eventfd failed (then only
// InterruptSignal() tells).
int InterruptFd();

// Calls `fn` once when a stop is requested (from the requesting thread), or
// at once if one already was. For waking condition variables. Returns an id
// for RemoveInterruptListener, which must be called before whatever `fn`
// refers to is destroyed; after it returns, `fn` is not running and never runs.
int AddInterruptListener(std::function<void()> fn);
void RemoveInterruptListener(int id);

// Blocks SIGINT and SIGTERM in the calling thread (so in every thread it
// creates afterwards: call it before the process has any other thread) and
// starts the watcher thread (detached) that turns them into
// RequestInterrupt, prints "faultline: SIGINT received: ..." on stderr, and
// on a second one re-raises it with the default action (the process dies
// of it). Child processes started afterwards must unblock what they need
// (peers start with an empty mask).
Status StartSignalWatcher();

}  // namespace faultline
