// libFuzzer target: the wire's packet parser sees whatever the queue hands
// it. It must never read outside the buffer (ASan) and its view must be
// self-consistent whenever it says ok.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "harness/packet/packet_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  faultline::PacketView v = faultline::ParsePacket(std::span<const uint8_t>(data, size));
  if (v.ok) {
    if (v.payload_offset > size || v.l4_offset > size) std::abort();
    if (v.payload_offset + v.payload_len > size) std::abort();
    (void)v.FlagString();
    (void)v.src.ToString();
  } else if (v.error.empty()) {
    std::abort();  // a refusal always says why
  }
  return 0;
}
