// PeerClient: the runner's handle on one peer process.
//
// Threads: a PeerClient is used by one thread at a time (the case's runner
// thread). Lifetime: the peer process lives until Kill() or destruction,
// both of which SIGKILL it by pid and reap it; nothing is left behind.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {

class PeerClient {
 public:
  // Starts `faultline_bin __peer --control-fd 3 --name NAME` with its network
  // namespace set to `netns_fd` (setns in the child before exec) and the
  // control socket on fd 3, in a process group of its own.
  static StatusOr<std::unique_ptr<PeerClient>> Spawn(const std::string& faultline_bin,
                                                     int netns_fd, const std::string& name);
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // Sends a request; its id must be unique for this peer.
  Status Send(const Request& req);
  // Waits for the reply to `id` until `deadline_ns` (CLOCK_MONOTONIC).
  // Replies to other ids that arrive meanwhile are kept for later Wait calls.
  // kTimeout if the deadline passes; kSystem if the peer died.
  StatusOr<Reply> Wait(uint64_t id, int64_t deadline_ns);
  // True if the reply for `id` has already arrived (does not block).
  bool HasReply(uint64_t id);

  void Kill();
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  PeerClient(pid_t pid, UniqueFd control, std::string name)
      : pid_(pid), control_(std::move(control)), name_(std::move(name)) {}
  Status ReadOne(int timeout_ms);  // reads one reply into done_ if any

  pid_t pid_ = -1;
  UniqueFd control_;
  std::string name_;
  std::map<uint64_t, Reply> done_;
};

}  // namespace faultline::peer
