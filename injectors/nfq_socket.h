// NfqSocket: one NFQUEUE queue bound through libnetfilter_queue's
// libmnl-based API, on a netlink socket created inside a given network
// namespace (queue numbers are per namespace).
//
// Copy mode NFQNL_COPY_PACKET (whole packets), NFQA_CFG_F_GSO (the kernel
// does not segment for us; lab links have offloads off, so each packet is one
// segment anyway), a large receive buffer (SO_RCVBUFFORCE) and a long queue.
// Verdicts are batched: QueueVerdict appends a message to a send buffer and
// Flush() sends them all with one sendto, in order (the kernel applies them
// in order, so release order is preserved).
//
// Threads: used by one thread (the wire thread) after Open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "harness/common/status.h"

struct mnl_socket;
struct nlmsghdr;

namespace faultline {

struct NfqStats {
  uint64_t packets = 0;         // packet messages received
  uint64_t enobufs = 0;         // recv() failures with ENOBUFS (messages lost)
  uint64_t verdict_errors = 0;  // NLMSG_ERROR replies to verdicts
  int last_verdict_error = 0;   // errno of the last one
  uint64_t truncated = 0;       // packets whose payload was shorter than the packet
};

class NfqSocket {
 public:
  // Binds queue `queue` in the namespace `netns_fd` (-1: the caller's own).
  // kUnsupported if the kernel has no nfnetlink_queue.
  static StatusOr<std::unique_ptr<NfqSocket>> Open(int netns_fd, uint16_t queue, uint32_t maxlen);
  ~NfqSocket();
  NfqSocket(const NfqSocket&) = delete;
  NfqSocket& operator=(const NfqSocket&) = delete;

  int fd() const;

  using PacketFn = std::function<void(uint32_t id, std::span<const uint8_t> packet)>;
  // Reads every message ready now without blocking and calls `fn` for each
  // packet. A packet message without payload is passed with an empty span.
  Status Drain(const PacketFn& fn);

  // Appends a verdict (NF_ACCEPT / NF_DROP); `replaced`, if not empty, is the
  // packet to deliver instead (mangling). Flushes first if the batch is full.
  Status QueueVerdict(uint32_t id, int verdict, std::span<const uint8_t> replaced = {});
  Status Flush();

  const NfqStats& stats() const { return stats_; }

 private:
  NfqSocket() = default;
  Status Config(const std::function<void(::nlmsghdr*)>& fill, const char* what);
  void Parse(const char* buf, int len, const PacketFn& fn);

  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
  uint16_t queue_ = 0;
  std::vector<char> rx_;
  std::vector<char> tx_;
  size_t tx_len_ = 0;
  NfqStats stats_;
};

}  // namespace faultline
