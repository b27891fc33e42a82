#include "harness/peer/peer_main.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/common/clock.h"
#include "harness/peer/fd_table.h"
#include "harness/peer/protocol.h"
#include "harness/peer/socket_calls.h"

namespace faultline::peer {
namespace {

class Peer {
 public:
  explicit Peer(int control_fd) : control_fd_(control_fd) {}

  // Sends one reply datagram. Replies from concurrent calls never interleave:
  // each is one send() under the mutex. If the runner is gone the process
  // exits, like the main loop does on EOF.
  void Write(const Reply& reply) {
    const std::vector<uint8_t> msg = Encode(reply);
    std::lock_guard lock(write_mu_);
    for (;;) {
      if (send(control_fd_, msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return;
      if (errno == EINTR) continue;
      _exit(0);
    }
  }

  void Run(Request req) {
    Reply reply = Execute(req, &fds_);
    Write(reply);
  }

  FdTable* fds() { return &fds_; }

 private:
  int control_fd_;
  std::mutex write_mu_;
  FdTable fds_;
};

Reply ErrorReply(uint64_t id, std::string msg) {
  Reply r;
  r.id = id;
  r.ret = -1;
  r.harness_error = std::move(msg);
  r.start_ns = r.end_ns = MonotonicNs();
  return r;
}

}  // namespace

int PeerMain(int control_fd) {
  // write() to a reset connection gives EPIPE instead of killing the peer.
  signal(SIGPIPE, SIG_IGN);
  // Intentionally leaked: call threads are detached and may still run while
  // the process exits through _exit.
  auto* peer = new Peer(control_fd);
  std::vector<uint8_t> buf(kMaxMessageBytes + 1);
  for (;;) {
    const ssize_t n = recv(control_fd, buf.data(), buf.size(), MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    // EOF or error: the runner is gone or done. Blocked calls die with us.
    if (n <= 0) _exit(0);
    if (static_cast<size_t>(n) > kMaxMessageBytes) {
      peer->Write(ErrorReply(0, "bad request: message larger than kMaxMessageBytes"));
      continue;
    }
    StatusOr<Request> req = DecodeRequest(buf.data(), static_cast<size_t>(n));
    if (!req.ok()) {
      peer->Write(ErrorReply(0, "bad request: " + req.status().message()));
      continue;
    }
    const uint64_t id = req->id;
    try {
      std::thread(&Peer::Run, peer, std::move(req).value()).detach();
    } catch (const std::exception& e) {
      peer->Write(ErrorReply(id, std::string("the peer could not start a thread: ") + e.what()));
    }
  }
}

}  // namespace faultline::peer
