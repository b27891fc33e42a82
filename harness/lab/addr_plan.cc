#include "harness/lab/addr_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "harness/lab/lab.h"

namespace faultline {

LinkAddresses PlanAddresses(int index, bool ipv6) {
  LinkAddresses a;
  a.addr4 = fmt::format("198.18.{}.2", index);
  a.gw4 = fmt::format("198.18.{}.1", index);
  if (ipv6) {
    a.addr6 = fmt::format("2001:2:0:{:x}::2", index);
    a.gw6 = fmt::format("2001:2:0:{:x}::1", index);
  }
  const unsigned char base[6] = {0x02, 0x66, 0x6c, 0x00, static_cast<unsigned char>(index), 0};
  std::copy(base, base + 6, a.mac);
  std::copy(base, base + 6, a.gw_mac);
  a.mac[5] = 0x02;
  a.gw_mac[5] = 0x01;
  return a;
}

namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > static_cast<size_t>(kLabMaxNameLen)) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status ValidateLabSpec(const LabSpec& spec) {
  if (spec.hosts.empty()) return Status::Invalid("lab: at least one host is needed, got none");
  if (spec.hosts.size() > static_cast<size_t>(kLabMaxHosts)) {
    return Status::Invalid(
        fmt::format("lab: at most {} hosts, got {}", kLabMaxHosts, spec.hosts.size()));
  }
  std::set<std::string> seen;
  for (const HostSpec& h : spec.hosts) {
    if (!ValidName(h.name)) {
      return Status::Invalid(
          fmt::format("lab: host name '{}' is not [a-z][a-z0-9_-]* of at most {} characters",
                      h.name, kLabMaxNameLen));
    }
    if (!seen.insert(h.name).second) {
      return Status::Invalid(fmt::format("lab: host name '{}' is used twice", h.name));
    }
    if (h.ifname.empty() || h.ifname.size() > 15 || h.ifname.find('/') != std::string::npos ||
        h.ifname.find_first_of(" \t\n:") != std::string::npos || h.ifname == "lo") {
      return Status::Invalid(fmt::format("host '{}': interface name '{}' is not a usable link name",
                                         h.name, h.ifname));
    }
    if (h.mtu < kLabMinMtu || h.mtu > kLabMaxMtu) {
      return Status::Invalid(fmt::format("host '{}': mtu {} is outside [{}, {}]", h.name, h.mtu,
                                         kLabMinMtu, kLabMaxMtu));
    }
  }
  return Status::Ok();
}

}  // namespace faultline
