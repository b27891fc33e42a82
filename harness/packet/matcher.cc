#include "harness/packet/matcher.h"

#include "harness/packet/script_packet.h"

namespace faultline {

bool TcpClassHolds(TcpClass c, const PacketView& v) {
  if (!v.ok || !v.is_tcp() || v.is_fragment) return false;
  switch (c) {
    case TcpClass::kSyn: return v.has(kTcpSyn) && !v.has(kTcpAck);
    case TcpClass::kSynAck: return v.has(kTcpSyn) && v.has(kTcpAck);
    case TcpClass::kAck:
      return v.has(kTcpAck) && !v.has(kTcpSyn) && !v.has(kTcpFin) && !v.has(kTcpRst) &&
             v.payload_len == 0;
    case TcpClass::kFin: return v.has(kTcpFin);
    case TcpClass::kRst: return v.has(kTcpRst);
    case TcpClass::kPsh: return v.has(kTcpPsh);
    case TcpClass::kData: return v.payload_len > 0;
  }
  return false;
}

bool MatchPredicates(const FaultMatch& m, const PacketFacts& f) {
  const PacketView& v = *f.view;
  if (!v.ok) return false;
  if (!m.from.empty() && m.from != f.from) return false;
  if (!m.to.empty() && m.to != f.to) return false;
  Proto proto = m.proto;
  if (!m.tcp.empty()) proto = Proto::kTcp;
  switch (proto) {
    case Proto::kAny: break;
    case Proto::kTcp:
      if (!v.is_tcp() || v.is_fragment) return false;
      break;
    case Proto::kUdp:
      if (!v.is_udp() || v.is_fragment) return false;
      break;
    case Proto::kIcmp:
      if (!v.is_icmp()) return false;
      break;
  }
  for (TcpClass c : m.tcp) {
    if (!TcpClassHolds(c, v)) return false;
  }
  if (m.length && !m.length->Contains(v.payload_len)) return false;
  if (m.seq && !(f.rel_seq && m.seq->Contains(*f.rel_seq))) return false;
  if (m.ack && !(f.rel_ack && m.ack->Contains(*f.rel_ack))) return false;
  if (m.win && !(v.is_tcp() && !v.is_fragment && m.win->Contains(v.window))) return false;
  if (m.retransmission && f.retransmission != m.retransmission) return false;
  if (m.window && !m.window->Contains(Duration(f.since_start_ns))) return false;
  if (!m.fields.empty() && !FieldsHold(m.fields, v, f.bytes, f.rel_seq, f.rel_ack)) return false;
  return true;
}

bool MatchOccurrence(const FaultMatch& m, int64_t count) {
  if (m.nth) return count == *m.nth;
  if (m.first) return count <= *m.first;
  if (m.every) return *m.every > 0 && count % *m.every == 0;
  if (m.after) return count > *m.after;
  return true;
}

}  // namespace faultline
