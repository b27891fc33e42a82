#include "harness/peer/sock_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include <fmt/format.h>

namespace faultline::peer {

StatusOr<SockAddr> MakeSockAddr(const std::string& addr, uint16_t port, int family) {
  SockAddr out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
  if (addr.empty()) {
    if (family == AF_INET) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      v4->sin_addr.s_addr = htonl(INADDR_ANY);
      out.len = sizeof(sockaddr_in);
      return out;
    }
    if (family == AF_INET6) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      v6->sin6_addr = in6addr_any;
      out.len = sizeof(sockaddr_in6);
      return out;
    }
    return Status::Invalid(fmt::format("no address and no usable address family ({})", family));
  }
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    return out;
  }
  if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return out;
  }
  return Status::Invalid(fmt::format("'{}' is not a numeric IPv4 or IPv6 address", addr));
}

void FormatSockAddr(const sockaddr* sa, socklen_t len, std::string* addr, uint16_t* port) {
  addr->clear();
  *port = 0;
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, sa, sizeof v4);
    if (inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf)) *addr = buf;
    *port = ntohs(v4.sin_port);
  } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, sa, sizeof v6);
    if (inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf)) *addr = buf;
    *port = ntohs(v6.sin6_port);
  }
}

}  // namespace faultline::peer
