#include "harness/lab/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

#include <cerrno>

#include <fmt/format.h>

namespace faultline {
namespace {

struct Switch {
  uint32_t get, set;
  const char* name;
  bool Offloads::*field;
};

// Set in this order: the segmentation and receive offloads first, then the
// features they depend on (TSO needs scatter-gather and tx checksumming), so
// that no switch is refused or re-derived by the kernel on the way.
constexpr Switch kSwitches[] = {
    {ETHTOOL_GTSO, ETHTOOL_STSO, "tso", &Offloads::tso},
    {ETHTOOL_GGSO, ETHTOOL_SGSO, "gso", &Offloads::gso},
    {ETHTOOL_GGRO, ETHTOOL_SGRO, "gro", &Offloads::gro},
    {ETHTOOL_GSG, ETHTOOL_SSG, "sg", &Offloads::sg},
    {ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM, "tx-checksum", &Offloads::tx_csum},
};

int EthtoolValue(int sock, const std::string& ifname, uint32_t cmd, uint32_t* data) {
  ethtool_value v{};
  v.cmd = cmd;
  v.data = *data;
  ifreq ifr{};
  strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&v);
  if (::ioctl(sock, SIOCETHTOOL, &ifr) != 0) return errno;
  *data = v.data;
  return 0;
}

}  // namespace

Status DisableOffloads(int sock, const std::string& ifname) {
  for (const Switch& s : kSwitches) {
    uint32_t off = 0;
    if (int err = EthtoolValue(sock, ifname, s.set, &off); err != 0) {
      return Status::FromErrno(
          fmt::format("link {}: turn {} offload off (SIOCETHTOOL)", ifname, s.name), err);
    }
  }
  return Status::Ok();
}

StatusOr<Offloads> GetOffloads(int sock, const std::string& ifname) {
  Offloads o;
  for (const Switch& s : kSwitches) {
    uint32_t v = 0;
    if (int err = EthtoolValue(sock, ifname, s.get, &v); err != 0) {
      return Status::FromErrno(
          fmt::format("link {}: read {} offload (SIOCETHTOOL)", ifname, s.name), err);
    }
    o.*(s.field) = v != 0;
  }
  return o;
}

}  // namespace faultline
