#include "injectors/fault_engine.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "harness/packet/matcher.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"

namespace faultline {

FaultEngine::FaultEngine(EngineConfig config)
    : cfg_(std::move(config)), conns_(cfg_.faults.size()) {
  for (size_t i = 0; i < cfg_.faults.size(); ++i) {
    prng_.emplace_back(FaultSeed(cfg_.seed, static_cast<int>(i) + 1));
  }
  buckets_.resize(cfg_.faults.size());
  for (const Fault& f : cfg_.faults) enabled_.push_back(f.enabled);
}

bool FaultEngine::Reached(const FaultEvent& e, int64_t now_ns) const {
  if (e.after) return now_ns - cfg_.case_start_ns >= e.after->count();
  return steps_seen_.count(e.step) != 0;
}

bool FaultEngine::Active(size_t i, int64_t now_ns) const {
  const Fault& f = cfg_.faults[i];
  if (!enabled_[i]) return false;
  if (f.active_from && !Reached(*f.active_from, now_ns)) return false;
  return !(f.active_until && Reached(*f.active_until, now_ns));
}

void FaultEngine::OnControl(const FaultStep& step, int step_index, int64_t now_ns) {
  const size_t i = static_cast<size_t>(step.fault_index - 1);
  if (i >= cfg_.faults.size()) return;
  if (step.enable) enabled_[i] = *step.enable;
  // New params: the fault's links keep their queues and take the new rate
  // from now on; its netem draws start afresh from the new params.
  if (step.action) SetFaultAction(i, *step.action);
  PacketRecord r;
  r.seq_no = log_.size() + not_logged_ + 1;
  r.arrival_ns = now_ns;
  r.release_ns = now_ns;
  r.proto = "other";
  r.fault = step.fault_index;
  r.action = fmt::format("step {}: {}", step_index, step.Describe());
  Append(std::move(r));
}

std::string FaultEngine::HostOf(const IpAddr& a) const {
  for (const EngineHost& h : cfg_.hosts) {
    if (a == (a.v6 ? h.addr6 : h.addr4)) return h.name;
  }
  return "";
}

const EngineHost* FaultEngine::FindHost(const std::string& name) const {
  for (const EngineHost& h : cfg_.hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

size_t FaultEngine::Append(PacketRecord r) {
  if (log_.size() >= kMaxLogRecords) {
    ++not_logged_;
    scratch_ = std::move(r);
    return kNotLogged;
  }
  log_.push_back(std::move(r));
  return log_.size() - 1;
}

std::vector<PacketRecord> FaultEngine::ReportedLog() const {
  std::vector<PacketRecord> out = log_;
  for (const LinkReport& l : Links()) {
    PacketRecord r;
    r.seq_no = out.size() + not_logged_ + 1;
    r.arrival_ns = out.empty() ? 0 : out.back().arrival_ns;
    r.proto = "other";
    r.action = l.Line();
    out.push_back(std::move(r));
  }
  if (not_logged_ > 0) {
    PacketRecord r;
    r.seq_no = out.size() + not_logged_ + 1;
    r.arrival_ns = log_.empty() ? 0 : log_.back().arrival_ns;
    r.proto = "other";
    r.action = fmt::format(
        "not logged: {} more packet(s) after the first {} (the packet log's bound; a pcap "
        "file, when written, has every packet)",
        not_logged_, kMaxLogRecords);
    out.push_back(std::move(r));
  }
  return out;
}

size_t FaultEngine::Record(const PacketView& v, const ConnRef& ref, int64_t now_ns,
                           std::span<const uint8_t> bytes, size_t len) {
  PacketRecord r;
  r.seq_no = log_.size() + not_logged_ + 1;
  r.arrival_ns = now_ns;
  r.wire_len = v.ip_len != 0 ? v.ip_len : static_cast<uint32_t>(std::max(len, bytes.size()));
  r.action = "pass";
  if (v.ok) {
    r.from = HostOf(v.src);
    r.to = HostOf(v.dst);
    r.proto = v.ProtoName();
    r.flags = v.FlagString();
    r.sport = v.sport;
    r.dport = v.dport;
    r.seq = v.seq;
    r.ack = v.ack;
    r.payload_len = v.payload_len;
    FillRecordHeaders(bytes, v, &r);
    if (auto rs = ConnTable::RelSeq(ref, v)) {
      r.has_rel = true;
      r.rel_seq = *rs;
      if (auto ra = ConnTable::RelAck(ref, v)) {
        r.rel_ack = *ra;
      } else if (v.has(kTcpAck)) {
        r.has_rel = false;  // half known: print raw numbers
      }
    }
  } else {
    r.proto = "other";
    if (v.src.v6 || v.src.bytes != IpAddr{}.bytes) {
      r.from = HostOf(v.src);
      r.to = HostOf(v.dst);
    }
    r.action = "unparsed: " + v.error;
  }
  return Append(std::move(r));
}

void FaultEngine::Accept(uint32_t id, size_t record, int64_t now_ns, std::vector<Effect>* out,
                         std::vector<uint8_t> replaced) {
  At(record).release_ns = now_ns;
  out->push_back(Effect{Effect::Kind::kAccept, id, std::move(replaced), "", 0, 0, false});
}

void FaultEngine::Drop(uint32_t id, std::vector<Effect>* out) {
  out->push_back(Effect{Effect::Kind::kDrop, id, {}, "", 0, 0, false});
}

void FaultEngine::AddCopy(size_t original, std::vector<uint8_t> bytes, const std::string& action,
                          PacketFate fate, int64_t now_ns, std::vector<Effect>* out) {
  PacketView v = ParsePacket(bytes);
  PacketRecord r = At(original);
  r.fate = fate;
  r.seq_no = log_.size() + not_logged_ + 1;
  r.arrival_ns = now_ns;
  r.release_ns = now_ns;
  r.is_copy = true;
  r.action = action;
  if (v.ok) {
    r.from = HostOf(v.src);
    r.to = HostOf(v.dst);
    r.flags = v.FlagString();
    r.sport = v.sport;
    r.dport = v.dport;
    r.payload_len = v.payload_len;
    r.wire_len = v.ip_len;
    FillRecordHeaders(bytes, v, &r);
    if (r.seq != v.seq || r.ack != v.ack) {  // a crafted packet: raw numbers unless known
      r.seq = v.seq;
      r.ack = v.ack;
      r.has_rel = false;
    }
  }
  Append(std::move(r));
  out->push_back(Effect{Effect::Kind::kInject, 0, std::move(bytes), "", 0, 0, false});
}

uint64_t FaultEngine::Hold(uint32_t id, size_t record, Why why) {
  const uint64_t token = next_token_++;
  Held h;
  h.id = id;
  h.record = record;
  h.why = why;
  held_.emplace(token, std::move(h));
  return token;
}

void FaultEngine::Release(uint64_t token, bool drop, int64_t now_ns, const std::string& note,
                          std::vector<Effect>* out) {
  auto it = held_.find(token);
  if (it == held_.end()) return;  // already released (lazy timer cancel)
  Held h = std::move(it->second);
  held_.erase(it);
  if (!note.empty()) At(h.record).action += " (" + note + ")";
  if (drop) {
    At(h.record).fate = PacketFate::kDrop;
    Drop(h.id, out);
  } else {
    Accept(h.id, h.record, now_ns, out);
  }
}

void FaultEngine::ReleaseGroup(const GroupKey& key, int64_t now_ns, bool timeout,
                               std::vector<Effect>* out) {
  auto it = groups_.find(key);
  if (it == groups_.end()) return;
  Group g = std::move(it->second);
  groups_.erase(it);
  group_timers_.erase(g.timer);
  const Fault& f = cfg_.faults[static_cast<size_t>(std::get<0>(key))];
  std::vector<int> order = f.action.order;
  if (order.empty()) {
    for (int i = f.action.count; i >= 1; --i) order.push_back(i);
  }
  // Release in `order`, skipping positions that never filled (timeout).
  for (int pos : order) {
    if (pos >= 1 && static_cast<size_t>(pos) <= g.tokens.size()) {
      Release(g.tokens[static_cast<size_t>(pos) - 1], false, now_ns, timeout ? "group timeout" : "",
              out);
    }
  }
  for (uint64_t t : g.tokens) Release(t, false, now_ns, "", out);  // any not in order
}

bool FaultEngine::RateAllows(int fi, int64_t now_ns) {
  const FaultAction& a = cfg_.faults[static_cast<size_t>(fi)].action;
  Bucket& b = buckets_[static_cast<size_t>(fi)];
  const double cap = a.rate;
  if (!b.init) {
    b.init = true;
    b.tokens = cap;
    b.last_ns = now_ns;
  }
  const double per_ns = static_cast<double>(a.per.count());
  if (per_ns > 0 && now_ns > b.last_ns) {
    b.tokens = std::min(cap, b.tokens + cap * static_cast<double>(now_ns - b.last_ns) / per_ns);
  }
  b.last_ns = std::max(b.last_ns, now_ns);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  return false;
}

std::optional<std::vector<uint8_t>> FaultEngine::BuildRst(const PacketView& v, const ConnRef& ref,
                                                          const std::string& toward) const {
  const EngineHost* h = FindHost(toward);
  if (h == nullptr || ref.conn == nullptr || !v.is_tcp()) return std::nullopt;
  const IpAddr& target = v.v6 ? h->addr6 : h->addr4;
  int hd = -1;  // the target's side in the connection
  for (int s = 0; s < 2; ++s) {
    if (ref.conn->addr[s] == target) hd = s;
  }
  if (hd < 0) return std::nullopt;
  const Conn& c = *ref.conn;
  SegmentSpec spec;
  spec.src = c.addr[1 - hd];
  spec.dst = c.addr[hd];
  spec.sport = c.port[1 - hd];
  spec.dport = c.port[hd];
  spec.flags = kTcpRst | kTcpAck;
  spec.window = 0;
  const uint32_t seglen = v.payload_len + (v.has(kTcpSyn) ? 1u : 0u) + (v.has(kTcpFin) ? 1u : 0u);
  if (ref.dir != hd) {
    // The packet goes toward the target: its seq is what the target expects.
    spec.seq = v.seq;
    if (v.has(kTcpAck)) {
      spec.ack = v.ack;
    } else {
      spec.flags = kTcpRst;
    }
  } else {
    // The packet comes from the target: its ack is the target's rcv_nxt.
    const ConnSide& other = c.side[1 - hd];
    spec.seq = v.has(kTcpAck) ? v.ack : (other.sent ? other.snd_nxt : 0);
    spec.ack = v.seq + seglen;
  }
  return BuildSegment(spec);
}

void FaultEngine::OnLost(uint32_t id, int64_t now_ns) {
  PacketRecord r;
  r.seq_no = log_.size() + not_logged_ + 1;
  r.arrival_ns = now_ns;
  r.proto = "other";
  r.fate = PacketFate::kDrop;
  r.action =
      fmt::format("lost: queue id {} dropped by the kernel (queue socket full, ENOBUFS)", id);
  Append(std::move(r));
}

void FaultEngine::OnPacket(uint32_t id, std::span<const uint8_t> bytes, int64_t now_ns,
                           std::vector<Effect>* out, size_t len) {
  const PacketView v = len > bytes.size() ? ParsePacket(bytes, len) : ParsePacket(bytes);
  const ConnRef ref = conns_.Observe(v);
  const size_t rec = Record(v, ref, now_ns, bytes, len);
  if (!v.ok) {
    // Toward a scripted host: never forwarded, parsed or not.
    if (TakeUnparsed(id, rec, bytes, now_ns, out)) return;
    At(rec).fate = PacketFate::kUnparsed;
    Accept(id, rec, now_ns, out);
    return;
  }
  if (v.is_tcp() && tcp_seen_.insert(ref.conn).second) tcp_conns_.push_back(ref.conn);
  if (TakeScripted(id, v, ref, rec, bytes, now_ns, out)) return;
  const int win = PickFault(v, bytes, ref, rec, now_ns);
  conns_.Advance(ref, v);

  // A swapped packet waiting for this one (same connection and direction).
  const auto swap_key = std::make_pair(ref.conn->id, ref.dir);
  auto swap_it = swaps_.find(swap_key);
  const Arrival a{id, bytes, v, ref, rec, now_ns, swap_it != swaps_.end()};
  if (win < 0) {
    Accept(id, rec, now_ns, out);
  } else {
    ApplyFault(win, a, out);
  }
  // The packet after a swapped one has had its verdict: release the held one.
  if (a.swap_partner) {
    auto [token, timer] = swap_it->second;
    swaps_.erase(swap_it);
    swap_timers_.erase(timer);
    Release(token, false, now_ns, "", out);
  }
}

int FaultEngine::PickFault(const PacketView& v, std::span<const uint8_t> bytes, const ConnRef& ref,
                           size_t rec, int64_t now_ns) {
  PacketFacts facts;
  facts.view = &v;
  facts.bytes = bytes;
  facts.from = At(rec).from;
  facts.to = At(rec).to;
  facts.since_start_ns = now_ns - cfg_.case_start_ns;
  facts.rel_seq = ConnTable::RelSeq(ref, v);
  facts.rel_ack = ConnTable::RelAck(ref, v);
  facts.retransmission = ConnTable::IsRetransmission(ref, v);

  // Count the packet for every fault whose predicates hold, then pick the
  // first fault that also passes occurrence and probability.
  const size_t nf = cfg_.faults.size();
  std::vector<int64_t>& count = pick_counts_;  // reused: no allocation per packet
  count.assign(nf, 0);
  for (size_t i = 0; i < nf; ++i) {
    if (Active(i, now_ns) && MatchPredicates(cfg_.faults[i].match, facts)) {
      count[i] = ++ref.conn->counters[ref.dir][i];
    }
  }
  for (size_t i = 0; i < nf; ++i) {
    const Fault& f = cfg_.faults[i];
    if (count[i] == 0 || !MatchOccurrence(f.match, count[i])) continue;
    if (f.match.probability && !(MatchDraw(static_cast<int>(i), rec) < *f.match.probability)) {
      continue;
    }
    // A loss model that passes the packet leaves it to the next fault.
    if (f.action.kind == ActionKind::kDrop && f.action.loss &&
        !LossDraw(static_cast<int>(i), *f.action.loss, rec)) {
      continue;
    }
    return static_cast<int>(i);
  }
  return -1;
}

void FaultEngine::ApplyFault(int win, const Arrival& a, std::vector<Effect>* out) {
  const Fault& f = cfg_.faults[static_cast<size_t>(win)];
  PacketRecord& r = At(a.rec);
  r.fault = f.index;
  r.action = ActionName(f.action.kind);
  switch (f.action.kind) {
    case ActionKind::kDrop:
      if (f.action.loss) r.action = std::move(loss_action_);  // "drop (loss ...)": PickFault
      r.fate = PacketFate::kDrop;
      Drop(a.id, out);
      break;
    case ActionKind::kDelay: DoDelay(win, f.action, a, out); break;
    case ActionKind::kReorder: DoReorder(win, f.action, a, out); break;
    case ActionKind::kSwap: DoSwap(a, out); break;
    case ActionKind::kDuplicate: DoDuplicate(f.action, a, out); break;
    case ActionKind::kHold: DoHold(f.action, a, out); break;
    case ActionKind::kCorrupt: DoCorrupt(a, out); break;
    case ActionKind::kInjectRst: DoInjectRst(f.action, a, out); break;
    case ActionKind::kRateLimit: DoRateLimit(win, a, out); break;
    case ActionKind::kBottleneck:
    case ActionKind::kSlots: DoLink(win, a, out); break;
  }
}

void FaultEngine::DoDelay(int win, const FaultAction& act, const Arrival& a,
                          std::vector<Effect>* out) {
  if (act.jitter > Duration(0) || act.reorder) {
    DoNetemDelay(win, act, a, out);
    return;
  }
  PacketRecord& r = At(a.rec);
  r.action = "delay " + FormatDuration(act.delay);
  r.fate = PacketFate::kDelay;
  const uint64_t t = Hold(a.id, a.rec, Why::kDelay);
  timers_.Add(a.now_ns + act.delay.count(), t);
}

void FaultEngine::DoReorder(int win, const FaultAction& act, const Arrival& a,
                            std::vector<Effect>* out) {
  const GroupKey key{win, a.ref.conn->id, a.ref.dir};
  Group& g = groups_[key];
  if (g.tokens.empty()) {
    g.timer = next_token_++;
    group_timers_[g.timer] = key;
    timers_.Add(a.now_ns + cfg_.group_timeout.count(), g.timer);
  }
  g.tokens.push_back(Hold(a.id, a.rec, Why::kGroup));
  PacketRecord& r = At(a.rec);
  r.action = fmt::format("reorder {}/{}", g.tokens.size(), act.count);
  r.fate = PacketFate::kReorder;
  if (static_cast<int>(g.tokens.size()) >= act.count) ReleaseGroup(key, a.now_ns, false, out);
}

void FaultEngine::DoSwap(const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  r.fate = PacketFate::kReorder;
  if (a.swap_partner) {
    r.action = "swap partner";
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  const auto swap_key = std::make_pair(a.ref.conn->id, a.ref.dir);
  const uint64_t t = Hold(a.id, a.rec, Why::kSwap);
  const uint64_t timer = next_token_++;
  swaps_[swap_key] = {t, timer};
  swap_timers_[timer] = swap_key;
  timers_.Add(a.now_ns + cfg_.group_timeout.count(), timer);
}

void FaultEngine::DoDuplicate(const FaultAction& act, const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  r.action = fmt::format("duplicate x{}", act.copies);
  r.fate = PacketFate::kDuplicate;
  Accept(a.id, a.rec, a.now_ns, out);
  for (int c = 1; c <= act.copies; ++c) {
    AddCopy(a.rec, std::vector<uint8_t>(a.bytes.begin(), a.bytes.end()),
            fmt::format("copy {}/{}", c, act.copies), PacketFate::kDuplicate, a.now_ns, out);
  }
}

void FaultEngine::DoHold(const FaultAction& act, const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  r.fate = PacketFate::kHold;
  const std::string then = act.then_drop ? ", then drop" : "";
  if (act.until_step.empty()) {
    const Duration d = act.hold_for.value_or(Duration(0));
    r.action = "hold for " + FormatDuration(d) + then;
    const uint64_t t = Hold(a.id, a.rec, Why::kHold);
    held_[t].then_drop = act.then_drop;
    timers_.Add(a.now_ns + d.count(), t);
    return;
  }
  r.action = "hold until step " + act.until_step + then;
  if (steps_seen_.count(act.until_step) != 0) {
    r.action += " (step already started)";
    if (act.then_drop) {
      r.fate = PacketFate::kDrop;
      Drop(a.id, out);
    } else {
      r.fate = PacketFate::kPass;  // never held: it went on at once
      Accept(a.id, a.rec, a.now_ns, out);
    }
    return;
  }
  const uint64_t t = Hold(a.id, a.rec, Why::kHold);
  held_[t].label = act.until_step;
  held_[t].then_drop = act.then_drop;
}

void FaultEngine::DoCorrupt(const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  std::vector<uint8_t> copy(a.bytes.begin(), a.bytes.end());
  const long off = CorruptPacket(copy);
  if (off < 0) {
    r.action = "corrupt (nothing to corrupt: passed)";
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  r.action = fmt::format("corrupt byte {}", off);
  r.fate = PacketFate::kCorrupt;
  Accept(a.id, a.rec, a.now_ns, out, std::move(copy));
}

void FaultEngine::DoInjectRst(const FaultAction& act, const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  auto rst = BuildRst(a.view, a.ref, act.toward);
  if (!rst) {
    r.action = fmt::format("inject-rst ({} is not in this TCP connection: passed)", act.toward);
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  r.action = "inject-rst toward " + act.toward;
  r.fate = PacketFate::kDrop;
  Drop(a.id, out);
  AddCopy(a.rec, std::move(*rst), "injected RST", PacketFate::kInject, a.now_ns, out);
}

void FaultEngine::DoRateLimit(int win, const Arrival& a, std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  if (RateAllows(win, a.now_ns)) {
    r.action = "rate-limit pass";
    Accept(a.id, a.rec, a.now_ns, out);
  } else {
    r.action = "rate-limit drop";
    r.fate = PacketFate::kDrop;
    Drop(a.id, out);
  }
}

namespace {

// FNV-1a: a stable hash of a direction, to seed its slot link.
uint64_t DirectionHash(const std::string& from, const std::string& to) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : from + ">" + to) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

QueueLimit LimitOf(const FaultAction& a) { return QueueLimit{a.queue_packets, a.queue_bytes}; }

}  // namespace

LinkDecision FaultEngine::OfferLink(int win, const Arrival& a) {
  const Fault& f = cfg_.faults[static_cast<size_t>(win)];
  const FaultAction& act = f.action;
  const PacketRecord& r = At(a.rec);
  LinkKey key{win, r.from, r.to};
  if (act.kind == ActionKind::kBottleneck) {
    auto it = bottlenecks_.find(key);
    if (it == bottlenecks_.end()) {
      it = bottlenecks_
               .emplace(key,
                        BottleneckLink(act.rate_bps, act.overhead, LimitOf(act), act.delay.count()))
               .first;
    }
    return it->second.Offer(a.now_ns, r.wire_len);
  }
  auto it = slot_links_.find(key);
  if (it == slot_links_.end()) {
    const uint64_t seed = FaultSeed(cfg_.seed, f.index) ^ DirectionHash(r.from, r.to);
    it = slot_links_
             .emplace(key, SlotLink(act.slot_lo.count(), act.slot_hi.count(), act.slot_packets,
                                    act.slot_bytes, LimitOf(act), seed))
             .first;
  }
  return it->second.Offer(a.now_ns, r.wire_len);
}

void FaultEngine::DoLink(int win, const Arrival& a, std::vector<Effect>* out) {
  const FaultAction& act = cfg_.faults[static_cast<size_t>(win)].action;
  const LinkDecision d = OfferLink(win, a);
  PacketRecord& r = At(a.rec);
  const char* name = ActionName(act.kind);
  if (d.drop) {
    r.action = fmt::format("{} drop (queue full {})", name, LimitOf(act).ToString());
    r.fate = PacketFate::kDrop;
    Drop(a.id, out);
    return;
  }
  r.action = fmt::format("{} (queueing delay {})", name, FormatDuration(Duration(d.queued_ns)));
  r.fate = PacketFate::kDelay;
  if (d.release_ns <= a.now_ns) {
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  timers_.Add(d.release_ns, Hold(a.id, a.rec, Why::kDelay));
}

std::string FaultEngine::LinkReport::Line() const {
  return fmt::format(
      "{} fault {} {}->{}: {} packets, {} bytes, {} drops, max queue {} packets, queueing delay "
      "mean {} max {}",
      ActionName(kind), fault, from.empty() ? "?" : from, to.empty() ? "?" : to, stats.packets,
      stats.bytes, stats.drops, stats.max_queue, FormatDuration(Duration(stats.MeanQueuedNs())),
      FormatDuration(Duration(stats.max_queued_ns)));
}

std::vector<FaultEngine::LinkReport> FaultEngine::Links() const {
  std::vector<LinkReport> out;
  auto add = [&](const LinkKey& k, ActionKind kind, const LinkStats& st) {
    out.push_back(LinkReport{std::get<0>(k) + 1, kind, std::get<1>(k), std::get<2>(k), st});
  };
  for (const auto& [k, l] : bottlenecks_) add(k, ActionKind::kBottleneck, l.stats());
  for (const auto& [k, l] : slot_links_) add(k, ActionKind::kSlots, l.stats());
  std::sort(out.begin(), out.end(), [](const LinkReport& x, const LinkReport& y) {
    return std::tie(x.fault, x.from, x.to) < std::tie(y.fault, y.from, y.to);
  });
  return out;
}

void FaultEngine::SetFaultAction(size_t fault, const FaultAction& action) {
  if (fault >= cfg_.faults.size()) return;
  cfg_.faults[fault].action = action;
  std::erase_if(netem_,
                [&](const auto& e) { return static_cast<size_t>(std::get<0>(e.first)) == fault; });
  for (auto& [k, l] : bottlenecks_) {
    if (static_cast<size_t>(std::get<0>(k)) != fault) continue;
    l.SetRate(action.rate_bps);
    l.SetOverhead(action.overhead);
    l.SetQueue(LimitOf(action));
    l.SetDelay(action.delay.count());
  }
  for (auto& [k, l] : slot_links_) {
    if (static_cast<size_t>(std::get<0>(k)) != fault) continue;
    l.SetQueue(LimitOf(action));
    l.SetBudget(action.slot_packets, action.slot_bytes);
    l.SetInterval(action.slot_lo.count(), action.slot_hi.count());
  }
}

void FaultEngine::OnTimer(int64_t now_ns, std::vector<Effect>* out) {
  for (uint64_t token : timers_.PopDue(now_ns)) {
    if (auto g = group_timers_.find(token); g != group_timers_.end()) {
      const GroupKey key = g->second;
      ReleaseGroup(key, now_ns, true, out);
      continue;
    }
    if (auto s = swap_timers_.find(token); s != swap_timers_.end()) {
      const auto key = s->second;
      swap_timers_.erase(s);
      auto it = swaps_.find(key);
      if (it != swaps_.end()) {
        const uint64_t held = it->second.first;
        swaps_.erase(it);
        Release(held, false, now_ns, "no next packet", out);
      }
      continue;
    }
    auto it = held_.find(token);
    if (it == held_.end()) continue;
    Release(token, it->second.then_drop, now_ns, "", out);
  }
}

void FaultEngine::OnStep(const std::string& label, int64_t now_ns, std::vector<Effect>* out) {
  steps_seen_.insert(label);
  std::vector<uint64_t> due;
  for (const auto& [token, h] : held_) {
    if (h.why == Why::kHold && h.label == label) due.push_back(token);
  }
  for (uint64_t t : due) Release(t, held_.at(t).then_drop, now_ns, "", out);
}

void FaultEngine::OnStop(int64_t now_ns, std::vector<Effect>* out) {
  std::vector<uint64_t> all;
  for (const auto& [token, h] : held_) all.push_back(token);
  for (uint64_t t : all) Release(t, true, now_ns, "dropped at stop", out);
  groups_.clear();
  group_timers_.clear();
  swaps_.clear();
  swap_timers_.clear();
}

}  // namespace faultline
