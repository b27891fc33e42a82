// PacketExpect::Describe, TimingEvent::Describe, TimingExpect::Describe (see case.h).
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

// "1st", "2nd", "3rd", "4th", "11th", "21st", ...
std::string Ordinal(int64_t n) {
  const int64_t tens = n % 100;
  const char* suffix = "th";
  if (tens < 11 || tens > 13) {
    switch (n % 10) {
      case 1: suffix = "st"; break;
      case 2: suffix = "nd"; break;
      case 3: suffix = "rd"; break;
      default: break;
    }
  }
  return fmt::format("{}{}", n, suffix);
}

}  // namespace

std::string TimingEvent::Describe() const {
  if (const auto* st = std::get_if<Step>(&what)) {
    return fmt::format("step '{}' {}", st->label, st->at == Step::At::kStart ? "start" : "return");
  }
  if (const auto* st = std::get_if<State>(&what)) {
    const std::string who =
        st->port == 0 ? st->host : fmt::format("{} (port {})", st->host, st->port);
    if (st->nth == 1) return fmt::format("{} entering {}", who, st->state);
    return fmt::format("the {} time {} enters {}", Ordinal(st->nth), who, st->state);
  }
  const auto& p = std::get<Packet>(what);
  return fmt::format("the {} {} ({})", Ordinal(p.nth), DescribeMatch(p.match),
                     p.at == PacketExpect::At::kSent ? "sent" : "received");
}

std::string TimingExpect::Describe() const {
  return fmt::format("from {} to {}", from.Describe(), to.Describe());
}

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
