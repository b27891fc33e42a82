#include "harness/peer/peer_main.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
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
  // exits, like the workers do on EOF.
  void Write(const Reply& reply) {
    const std::vector<uint8_t> msg = Encode(reply);
    std::lock_guard lock(write_mu_);
    for (;;) {
      if (send(control_fd_, msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return;
      if (errno == EINTR) continue;
      Exit();
    }
  }

  // A worker: blocks in recv on the control socket, runs the request it
  // got, replies, and goes back to recv. Every idle worker waits in recv at
  // once and the kernel hands each datagram to exactly one of them, so a
  // request reaches a ready thread without a hand-off or a thread start.
  // The worker that takes the last idle one's place starts another before
  // it runs its call: a blocking call (accept, recv) never holds up the
  // next request. Workers live as long as the process.
  void Serve() {
    std::vector<uint8_t> buf(kMaxMessageBytes + 1);
    for (;;) {
      const ssize_t n = recv(control_fd_, buf.data(), buf.size(), MSG_TRUNC);
      if (n < 0 && errno == EINTR) continue;
      // EOF or error: the runner is gone or done.
      if (n <= 0) Exit();
      const bool last = idle_.fetch_sub(1) == 1;
      Reply reply = Handle(buf.data(), static_cast<size_t>(n), last);
      // Idle again before the reply leaves: once the runner has it, the
      // next request never finds the pool short and starts a thread.
      idle_.fetch_add(1);
      Write(reply);
    }
  }

  // Starts one more worker; returns why it could not ("" if it did).
  std::string StartWorker() {
    try {
      idle_.fetch_add(1);
      std::thread(&Peer::Serve, this).detach();
      return "";
    } catch (const std::exception& e) {
      idle_.fetch_sub(1);
      return e.what();
    }
  }

  // The runner is gone or done: blocked calls die with us, and so do the
  // commands (the kernel ends them when we are their PID namespace's init;
  // KillAll covers a peer that is not). The first thread here does it; any
  // other waits for its _exit.
  [[noreturn]] void Exit() {
    if (!exiting_.test_and_set()) {
      commands_->KillAll();
      _exit(0);
    }
    for (;;) pause();
  }

 private:
  Reply Handle(const uint8_t* p, size_t n, bool last_idle) {
    if (n > kMaxMessageBytes) {
      return ErrorReply(0, "bad request: message larger than kMaxMessageBytes");
    }
    StatusOr<Request> req = DecodeRequest(p, n);
    if (!req.ok()) return ErrorReply(0, "bad request: " + req.status().message());
    if (last_idle) {
      if (std::string error = StartWorker(); !error.empty()) {
        // Running the call here could block the only receiver.
        return ErrorReply(req->id, "the peer could not start a thread: " + error);
      }
    }
    if (!req->batch.empty()) {
      // One call after the other on this thread; each reply leaves as soon
      // as its call returned (protocol.h, Request::batch).
      return RunBatch(
          *req, [this](const Request& m) { return Dispatch(m); },
          [this](const Reply& r) { Write(r); });
    }
    return Dispatch(*req);
  }

  Reply Dispatch(const Request& req) {
    switch (req.op) {
      case Op::kRun: return commands_->Run(req);
      case Op::kStop: return commands_->Stop(req);
      case Op::kWaitCommand: return commands_->Wait(req);
      default: return Execute(req, &fds_);
    }
  }

  int control_fd_;
  Commands* commands_;
  std::mutex write_mu_;
  FdTable fds_;
  std::atomic<int> idle_{1};  // workers in (or on their way to) recv
  std::atomic_flag exiting_;
};

}  // namespace

int PeerMain(int control_fd) {
  // write() to a reset connection gives EPIPE instead of killing the peer.
  signal(SIGPIPE, SIG_IGN);
  // Intentionally leaked: workers are detached and may still run while the
  // process exits through _exit.
  Commands* commands = Commands::Start();  // before any other thread: blocks SIGCHLD
  auto* peer = new Peer(control_fd, commands);
  // A second worker now, while the runner is still busy starting the lab's
  // other parts: the first request then finds one waiting and starts none.
  peer->StartWorker();
  peer->Serve();  // the first worker; never returns
  return 0;
}

}  // namespace faultline::peer
