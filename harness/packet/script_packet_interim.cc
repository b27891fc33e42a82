// INTERIM (branch wip-runner): a small stand-in for the packet engine
// (harness/packet/script_packet.cc, branch wip-engine) so that the runner
// and the wire link and their tests run before the engine lands. It knows
// flags, seq/ack (relative and raw), win, length, data, simple options and
// IP fields. DELETE this file when merging wip-engine.
#include <fmt/format.h>

#include "harness/packet/conn_track.h"
#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/script_packet.h"

namespace faultline {
namespace {

uint32_t U32(int64_t v) { return static_cast<uint32_t>(v); }

std::vector<TcpOption> InterimOptions(const std::vector<OptionSpec>& specs, const ScriptConn& c) {
  std::vector<TcpOption> out;
  for (const OptionSpec& o : specs) {
    switch (o.kind) {
      case 2: out.push_back(TcpOption::Mss(static_cast<uint16_t>(o.value.value_or(0)))); break;
      case 3:
        out.push_back(TcpOption::WindowScale(static_cast<uint8_t>(o.value.value_or(0))));
        break;
      case 4: out.push_back(TcpOption::SackPermitted()); break;
      case 8:
        out.push_back(TcpOption::Timestamp(
            U32(o.ts_val ? o.ts_val->lo : 0),
            o.ts_ecr_echo ? c.remote_last_ts : U32(o.ts_ecr ? o.ts_ecr->lo : 0)));
        break;
      default: out.push_back(TcpOption::Of(o.kind)); break;
    }
  }
  return out;
}

bool In(const std::optional<IntRange>& r, int64_t v) { return !r || (v >= r->lo && v <= r->hi); }

}  // namespace

StatusOr<std::vector<uint8_t>> BuildScripted(const PacketFields& f, ScriptConn& c) {
  SegmentSpec s;
  s.src = c.local;
  s.dst = c.remote;
  s.sport = c.local_port;
  s.dport = c.remote_port;
  s.flags = f.flags.value_or(kTcpAck);
  s.seq = f.raw_seq ? U32(f.raw_seq->lo) : f.seq ? c.local_isn + U32(f.seq->lo) : c.local_nxt;
  if (s.flags & kTcpAck) {
    if (!f.raw_ack && !c.remote_isn_known) {
      return Status::Invalid(
          fmt::format("ack is relative to the ISN of {}, which no packet of {} has shown yet "
                      "(write raw-ack: N)",
                      c.remote_host, c.remote_host));
    }
    s.ack = f.raw_ack ? U32(f.raw_ack->lo) : f.ack ? c.remote_isn + U32(f.ack->lo) : c.remote_nxt;
  }
  s.window = static_cast<uint16_t>(f.win ? f.win->lo : 65535);
  if (f.data) s.payload = *f.data;
  if (f.options) s.options = InterimOptions(*f.options, c);
  if (f.ttl) s.ip.ttl = static_cast<uint8_t>(f.ttl->lo);
  if (f.df) s.ip.df = *f.df;
  const uint32_t end = s.seq + static_cast<uint32_t>(s.payload.size()) +
                       ((s.flags & kTcpSyn) ? 1 : 0) + ((s.flags & kTcpFin) ? 1 : 0);
  if (SeqAfter(end, c.local_nxt)) c.local_nxt = end;
  return BuildSegment(s);
}

std::string ScriptedLine(std::span<const uint8_t> bytes, const ScriptConn& c) {
  const PacketView v = ParsePacket(bytes);
  DumpContext cx;
  cx.name = [&c](const IpAddr& a) {
    return a == c.local ? c.local_host : a == c.remote ? c.remote_host : std::string();
  };
  if (v.ok && c.remote_isn_known) {
    const bool from_local = v.src == c.local;
    cx.rel_seq = v.seq - (from_local ? c.local_isn : c.remote_isn);
    if (v.has(kTcpAck)) cx.rel_ack = v.ack - (from_local ? c.remote_isn : c.local_isn);
  }
  return DumpPacket(bytes, v, cx);
}

Verdict CheckScripted(const PacketFields& f, std::span<const uint8_t> bytes, ScriptConn& c) {
  const PacketView v = ParsePacket(bytes);
  if (c.remote_port == 0) c.remote_port = v.sport;
  if (v.has(kTcpSyn)) {
    c.remote_isn_known = true;
    c.remote_isn = v.seq;
  }
  const uint32_t end = v.seq + v.payload_len + (v.has(kTcpSyn) ? 1 : 0) + (v.has(kTcpFin) ? 1 : 0);
  if (c.remote_isn_known && SeqAfter(end, c.remote_nxt)) c.remote_nxt = end;
  if (!v.has(kTcpSyn) && c.remote_nxt == 0) c.remote_nxt = end;
  c.last_remote_packet.assign(bytes.begin(), bytes.end());
  const uint32_t rel_seq = v.seq - c.remote_isn, rel_ack = v.ack - c.local_isn;
  const std::string payload(reinterpret_cast<const char*>(bytes.data()) + v.payload_offset,
                            v.payload_len);
  std::string diff;
  if (f.flags && *f.flags != v.tcp_flags)
    diff = "flags";
  else if (!In(f.seq, rel_seq))
    diff = fmt::format("seq: expected {} vs actual {}", f.seq->ToString(), rel_seq);
  else if (!In(f.ack, rel_ack))
    diff = fmt::format("ack: expected {} vs actual {}", f.ack->ToString(), rel_ack);
  else if (!In(f.win, v.window))
    diff = "win";
  else if (!In(f.length, v.payload_len))
    diff = "length";
  else if (f.data && *f.data != payload)
    diff = "data";
  const std::string actual = ScriptedLine(bytes, c);
  if (diff.empty()) return Verdict::Pass(f.ToString(), actual);
  return Verdict::Fail(f.ToString(), actual,
                       fmt::format("expected {} vs actual {} ({})", f.ToString(), actual, diff));
}

bool FieldsHold(const PacketFields& f, const PacketView& v, std::span<const uint8_t>,
                std::optional<uint32_t> rel_seq, std::optional<uint32_t> rel_ack) {
  if (f.flags && *f.flags != v.tcp_flags) return false;
  if (!In(f.length, v.payload_len) || !In(f.win, v.window)) return false;
  if (f.seq && (!rel_seq || !In(f.seq, *rel_seq))) return false;
  if (f.ack && (!rel_ack || !In(f.ack, *rel_ack))) return false;
  return true;
}

}  // namespace faultline
