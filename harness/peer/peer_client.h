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
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/unique_fd.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {

// The program the runner starts as a host's peer, for the faultline program
// at `faultline_bin`: the small `faultline-peer` beside it (built and
// installed with it: only the peer's code and libraries, so its exec,
// dynamic loading and start-up cost a fraction of the 50+ MB faultline's),
// or `faultline_bin` itself (`faultline __peer`) when there is none.
std::string PeerExecutable(const std::string& faultline_bin);
inline constexpr const char* kPeerExecutableName = "faultline-peer";

class PeerClient {
 public:
  // Starts `faultline_bin __peer --control-fd 3 --name NAME` (faultline_bin:
  // PeerExecutable's, or any program that serves the protocol on fd 3 and
  // ignores its arguments) with its network
  // namespace set to `netns_fd` (setns in the child before exec) and the
  // control socket on fd 3, in a process group of its own. Wait deadlines
  // are read on `clock`, which must outlive the client.
  static StatusOr<std::unique_ptr<PeerClient>> Spawn(const std::string& faultline_bin, int netns_fd,
                                                     const std::string& name,
                                                     const Clock& clock = RealClock());
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // Sends a request; its id must be unique for this peer (and not 0: id 0
  // is how the peer answers a request it could not decode).
  // kInvalidInput if the encoded request exceeds kMaxMessageBytes; kSystem
  // "peer 'NAME' (pid N) exited: ..." if the peer is dead.
  Status Send(const Request& req);
  // Waits for the reply to `id` until `deadline_ns` (on the client's clock).
  // Replies to other ids that arrive meanwhile are kept for later Wait calls;
  // a returned reply is handed over (a second Wait for it times out).
  // kTimeout if the deadline passes; kSystem if the peer died ("peer 'client'
  // (pid N) exited: killed by signal 9"), sent a malformed reply, or could not
  // decode a request.
  StatusOr<Reply> Wait(uint64_t id, int64_t deadline_ns);
  // True if the reply for `id` has already arrived (does not block).
  bool HasReply(uint64_t id);

  // SIGKILLs the peer by pid and reaps it. Idempotent; never signals a pid
  // that was already reaped.
  void Kill();
  // Only the SIGKILL of Kill(), not the wait: a runner ending several peers
  // signals them all first, so their ends (each the end of a PID and a
  // mount namespace, which waits for RCU grace periods) overlap, then
  // Kill()s each. Never signals a pid that was already reaped.
  void SignalKill();
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  PeerClient(pid_t pid, UniqueFd control, std::string name, const Clock& clock)
      : pid_(pid), control_(std::move(control)), name_(std::move(name)), clock_(clock) {}
  // Reads at most one reply into done_, waiting up to timeout_ms (0: no
  // wait). Sets *got when one was read.
  Status ReadOne(int timeout_ms, bool* got = nullptr);
  // The peer's control socket hit EOF/reset: reap it (bounded) and remember why.
  Status PeerDied();

  pid_t pid_ = -1;
  bool reaped_ = false;
  Status dead_;  // not ok once the peer is known dead
  UniqueFd control_;
  std::string name_;
  const Clock& clock_;
  std::map<uint64_t, Reply> done_;
  std::vector<uint8_t> buf_;
};

}  // namespace faultline::peer
