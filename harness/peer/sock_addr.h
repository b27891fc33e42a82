// Numeric socket addresses: text + port <-> sockaddr. No name resolution.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "harness/common/status.h"

namespace faultline::peer {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
};

// "198.18.2.2" / "2001:2:0:2::2" (no brackets) and a port. An empty address
// is the wildcard of `family` (AF_INET or AF_INET6). kInvalidInput for text
// that is neither an IPv4 nor an IPv6 literal, or an empty address with an
// unknown family.
StatusOr<SockAddr> MakeSockAddr(const std::string& addr, uint16_t port, int family);

// The numeric text and port of an AF_INET/AF_INET6 address; "" and 0 for
// any other family.
void FormatSockAddr(const sockaddr* sa, socklen_t len, std::string* addr, uint16_t* port);

}  // namespace faultline::peer
