#include "harness/packet/conn_track.h"

namespace faultline {

ConnRef ConnTable::Observe(const PacketView& v) {
  if (!v.ok) return {};
  const bool ports = v.is_tcp() || v.is_udp();
  const uint16_t sp = ports ? v.sport : 0, dp = ports ? v.dport : 0;
  const bool src_low = std::tie(v.src, sp) <= std::tie(v.dst, dp);
  Key key = src_low ? Key{v.l4_proto, v.src, sp, v.dst, dp} : Key{v.l4_proto, v.dst, dp, v.src, sp};
  const int dir = src_low ? 0 : 1;
  std::unique_ptr<Conn>& slot = conns_[key];
  auto fresh = [&] {
    slot = std::make_unique<Conn>();
    slot->id = next_id_++;
    slot->proto = v.l4_proto;
    slot->addr[dir] = v.src;
    slot->addr[1 - dir] = v.dst;
    slot->port[dir] = sp;
    slot->port[1 - dir] = dp;
    slot->counters[0].assign(num_faults_, 0);
    slot->counters[1].assign(num_faults_, 0);
  };
  if (!slot) fresh();
  if (v.is_tcp() && v.has(kTcpSyn)) {
    ConnSide& me = slot->side[dir];
    if (!v.has(kTcpAck) && me.isn_known && me.isn != v.seq) fresh();  // port reuse
    ConnSide& s = slot->side[dir];
    s.isn_known = true;
    s.isn = v.seq;
  }
  return {slot.get(), dir};
}

void ConnTable::Advance(const ConnRef& ref, const PacketView& v) {
  if (ref.conn == nullptr || !v.is_tcp()) return;
  ConnSide& s = ref.conn->side[ref.dir];
  const uint32_t end = v.seq + v.payload_len + (v.has(kTcpSyn) ? 1 : 0) + (v.has(kTcpFin) ? 1 : 0);
  if (!s.sent || SeqAfter(end, s.snd_nxt)) s.snd_nxt = end;
  s.sent = true;
  if (v.has(kTcpAck)) {
    s.ack_known = true;
    s.last_ack = v.ack;
  }
}

std::optional<uint32_t> ConnTable::RelSeq(const ConnRef& ref, const PacketView& v) {
  if (ref.conn == nullptr || !v.is_tcp()) return std::nullopt;
  const ConnSide& s = ref.conn->side[ref.dir];
  if (!s.isn_known) return std::nullopt;
  return v.seq - s.isn;
}

std::optional<uint32_t> ConnTable::RelAck(const ConnRef& ref, const PacketView& v) {
  if (ref.conn == nullptr || !v.is_tcp() || !v.has(kTcpAck)) return std::nullopt;
  const ConnSide& r = ref.conn->side[1 - ref.dir];
  if (!r.isn_known) return std::nullopt;
  return v.ack - r.isn;
}

std::optional<bool> ConnTable::IsRetransmission(const ConnRef& ref, const PacketView& v) {
  if (ref.conn == nullptr || !v.is_tcp() || v.is_fragment) return std::nullopt;
  const uint32_t len = v.payload_len + (v.has(kTcpSyn) ? 1 : 0) + (v.has(kTcpFin) ? 1 : 0);
  if (len == 0 || v.has(kTcpRst)) return false;
  const ConnSide& s = ref.conn->side[ref.dir];
  if (!s.sent) return false;
  return !SeqAfter(v.seq + len, s.snd_nxt);
}

}  // namespace faultline
