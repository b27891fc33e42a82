#include "harness/loader/endpoint_parse.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"

namespace faultline {
namespace {

constexpr const char* kForms = "HOST:PORT, any:PORT, 198.18.2.2:PORT or [2001:2:0:2::2]:PORT";

bool InLab4(const in_addr& a) {
  const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
  if (b[0] == 127) return true;                      // 127.0.0.0/8
  return b[0] == 198 && (b[1] == 18 || b[1] == 19);  // 198.18.0.0/15
}

bool InLab6(const in6_addr& a) {
  static const unsigned char kLab[6] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00};  // 2001:2::/48
  if (std::memcmp(a.s6_addr, kLab, sizeof kLab) == 0) return true;
  static const unsigned char kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a.s6_addr, kLoop, sizeof kLoop) == 0;
}

bool HasFamily(const std::vector<Family>& fs, Family f) {
  return std::find(fs.begin(), fs.end(), f) != fs.end();
}

// An endpoint's host and port text: [V6]:PORT or HOST:PORT.
struct EndpointParts {
  std::string host;
  std::string port;
  bool bracketed = false;
};

StatusOr<EndpointParts> SplitEndpoint(std::string_view text) {
  const std::string whole(text);
  EndpointParts p;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return Status::Invalid(fmt::format("'{}' is not an endpoint (expected {})", whole, kForms));
    }
    p.host = std::string(text.substr(1, close - 1));
    p.port = std::string(text.substr(close + 2));
    p.bracketed = true;
    return p;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::Invalid(fmt::format("'{}' is not an endpoint (expected {})", whole, kForms));
  }
  p.host = std::string(text.substr(0, colon));
  p.port = std::string(text.substr(colon + 1));
  if (p.host.find(':') != std::string::npos) {
    return Status::Invalid(fmt::format(
        "'{}' is not an endpoint: an IPv6 address needs brackets, as in [2001:2:0:2::2]:80",
        whole));
  }
  return p;
}

// [V6]:PORT; `ep` has the port.
StatusOr<Endpoint> ReadLiteral6(const std::string& host, const std::string& whole,
                                const std::vector<Family>& families, Endpoint ep) {
  in6_addr a6{};
  char buf[INET6_ADDRSTRLEN] = {};
  if (host.find('%') != std::string::npos || inet_pton(AF_INET6, host.c_str(), &a6) != 1) {
    return Status::Invalid(fmt::format("'{}' in '{}' is not an IPv6 address", host, whole));
  }
  inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  if (!InLab6(a6)) {
    return Status::Invalid(fmt::format(
        "address {} is outside the lab ranges (198.18.0.0/15, 2001:2::/48, loopback)", buf));
  }
  if (!HasFamily(families, Family::kIPv6)) {
    return Status::Invalid(fmt::format(
        "IPv6 address {} cannot be used in a case that runs on ipv4 only (see 'family')", buf));
  }
  ep.kind = Endpoint::Kind::kLiteral;
  ep.literal = buf;
  return ep;
}

// V4:PORT; `ep` has the port.
StatusOr<Endpoint> ReadLiteral4(const std::string& host, const std::string& whole,
                                const std::vector<Family>& families, Endpoint ep) {
  in_addr a4{};
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, host.c_str(), &a4) != 1) {
    return Status::Invalid(fmt::format("'{}' in '{}' is not an IPv4 address", host, whole));
  }
  inet_ntop(AF_INET, &a4, buf, sizeof buf);
  if (!InLab4(a4)) {
    return Status::Invalid(fmt::format(
        "address {} is outside the lab ranges (198.18.0.0/15, 2001:2::/48, loopback)", buf));
  }
  if (!HasFamily(families, Family::kIPv4)) {
    return Status::Invalid(fmt::format(
        "IPv4 address {} cannot be used in a case that runs on ipv6 only (see 'family')", buf));
  }
  ep.kind = Endpoint::Kind::kLiteral;
  ep.literal = buf;
  return ep;
}

}  // namespace

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 12) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

StatusOr<Endpoint> ParseEndpoint(std::string_view text, const std::vector<std::string>& hosts,
                                 const std::vector<Family>& families) {
  const std::string whole(text);
  StatusOr<EndpointParts> parts = SplitEndpoint(text);
  if (!parts.ok()) return parts.status();
  const std::string& host = parts->host;
  const std::string& port_text = parts->port;
  bool digits =
      !port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stol(port_text) > 65535) {
    return Status::Invalid(
        fmt::format("port '{}' in '{}' must be an integer 0..65535", port_text, whole));
  }
  Endpoint ep;
  ep.port = static_cast<uint16_t>(std::stol(port_text));
  if (parts->bracketed) return ReadLiteral6(host, whole, families, ep);
  if (!host.empty() && host[0] >= '0' && host[0] <= '9') {
    return ReadLiteral4(host, whole, families, ep);
  }
  if (host == "any") {
    ep.kind = Endpoint::Kind::kAny;
    return ep;
  }
  if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) {
    ep.kind = Endpoint::Kind::kHost;
    ep.host = host;
    return ep;
  }
  if (host.empty()) {
    return Status::Invalid(fmt::format("'{}' is not an endpoint (expected {})", whole, kForms));
  }
  return Status::Invalid(
      fmt::format("'{}' in '{}' is not a declared host{}", host, whole, HostHint(host, hosts)));
}

}  // namespace faultline
