// NfqSocket: one NFQUEUE queue bound through libnetfilter_queue's
// libmnl-based API, on a netlink socket created inside a given network
// namespace (queue numbers are per namespace).
//
// Copy mode NFQNL_COPY_PACKET with a copy range (the first `copy_range`
// bytes of each packet: kWireHeaderBytes for headers only, kWireWholePacket
// for whole packets; the packet's length comes in NFQA_CAP_LEN when it is
// longer; a verdict without replacement bytes keeps the kernel's whole
// packet), NFQA_CFG_F_GSO (the kernel
// hands over GSO super-packets whole instead of segmenting them for the
// queue: on links with offloads off each packet is one segment anyway; on a
// host with `offloads: true` one queued packet can be up to 64 KB of
// segments), no NFQA_CFG_F_FAIL_OPEN (a full queue drops, it never lets
// packets bypass the faults), a large receive buffer (SO_RCVBUFFORCE) and a
// long queue. Several messages are read per system call (recvmmsg: 8 of up
// to 72 KiB for whole packets, 64 small ones for a headers-only range).
// Verdicts are batched twice: QueueVerdict only plans, runs of plain accepts
// become one NFQNL_MSG_VERDICT_BATCH when that cannot cover a packet still
// waiting (VerdictBatcher), and Flush() sends all planned messages with one
// sendto, in order (the kernel applies them in order, so release order is
// preserved).
//
// The wire uses it through PacketQueue (OpenNfqPacketQueue, packet_queue.h).
//
// Threads: used by one thread (the wire thread) after Open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "harness/common/status.h"
#include "injectors/packet_queue.h"
#include "injectors/verdict_batch.h"

struct mnl_socket;
struct nlmsghdr;

namespace faultline {

// The socket fills the queue counters of QueueStats (all but sent and
// send_errors, which are the raw sender's).
using NfqStats = QueueStats;

class NfqSocket {
 public:
  // Binds queue `queue` in the namespace `netns_fd` (-1: the caller's own).
  // kUnsupported if the kernel has no nfnetlink_queue.
  static StatusOr<std::unique_ptr<NfqSocket>> Open(int netns_fd, uint16_t queue, uint32_t maxlen,
                                                   uint32_t copy_range = kWireWholePacket);
  ~NfqSocket();
  NfqSocket(const NfqSocket&) = delete;
  NfqSocket& operator=(const NfqSocket&) = delete;

  int fd() const;

  using PacketFn = std::function<void(uint32_t id, std::span<const uint8_t> packet, uint32_t len,
                                      bool gso, int64_t kernel_ns)>;
  // Reads every message ready now without blocking and calls `fn` for each
  // packet (`len`: its length, NFQA_CAP_LEN, or packet.size(); `gso`: the
  // kernel flagged it a GSO super-packet; `kernel_ns`: the kernel's time of
  // the packet, NFQA_TIMESTAMP, on CLOCK_MONOTONIC, 0 when the message has
  // none). A packet message without payload is passed with an empty span.
  //
  // NFQA_TIMESTAMP (measured on 6.18, tests/integration/wire_test.cc
  // "KernelStampIgnoresAHeldWireThread"): the kernel sends it only for a
  // packet with a time stamp at the hook. A host's TCP segment forwarded
  // across the veth had none (0 of them stamped) until receive time stamps
  // were on; Open turns them on for the process (SO_TIMESTAMPNS on a
  // socket of its own, nfq_socket.cc), and then every packet is stamped
  // when the host's veth hands it to the wire's namespace. The stamp is real time (CLOCK_REALTIME):
  // Drain turns it into CLOCK_MONOTONIC with the difference between the two clocks read once per
  // call.
  Status Drain(const PacketFn& fn);

  // Plans a verdict (NF_ACCEPT / NF_DROP) for a packet Drain delivered;
  // `replaced`, if not empty, is the packet to deliver instead (mangling).
  // Planned verdicts reach the kernel at Flush() at the latest (earlier when
  // the send buffer fills), always in the order planned.
  Status QueueVerdict(uint32_t id, int verdict, std::span<const uint8_t> replaced = {});
  // Sends every planned verdict.
  Status Flush();

  const NfqStats& stats() const { return stats_; }

 private:
  NfqSocket() = default;
  Status Config(const std::function<void(::nlmsghdr*)>& fill, const char* what);
  void Parse(const char* buf, int len, const PacketFn& fn);
  Status Write(const VerdictMsg& m, int verdict, std::span<const uint8_t> replaced);
  Status Send();

  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
  uint16_t queue_ = 0;
  uint32_t copy_range_ = kWireWholePacket;
  size_t rx_size_ = 0;   // one receive buffer (the largest message)
  size_t rx_batch_ = 0;  // buffers per recvmmsg
  std::vector<char> rx_;
  std::vector<char> tx_;
  size_t tx_len_ = 0;
  VerdictBatcher batcher_;
  std::vector<VerdictMsg> msgs_;
  NfqStats stats_;
  int64_t real_to_mono_ns_ = 0;  // CLOCK_MONOTONIC - CLOCK_REALTIME at this Drain
};

}  // namespace faultline
