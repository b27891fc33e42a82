#include "injectors/bottleneck.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {

bool LinkQueue::Admit(int64_t now_ns, uint32_t wire_len) {
  while (!waiting_.empty() && waiting_.front().time <= now_ns) {
    bytes_ -= waiting_.front().len;
    waiting_.pop_front();
  }
  const bool full = limit_.bytes > 0 ? !waiting_.empty() && bytes_ + wire_len > limit_.bytes
                                     : static_cast<int64_t>(waiting_.size()) >= limit_.packets;
  if (full) ++stats_.drops;
  return !full;
}

void LinkQueue::Push(int64_t leave_ns, uint32_t wire_len, int64_t queued_ns) {
  waiting_.push_back(Waiting{leave_ns, wire_len});
  bytes_ += wire_len;
  ++stats_.packets;
  stats_.bytes += wire_len;
  stats_.sum_queued_ns += queued_ns;
  stats_.max_queued_ns = std::max(stats_.max_queued_ns, queued_ns);
  stats_.max_queue = std::max<uint64_t>(stats_.max_queue, waiting_.size());
}

std::string QueueLimit::ToString() const {
  return bytes > 0 ? fmt::format("{} bytes", bytes) : fmt::format("{} packets", packets);
}

BottleneckLink::BottleneckLink(int64_t rate_bps, int overhead, QueueLimit limit, int64_t delay_ns)
    : rate_bps_(rate_bps), overhead_(overhead), delay_ns_(delay_ns), queue_(limit) {}

int64_t BottleneckLink::TxNs(uint32_t wire_len) const {
  const int64_t bytes = std::max<int64_t>(0, static_cast<int64_t>(wire_len) + overhead_);
  // bits * 1e9 / rate, rounded to the nearest ns (fits: 2^16 * 8e9 < 2^63).
  return (bytes * 8 * 1'000'000'000 + rate_bps_ / 2) / rate_bps_;
}

LinkDecision BottleneckLink::Offer(int64_t now_ns, uint32_t wire_len) {
  LinkDecision d;
  if (!queue_.Admit(now_ns, wire_len)) {
    d.drop = true;
    return d;
  }
  const int64_t start = std::max(now_ns, last_depart_ns_);
  last_depart_ns_ = start + TxNs(wire_len);
  // FIFO even when the delay shrinks mid-case.
  last_release_ns_ = std::max(last_release_ns_, last_depart_ns_ + delay_ns_);
  d.release_ns = last_release_ns_;
  d.queued_ns = start - now_ns;
  queue_.Push(last_depart_ns_, wire_len, d.queued_ns);
  return d;
}

SlotLink::SlotLink(int64_t lo_ns, int64_t hi_ns, int64_t packets, int64_t bytes, QueueLimit limit,
                   uint64_t seed)
    : lo_ns_(lo_ns), hi_ns_(hi_ns), packets_(packets), bytes_(bytes), prng_(seed), queue_(limit) {}

void SlotLink::NextSlot() {
  const uint64_t span = static_cast<uint64_t>(hi_ns_ - lo_ns_) + 1;
  slot_end_ns_ += lo_ns_ + static_cast<int64_t>(prng_.Next() % span);
  used_packets_ = 0;
  used_bytes_ = 0;
}

LinkDecision SlotLink::Offer(int64_t now_ns, uint32_t wire_len) {
  LinkDecision d;
  if (!queue_.Admit(now_ns, wire_len)) {
    d.drop = true;
    return d;
  }
  if (slot_end_ns_ < now_ns) {  // idle: a new slot starts with this packet
    slot_end_ns_ = now_ns;
    NextSlot();
  }
  const bool no_budget =
      (packets_ > 0 && used_packets_ >= packets_) || (bytes_ > 0 && used_bytes_ >= bytes_);
  if (no_budget) NextSlot();
  ++used_packets_;
  used_bytes_ += wire_len;
  d.release_ns = slot_end_ns_;
  d.queued_ns = slot_end_ns_ - now_ns;
  queue_.Push(slot_end_ns_, wire_len, d.queued_ns);
  return d;
}

}  // namespace faultline
