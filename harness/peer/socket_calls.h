// Executing one Request as the socket call it names, inside the peer.
//
// Each call is one syscall, timed with CLOCK_MONOTONIC just before and after
// it, and reported as is (ret, errno, bytes); the documented exceptions are
// recv with `until` (loops), listen on a port (socket+bind+listen) and
// connect to an endpoint with no fd (socket+connect). See
// /work/notes/peer.md and harness/model/case.h for each op's semantics.
//
// Threads: Execute may run concurrently on many threads; names are shared
// through `fds`, which must outlive every call. Execute blocks for as long as
// the call blocks.
#pragma once

#include <sys/uio.h>

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/peer/fd_table.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {

// Largest buffer a recv/read/recvfrom, pattern send or sendfile may ask for.
inline constexpr int64_t kMaxCallBytes = int64_t{256} << 20;

// Runs `req` and returns its Reply (id copied). A request the peer cannot
// even attempt (unknown name, name in use, bad address text, size out of
// range) gets Reply.harness_error and ret -1.
Reply Execute(const Request& req, FdTable* fds);

// Bytes left between two iov elements of a writev/sendmsg.
inline constexpr size_t kIovGap = 64;

// The buffers of a writev/sendmsg: `payload` split into `sizes` (one buffer,
// `payload` itself, when `sizes` is empty). As packetdrill gives each
// element a buffer of its own, the elements are copied into `spaced` with
// kIovGap bytes between them: elements that touched would be one page
// fragment to MSG_ZEROCOPY (the kernel coalesces a range that continues the
// previous one on its page), so an iov of 18 one-byte elements would be one
// fragment instead of 18 (packetdrill's zerocopy/maxfrags.pkt). kInvalidInput
// when the sizes add up to more than the payload or exceed IOV_MAX.
StatusOr<std::vector<iovec>> SplitIov(const std::vector<int64_t>& sizes, const std::string& payload,
                                      std::string* spaced);

}  // namespace faultline::peer
