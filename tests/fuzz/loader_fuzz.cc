// libFuzzer target: the case loader must answer any input with a case or a
// located kInvalidInput error, never a crash, hang or exception.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "harness/loader/case_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  faultline::StatusOr<faultline::Case> c = faultline::LoadCaseText(text, "fuzz.yaml");
  if (!c.ok()) {
    // Every error is invalid input and says where.
    if (c.status().code() != faultline::StatusCode::kInvalidInput) std::abort();
    if (c.status().message().rfind("fuzz.yaml:", 0) != 0) std::abort();
  } else if (c->steps.empty() || c->name.empty()) {
    std::abort();  // a loaded case always has a name and steps
  }
  return 0;
}
