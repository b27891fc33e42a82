#include "harness/runner/packet_steps.h"

#include <fmt/format.h>

#include "harness/packet/byte_order.h"
#include "harness/packet/checksum.h"
#include "harness/runner/request.h"

namespace faultline {
namespace {

constexpr uint16_t kDefaultPort = 40000;

std::string Offset(int64_t ns) { return FormatDuration(Duration(ns)); }

// A signed offset from the anchor: "+12ms", "-22us", "+0s".
std::string SignedOffset(int64_t ns) { return (ns < 0 ? "" : "+") + Offset(ns); }

// The window of an expect step past its anchor, or nullopt (any time).
// `after: V` gives [V - tolerance, V + tolerance] with no clamp at 0: a
// packet a call causes (the FIN after `close`) can reach the wire before
// the call's return stamp, the anchor, so a negative offset is allowed.
std::optional<DurationRange> WindowOf(const PacketStep& p, Duration case_tolerance) {
  if (!p.after) return std::nullopt;
  if (p.after_is_range) return *p.after;
  const Duration v = p.after->lo;
  const Duration tol = p.tolerance.value_or(case_tolerance);
  return DurationRange{v - tol, v + tol};
}

// A step's actual text after the packets it skipped ("ignored: <line>").
std::string WithIgnored(const std::string& ignored, const std::string& actual) {
  return ignored.empty() ? actual : ignored + "\n" + actual;
}

// `next` continues the TCP segment `so_far` (same addresses and ports, seq
// right after it, some payload).
bool Continues(const PacketView& so_far, const PacketView& next) {
  return next.ok && next.is_tcp() && next.src == so_far.src && next.dst == so_far.dst &&
         next.sport == so_far.sport && next.dport == so_far.dport &&
         next.seq == so_far.seq + so_far.payload_len && next.payload_len > 0;
}

// One segment of `so_far` and `next` (Continues): the headers of `next`,
// the seq and CWR of `so_far`, both payloads; lengths and checksums fixed.
std::vector<uint8_t> Join(std::span<const uint8_t> so_far, const PacketView& a,
                          std::span<const uint8_t> next, const PacketView& b) {
  std::vector<uint8_t> out(next.begin(), next.begin() + static_cast<ptrdiff_t>(b.payload_offset));
  auto payload = [](std::span<const uint8_t> bytes, const PacketView& v) {
    return bytes.subspan(v.payload_offset, v.payload_len);
  };
  const std::span<const uint8_t> pa = payload(so_far, a), pb = payload(next, b);
  out.insert(out.end(), pa.begin(), pa.end());
  out.insert(out.end(), pb.begin(), pb.end());
  Put32(&out[b.l4_offset + 4], a.seq);
  constexpr uint8_t kCwr = 0x80;
  out[b.l4_offset + 13] =
      static_cast<uint8_t>((out[b.l4_offset + 13] & ~kCwr) | (so_far[a.l4_offset + 13] & kCwr));
  if (b.v6) {
    Put16(&out[4], static_cast<uint16_t>(out.size() - 40));
  } else {
    Put16(&out[2], static_cast<uint16_t>(out.size()));
  }
  FixChecksums(out);
  return out;
}

}  // namespace

std::string PacketSteps::AddrOf(const std::string& host) const {
  for (const HostAddrs& h : env_.Hosts()) {
    if (h.name == host) return family_ == Family::kIPv4 ? h.addr4 : h.addr6;
  }
  return "";
}

std::map<IpAddr, std::string> PacketSteps::HostNames() const {
  std::map<IpAddr, std::string> names;
  for (const HostAddrs& h : env_.Hosts()) {
    IpAddr a;
    if (!h.addr4.empty() && IpAddr::Parse(h.addr4, &a)) names[a] = h.name;
    if (!h.addr6.empty() && IpAddr::Parse(h.addr6, &a)) names[a] = h.name;
  }
  return names;
}

StatusOr<TakenPacket> PacketSteps::Next(const std::string& host, int64_t deadline_ns,
                                        const ScriptConn& c, const PacketFields* expect,
                                        StepRecord* rec) {
  if (auto it = kept_.find(host); it != kept_.end()) {
    while (!it->second.empty()) {
      TakenPacket p = std::move(it->second.front());
      it->second.pop_front();
      if (!SkipEarlierConnection(p, c, rec)) return p;
    }
  }
  return Fresh(host, deadline_ns, c, expect, rec);
}

bool PacketSteps::SkipEarlierConnection(const TakenPacket& p, const ScriptConn& c,
                                        StepRecord* rec) {
  if (!case_.keep_early_packets) return false;
  const PacketView v = ParsePacket(p.bytes);
  if (!v.ok || !(v.is_tcp() || v.is_udp()) || v.is_fragment) return false;
  if (c.remote_port != 0 && v.sport == c.remote_port && v.dport == c.local_port) return false;
  for (const auto& [key, d] : conns_) {
    if (key.first != c.local_host || d.name == c.name || d.remote_port == 0) continue;
    if (v.sport != d.remote_port || v.dport != d.local_port || !(v.src == d.remote) ||
        !(v.dst == d.local)) {
      continue;
    }
    env_.MarkIgnored(p.seq_no);
    if (rec != nullptr) {
      if (!rec->actual.empty()) rec->actual += "\n";
      rec->actual += "ignored, of an earlier connection: " + ScriptedLine(p.bytes, d);
    }
    return true;
  }
  return false;
}

StatusOr<TakenPacket> PacketSteps::Fresh(const std::string& host, int64_t deadline_ns,
                                         const ScriptConn& c, const PacketFields* expect,
                                         StepRecord* rec) {
  while (true) {
    StatusOr<TakenPacket> got = env_.NextPacket(host, deadline_ns);
    if (!got.ok()) return got;
    if (SkipEarlierConnection(*got, c, rec)) continue;
    if (!got->ignorable) return got;
    if (expect != nullptr) {
      ScriptConn trial = c;  // a packet that does not match teaches nothing
      if (CheckScripted(*expect, got->bytes, trial).ok()) return got;
    }
    env_.MarkIgnored(got->seq_no);
    if (rec != nullptr) {
      if (!rec->actual.empty()) rec->actual += "\n";
      rec->actual += "ignored: " + ScriptedLine(got->bytes, c);
    }
  }
}

StatusOr<ScriptConn*> PacketSteps::ConnOf(const PacketStep& p) {
  auto key = std::make_pair(p.host, p.conn);
  if (auto it = conns_.find(key); it != conns_.end()) return &it->second;
  ScriptConn c;
  c.name = p.conn;
  c.local_host = p.host;
  c.host_names = HostNames();
  if (!IpAddr::Parse(AddrOf(p.host), &c.local)) {
    return Status::Invalid(fmt::format("host '{}' has no address in this family", p.host));
  }
  if (p.dir == PacketStep::Dir::kSend) {
    if (!p.to || p.to->kind != Endpoint::Kind::kHost) {
      return Status::Invalid(fmt::format(
          "conn '{}' is not open: its first step must be a send with `to: HOST:PORT` or an "
          "expect with `port:`",
          p.conn));
    }
    c.remote_host = p.to->host;
    c.remote_port = p.to->port;
    if (!IpAddr::Parse(AddrOf(c.remote_host), &c.remote)) {
      return Status::Invalid(fmt::format("'to': no host '{}' in this lab", c.remote_host));
    }
  } else {
    c.remote_host = p.from;
    if (!p.from.empty()) (void)IpAddr::Parse(AddrOf(p.from), &c.remote);
  }
  c.local_port = p.port.value_or(kDefaultPort);
  c.local_isn = p.isn.value_or(0);
  c.local_nxt = c.local_isn;
  return &conns_.emplace(key, std::move(c)).first->second;
}

Verdict PacketSteps::Send(const PacketStep& p, ScriptConn& c, int64_t due_ns, StepRecord& rec,
                          int64_t* event_ns) {
  // Wait until due; a packet before then is one the script did not expect
  // (YAML), or one kept for the host's next expect (keep_early_packets).
  StepRecord ignored;  // "ignored: <line>" and "kept: <line>" lines while waiting
  while (true) {
    StatusOr<TakenPacket> early = Fresh(p.host, due_ns, c, nullptr, &ignored);
    rec.actual = ignored.actual;
    if (!early.ok()) {
      if (early.status().code() == StatusCode::kTimeout) break;
      return Verdict::Error(early.status().message());
    }
    const std::string line = ScriptedLine(early->bytes, c);
    if (!case_.keep_early_packets) {
      return Verdict::Fail("no packet before this send", WithIgnored(ignored.actual, line),
                           "unexpected packet: " + line);
    }
    ignored.actual = WithIgnored(ignored.actual, "kept for the next expect: " + line);
    kept_[p.host].push_back(*std::move(early));
  }
  StatusOr<std::vector<uint8_t>> bytes = BuildScripted(p.packet, c);
  if (!bytes.ok()) return Verdict::Error(bytes.status().message());
  const std::string line = ScriptedLine(*bytes, c);
  StatusOr<int64_t> at = env_.SendPacket(p.host, *bytes);
  if (!at.ok()) return Verdict::Error(at.status().message());
  *event_ns = *at;
  rec.finished = true;
  return Verdict::Pass(p.packet.ToString(), WithIgnored(ignored.actual, line));
}

PacketFields PacketSteps::TsAnchored(const PacketStep& p, int64_t anchor_ns) const {
  PacketFields f = p.packet;
  auto first = first_ts_ns_.find(std::make_pair(p.host, p.conn));
  if (!p.ts_tick || p.ts_tick->count() <= 0 || first == first_ts_ns_.end() || !f.options) return f;
  const int64_t drift = (anchor_ns - first->second) - p.ts_script_anchor.count();
  const int64_t tick = p.ts_tick->count();
  const int64_t shift = (drift >= 0 ? drift + tick / 2 : drift - tick / 2) / tick;
  for (OptionSpec& o : *f.options) {
    if (!o.ts_val) continue;
    o.ts_val->lo += shift;
    o.ts_val->hi += shift;
  }
  return f;
}

void PacketSteps::Reanchor(const PacketStep& p, const StepTiming& t, int64_t at_ns,
                           int64_t* anchor_ns, int* anchor_step, DurationRange* window) const {
  if (!case_.keep_early_packets || !t.script_at || !p.after || at_ns >= *anchor_ns) return;
  const EventMark* best = nullptr;
  for (const EventMark& m : t.marks) {
    if (m.at_ns <= at_ns && (best == nullptr || m.at_ns >= best->at_ns)) best = &m;
  }
  if (best == nullptr) return;
  // The window was the script's time from the anchor (p.after->lo past it);
  // now it is the script's time from `best`.
  const Duration shift = (*t.script_at - best->script_at) - p.after->lo;
  window->lo += shift;
  window->hi += shift;
  *anchor_ns = best->at_ns;
  *anchor_step = best->step;
}

Verdict PacketSteps::Expect(const PacketStep& p, ScriptConn& c, const StepTiming& t,
                            StepRecord& rec, int64_t* event_ns) {
  std::optional<DurationRange> window = WindowOf(p, case_.tolerance);
  int64_t anchor_ns = t.anchor_ns;
  int anchor_step = t.anchor_step;
  const int64_t until =
      window ? std::min(t.deadline_ns, anchor_ns + window->hi.count()) : t.deadline_ns;
  auto range_of = [](const DurationRange& w) {
    return fmt::format("[{}, {}]", Offset(w.lo.count()), Offset(w.hi.count()));
  };
  std::string range = window ? range_of(*window) : "";
  std::string expected = p.packet.ToString() + (window ? " within " + range : "");
  StepRecord ignored;  // "ignored: <line>" lines while waiting
  StatusOr<TakenPacket> got = Next(p.host, until, c, &p.packet, &ignored);
  if (!got.ok() && got.status().code() == StatusCode::kTimeout && window) {
    got = HandedLate(p, c, until, &ignored);
  }
  if (!got.ok()) {
    rec.actual = ignored.actual;
    if (got.status().code() != StatusCode::kTimeout) return Verdict::Error(got.status().message());
    const std::string within = window ? fmt::format("within {} after step {}", range, anchor_step)
                                      : "before the case's deadline";
    return Verdict::Fail(expected, WithIgnored(ignored.actual, "none"),
                         fmt::format("expected {} {}; none came", p.packet.ToString(), within));
  }
  std::string then;  // a packet that ended the gathering
  const int segments = p.gather ? Gather(p, c, until, *got, ignored, &then) : 1;
  rec.actual = ignored.actual;
  *event_ns = got->at_ns;
  rec.finished = true;
  if (window) {
    Reanchor(p, t, got->at_ns, &anchor_ns, &anchor_step, &*window);
    if (anchor_step != t.anchor_step) {
      range = range_of(*window);
      expected = p.packet.ToString() + fmt::format(" within {} after step {}", range, anchor_step);
    }
  }
  const int64_t offset = got->at_ns - anchor_ns;
  const bool ts_known = c.remote_ts_known;
  const PacketFields fields = TsAnchored(p, t.anchor_ns);
  Verdict v = CheckScripted(fields, got->bytes, c);
  if (!ts_known && c.remote_ts_known) first_ts_ns_[std::make_pair(p.host, p.conn)] = got->at_ns;
  const std::string actual = WithIgnored(
      ignored.actual, ScriptedLine(got->bytes, c) + " at " + SignedOffset(offset) +
                          (segments > 1 ? fmt::format(" ({} segments)", segments) : "") +
                          (then.empty() ? "" : "\nthen: " + then));
  if (!v.ok()) return Verdict::Fail(expected, actual, v.message);
  if (window && !window->Contains(Duration(offset))) {
    return Verdict::Fail(expected, actual,
                         fmt::format("packet at {} after step {}, expected {}",
                                     SignedOffset(offset), anchor_step, range));
  }
  return Verdict::Pass(expected, actual);
}

// A packet the stack sent within the window may reach the scripted host's
// inbox after the window's end: the wire's thread reads it from NFQUEUE when
// it gets to run (under load, milliseconds later), and its time is the
// kernel's stamp of it. For a .pkt script, whose packets wait for their
// expect anyway (keep_early_packets), the wait goes on for kWireHandover
// more; a packet stamped within the window is the step's, a later one is
// kept for the next expect and the step has none. YAML cases keep the
// window's end as their deadline.
StatusOr<TakenPacket> PacketSteps::HandedLate(const PacketStep& p, ScriptConn& c, int64_t until_ns,
                                              StepRecord* rec) {
  const auto none = [&] { return Status::Timeout(fmt::format("no packet toward {}", p.host)); };
  if (!case_.keep_early_packets) return none();
  StatusOr<TakenPacket> got =
      Fresh(p.host, until_ns + std::chrono::nanoseconds(kWireHandover).count(), c, &p.packet, rec);
  if (!got.ok() || got->at_ns <= until_ns) return got;
  kept_[p.host].push_front(*std::move(got));
  return none();
}

int PacketSteps::Gather(const PacketStep& p, const ScriptConn& c, int64_t until_ns,
                        TakenPacket& got, StepRecord& rec, std::string* then) {
  const int64_t want = p.packet.length ? p.packet.length->lo : 0;
  PacketView so_far = ParsePacket(got.bytes);
  if (!so_far.ok || !so_far.is_tcp() || so_far.payload_len == 0) return 1;
  const uint32_t first_len = so_far.payload_len;
  int segments = 1;
  uint32_t last_len = first_len;
  while (static_cast<int64_t>(so_far.payload_len) < want && last_len == first_len) {
    StatusOr<TakenPacket> next = Next(p.host, until_ns, c, nullptr, &rec);
    if (!next.ok()) break;
    const PacketView v = ParsePacket(next->bytes);
    if (!Continues(so_far, v)) {
      *then = ScriptedLine(next->bytes, c);
      break;
    }
    got.bytes = Join(got.bytes, so_far, next->bytes, v);
    got.at_ns = next->at_ns;
    so_far = ParsePacket(got.bytes);
    last_len = v.payload_len;
    ++segments;
  }
  return segments;
}

Verdict PacketSteps::Run(const PacketStep& p, const StepTiming& t, StepRecord& rec,
                         int64_t* event_ns) {
  StatusOr<ScriptConn*> c = ConnOf(p);
  if (!c.ok()) return Verdict::Error(c.status().message());
  if (p.dir == PacketStep::Dir::kExpect) return Expect(p, **c, t, rec, event_ns);
  const int64_t due = p.after ? t.anchor_ns + p.after->lo.count() : env_.clock().NowNs();
  return Send(p, **c, std::min(due, t.deadline_ns), rec, event_ns);
}

Verdict PacketSteps::RunWire(const WireSendStep& w, int step_index, StepRecord& rec,
                             int64_t* event_ns) {
  StatusOr<TakenPacket> sent = env_.InjectInto(w, step_index);
  if (!sent.ok()) return Verdict::Error(sent.status().message());
  *event_ns = sent->at_ns;
  rec.finished = true;
  return Verdict::Pass(w.packet.ToString(), sent->line);
}

std::optional<std::string> PacketSteps::Leftover(StepRecord* rec) {
  if (!case_.check_after_last_step) return std::nullopt;  // packetdrill's: ends with the script
  // A case ends tolerance after its last step: late packets count too.
  const int64_t until = env_.clock().NowNs() + case_.tolerance.count();
  for (const HostSpec& h : case_.hosts) {
    if (!h.scripted) continue;
    ScriptConn any;
    any.local_host = h.name;
    for (const auto& [key, c] : conns_) {
      if (key.first == h.name) any = c;
    }
    any.host_names = HostNames();
    StatusOr<TakenPacket> p = Next(h.name, until, any, nullptr, rec);
    if (!p.ok()) continue;
    return fmt::format("toward {} after the last step: {}", h.name, ScriptedLine(p->bytes, any));
  }
  return std::nullopt;
}

}  // namespace faultline
