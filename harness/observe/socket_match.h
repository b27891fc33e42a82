// Finding a case's socket among a sock_diag dump by what the runner knows of
// it: the addresses the peer reported (or the address it was asked to
// connect to, before the call returned). Pure; unit-tested on golden dumps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/observe/sock_diag.h"

namespace faultline {

// The last known addresses of one named socket. Kept after `close`, so the
// connection can still be found (TIME_WAIT, FIN_WAIT2, LAST_ACK...).
struct SockTuple {
  std::string laddr;   // "" / "0.0.0.0" / "::": unknown or any
  uint16_t lport = 0;  // 0: unknown (e.g. connect still running)
  std::string raddr;
  uint16_t rport = 0;
  bool listener = false;
  bool Known() const { return lport != 0 || rport != 0; }
};

// Finds the socket `t` describes in `dump`: a listener by local port in
// state LISTEN; a connection by remote address and port, plus local address
// and port when known. With `reverse` the socket sought is the OTHER end of
// `t`'s connection (local and remote swapped; needs t.lport).
// Returns nullptr when none matches ("gone"); kInvalidInput when several
// match and the tuple cannot tell them apart, or the tuple is insufficient.
// `claimed` are local ports of the host's OTHER named sockets: when t.lport
// is unknown, sockets on those ports are not candidates.
StatusOr<const DiagSocket*> FindSocket(const std::vector<DiagSocket>& dump, const SockTuple& t,
                                       bool reverse, const std::vector<uint16_t>& claimed = {});

}  // namespace faultline
