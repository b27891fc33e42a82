#include "harness/model/observe.h"

#include <fmt/format.h>

namespace faultline {

const char* ObserveKindName(ObserveKind k) {
  switch (k) {
    case ObserveKind::kState: return "state";
    case ObserveKind::kQueue: return "queue";
    case ObserveKind::kTcpInfo: return "tcp_info";
    case ObserveKind::kSnapshot: return "tcp_info snapshot";
  }
  return "?";
}

const std::vector<std::string>& TcpStateNames() {
  static const std::vector<std::string> names = {
      "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
      "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",   "gone"};
  return names;
}

std::string TcpStateName(int state) {
  constexpr int kNewSynRecv = 12;  // TCP_NEW_SYN_RECV: a request socket
  if (state == kNewSynRecv) return "SYN_RECV";
  if (state >= 1 && state <= 11) return TcpStateNames()[static_cast<size_t>(state - 1)];
  return fmt::format("UNKNOWN({})", state);
}

std::string ObserveStep::Target() const {
  if (port) {
    const char* side = port->side == PortSelector::Side::kLocal    ? "local "
                       : port->side == PortSelector::Side::kRemote ? "remote "
                                                                   : "";
    return fmt::format("{}port {}", side, port->port);
  }
  return peer_host.empty() ? fd : peer_host + "/" + fd;
}

std::string DescribeObserve(const ObserveStep& o) {
  std::string s = fmt::format("{}: {} {}", o.host, ObserveKindName(o.kind), o.Target());
  if (o.kind == ObserveKind::kState) {
    std::string any;
    for (const std::string& n : o.states) any += (any.empty() ? "" : "|") + n;
    if (!any.empty()) s += " is " + any;
    std::string path;
    for (const std::string& n : o.through) path += (path.empty() ? "" : " -> ") + n;
    if (!path.empty()) s += " through " + path;
    if (!o.since.empty()) s += " since " + o.since;
  }
  if (o.kind == ObserveKind::kSnapshot) s += fmt::format(" for %{{ }}% block {}", o.block);
  if (o.within) s += " within " + FormatDuration(*o.within);
  return s;
}

}  // namespace faultline
