#include "harness/common/errno_names.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace faultline {
namespace {

// glibc's own table (strerrorname_np, glibc 2.32+) names every errno the
// kernel can return; errno values stay below this bound on Linux.
constexpr int kMaxErrno = 256;

}  // namespace

std::string ErrnoName(int err) {
  const char* name = err > 0 ? strerrorname_np(err) : nullptr;
  return name != nullptr ? name : "E" + std::to_string(err);
}

std::optional<int> ErrnoFromName(std::string_view name) {
  // Aliases that share a number with the name glibc prints.
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;
  if (name == "ENOTSUP") return ENOTSUP;
  if (name == "EDEADLOCK") return EDEADLOCK;
  for (int e = 1; e < kMaxErrno; ++e) {
    const char* n = strerrorname_np(e);
    if (n != nullptr && name == n) return e;
  }
  return std::nullopt;
}

}  // namespace faultline
