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
// Threads: Hold may be used from any number of threads at once. The gate
// must outlive every Hold.
#pragma once

#include <condition_variable>
#include <mutex>

namespace faultline {

class SetupGate {
 public:
  explicit SetupGate(int slots) : free_(slots > 0 ? slots : 1) {}
  SetupGate(const SetupGate&) = delete;
  SetupGate& operator=(const SetupGate&) = delete;

  // Takes a slot (waiting for one) on construction, gives it back on
  // Release() or destruction. A null gate holds nothing.
  class Hold {
   public:
    explicit Hold(SetupGate* gate) : gate_(gate) {
      if (gate_ != nullptr) gate_->Acquire();
    }
    ~Hold() { Release(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    void Release() {
      if (gate_ != nullptr) gate_->ReleaseSlot();
      gate_ = nullptr;
    }

   private:
    SetupGate* gate_;
  };

  int free_slots() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_;
  }

 private:
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return free_ > 0; });
    --free_;
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
};

}  // namespace faultline
