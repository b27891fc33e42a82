#include "harness/common/interrupt.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace faultline {
namespace {

struct InterruptState {
  std::atomic<int> signo{0};
  int event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::mutex mu;  // listeners, and calls to them
  std::map<int, std::function<void()>> listeners;
  int next_id = 1;
};

InterruptState& State() {
  static InterruptState* s = new InterruptState;  // never destroyed: used until exit
  return *s;
}

std::string SignalName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signo);
}

void WriteStderr(const std::string& s) {
  ssize_t ignored = write(STDERR_FILENO, s.data(), s.size());
  (void)ignored;
}

}  // namespace

void RequestInterrupt(int signo) {
  InterruptState& s = State();
  int expected = 0;
  if (!s.signo.compare_exchange_strong(expected, signo)) return;
  if (s.event_fd >= 0) {
    const uint64_t one = 1;
    ssize_t ignored = write(s.event_fd, &one, sizeof one);
    (void)ignored;
  }
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto& [id, fn] : s.listeners) fn();
}

int InterruptSignal() { return State().signo.load(); }

std::string InterruptReason() {
  const int signo = InterruptSignal();
  return signo == 0 ? std::string() : "interrupted by " + SignalName(signo);
}

int InterruptFd() { return State().event_fd; }

int AddInterruptListener(std::function<void()> fn) {
  InterruptState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.signo.load() != 0) fn();
  const int id = s.next_id++;
  s.listeners.emplace(id, std::move(fn));
  return id;
}

void RemoveInterruptListener(int id) {
  InterruptState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.listeners.erase(id);
}

Status StartSignalWatcher() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return Status::FromErrno("blocking SIGINT and SIGTERM", err);
  }
  const int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) return Status::FromErrno("signalfd for SIGINT and SIGTERM", errno);
  (void)State();  // the eventfd exists before any signal can arrive
  try {
    std::thread([sfd] {
      for (;;) {
        signalfd_siginfo si{};
        const ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof si)) return;  // cannot happen; stop watching
        const int signo = static_cast<int>(si.ssi_signo);
        if (InterruptSignal() == 0) {
          WriteStderr(fmt::format(
              "faultline: {} received: starting no new case, tearing down the running ones and "
              "writing the reports ({} again to exit at once)\n",
              SignalName(signo), SignalName(signo)));
          RequestInterrupt(signo);
          continue;
        }
        WriteStderr(fmt::format("faultline: second signal ({}): exiting now\n", SignalName(signo)));
        // Die of the signal itself, so the parent sees what happened.
        signal(signo, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, signo);
        pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
        raise(signo);
        _exit(128 + signo);  // not reached unless the signal is ignored somehow
      }
    }).detach();
  } catch (const std::system_error& e) {
    close(sfd);
    return Status::System(fmt::format("starting the signal watcher thread: {}", e.what()));
  }
  return Status::Ok();
}

}  // namespace faultline
