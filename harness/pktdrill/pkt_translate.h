// A parsed packetdrill script (pkt_ast.h) as a faultline Case: the stack
// under test is the real host `host` (offloads on, so the wire sees GSO
// super-packets as packetdrill's tun device does), the script's side the
// scripted host `remote`. Inbound packets (`<`) are `send:` packet steps,
// outbound (`>`) `expect:` steps; system calls are call steps of `host`;
// `shell` lines run steps in `host`'s namespace with the -D definitions as
// environment; a %{ }% block makes the case skipped (never passed) naming it.
//
// Timing: each event's script time becomes `after:` relative to the previous
// step's script time (not the script start), with --tolerance_usecs (default
// 4000, as packetdrill's) as the case tolerance; `*` is no timing; `A~B` a
// range; a system call later than the previous event is preceded by a
// `sleep` for the difference; a blocking call `A...B` is an async call
// whose await comes before the first later event past B, expecting `took`
// B-A within the tolerance.
//
// Numbers: outbound seq/ack are relative to the stack's ISN (as
// packetdrill's); the script's own seq numbers are sent as written (the
// scripted host's ISN is 0). TCP timestamps as packetdrill treats them: an
// outbound TS val is checked only with --tcp_ts_tick_usecs (relative to the
// first outbound TS val of the script, within the tolerance), its ecr never;
// an inbound TS ecr of 0 is sent as 0, any other as the stack's latest TS val
// (packetdrill maps it through the val the script wrote for that packet),
// but on a SYN without ACK (a new connection: the stack has sent no TS val
// on it) as written, as packetdrill sends it. A Fast Open cookie the
// script computed for packetdrill's addresses is mapped to the lab's
// (MapCookie in the .cc; tfo_cookie.h); outbound packets gather segments
// (PacketStep::gather) unless --strict_segments.
#pragma once

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/pktdrill/pkt_ast.h"
#include "harness/pktdrill/pkt_loader.h"

namespace faultline::pkt {

StatusOr<Case> TranslateScript(const Script& script, const PktRunOptions& options);

}  // namespace faultline::pkt
