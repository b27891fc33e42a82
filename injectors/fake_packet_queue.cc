#include "injectors/fake_packet_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace faultline {

FakePacketQueue::FakePacketQueue(uint32_t copy_range)
    : event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), copy_range_(copy_range) {}

uint32_t FakePacketQueue::Push(std::vector<uint8_t> bytes, bool gso, int64_t kernel_ns) {
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    inbox_.push_back(Pushed{id, std::move(bytes), gso, kernel_ns});
    state_[id] = State::kQueued;
  }
  const uint64_t one = 1;
  (void)!write(event_fd_.get(), &one, sizeof one);
  return id;
}

Status FakePacketQueue::Attach() {
  std::lock_guard<std::mutex> lock(mu_);
  ++attach_calls_;
  return Status::Ok();
}

Status FakePacketQueue::ReceiveBatch(const PacketFn& fn) {
  uint64_t v;
  (void)!read(event_fd_.get(), &v, sizeof v);
  std::deque<Pushed> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(inbox_);
    for (const Pushed& p : batch) {
      state_[p.id] = State::kDelivered;
      ++stats_.packets;
      if (p.gso) ++stats_.gso;
      if (p.kernel_ns != 0) ++stats_.kernel_stamps;
    }
  }
  // Outside the lock: the callback may call SetVerdict / Send.
  for (const Pushed& p : batch) {
    const std::span<const uint8_t> all(p.bytes);
    fn(QueuedPacket{p.id, all.first(std::min<size_t>(all.size(), copy_range_)), p.gso,
                    static_cast<uint32_t>(all.size()), p.kernel_ns});
  }
  return Status::Ok();
}

Status FakePacketQueue::SetVerdict(uint32_t id, PacketVerdict verdict,
                                   std::span<const uint8_t> replacement) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.find(id);
  std::string error;
  if (it == state_.end() || it->second == State::kQueued) {
    error = fmt::format("verdict for packet {}, which the queue never delivered", id);
  } else if (it->second != State::kDelivered) {
    error = fmt::format("second verdict for packet {}", id);
  } else if (verdict == PacketVerdict::kDrop && !replacement.empty()) {
    error = fmt::format("drop verdict for packet {} with replacement bytes", id);
  }
  if (!error.empty()) {
    errors_.push_back(error);
    ++stats_.unknown_verdicts;
    return Status::System("fake queue: " + error);
  }
  it->second = State::kPlanned;
  Event e;
  e.kind = verdict == PacketVerdict::kAccept ? Event::Kind::kAccept : Event::Kind::kDrop;
  e.id = id;
  e.bytes.assign(replacement.begin(), replacement.end());
  planned_.push_back(std::move(e));
  return Status::Ok();
}

Status FakePacketQueue::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Event& e : planned_) {
    state_[e.id] = State::kDone;
    ++stats_.verdict_msgs;
    events_.push_back(std::move(e));
  }
  planned_.clear();
  cv_.notify_all();
  return Status::Ok();
}

Status FakePacketQueue::Send(std::span<const uint8_t> packet) {
  std::unique_lock<std::mutex> lock(mu_);
  ++sends_started_;
  cv_.notify_all();
  // Bounded: a test that forgot to release does not hang the wire thread.
  cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !sends_held_; });
  Event e;
  e.kind = Event::Kind::kSend;
  e.bytes.assign(packet.begin(), packet.end());
  events_.push_back(std::move(e));
  ++stats_.sent;
  cv_.notify_all();
  return Status::Ok();
}

void FakePacketQueue::HoldSends(bool held) {
  std::lock_guard<std::mutex> lock(mu_);
  sends_held_ = held;
  cv_.notify_all();
}

bool FakePacketQueue::WaitForSendsStarted(int n, std::chrono::milliseconds bound) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, bound, [&] { return sends_started_ >= n; });
}

QueueStats FakePacketQueue::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<FakePacketQueue::Event> FakePacketQueue::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::vector<std::string> FakePacketQueue::Trace() const {
  std::vector<std::string> out;
  for (const Event& e : events()) {
    switch (e.kind) {
      case Event::Kind::kAccept:
        out.push_back(fmt::format("A{}{}", e.id, e.bytes.empty() ? "" : "*"));
        break;
      case Event::Kind::kDrop: out.push_back(fmt::format("D{}", e.id)); break;
      case Event::Kind::kSend: out.push_back("S"); break;
    }
  }
  return out;
}

bool FakePacketQueue::WaitForEvents(size_t n, std::chrono::milliseconds bound) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, bound, [&] { return events_.size() >= n; });
}

bool FakePacketQueue::HasVerdictLocked(uint32_t id) const {
  auto it = state_.find(id);
  return it != state_.end() && it->second == State::kDone;
}

bool FakePacketQueue::WaitForVerdict(uint32_t id, std::chrono::milliseconds bound) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, bound, [&] { return HasVerdictLocked(id); });
}

std::vector<std::string> FakePacketQueue::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::vector<uint32_t> FakePacketQueue::Unanswered() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [id, st] : state_) {
    if (st == State::kQueued || st == State::kDelivered) out.push_back(id);
  }
  return out;
}

size_t FakePacketQueue::unflushed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return planned_.size();
}

int FakePacketQueue::attach_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attach_calls_;
}

}  // namespace faultline
