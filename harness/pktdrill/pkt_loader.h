// packetdrill scripts as faultline cases (issue 16; docs/packetdrill.md).
//
// A .pkt script is parsed (pkt_parser.h) and translated into a Case: the
// stack under test is the real host `host`, the script's side the scripted
// host `remote` (HostSpec::scripted), so the script's packets become packet
// steps, its system calls call steps of `host`, its `shell` lines run steps
// in `host`'s namespace, and its header options (`--tolerance_usecs`,
// `--ip_version`, ...) case settings. Anything the translation cannot carry
// is a load error at file:line:col naming the construct; nothing is dropped
// silently.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"

namespace faultline {

// How a run treats .pkt scripts (the CLI's options for them).
struct PktRunOptions {
  // -D NAME=VALUE definitions (also given to `shell` lines as variables).
  std::vector<std::pair<std::string, std::string>> defines;
  // Overrides the script's --ip_version when set: "ipv4", "ipv6",
  // "ipv4-mapped-ipv6".
  std::string ip_version;
};

// Parses and translates one script; `file` names it in locations.
StatusOr<Case> LoadPacketdrillText(const std::string& text, const std::string& file,
                                   const PktRunOptions& options = {});
StatusOr<Case> LoadPacketdrillFile(const std::string& path, const PktRunOptions& options = {});

}  // namespace faultline
