#include "injectors/timer_queue.h"

namespace faultline {

void TimerQueue::Add(int64_t deadline_ns, uint64_t token) {
  heap_.push(Entry{deadline_ns, next_order_++, token});
}

std::optional<int64_t> TimerQueue::NextDeadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top().deadline;
}

std::vector<uint64_t> TimerQueue::PopDue(int64_t now_ns) {
  std::vector<uint64_t> due;
  while (!heap_.empty() && heap_.top().deadline <= now_ns) {
    due.push_back(heap_.top().token);
    heap_.pop();
  }
  return due;
}

}  // namespace faultline
