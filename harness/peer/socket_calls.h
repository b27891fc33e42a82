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

#include "harness/peer/fd_table.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {

// Largest buffer a recv/read/recvfrom, pattern send or sendfile may ask for.
inline constexpr int64_t kMaxCallBytes = int64_t{256} << 20;

// Runs `req` and returns its Reply (id copied). A request the peer cannot
// even attempt (unknown name, name in use, bad address text, size out of
// range) gets Reply.harness_error and ret -1.
Reply Execute(const Request& req, FdTable* fds);

}  // namespace faultline::peer
