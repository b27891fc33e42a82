// libFuzzer target: the packet layer's parsers see whatever the queue hands
// the wire. They must never read outside the buffer (ASan) and a view must be
// self-consistent whenever it says ok: the IP/transport view, the TCP option
// list, an ICMP error's (truncated) quote, the verifier and the dump. A
// scripted host's checks (CheckScripted, FieldsHold) see the stack's packets
// the same way.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "harness/packet/checksum.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/packet_view.h"
#include "harness/packet/script_packet.h"
#include "harness/packet/tcp_options.h"

namespace {

void CheckView(const faultline::PacketView& v, size_t size) {
  if (v.ok) {
    if (v.payload_offset > size || v.l4_offset > size) std::abort();
    if (v.payload_offset + v.payload_len > size) std::abort();
    if (v.tcp_options_offset + v.tcp_options_len > size) std::abort();
    if (v.quote_offset + v.quote_len > size) std::abort();
    (void)v.FlagString();
    (void)v.src.ToString();
  } else if (v.error.empty()) {
    std::abort();  // a refusal always says why
  }
}

// An expectation with every kind of field, against the packet, on a
// connection that learns from it (ISN, TS, last packet), then a crafted ICMP
// error quoting what it learned.
void CheckScripted(std::span<const uint8_t> bytes, const faultline::PacketView& v) {
  faultline::PacketFields f;
  f.flags = 0x12;
  f.seq = faultline::IntRange{0, 0};
  f.ack = faultline::IntRange{1, 1};
  f.win = faultline::IntRange{0, 65535};
  f.length = faultline::IntRange{0, 1500};
  f.data = "x";
  f.ttl = faultline::IntRange{1, 255};
  faultline::OptionSpec mss;
  mss.kind = 2;
  mss.value = 1460;
  faultline::OptionSpec ts;
  ts.kind = 8;
  ts.ts_ecr = faultline::IntRange{0, 100};
  faultline::OptionSpec sack;
  sack.kind = 5;
  sack.sack = {{1, 2}};
  f.options = std::vector<faultline::OptionSpec>{mss, ts, sack};
  faultline::ScriptConn c;
  c.local = v.dst;
  c.remote = v.src;
  c.local_port = v.dport;
  (void)faultline::CheckScripted(f, bytes, c);
  (void)faultline::FieldsHold(f, v, bytes, 0u, 1u);
  (void)faultline::ScriptedLine(bytes, c);
  if (!c.last_remote_packet.empty() && c.remote_port != 0) {
    faultline::PacketFields icmp;
    icmp.icmp = faultline::IcmpSpec{};
    icmp.icmp->type = v.v6 ? "packet-too-big" : "unreachable";
    icmp.icmp->code = v.v6 ? 0 : 4;
    icmp.icmp->mtu = 1280;
    (void)faultline::BuildScripted(icmp, c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  faultline::PacketView v = faultline::ParsePacket(bytes);
  CheckView(v, size);
  if (v.ok) {
    faultline::TcpOptionList opts = v.TcpOptions(bytes);
    // What parsed serialises back to bytes that parse to the same options
    // (then at most the EOL padding added).
    const std::vector<uint8_t> again = faultline::SerializeTcpOptions(opts.options);
    const faultline::TcpOptionList back = faultline::ParseTcpOptions(again);
    if (!back.ok() || back.options.size() < opts.options.size() ||
        !std::equal(opts.options.begin(), opts.options.end(), back.options.begin())) {
      std::abort();
    }
    faultline::PacketView q = faultline::ParseIcmpQuote(bytes, v);
    CheckView(q, size);
    (void)faultline::VerifyChecksums(bytes);
    (void)faultline::DumpPacket(bytes, v);
  }
  (void)faultline::ParseTcpOptions(bytes);  // raw option lists of any shape
  CheckScripted(bytes, v);
  return 0;
}
