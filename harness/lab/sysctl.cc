#include "harness/lab/sysctl.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>

#include "harness/common/errno_names.h"
#include "harness/common/unique_fd.h"

namespace faultline {

StatusOr<std::string> SysctlPath(const std::string& key) {
  if (key.rfind("net.", 0) != 0) {
    return Status::Invalid(fmt::format(
        "sysctl {}: only net.* keys are per network namespace; others would change the host", key));
  }
  std::string path = "/proc/sys/";
  bool component_empty = true;
  for (char c : key) {
    if (c == '.') {
      if (component_empty) break;
      path += '/';
      component_empty = true;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return Status::Invalid(
          fmt::format("sysctl {}: character '{}' is not allowed in a key", key, c));
    }
    path += c;
    component_empty = false;
  }
  if (component_empty) {
    return Status::Invalid(fmt::format("sysctl {}: empty component in the key", key));
  }
  return path;
}

namespace {

Status Refused(const std::string& key, const std::string& value, int err) {
  return Status::Unsupported(
      fmt::format("sysctl {}={} is refused by the kernel in the lab's network namespace: {} ({})",
                  key, value, strerror(err), ErrnoName(err)));
}

Status Missing(const std::string& key) {
  return Status::Invalid(
      fmt::format("sysctl {} does not exist in a network namespace on this kernel", key));
}

}  // namespace

Status WriteSysctl(const std::string& key, const std::string& value) {
  StatusOr<std::string> path = SysctlPath(key);
  if (!path.ok()) return path.status();
  UniqueFd fd(::open(path->c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return Missing(key);
    if (err == EPERM || err == EACCES || err == EINVAL) return Refused(key, value, err);
    return Status::FromErrno(fmt::format("sysctl {}: open {}", key, *path), err);
  }
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) {
    int err = errno;
    // ENOENT here is about the value (e.g. a congestion control module this
    // kernel does not have), not the key.
    if (err == EPERM || err == EACCES || err == EINVAL || err == ENOENT) {
      return Refused(key, value, err);
    }
    return Status::FromErrno(fmt::format("sysctl {}: write '{}'", key, value), err);
  }
  if (static_cast<size_t>(n) != value.size()) {
    return Status::System(
        fmt::format("sysctl {}: short write of '{}': {} of {} bytes", key, value, n, value.size()));
  }
  return Status::Ok();
}

StatusOr<std::string> ReadSysctl(const std::string& key) {
  StatusOr<std::string> path = SysctlPath(key);
  if (!path.ok()) return path.status();
  UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return Missing(key);
    return Status::FromErrno(fmt::format("sysctl {}: open {}", key, *path), errno);
  }
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return Status::FromErrno(fmt::format("sysctl {}: read", key), errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace faultline
