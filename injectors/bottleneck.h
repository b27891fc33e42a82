// Bottleneck and slot links: the pure models behind `do: bottleneck` and
// `do: slots` (docs/faults.md). No clock, no socket: each takes a packet's
// arrival time and length and says when it leaves the link (or that the
// queue is full), so every decision can be tested with made-up times.
//
// BottleneckLink: a serialising link of `rate` bits per second. A packet
// starts serialising when it arrives or when the packet before it has left,
// whichever is later, and leaves (departs) (wire_len + overhead) * 8 / rate
// later; `delay` (propagation) is added after that. The queue holds the
// packets that have not departed yet (the one being serialised included);
// a packet that would exceed its limit (packets, or bytes of wire_len) is
// dropped (tail drop). Packets leave in arrival order.
//
// A byte limit always lets a packet into an empty queue.
//
// SlotLink: netem's `slot`. Time is cut into slots whose lengths are drawn
// uniformly from [lo, hi] (a SplitMix64 seeded by the caller); packets wait
// for the end of a slot (its boundary) and each boundary releases up to
// `packets` packets and `bytes` bytes in arrival order (as netem: a packet
// is released while the slot has budget left, so the last one may overdraw
// the byte budget). A packet that finds the link idle (the last boundary
// passed) starts a new slot: it waits one drawn slot length. The queue (same
// limits) holds the packets not released.
//
// Rate, delay and queue limit can change mid-case (SetRate ...): packets
// already queued keep their departure times, the new values apply to the
// packets that arrive from the change on.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "injectors/prng.h"

namespace faultline {

// A queue limit: `packets` packets, or `bytes` bytes when bytes > 0.
struct QueueLimit {
  int64_t packets = 1000;  // netem's default limit
  int64_t bytes = 0;
  std::string ToString() const;  // "1000 packets" / "150000 bytes"
};

// What a link decided for one packet.
struct LinkDecision {
  bool drop = false;       // the queue was full
  int64_t release_ns = 0;  // when it leaves the link (departure + delay)
  int64_t queued_ns = 0;   // time waiting before its serialisation (or its slot) started
};

// Per-link counters, for the reports.
struct LinkStats {
  uint64_t packets = 0;  // accepted (queued) packets
  uint64_t bytes = 0;    // their wire bytes
  uint64_t drops = 0;
  uint64_t max_queue = 0;  // most packets waiting at once (the arriving one included)
  int64_t sum_queued_ns = 0;
  int64_t max_queued_ns = 0;
  int64_t MeanQueuedNs() const {
    return packets == 0 ? 0 : sum_queued_ns / static_cast<int64_t>(packets);
  }
};

// The queue both links keep: the packets not gone yet (in leaving order),
// their bytes, the limit and the counters.
class LinkQueue {
 public:
  explicit LinkQueue(QueueLimit limit) : limit_(limit) {}
  // Forgets the packets gone by `now_ns`; whether a packet of `wire_len`
  // fits (false: the queue is full and the drop is counted).
  bool Admit(int64_t now_ns, uint32_t wire_len);
  // Queues an admitted packet leaving at `leave_ns`, after `queued_ns` of
  // waiting, and counts it.
  void Push(int64_t leave_ns, uint32_t wire_len, int64_t queued_ns);
  void SetLimit(QueueLimit limit) { limit_ = limit; }
  size_t size() const { return waiting_.size(); }
  const LinkStats& stats() const { return stats_; }

 private:
  struct Waiting {
    int64_t time;  // leaves the link
    uint32_t len;
  };
  QueueLimit limit_;
  std::deque<Waiting> waiting_;
  int64_t bytes_ = 0;
  LinkStats stats_;
};

class BottleneckLink {
 public:
  BottleneckLink(int64_t rate_bps, int overhead, QueueLimit limit, int64_t delay_ns);
  LinkDecision Offer(int64_t now_ns, uint32_t wire_len);
  void SetRate(int64_t rate_bps) { rate_bps_ = rate_bps; }
  void SetOverhead(int overhead) { overhead_ = overhead; }
  void SetQueue(QueueLimit limit) { queue_.SetLimit(limit); }
  void SetDelay(int64_t delay_ns) { delay_ns_ = delay_ns; }
  // The time to serialise `wire_len` bytes at the current rate.
  int64_t TxNs(uint32_t wire_len) const;
  // Packets not departed at the last Offer.
  size_t queued() const { return queue_.size(); }
  const LinkStats& stats() const { return queue_.stats(); }

 private:
  int64_t rate_bps_;
  int overhead_;
  int64_t delay_ns_;
  LinkQueue queue_;  // not departed, in departure order
  int64_t last_depart_ns_ = 0;
  int64_t last_release_ns_ = 0;
};

class SlotLink {
 public:
  // Slot lengths uniform in [lo_ns, hi_ns], 0 < lo_ns <= hi_ns.
  // packets/bytes: the budget of a slot; 0 = no limit of that kind.
  SlotLink(int64_t lo_ns, int64_t hi_ns, int64_t packets, int64_t bytes, QueueLimit limit,
           uint64_t seed);
  LinkDecision Offer(int64_t now_ns, uint32_t wire_len);
  void SetQueue(QueueLimit limit) { queue_.SetLimit(limit); }
  void SetBudget(int64_t packets, int64_t bytes) {
    packets_ = packets;
    bytes_ = bytes;
  }
  void SetInterval(int64_t lo_ns, int64_t hi_ns) {
    lo_ns_ = lo_ns;
    hi_ns_ = hi_ns;
  }
  const LinkStats& stats() const { return queue_.stats(); }

 private:
  void NextSlot();
  int64_t lo_ns_, hi_ns_;
  int64_t packets_, bytes_;
  SplitMix64 prng_;
  LinkQueue queue_;           // not released, in release order
  int64_t slot_end_ns_ = -1;  // the boundary of the current slot; -1 none yet
  int64_t used_packets_ = 0;  // of the current slot
  int64_t used_bytes_ = 0;
};

}  // namespace faultline
