// FaultEngine's part for scripted hosts (HostSpec::scripted) and `wire:`
// steps: packets toward a scripted host are taken off, the script's
// packets are logged and sent, crafted packets go into live connections.
#include <algorithm>

#include <fmt/format.h>

#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/script_packet.h"
#include "injectors/fault_engine.h"

namespace faultline {

const EngineScripted* FaultEngine::ScriptedOf(const std::string& host) const {
  if (host.empty()) return nullptr;
  for (const EngineScripted& s : cfg_.scripted) {
    if (s.name == host) return &s;
  }
  return nullptr;
}

const EngineScripted* FaultEngine::ScriptedDest(std::span<const uint8_t> bytes) const {
  if (cfg_.scripted.empty() || bytes.empty()) return nullptr;
  IpAddr dst;
  const int version = bytes[0] >> 4;
  if (version == 4 && bytes.size() >= 20) {
    std::copy(bytes.begin() + 16, bytes.begin() + 20, dst.bytes.begin());
  } else if (version == 6 && bytes.size() >= 40) {
    dst.v6 = true;
    std::copy(bytes.begin() + 24, bytes.begin() + 40, dst.bytes.begin());
  } else {
    return nullptr;
  }
  return ScriptedOf(HostOf(dst));
}

void FaultEngine::Take(uint32_t id, size_t rec, const EngineScripted& s,
                       std::span<const uint8_t> bytes, int64_t now_ns, bool ignorable,
                       std::vector<Effect>* out) {
  PacketRecord& r = At(rec);
  r.to = s.name;
  r.fate = PacketFate::kScripted;
  r.action = "scripted take";
  r.release_ns = now_ns;
  Effect e;
  e.kind = Effect::Kind::kTake;
  e.bytes.assign(bytes.begin(), bytes.end());
  e.host = s.name;
  e.seq_no = r.seq_no;
  e.at_ns = now_ns;
  e.ignorable = ignorable;
  Drop(id, out);
  out->push_back(std::move(e));
}

bool FaultEngine::TakeUnparsed(uint32_t id, size_t rec, std::span<const uint8_t> bytes,
                               int64_t now_ns, std::vector<Effect>* out) {
  const EngineScripted* s = ScriptedDest(bytes);
  if (s == nullptr) return false;
  Take(id, rec, *s, bytes, now_ns, false, out);
  return true;
}

bool FaultEngine::TakeScripted(uint32_t id, const PacketView& v, const ConnRef& ref, size_t rec,
                               std::span<const uint8_t> bytes, int64_t now_ns,
                               std::vector<Effect>* out) {
  const EngineScripted* s = ScriptedOf(At(rec).to);
  if (s == nullptr) s = ScriptedDest(bytes);
  if (s == nullptr) return false;
  const std::optional<uint32_t> rel_seq = ConnTable::RelSeq(ref, v);
  const std::optional<uint32_t> rel_ack = ConnTable::RelAck(ref, v);
  conns_.Advance(ref, v);
  bool ignorable = false;
  for (const PacketFields& f : s->ignore) {
    if (FieldsHold(f, v, bytes, rel_seq, rel_ack)) {
      ignorable = true;
      break;
    }
  }
  // Every packet goes to the inbox: the runner decides whether an
  // `ignore:` entry skips it (MarkIgnored) or the pending expect takes it.
  Take(id, rec, *s, bytes, now_ns, ignorable, out);
  return true;
}

void FaultEngine::MarkIgnored(uint64_t seq_no) {
  if (seq_no == 0) return;
  if (seq_no <= log_.size() && log_[seq_no - 1].seq_no == seq_no) {
    log_[seq_no - 1].action = "scripted ignore";
    return;
  }
  for (PacketRecord& r : log_) {
    if (r.seq_no == seq_no) r.action = "scripted ignore";
  }
}

uint64_t FaultEngine::OnScriptedSend(std::vector<uint8_t> bytes, int64_t now_ns,
                                     std::vector<Effect>* out) {
  const PacketView v = ParsePacket(bytes);
  const ConnRef ref = conns_.Observe(v);
  if (v.ok && v.is_tcp() && tcp_seen_.insert(ref.conn).second) tcp_conns_.push_back(ref.conn);
  const size_t rec = Record(v, ref, now_ns, bytes);
  conns_.Advance(ref, v);
  PacketRecord& r = At(rec);
  r.fate = PacketFate::kScripted;
  r.action = "scripted send";
  r.release_ns = now_ns;
  const uint64_t seq_no = r.seq_no;
  out->push_back(Effect{Effect::Kind::kInject, 0, std::move(bytes), "", 0, 0, false});
  return seq_no;
}

Conn* FaultEngine::LatestConn(const WireSendStep& step, int* from_side) const {
  const EngineHost* from = FindHost(step.from);
  const EngineHost* toward = FindHost(step.toward);
  if (from == nullptr || toward == nullptr) return nullptr;
  Conn* best = nullptr;
  for (Conn* c : tcp_conns_) {
    for (int s = 0; s < 2; ++s) {
      const IpAddr& fa = c->addr[s].v6 ? from->addr6 : from->addr4;
      const IpAddr& ta = c->addr[1 - s].v6 ? toward->addr6 : toward->addr4;
      if (c->addr[s] != fa || c->addr[1 - s] != ta) continue;
      if (step.port && c->port[1 - s] != *step.port) continue;
      if (best == nullptr || c->id > best->id) {
        best = c;
        *from_side = s;
      }
    }
  }
  return best;
}

namespace {

// seq/ack of a `wire:` step's packet (docs/cases.md, "Crafted packets in
// live connections"): relative to the ISNs, or offsets from the next seq.
void WireSeqAck(const WireSendStep& step, const Conn& c, int s, SegmentSpec* spec) {
  const ConnSide& snd = c.side[s];
  const ConnSide& rcv = c.side[1 - s];
  const PacketFields& f = step.packet;
  if (f.raw_seq) {
    spec->seq = static_cast<uint32_t>(f.raw_seq->lo);
  } else if (f.seq) {
    spec->seq = snd.isn + static_cast<uint32_t>(f.seq->lo);
  } else {
    spec->seq = snd.snd_nxt + static_cast<uint32_t>(step.seq_next.value_or(0));
  }
  if ((spec->flags & kTcpAck) == 0) return;
  if (f.raw_ack) {
    spec->ack = static_cast<uint32_t>(f.raw_ack->lo);
  } else if (f.ack) {
    spec->ack = rcv.isn + static_cast<uint32_t>(f.ack->lo);
  } else {
    spec->ack = rcv.snd_nxt + static_cast<uint32_t>(step.ack_next.value_or(0));
  }
}

}  // namespace

StatusOr<Crafted> FaultEngine::InjectInto(const WireSendStep& step, int step_index, int64_t now_ns,
                                          std::vector<Effect>* out) {
  int s = 0;
  const Conn* c = LatestConn(step, &s);
  if (c == nullptr) {
    return Status::Invalid(fmt::format("no TCP connection between {} and {} seen on the wire yet",
                                       step.from, step.toward));
  }
  const PacketFields& f = step.packet;
  SegmentSpec spec;
  spec.src = c->addr[s];
  spec.dst = c->addr[1 - s];
  spec.sport = c->port[s];
  spec.dport = c->port[1 - s];
  spec.flags = f.flags.value_or(kTcpAck);
  spec.window = static_cast<uint16_t>(f.win ? f.win->lo : 65535);
  if (f.data) spec.payload = *f.data;
  if (f.ttl) spec.ip.ttl = static_cast<uint8_t>(f.ttl->lo);
  if (f.dscp) spec.ip.dscp = static_cast<uint8_t>(f.dscp->lo);
  if (f.ecn) spec.ip.ecn = static_cast<uint8_t>(f.ecn->lo);
  if (f.df) spec.ip.df = *f.df;
  if (f.ip_id) spec.ip.ip_id = static_cast<uint16_t>(f.ip_id->lo);
  WireSeqAck(step, *c, s, &spec);
  std::vector<uint8_t> bytes = BuildSegment(spec);
  const PacketView v = ParsePacket(bytes);
  const ConnRef ref = conns_.Observe(v);
  const size_t rec = Record(v, ref, now_ns, bytes);
  PacketRecord& r = At(rec);
  r.fate = PacketFate::kInject;
  r.action = fmt::format("inject (step {})", step_index);
  r.release_ns = now_ns;
  Crafted crafted{r.seq_no, PacketRecordLine(r)};
  out->push_back(Effect{Effect::Kind::kInject, 0, std::move(bytes), "", 0, 0, false});
  return crafted;
}

}  // namespace faultline
