// The one netlink receive loop of faultline, and the one extended-ack
// decoder: rtnetlink batches (harness/lab/netlink.h) and the nf_tables batch
// of the wire's queue rules (injectors/queue_rules.h) read their answers
// through them.
//
// Threads: no state of its own; the socket is the caller's.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"

namespace faultline {

// The kernel's extended-ack text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR
// message, or "" when it carries none. REQUIRES: nlh is an NLMSG_ERROR whose
// payload holds at least a struct nlmsgerr.
std::string NlExtAckMessage(const nlmsghdr* nlh);

// The errno of an NLMSG_ERROR answer (0 for an ack).
int NlErrorCode(const nlmsghdr* nlh);

struct NlReceiver {
  // Called for every message read, in order.
  std::function<void(const nlmsghdr*)> message;
  // The loop ends (Ok) as soon as this is true; checked before every read.
  std::function<bool()> done;
  // Called when nothing is queued, before waiting: a non-OK status ends the
  // loop with that status (e.g. the answers were lost and none can come);
  // `done` is asked again after it (a reader of what is queued now says
  // done here). Optional.
  std::function<Status()> idle;
};

// Reads from the netlink socket `fd` (non-blocking reads, poll between
// them) into `buf` until `r.done()`, the deadline (CLOCK_MONOTONIC ns, read
// through `clock`) or an error. ENOBUFS (the kernel dropped messages for
// this socket) sets *overrun and goes on. Returns Ok when done; kTimeout
// (message "no answer") when the deadline passed first; kSystem for a
// failed recv or poll.
// REQUIRES: buf is not empty.
Status NlReceiveUntil(int fd, std::vector<char>& buf, int64_t deadline_ns, const Clock& clock,
                      const NlReceiver& r, bool* overrun);

}  // namespace faultline
