// TimerQueue: deadlines (ns on the wire's Clock) for held packets, earliest
// first; ties fire in the order they were added. Cancelling is lazy: the
// owner ignores tokens it no longer holds when they pop.
//
// The wire thread arms one timerfd for NextDeadline() (through the engine)
// and pops what is due when it fires, so any number of delayed packets
// costs one fd and O(log n) each.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace faultline {

class TimerQueue {
 public:
  void Add(int64_t deadline_ns, uint64_t token);
  std::optional<int64_t> NextDeadline() const;
  // Removes and returns the tokens due at or before `now_ns`, in order.
  std::vector<uint64_t> PopDue(int64_t now_ns);
  size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    int64_t deadline;
    uint64_t order;
    uint64_t token;
    bool operator>(const Entry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : order > o.order;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  uint64_t next_order_ = 0;
};

}  // namespace faultline
