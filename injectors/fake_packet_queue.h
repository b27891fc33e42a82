// FakePacketQueue: an in-memory PacketQueue for tests of the wire.
//
// A test pushes packets in (Push, any thread; ids 1, 2, 3... as NFQUEUE
// numbers them); the wire's thread receives them through the fd/ReceiveBatch
// like a real queue. The fake records, in order, every verdict when it takes
// effect (at Flush, as the kernel applies planned NFQUEUE verdicts) and
// every packet sent, so a test sees what left the wire and in which order
// (a copy sent before its original's verdict was flushed shows up first).
//
// It enforces the queue contract: a verdict for an id never delivered, or a
// second verdict for one, is recorded in errors() (and returned as an error
// Status to the caller); Unanswered() lists packets still without one.
//
// Threads: the PacketQueue methods are for the wire thread; every other
// method may be called from any thread. All waits are bounded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "harness/common/unique_fd.h"
#include "injectors/packet_queue.h"

namespace faultline {

class FakePacketQueue : public PacketQueue {
 public:
  struct Event {
    enum class Kind { kAccept, kDrop, kSend };
    Kind kind = Kind::kAccept;
    uint32_t id = 0;             // kAccept / kDrop
    std::vector<uint8_t> bytes;  // kAccept: the replacement, if any; kSend: the packet
  };

  // `copy_range`: as NFQUEUE's, how many bytes of each pushed packet the
  // wire receives (QueuedPacket::len says the packet's length).
  explicit FakePacketQueue(uint32_t copy_range = kWireWholePacket);

  // Queues a packet for the wire; returns its id. `kernel_ns`: the time
  // stamp the queue hands over with it (QueuedPacket::kernel_ns, the
  // kernel's time on the wire's clock; 0 none).
  uint32_t Push(std::vector<uint8_t> bytes, bool gso = false, int64_t kernel_ns = 0);
  // Every verdict that took effect and every packet sent, in order.
  std::vector<Event> events() const;
  // The same as short strings: "A3" accepted, "A3*" accepted with
  // replacement bytes, "D3" dropped, "S" a packet sent.
  std::vector<std::string> Trace() const;
  // Waits until events() has at least `n` entries or `bound` passes; true
  // if it has.
  bool WaitForEvents(size_t n, std::chrono::milliseconds bound) const;
  // Waits until packet `id` has a verdict that took effect (true) or `bound`
  // passes (false).
  bool WaitForVerdict(uint32_t id, std::chrono::milliseconds bound) const;
  // Contract violations seen (second verdict, verdict for an unknown id).
  std::vector<std::string> errors() const;
  // Ids pushed that have no verdict (planned or in effect), in order.
  std::vector<uint32_t> Unanswered() const;
  // Verdicts planned but not flushed yet.
  size_t unflushed() const;
  int attach_calls() const;
  // While held, Send blocks (the wire thread with it) until HoldSends(false)
  // (or 10 s pass): a wire thread that is late to answer.
  void HoldSends(bool held);
  // Waits until Send has been entered `n` times in all or `bound` passes.
  bool WaitForSendsStarted(int n, std::chrono::milliseconds bound) const;

  // PacketQueue.
  int fd() const override { return event_fd_.get(); }
  Status Attach() override;
  Status ReceiveBatch(const PacketFn& fn) override;
  Status SetVerdict(uint32_t id, PacketVerdict verdict,
                    std::span<const uint8_t> replacement = {}) override;
  Status Flush() override;
  Status Send(std::span<const uint8_t> packet) override;
  QueueStats stats() const override;

 private:
  struct Pushed {
    uint32_t id = 0;
    std::vector<uint8_t> bytes;
    bool gso = false;
    int64_t kernel_ns = 0;
  };
  enum class State { kQueued, kDelivered, kPlanned, kDone };
  bool HasVerdictLocked(uint32_t id) const;

  UniqueFd event_fd_;
  const uint32_t copy_range_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint32_t next_id_ = 1;
  std::deque<Pushed> inbox_;
  std::map<uint32_t, State> state_;
  std::vector<Event> planned_;
  std::vector<Event> events_;
  std::vector<std::string> errors_;
  int attach_calls_ = 0;
  bool sends_held_ = false;
  int sends_started_ = 0;
  QueueStats stats_;
};

}  // namespace faultline
