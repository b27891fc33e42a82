#include "harness/capture/packet_check.h"

#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "harness/packet/conn_track.h"
#include "harness/packet/matcher.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/packet_view.h"

namespace faultline {
namespace {

constexpr size_t kMaxDump = 40;

// A captured packet, decoded and placed on the timeline.
struct Seen {
  size_t no = 0;                   // 1-based position in the capture
  int64_t t_ns = 0;                // since the case start
  bool sent = false;               // came in on the sender's interface (else: delivered)
  std::string side;                // the host whose wire interface it crossed
  std::span<const uint8_t> bytes;  // the capture's, alive for the check
  PacketView view;
  std::string from, to;
  std::optional<uint32_t> rel_seq, rel_ack;
};

std::string Secs(int64_t ns) { return fmt::format("{:+.6f}s", static_cast<double>(ns) / 1e9); }

std::string Line(const Seen& s) {
  std::string what =
      s.sent ? fmt::format("sent by {}", s.side) : fmt::format("delivered to {}", s.side);
  DumpContext cx;
  cx.name = [&s](const IpAddr& a) {
    if (a == s.view.src) return s.from;
    return a == s.view.dst ? s.to : std::string();
  };
  cx.rel_seq = s.rel_seq;
  cx.rel_ack = s.rel_ack;
  return fmt::format("#{} {} {:<20} {}", s.no, Secs(s.t_ns), what, DumpPacket(s.bytes, s.view, cx));
}

std::string CountText(const IntRange& r) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (r.lo == 0 && r.hi == 0) return "0 (none)";
  if (r.hi == kMax) return fmt::format(">= {}", r.lo);
  if (r.lo == 0 && r.hi != 0) return fmt::format("<= {}", r.hi);
  return r.ToString();
}

std::string HostOf(const IpAddr& a, const std::vector<std::pair<IpAddr, std::string>>& addrs) {
  for (const auto& [ip, name] : addrs) {
    if (ip == a) return name;
  }
  return "";
}

std::vector<Seen> Decode(const std::vector<CapturedPacket>& packets, const CaptureContext& cx) {
  std::vector<std::pair<IpAddr, std::string>> addrs;
  for (const CaptureHost& h : cx.hosts) {
    for (const std::string& a : {h.addr4, h.addr6}) {
      IpAddr ip;
      if (!a.empty() && IpAddr::Parse(a, &ip)) addrs.emplace_back(ip, h.name);
    }
  }
  ConnTable conns(0);
  std::vector<Seen> out;
  size_t no = 0;
  for (const CapturedPacket& p : packets) {
    ++no;
    const CaptureHost* side = nullptr;
    for (const CaptureHost& h : cx.hosts) {
      if (h.ifindex == p.ifindex) side = &h;
    }
    if (side == nullptr) continue;
    Seen s;
    s.no = no;
    s.t_ns = p.ts_ns - cx.start_ns;
    s.sent = p.pkttype != kPacketOutgoing;
    s.side = side->name;
    s.bytes = p.ip;
    s.view = ParsePacket(p.ip);
    if (!s.view.ok) continue;
    s.from = HostOf(s.view.src, addrs);
    s.to = HostOf(s.view.dst, addrs);
    ConnRef ref = conns.Observe(s.view);
    if (ref.conn != nullptr && s.view.is_tcp()) {
      s.rel_seq = ConnTable::RelSeq(ref, s.view);
      s.rel_ack = ConnTable::RelAck(ref, s.view);
      conns.Advance(ref, s.view);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Matches(const FaultMatch& m, const Seen& s) {
  PacketFacts f;
  f.view = &s.view;
  f.from = s.from;
  f.to = s.to;
  f.since_start_ns = s.t_ns;
  f.rel_seq = s.rel_seq;
  f.rel_ack = s.rel_ack;
  f.bytes = s.bytes;
  return MatchPredicates(m, f);
}

// Every packet, on either side, that matches any of `ms`.
std::vector<std::string> Dump(const std::vector<FaultMatch>& ms, const std::vector<Seen>& seen) {
  std::vector<std::string> out;
  size_t total = 0;
  for (const Seen& s : seen) {
    if (std::none_of(ms.begin(), ms.end(), [&](const FaultMatch& m) { return Matches(m, s); })) {
      continue;
    }
    if (++total <= kMaxDump) out.push_back(Line(s));
  }
  if (total > kMaxDump) out.push_back(fmt::format("... {} more (see the pcap)", total - kMaxDump));
  if (total == 0) out.push_back("(no packet on either side matches)");
  return out;
}

void CheckMatch(const PacketExpect& x, const std::vector<Seen>& seen, PacketCheckRecord* r) {
  const bool sent = x.at == PacketExpect::At::kSent;
  std::vector<const Seen*> hits;
  for (const Seen& s : seen) {
    if (s.sent == sent && Matches(x.match, s)) hits.push_back(&s);
  }
  const int64_t n = static_cast<int64_t>(hits.size());
  if (x.count && !x.count->Contains(n)) {
    r->ok = false;
    r->failure = fmt::format("expected count {} vs actual {}", CountText(*x.count), n);
  } else if (!x.gaps.empty() && hits.size() < x.gaps.size() + 1) {
    r->ok = false;
    r->failure = fmt::format("expected {} gaps ({} packets) vs actual {} packet{}", x.gaps.size(),
                             x.gaps.size() + 1, n, n == 1 ? "" : "s");
  } else {
    for (size_t i = 0; i < x.gaps.size(); ++i) {
      const int64_t gap = hits[i + 1]->t_ns - hits[i]->t_ns;
      if (!x.gaps[i].Contains(Duration(gap))) {
        r->ok = false;
        r->failure =
            fmt::format("gap {} (between matches {} and {}) expected {} vs actual {}", i + 1, i + 1,
                        i + 2, x.gaps[i].ToString(), FormatDuration(Duration(gap)));
        break;
      }
    }
  }
  if (!r->ok) r->dump = Dump({x.match}, seen);
}

void CheckOrder(const PacketExpect& x, const std::vector<Seen>& seen, PacketCheckRecord* r) {
  const bool sent = x.at == PacketExpect::At::kSent;
  std::vector<const Seen*> first(x.order.size(), nullptr);
  for (size_t i = 0; i < x.order.size(); ++i) {
    for (const Seen& s : seen) {
      if (s.sent == sent && Matches(x.order[i], s)) {
        first[i] = &s;
        break;
      }
    }
    if (first[i] == nullptr) {
      r->ok = false;
      r->failure = fmt::format("order item {} never matched", i + 1);
      break;
    }
    if (i > 0 && first[i]->no < first[i - 1]->no) {
      r->ok = false;
      r->failure = fmt::format(
          "expected item {0} before item {1} vs actual item {1} first at "
          "#{2} ({3}), item {0} first at #{4} ({5})",
          i, i + 1, first[i]->no, Secs(first[i]->t_ns), first[i - 1]->no, Secs(first[i - 1]->t_ns));
      break;
    }
  }
  if (!r->ok) r->dump = Dump(x.order, seen);
}

// When an event of `timing:` happened (ns since the case start), or why it
// cannot be placed ("no such packet (1 of 2 seen)", "step 'x' never ran").
struct EventTime {
  int64_t t_ns = 0;
  std::string missing;  // "" when t_ns holds
};

EventTime StepTime(const TimingEvent::Step& ev, const std::vector<StepRecord>& steps) {
  EventTime out;
  const auto i = static_cast<size_t>(ev.step_index - 1);
  if (ev.step_index < 1 || i >= steps.size() || !steps[i].ran) {
    out.missing = fmt::format("step '{}' never ran", ev.label);
    return out;
  }
  const StepRecord& rec = steps[i];
  // A call's stamps come with its reply: one that never returned has none.
  if (!rec.finished && (ev.at == TimingEvent::Step::At::kReturn || rec.start_offset_ns == 0)) {
    out.missing = fmt::format("step '{}' did not return", ev.label);
    return out;
  }
  out.t_ns = rec.start_offset_ns;
  if (ev.at == TimingEvent::Step::At::kReturn) out.t_ns += rec.took_ns;
  return out;
}

EventTime PacketTime(const TimingEvent::Packet& ev, const std::vector<Seen>& seen) {
  const bool sent = ev.at == PacketExpect::At::kSent;
  int64_t n = 0;
  EventTime out;
  for (const Seen& s : seen) {
    if (s.sent != sent || !Matches(ev.match, s)) continue;
    if (++n == ev.nth) {
      out.t_ns = s.t_ns;
      return out;
    }
  }
  out.missing = fmt::format("no such packet ({} of {} seen)", n, ev.nth);
  return out;
}

// The local and remote port of "198.18.1.2:40000 > 198.18.2.2:8080" (or
// "[2001:2:0:1::2]:40000 > [...]:8080"): the digits after each side's last ':'.
bool HasPort(const std::string& socket, int port) {
  const size_t gt = socket.find(" > ");
  if (gt == std::string::npos) return false;
  for (const std::string& side : {socket.substr(0, gt), socket.substr(gt + 3)}) {
    const size_t colon = side.rfind(':');
    if (colon != std::string::npos && side.substr(colon + 1) == std::to_string(port)) return true;
  }
  return false;
}

bool OfEvent(const TimingEvent::State& ev, const TransitionRecord& t) {
  return t.host == ev.host && (ev.port == 0 || HasPort(t.socket, ev.port));
}

// The paths of the event's sockets, in the order each first moved:
// "ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 | LISTEN -> SYN_RECV".
std::string Paths(const TimingEvent::State& ev, const TimelineInputs& in) {
  std::vector<std::pair<std::string, std::string>> paths;  // socket, path
  for (const TransitionRecord& t : in.transitions) {
    if (!OfEvent(ev, t)) continue;
    auto it = std::find_if(paths.begin(), paths.end(),
                           [&](const auto& p) { return p.first == t.socket; });
    if (it == paths.end()) {
      paths.emplace_back(t.socket, t.from);
      it = paths.end() - 1;
    }
    it->second += " -> " + t.to;
  }
  if (paths.empty()) return "no recorded transitions";
  std::string out = "transitions: ";
  for (size_t i = 0; i < paths.size(); ++i) out += (i == 0 ? "" : " | ") + paths[i].second;
  return out;
}

EventTime StateTime(const TimingEvent::State& ev, const TimelineInputs& in) {
  int64_t n = 0;
  EventTime out;
  if (in.transitions_lost != 0) {
    out.missing = fmt::format(
        "the socket state history is incomplete ({} transitions lost: the ring buffer was full)",
        in.transitions_lost);
    return out;
  }
  for (const TransitionRecord& t : in.transitions) {
    if (!OfEvent(ev, t) || t.to != ev.state) continue;
    if (++n == ev.nth) {
      out.t_ns = t.at_ns - in.start_mono_ns;
      return out;
    }
  }
  const std::string who = ev.port == 0 ? ev.host : fmt::format("{} (port {})", ev.host, ev.port);
  if (n == 0) {
    out.missing = fmt::format("{} never entered {} ({})", who, ev.state, Paths(ev, in));
  } else {
    out.missing =
        fmt::format("{} entered {} {} of {} times ({})", who, ev.state, n, ev.nth, Paths(ev, in));
  }
  return out;
}

EventTime TimeOf(const TimingEvent& ev, const std::vector<Seen>& seen, const TimelineInputs& in) {
  if (const auto* st = std::get_if<TimingEvent::Step>(&ev.what)) return StepTime(*st, in.steps);
  if (const auto* st = std::get_if<TimingEvent::State>(&ev.what)) return StateTime(*st, in);
  return PacketTime(std::get<TimingEvent::Packet>(ev.what), seen);
}

void CheckOneTiming(const TimingExpect& x, const std::vector<Seen>& seen, const TimelineInputs& in,
                    PacketCheckRecord* r) {
  const std::string expected = fmt::format("expected {} {}", x.took.ToString(), r->description);
  const EventTime from = TimeOf(x.from, seen, in);
  const EventTime to = TimeOf(x.to, seen, in);
  const int64_t took = to.t_ns - from.t_ns;
  if (!from.missing.empty() || !to.missing.empty()) {
    r->failure =
        fmt::format("{} vs actual: {}", expected, from.missing.empty() ? to.missing : from.missing);
  } else if (took < 0) {
    r->failure = fmt::format("{} vs actual {}: {} ({}) came before {} ({})", expected,
                             FormatDuration(Duration(took)), x.to.Describe(), Secs(to.t_ns),
                             x.from.Describe(), Secs(from.t_ns));
  } else if (!x.took.Contains(Duration(took))) {
    r->failure = fmt::format("{} vs actual {}", expected, FormatDuration(Duration(took)));
  } else {
    return;
  }
  r->ok = false;
  std::vector<FaultMatch> ms;
  for (const TimingEvent* ev : {&x.from, &x.to}) {
    if (const auto* p = std::get_if<TimingEvent::Packet>(&ev->what)) ms.push_back(p->match);
  }
  if (!ms.empty()) r->dump = Dump(ms, seen);
}

}  // namespace

std::vector<PacketCheckRecord> CheckPackets(const std::vector<PacketExpect>& expects,
                                            const std::vector<CapturedPacket>& packets,
                                            const CaptureContext& cx) {
  std::vector<Seen> seen = Decode(packets, cx);
  std::vector<PacketCheckRecord> out;
  for (const PacketExpect& x : expects) {
    PacketCheckRecord r;
    r.index = x.index;
    r.loc = x.loc;
    r.description = x.Describe();
    if (x.order.empty()) {
      CheckMatch(x, seen, &r);
    } else {
      CheckOrder(x, seen, &r);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<PacketCheckRecord> CheckTiming(const std::vector<TimingExpect>& expects,
                                           const std::vector<CapturedPacket>& packets,
                                           const CaptureContext& cx, const TimelineInputs& in) {
  std::vector<Seen> seen = Decode(packets, cx);
  std::vector<PacketCheckRecord> out;
  for (const TimingExpect& x : expects) {
    PacketCheckRecord r;
    r.kind = "timing";
    r.index = x.index;
    r.loc = x.loc;
    r.description = x.Describe();
    CheckOneTiming(x, seen, in, &r);
    out.push_back(std::move(r));
  }
  return out;
}

std::string PacketCheckMessage(const PacketCheckRecord& r) {
  std::string out = r.kind == "timing"
                        ? fmt::format("{}: timing {}: {}", r.loc.ToString(), r.index, r.failure)
                        : fmt::format("{}: packets {} ({}): {}", r.loc.ToString(), r.index,
                                      r.description, r.failure);
  for (const std::string& l : r.dump) out += "\n  " + l;
  return out;
}

}  // namespace faultline
