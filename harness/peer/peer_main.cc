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
#include "harness/peer/commands.h"
#include "harness/peer/fd_table.h"
#include "harness/peer/protocol.h"
#include "harness/peer/socket_calls.h"

namespace faultline::peer {
namespace {

class Peer {
 public:
  Peer(int control_fd, Commands* commands) : control_fd_(control_fd), commands_(commands) {}

  // Sends one reply datagram. Replies from concurrent calls never interleave:
  // each is one send() under the mutex. If the runner is gone the process
  // exits, like the main loop does on EOF.
  void Write(const Reply& reply) {
    const std::vector<uint8_t> msg = Encode(reply);
    std::lock_guard lock(write_mu_);
    for (;;) {
      if (send(control_fd_, msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return;
      if (errno == EINTR) continue;
      Exit();
    }
  }

  void Run(Request req) {
    Reply reply;
    switch (req.op) {
      case Op::kRun: reply = commands_->Run(req); break;
      case Op::kStop: reply = commands_->Stop(req); break;
      case Op::kWaitCommand: reply = commands_->Wait(req); break;
      default: reply = Execute(req, &fds_); break;
    }
    Write(reply);
  }

  // The runner is gone or done: blocked calls die with us, and so do the
  // commands (the kernel ends them when we are their PID namespace's init;
  // KillAll covers a peer that is not).
  [[noreturn]] void Exit() {
    commands_->KillAll();
    _exit(0);
  }

  FdTable* fds() { return &fds_; }

 private:
  int control_fd_;
  Commands* commands_;
  std::mutex write_mu_;
  FdTable fds_;
};

}  // namespace

int PeerMain(int control_fd) {
  // write() to a reset connection gives EPIPE instead of killing the peer.
  signal(SIGPIPE, SIG_IGN);
  // Intentionally leaked: call threads are detached and may still run while
  // the process exits through _exit.
  Commands* commands = Commands::Start();  // before any other thread: blocks SIGCHLD
  auto* peer = new Peer(control_fd, commands);
  std::vector<uint8_t> buf(kMaxMessageBytes + 1);
  for (;;) {
    const ssize_t n = recv(control_fd, buf.data(), buf.size(), MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    // EOF or error: the runner is gone or done.
    if (n <= 0) peer->Exit();
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
