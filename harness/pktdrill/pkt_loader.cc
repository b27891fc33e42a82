#include "harness/pktdrill/pkt_loader.h"

namespace faultline {

// TODO(issue 16, pktdrill helper): the parser and the translation.
StatusOr<Case> LoadPacketdrillText(const std::string&, const std::string& file,
                                   const PktRunOptions&) {
  return Status::Unsupported(file + ": packetdrill scripts are not supported yet");
}

StatusOr<Case> LoadPacketdrillFile(const std::string& path, const PktRunOptions& options) {
  return LoadPacketdrillText("", path, options);
}

}  // namespace faultline
