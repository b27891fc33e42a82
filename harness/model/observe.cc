#include "harness/model/observe.h"

#include <fmt/format.h>

namespace faultline {

const char* ObserveKindName(ObserveKind k) {
  switch (k) {
    case ObserveKind::kState: return "state";
    case ObserveKind::kQueue: return "queue";
    case ObserveKind::kTcpInfo: return "tcp_info";
    case ObserveKind::kSnapshot: return "tcp_info snapshot";
    case ObserveKind::kCounters: return "counters";
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

bool IsFamilyNeutralCounter(const std::string& name) {
  size_t star = name.find("*.");
  return star != std::string::npos && star > 0 && star + 2 < name.size();
}

std::string CounterForFamily(const std::string& name, bool ipv6) {
  if (!IsFamilyNeutralCounter(name)) return name;
  size_t star = name.find("*.");
  const std::string group = name.substr(0, star);
  std::string field = name.substr(star + 2);
  if (group != "Ip" && group != "Icmp" && group != "Udp" && group != "UdpLite") return "";
  if (!ipv6) return group + "." + field;
  // The snmp6 spellings that are not Group6 + the snmp name.
  static const std::pair<const char*, const char*> kRenamed[] = {
      {"Icmp.InParmProbs", "InParmProblems"},
      {"Icmp.OutParmProbs", "OutParmProblems"},
      {"Icmp.InEchoReps", "InEchoReplies"},
      {"Icmp.OutEchoReps", "OutEchoReplies"},
      {"Ip.ForwDatagrams", "OutForwDatagrams"}};
  for (const auto& [v4, v6] : kRenamed) {
    if (group + "." + field == v4) field = v6;
  }
  return group + "6" + field;
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
  if (o.kind == ObserveKind::kCounters) {
    s = fmt::format("{}: counters", o.host);
    for (const FieldExpect& f : o.fields) s += fmt::format(" {} {}", f.name, f.expect.text);
    if (!o.since.empty()) s += " since " + o.since;
  }
  if (o.within) s += " within " + FormatDuration(*o.within);
  if (o.took) s += " took " + o.took->ToString();
  if (o.stays) s += " stays " + FormatDuration(*o.stays);
  return s;
}

}  // namespace faultline
