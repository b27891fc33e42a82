// Observation parts of the case model: steps the RUNNER executes (socket
// state, accept queue, TCP_INFO fields), kernel counter expectations, and a
// case's requirements / expected failure. Plain data; see docs/cases.md,
// "Observations".
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/duration.h"
#include "harness/model/source_loc.h"
#include "harness/model/when.h"

namespace faultline {

// A numeric expectation: N | [lo, hi] | ">= N" | "<= N" | "> N" | "< N" |
// "== N". Stored as an inclusive range; open ends are the int64 limits.
// `text` is what the case wrote, normalised ("[1, 3]", ">= 1"), for messages.
struct ValueExpect {
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  std::string text;
  bool Contains(int64_t v) const { return v >= lo && v <= hi; }
};

// TCP state names as `is:` takes them, in kernel order (TCP_ESTABLISHED = 1
// .. TCP_CLOSING = 11): ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2,
// TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING; then "gone" (no
// such socket in the kernel any more).
const std::vector<std::string>& TcpStateNames();
// The name of kernel state `state` (TCP_NEW_SYN_RECV reads as SYN_RECV);
// "UNKNOWN(n)" for others.
std::string TcpStateName(int state);

// One checked field of a queue:/tcp_info: observation, in file order.
struct FieldExpect {
  std::string name;  // "queued", "retransmits", "rto", ...
  ValueExpect expect;
};

// What a runner-side observation step looks at.
enum class ObserveKind {
  kState,    // state: SOCK, is: NAME | [NAME...]
  kQueue,    // queue: LISTENER, expect: {queued, backlog}
  kTcpInfo,  // tcp_info: SOCK, expect: {retransmits, rto, ...}
  // Not a YAML key: the packetdrill translation makes it for a %{ }% block.
  // Reads the socket's whole tcp_info now (no check); the block's Python
  // runs with those values after the last step (ObserveStep::code).
  kSnapshot,
  // counters: {NAME: VALUE, ...}, since: LABEL: kernel counter deltas of
  // the host (`fields`: the names as written) from the start of the step
  // labelled `since` (the lab's start without it) to now.
  kCounters,
};
// "state", "queue", "tcp_info", "tcp_info snapshot", "counters"
const char* ObserveKindName(ObserveKind k);

// A step such as `- server: {state: s, is: TIME_WAIT, within: 2s}`. The
// runner (not the peer) runs it in the host's namespace through sock_diag.
struct ObserveStep {
  std::string host;  // the host whose socket is looked at
  ObserveKind kind = ObserveKind::kState;
  // The socket: `fd` names a socket of `host`; or, when `peer_host` is set
  // (written "PEER/NAME"), `fd` names a socket of `peer_host` and the step
  // looks at `host`'s end of that connection (e.g. a server's SYN_RECV or
  // not yet accepted end, which has no fd).
  std::string fd;
  std::string peer_host;
  // Instead of a name: the host's sockets with this port (written
  // {port: N}, {local_port: N} or {remote_port: N}), e.g. a real program's
  // connections. kState holds when ANY of them is in one of `states`
  // ("gone": none exists); kQueue looks at the listener on the port;
  // kTcpInfo needs exactly one connection. Both families are dumped (a
  // program's IPv6 socket may carry IPv4-mapped traffic).
  struct PortSelector {
    enum class Side { kAny, kLocal, kRemote };
    Side side = Side::kAny;
    uint16_t port = 0;
  };
  std::optional<PortSelector> port;
  // kState: any one of these TCP state names (TcpStateName), or "gone".
  std::vector<std::string> states;
  // kQueue / kTcpInfo / kCounters: every one must hold.
  std::vector<FieldExpect> fields;
  // kState, `through: [NAME...]`: the socket's recorded transitions (socket
  // state history, harness/observe/state_history.h) pass through these
  // states in this order, others possibly between; from the socket's first
  // transition, or from the start of the step labelled `since`.
  std::vector<std::string> through;
  std::string since;
  SourceLoc since_loc;
  // Unset: check once, now. Set: wait up to this long for the expectation
  // to hold (re-checked on every packet the wire handles, and every 2 ms).
  // With the state history, `is:` holds when the socket was in the state
  // at any instant from the step's start on.
  std::optional<Duration> within;
  // `took: RANGE` (with `within`): the time from the step's start until the
  // expectation held -- with the state history, until the recorded
  // transition into the state (0 when it held at the start).
  std::optional<DurationRange> took;
  // kState `stays: D`: the socket is in one of `states` now and has no
  // recorded transition out of them for D (needs the state history).
  std::optional<Duration> stays;
  // kSnapshot: the block's number (1-based, in script order) and its Python
  // code (packetdrill's %{ }%, spaces and tabs at both ends stripped).
  int block = 0;
  std::string code;
  std::string Target() const;  // "s", "client/c", "port 8080", "local port 8080"
};
// "server: state s is TIME_WAIT within 2s" (Step::Describe of an observation).
std::string DescribeObserve(const ObserveStep& o);

// `counters: {HOST: {Name: EXPECT}}`: the delta of a kernel counter of
// /proc/net/netstat, /proc/net/snmp or /proc/net/snmp6 in the host's
// namespace, from the start of the case (after the lab was built) to its
// end. Names as the kernel prints them; a name in both files (none today)
// resolves to the first: netstat, then snmp, then snmp6.
struct CounterExpect {
  SourceLoc loc;  // of the counter's name
  std::string host;
  std::string name;
  ValueExpect expect;
  // `when:` of the counter or of its host entry: checked only in the
  // variants where it holds (VariantCase drops it from the others).
  std::optional<When> when;
};

// Family-neutral counter names: "Ip*.NAME", "Icmp*.NAME", "Udp*.NAME",
// "UdpLite*.NAME" mean Group.NAME (/proc/net/snmp) in an IPv4 variant and
// Group6NAME (/proc/net/snmp6; a few ICMP names differ: InParmProbs is
// Icmp6InParmProblems, InEchoReps Icmp6InEchoReplies, and Ip.ForwDatagrams
// is Ip6OutForwDatagrams) in an IPv6 one.
bool IsFamilyNeutralCounter(const std::string& name);
// The kernel's name of `name` in a variant of that family: a neutral name
// translated (the IPv6 spelling is not checked against any list here),
// any other name unchanged. "" when `name` is neutral but its group is none
// of the four above.
std::string CounterForFamily(const std::string& name, bool ipv6);

// `requires:` -- the case is skipped (with the reason) when not met.
struct Requirements {
  SourceLoc loc;
  std::string kernel;                   // minimum release, "5.15"; "" none
  std::vector<std::string> sysctls;     // net.* keys that must exist
  std::vector<std::string> congestion;  // must be in tcp_available_congestion_control
  std::string reason;
  // Set by translations (packetdrill's %{ }% blocks): the case cannot run
  // here at all; the skip message names the construct.
  std::string unsupported;
  bool empty() const {
    return kernel.empty() && sysctls.empty() && congestion.empty() && unsupported.empty();
  }
};

// `xfail:` -- the case is expected to fail (on kernels below `kernel_below`
// when set, else everywhere). A failure is then reported as a skip
// "expected failure: REASON (...)"; a pass fails the case with "passed but
// was expected to fail: REASON".
struct ExpectedFailure {
  SourceLoc loc;
  std::string kernel_below;  // "" = on every kernel
  std::string reason;
};

}  // namespace faultline
