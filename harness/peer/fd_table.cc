#include "harness/peer/fd_table.h"

#include <fmt/format.h>

namespace faultline::peer {

Status FdTable::Unknown(const std::string& name) {
  return Status::Invalid(fmt::format("no socket named '{}' on this host", name));
}

Status FdTable::Reserve(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!fds_.emplace(name, -1).second) {
    return Status::Invalid(fmt::format("name '{}' is already in use on this host", name));
  }
  return Status::Ok();
}

void FdTable::Fill(const std::string& name, int fd) {
  std::lock_guard lock(mu_);
  fds_[name] = fd;
}

void FdTable::Release(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = fds_.find(name);
  if (it != fds_.end() && it->second < 0) fds_.erase(it);
}

StatusOr<int> FdTable::Lookup(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = fds_.find(name);
  if (it == fds_.end() || it->second < 0) return Unknown(name);
  return it->second;
}

StatusOr<int> FdTable::Take(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = fds_.find(name);
  if (it == fds_.end() || it->second < 0) return Unknown(name);
  int fd = it->second;
  fds_.erase(it);
  return fd;
}

std::string FdTable::NameOf(int fd) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : fds_) {
    if (f == fd && fd >= 0) return name;
  }
  return "";
}

}  // namespace faultline::peer
