// PacketQueue: the wire's packet device, the seam between the Wire's loop
// and where packets come from (packetdrill's netdev_ops; Suricata's
// source-nfq keeps receive, decode and verdict as separate stages too).
//
// The stages: ReceiveBatch hands over every packet ready now (id + bytes +
// metadata); the wire decides (FaultEngine); SetVerdict plans one verdict per
// packet; Flush makes the planned verdicts take effect, in the order given;
// Send puts a packet the wire made (a duplicate, an injected RST) on the
// wire toward its destination address.
//
// Contract (every implementation, checked by FakePacketQueue): every packet
// ReceiveBatch delivered gets exactly one verdict; a verdict for an id that
// was never delivered, or a second one, is the caller's bug and is counted
// (stats().unknown_verdicts). Verdicts take effect at Flush() at the latest;
// a packet sent with Send() leaves when Send is called, so a caller that
// wants a copy to follow its original flushes first (the Wire does).
// Ids increase by one per packet from 1 (the wire counts a gap as packets
// the kernel lost before they reached the queue).
//
// Implementations: NfqPacketQueue (NFQUEUE + raw sockets, the product) and
// FakePacketQueue (in memory, tests).
// Threads: one thread (the wire thread) calls everything but the
// implementation's own extras (FakePacketQueue::Push is any thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "harness/common/status.h"

namespace faultline {

struct QueuedPacket {
  uint32_t id = 0;
  // The IP packet, or its first bytes when the queue copies a prefix (its
  // copy range); valid during the callback only.
  std::span<const uint8_t> bytes;
  bool gso = false;  // a GSO super-packet (may exceed the MTU)
  // The packet's length: more than bytes.size() when only a prefix was
  // copied (0: bytes.size()).
  uint32_t len = 0;
  // The kernel's time of the packet on the wire's clock (NFQUEUE:
  // NFQA_TIMESTAMP, the time the kernel queued it, on CLOCK_MONOTONIC), 0
  // when the queue has none. The wire logs and times the packet at it, not
  // at when its thread read the packet (a thread that ran late would make
  // every packet it read look late by as much).
  int64_t kernel_ns = 0;
};

// How many bytes of each packet a queue copies to the wire (NFQUEUE's copy
// range). kWireHeaderBytes holds every header the wire reads: IPv6 (40) and
// its extension headers, TCP with options (60), UDP, ICMP with the quoted
// IP and transport header of an error (IPv6: 40 + 8 + 40 + 60 = 148), with
// room to spare; the capture's headers-only snap length is the same 256.
// A verdict without replacement bytes keeps the kernel's whole packet.
constexpr uint32_t kWireHeaderBytes = 256;
constexpr uint32_t kWireWholePacket = 0xffff;  // NFQUEUE's largest copy range

enum class PacketVerdict { kAccept, kDrop };

// Counters of a queue. The NFQUEUE-only ones stay 0 in the fake.
struct QueueStats {
  uint64_t packets = 0;           // packets received
  uint64_t enobufs = 0;           // receive failures with ENOBUFS (messages lost)
  uint64_t verdict_errors = 0;    // verdicts the kernel refused
  int last_verdict_error = 0;     // errno of the last one
  uint64_t truncated = 0;         // packets copied shorter than asked (copy range and length)
  uint64_t gso = 0;               // packets flagged as GSO super-packets
  uint64_t verdict_msgs = 0;      // verdict messages sent (a batch counts once)
  uint64_t batches = 0;           // of which batches (NFQNL_MSG_VERDICT_BATCH)
  uint64_t unknown_verdicts = 0;  // verdicts for ids not waiting for one (caller bug)
  uint64_t sent = 0;              // packets sent with Send()
  uint64_t send_errors = 0;       // Send() failures
  uint64_t kernel_stamps = 0;     // packets the queue gave the kernel's time stamp (kernel_ns)
};

class PacketQueue {
 public:
  virtual ~PacketQueue() = default;

  // Readable (poll POLLIN) when packets may be waiting for ReceiveBatch.
  virtual int fd() const = 0;
  // Called once the wire's thread reads the queue: from now on packets may
  // come. The NFQUEUE queue installs the namespace's rules here (binding
  // first and steering packets second: a packet queued with no listener
  // would be dropped silently).
  virtual Status Attach() { return Status::Ok(); }

  using PacketFn = std::function<void(const QueuedPacket& packet)>;
  // Calls `fn` for every packet ready now, in id order, without blocking.
  virtual Status ReceiveBatch(const PacketFn& fn) = 0;
  // Plans the verdict for a delivered packet; `replacement`, if not empty,
  // is what to forward instead (kAccept only: a mangled packet).
  virtual Status SetVerdict(uint32_t id, PacketVerdict verdict,
                            std::span<const uint8_t> replacement = {}) = 0;
  // Makes every planned verdict take effect, in the order planned.
  virtual Status Flush() = 0;
  // Sends a complete IPv4/IPv6 packet toward its destination address. It
  // does not pass through this queue again.
  virtual Status Send(std::span<const uint8_t> packet) = 0;

  virtual QueueStats stats() const = 0;
};

// The product's queue: NFQUEUE 0 of the namespace `netns_fd`, bound now
// (NfqSocket: the first `copy_range` bytes of each packet, GSO
// super-packets, batched verdicts), raw
// sockets of that namespace for Send() (RawSender), and Attach() installs
// the rules that queue every forwarded packet (injectors/queue_rules.h:
// nf_tables netlink, iptables-restore as the fallback). Closing it unbinds
// the queue; the rules die with the namespace.
// kUnsupported if the kernel lacks NFQUEUE; kSystem for other failures.
StatusOr<std::unique_ptr<PacketQueue>> OpenNfqPacketQueue(int netns_fd,
                                                          uint32_t copy_range = kWireWholePacket);

}  // namespace faultline
