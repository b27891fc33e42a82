#include "injectors/raw_sender.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "harness/lab/lab.h"

namespace faultline {

StatusOr<RawSender> RawSender::Open(int netns_fd) {
  RawSender r;
  auto open = [&]() -> Status {
    r.v4_.reset(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
    if (!r.v4_) return Status::FromErrno("raw IPv4 socket", errno);
    r.v6_.reset(socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
    if (!r.v6_) return Status::FromErrno("raw IPv6 socket", errno);
    return Status::Ok();
  };
  Status st = netns_fd >= 0 ? InNetns(netns_fd, open) : open();
  if (!st.ok()) return st.Prefixed("wire injection");
  return r;
}

Status RawSender::Send(std::span<const uint8_t> p) {
  if (p.empty()) return Status::Invalid("raw send: empty packet");
  ssize_t n;
  if ((p[0] >> 4) == 4 && p.size() >= 20) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, p.data() + 16, 4);
    n = sendto(v4_.get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } else if ((p[0] >> 4) == 6 && p.size() >= 40) {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, p.data() + 24, 16);
    n = sendto(v6_.get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } else {
    return Status::Invalid(fmt::format("raw send: not an IP packet ({} bytes)", p.size()));
  }
  if (n < 0) return Status::FromErrno(fmt::format("raw send of {} bytes", p.size()), errno);
  ++sent_;
  return Status::Ok();
}

}  // namespace faultline
