// RawSender: sends complete IP packets (duplicates, injected RSTs) from the
// wire namespace through raw IPPROTO_RAW sockets (header included, IPv4 and
// IPv6). Such packets leave through OUTPUT, not FORWARD, so the wire's own
// NFQUEUE rule never queues them again.
//
// Threads: used by one thread after Open.
#pragma once

#include <cstdint>
#include <span>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"

namespace faultline {

class RawSender {
 public:
  // Creates both sockets inside `netns_fd` (-1: the caller's namespace).
  static StatusOr<RawSender> Open(int netns_fd);
  // Sends `packet` (an IPv4 or IPv6 packet) to its destination address.
  Status Send(std::span<const uint8_t> packet);
  uint64_t sent() const { return sent_; }

 private:
  UniqueFd v4_, v6_;
  uint64_t sent_ = 0;
};

}  // namespace faultline
