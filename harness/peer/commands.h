// Commands: the real programs a peer runs for `run` steps (docs/cases.md,
// "Commands"), inside the peer's network namespace.
//
// Each command is started with posix_spawnp in a process group of its own,
// with stdin from a pipe (or /dev/null), stdout and stderr into pipes, every
// signal at its default disposition and none blocked, and no fd of the peer
// but 0-2 (closefrom 3). A monitor thread per command feeds stdin, collects
// output (the first kMaxCommandOutput bytes of each stream; it keeps reading
// and counting the rest, so a chatty program never blocks) and notices the
// exit; one reaper thread waits for every child, including orphans that
// reparent to the peer (the peer is the init of its PID namespace, see
// peer_client.cc; a child subreaper if it is ever started otherwise).
//
// Threads: every method may be called from any thread. Lifetime: one per
// peer process, never destroyed (the peer _exits); KillAll() on the way out.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "harness/common/line_matcher.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {

class Commands {
 public:
  // Blocks SIGCHLD in the calling thread (and so in every thread it starts
  // later) and starts the reaper. Call once, in the peer's main thread,
  // before any other thread exists.
  static Commands* Start();

  // Op::kRun. Background: returns once the program started (ret = pid) or
  // failed to (ret -1, err = errno of the spawn, e.g. ENOENT); with
  // req.ready_stream, once a line of that stream met the ready test
  // (Reply.ready), it ended (as Wait replies), or req.timeout_ns passed. Foreground:
  // returns when it has exited (ret 0), with its status and output.
  // harness_error when the name (req.as) is in use.
  Reply Run(const Request& req);
  // Op::kWaitCommand: blocks until command `req.fd` has exited.
  Reply Wait(const Request& req);
  // Op::kStop: SIGTERM to the command's process group, SIGKILL after
  // req.timeout_ns if it is still running; returns once it has exited.
  Reply Stop(const Request& req);

  // SIGKILLs every command's process group (the peer is exiting).
  void KillAll();

 private:
  struct Proc {
    pid_t pid = 0;
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    bool exited = false;     // reaped
    bool finished = false;   // reaped and output drained: the reply may be built
    bool signalled = false;  // Stop (or KillAll) signalled it
    int status = 0;          // wait status
    int exit_event = -1;     // eventfd the reaper writes to when it is reaped
    std::string out, err;
    int64_t out_bytes = 0, err_bytes = 0;
    bool ready = false;      // a line met the run's ready test (Request.ready_stream)
    std::string ready_line;  // that line
  };

  Commands() = default;
  void ReapLoop();
  void Monitor(std::shared_ptr<Proc> p, int out_fd, int err_fd, int in_fd, std::string input,
               std::shared_ptr<LineMatcher> ready, int ready_stream);
  // Run's reply for a background command with a ready test: once a line
  // met it, the command finished, or timeout_ns passed.
  Reply AwaitReady(const Request& req, Proc& p);
  // Waits until p has finished, at most until deadline_ns (0: no bound).
  bool WaitFinished(Proc& p, int64_t deadline_ns);
  Reply Describe(uint64_t id, const Proc& p);
  std::shared_ptr<Proc> Find(const std::string& name);

  std::mutex mu_;  // guards procs_, by_pid_ and every Proc's fields
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Proc>> procs_;
  std::map<pid_t, std::shared_ptr<Proc>> by_pid_;  // not yet reaped
};

}  // namespace faultline::peer
