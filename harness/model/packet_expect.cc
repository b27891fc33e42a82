// PacketExpect::Describe (see case.h).
#include <fmt/format.h>

#include "harness/model/case.h"

namespace faultline {
namespace {

const char* ProtoText(Proto p) {
  switch (p) {
    case Proto::kAny: return "";
    case Proto::kTcp: return "tcp";
    case Proto::kUdp: return "udp";
    case Proto::kIcmp: return "icmp";
  }
  return "";
}

// "client > server tcp SYN length [1, 100]", "any > server udp".
std::string DescribeMatch(const FaultMatch& m) {
  std::string out =
      fmt::format("{} > {}", m.from.empty() ? "any" : m.from, m.to.empty() ? "any" : m.to);
  if (!m.tcp.empty()) {
    out += " tcp";
    for (TcpClass c : m.tcp) out += fmt::format(" {}", TcpClassName(c));
  } else if (m.proto != Proto::kAny) {
    out += fmt::format(" {}", ProtoText(m.proto));
  }
  if (m.length) out += fmt::format(" length {}", m.length->ToString());
  if (m.seq) out += fmt::format(" seq {}", m.seq->ToString());
  if (m.ack) out += fmt::format(" ack {}", m.ack->ToString());
  if (m.win) out += fmt::format(" win {}", m.win->ToString());
  if (m.window) out += fmt::format(" window {}", m.window->ToString());
  return out;
}

}  // namespace

std::string PacketExpect::Describe() const {
  std::string what;
  if (!order.empty()) {
    what = "order";
    for (size_t i = 0; i < order.size(); ++i) {
      what += fmt::format("{} {}", i == 0 ? "" : ",", DescribeMatch(order[i]));
    }
  } else {
    what = DescribeMatch(match);
  }
  return fmt::format("{}, {}", what, at == At::kSent ? "sent" : "received");
}

}  // namespace faultline
