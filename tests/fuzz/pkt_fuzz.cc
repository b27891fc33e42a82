// libFuzzer target: the packetdrill script loader must answer any input with
// a case or a located kInvalidInput error, never a crash, hang or exception.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "harness/pktdrill/pkt_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  faultline::StatusOr<faultline::Case> c = faultline::LoadPacketdrillText(text, "fuzz.pkt");
  if (!c.ok()) {
    if (c.status().code() != faultline::StatusCode::kInvalidInput) std::abort();
    if (c.status().message().rfind("fuzz.pkt", 0) != 0) std::abort();
  } else if (c->steps.empty()) {
    std::abort();
  }
  return 0;
}
