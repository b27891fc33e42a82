// libFuzzer target: the packet layer's parsers see whatever the queue hands
// the wire. They must never read outside the buffer (ASan) and a view must be
// self-consistent whenever it says ok: the IP/transport view, the TCP option
// list, an ICMP error's (truncated) quote, the verifier and the dump.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "harness/packet/checksum.h"
#include "harness/packet/packet_dump.h"
#include "harness/packet/packet_view.h"
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
  return 0;
}
