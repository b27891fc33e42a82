// Offload switches of a link through the SIOCETHTOOL ioctl.
//
// `sock` is any AF_INET datagram socket created inside the link's network
// namespace: the ioctl resolves `ifname` in the socket's namespace, not the
// calling thread's, so no namespace switch is needed once the socket exists.
#pragma once

#include <string>

#include "harness/common/status.h"

namespace faultline {

struct Offloads {
  bool tso = false;      // TCP segmentation offload
  bool gso = false;      // generic segmentation offload
  bool gro = false;      // generic receive offload
  bool tx_csum = false;  // transmit checksum offload
  bool sg = false;       // scatter-gather
};

// Turns TSO, GSO, GRO, tx checksumming and scatter-gather off on `ifname`, so
// that every packet crossing the link is one real segment with a computed
// checksum. kSystem naming the link and the switch on failure.
Status DisableOffloads(int sock, const std::string& ifname);

// Reads the switches back.
StatusOr<Offloads> GetOffloads(int sock, const std::string& ifname);

}  // namespace faultline
