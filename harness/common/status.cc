#include "harness/common/status.h"

#include <cstring>

#include <fmt/format.h>

#include "harness/common/errno_names.h"

namespace faultline {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidInput: return "invalid input";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kFailed: return "failed";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kSystem: return "system error";
  }
  return "unknown";
}

Status Status::FromErrno(const std::string& what, int err) {
  return System(fmt::format("{}: {} ({})", what, std::strerror(err), ErrnoName(err)));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", StatusCodeName(code_), msg_);
}

Status Status::Prefixed(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + msg_);
}

}  // namespace faultline
