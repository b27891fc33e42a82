// How many labs may be in setup (namespaces, wire, capture, peer exec) at
// the same moment, independent of how many run (--jobs).
//
// Setup is the CPU-heavy part of a case (process starts, dynamic loading,
// capture rings, netlink); running a case is mostly waiting on TCP timers.
// When 64 labs set up at once on 2 cores, the labs already running their
// timeline are starved for hundreds of ms and timing expectations fail. The
// gate queues setups instead; a case's timeout starts once it has passed the
// gate, so waiting never counts against it (docs/design.md, "Runner").
//
// A stop request (harness/common/interrupt.h) wakes every waiter: its Hold
// then holds nothing and says so (interrupted()), so a queued case is
// reported as interrupted instead of setting up a lab nobody wants.
//
// Threads: Hold may be used from any number of threads at once. The gate
// must outlive every Hold.
#pragma once

#include <condition_variable>
#include <mutex>

#include "harness/common/interrupt.h"

namespace faultline {

class SetupGate {
 public:
  explicit SetupGate(int slots) : free_(slots > 0 ? slots : 1) {
    listener_ = AddInterruptListener([this] {
      { std::lock_guard<std::mutex> lock(mu_); }  // a waiter is in wait() or sees the flag
      cv_.notify_all();
    });
  }
  ~SetupGate() { RemoveInterruptListener(listener_); }
  SetupGate(const SetupGate&) = delete;
  SetupGate& operator=(const SetupGate&) = delete;

  // Takes a slot (waiting for one) on construction, gives it back on
  // Release() or destruction. A null gate holds nothing.
  class Hold {
   public:
    explicit Hold(SetupGate* gate) : gate_(gate) {
      if (gate_ != nullptr && !gate_->Acquire()) {
        gate_ = nullptr;
        interrupted_ = true;
      }
    }
    ~Hold() { Release(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    void Release() {
      if (gate_ != nullptr) gate_->ReleaseSlot();
      gate_ = nullptr;
    }
    // True when a stop request ended the wait before a slot was free.
    bool interrupted() const { return interrupted_; }

   private:
    SetupGate* gate_;
    bool interrupted_ = false;
  };

  int free_slots() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_;
  }

 private:
  // False (no slot taken) when a stop was requested while waiting.
  bool Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return free_ > 0 || InterruptSignal() != 0; });
    if (free_ == 0) return false;
    --free_;
    return true;
  }
  void ReleaseSlot() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int free_;
  int listener_ = 0;
};

}  // namespace faultline
