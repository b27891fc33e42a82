#include "injectors/packet_queue.h"

#include <linux/netfilter.h>

#include <optional>

#include "injectors/nfq_socket.h"
#include "injectors/queue_rules.h"
#include "injectors/raw_sender.h"

namespace faultline {
namespace {

constexpr uint16_t kQueue = 0;
constexpr uint32_t kQueueMaxLen = 16384;

class NfqPacketQueue : public PacketQueue {
 public:
  NfqPacketQueue(int netns_fd, std::unique_ptr<NfqSocket> nfq, RawSender raw)
      : netns_fd_(netns_fd), nfq_(std::move(nfq)), raw_(std::move(raw)) {}

  int fd() const override { return nfq_->fd(); }
  Status Attach() override { return InstallQueueRules(netns_fd_, kQueue); }
  Status ReceiveBatch(const PacketFn& fn) override {
    return nfq_->Drain([&](uint32_t id, std::span<const uint8_t> bytes, uint32_t len, bool gso,
                           int64_t kernel_ns) {
      fn(QueuedPacket{id, bytes, gso, len, kernel_ns});
    });
  }
  Status SetVerdict(uint32_t id, PacketVerdict verdict,
                    std::span<const uint8_t> replacement) override {
    return nfq_->QueueVerdict(id, verdict == PacketVerdict::kAccept ? NF_ACCEPT : NF_DROP,
                              replacement);
  }
  Status Flush() override { return nfq_->Flush(); }
  Status Send(std::span<const uint8_t> packet) override {
    Status st = raw_.Send(packet);
    if (!st.ok()) ++send_errors_;
    return st;
  }
  QueueStats stats() const override {
    QueueStats s = nfq_->stats();
    s.sent = raw_.sent();
    s.send_errors = send_errors_;
    return s;
  }

 private:
  int netns_fd_;
  std::unique_ptr<NfqSocket> nfq_;
  RawSender raw_;
  uint64_t send_errors_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<PacketQueue>> OpenNfqPacketQueue(int netns_fd, uint32_t copy_range) {
  if (netns_fd < 0) return Status::Invalid("no wire namespace fd");
  StatusOr<std::unique_ptr<NfqSocket>> nfq =
      NfqSocket::Open(netns_fd, kQueue, kQueueMaxLen, copy_range);
  if (!nfq.ok()) return nfq.status();
  StatusOr<RawSender> raw = RawSender::Open(netns_fd);
  if (!raw.ok()) return raw.status();
  return std::unique_ptr<PacketQueue>(
      new NfqPacketQueue(netns_fd, std::move(*nfq), std::move(*raw)));
}

}  // namespace faultline
