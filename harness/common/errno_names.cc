#include "harness/common/errno_names.h"

#include <cerrno>
#include <string>

namespace faultline {
namespace {

struct Entry {
  const char* name;
  int value;
};

// The errors socket calls can give; enough for every case a user writes.
constexpr Entry kErrnos[] = {
    {"EPERM", EPERM},           {"ENOENT", ENOENT},
    {"EINTR", EINTR},           {"EIO", EIO},
    {"EBADF", EBADF},           {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM},         {"EACCES", EACCES},
    {"EFAULT", EFAULT},         {"EBUSY", EBUSY},
    {"EEXIST", EEXIST},         {"EINVAL", EINVAL},
    {"ENFILE", ENFILE},         {"EMFILE", EMFILE},
    {"ENOSPC", ENOSPC},         {"EPIPE", EPIPE},
    {"ENOTSOCK", ENOTSOCK},     {"EDESTADDRREQ", EDESTADDRREQ},
    {"EMSGSIZE", EMSGSIZE},     {"EPROTOTYPE", EPROTOTYPE},
    {"ENOPROTOOPT", ENOPROTOOPT}, {"EPROTONOSUPPORT", EPROTONOSUPPORT},
    {"EOPNOTSUPP", EOPNOTSUPP}, {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EADDRINUSE", EADDRINUSE}, {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"ENETDOWN", ENETDOWN},     {"ENETUNREACH", ENETUNREACH},
    {"ENETRESET", ENETRESET},   {"ECONNABORTED", ECONNABORTED},
    {"ECONNRESET", ECONNRESET}, {"ENOBUFS", ENOBUFS},
    {"EISCONN", EISCONN},       {"ENOTCONN", ENOTCONN},
    {"ESHUTDOWN", ESHUTDOWN},   {"ETIMEDOUT", ETIMEDOUT},
    {"ECONNREFUSED", ECONNREFUSED}, {"EHOSTDOWN", EHOSTDOWN},
    {"EHOSTUNREACH", EHOSTUNREACH}, {"EALREADY", EALREADY},
    {"EINPROGRESS", EINPROGRESS}, {"ENOTSUP", ENOTSUP},
};

}  // namespace

std::string ErrnoName(int err) {
  for (const Entry& e : kErrnos) {
    if (e.value == err) return e.name;
  }
  return "E" + std::to_string(err);
}

std::optional<int> ErrnoFromName(std::string_view name) {
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;
  for (const Entry& e : kErrnos) {
    if (name == e.name) return e.value;
  }
  return std::nullopt;
}

}  // namespace faultline
