#include "harness/pktdrill/pkt_loader.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "harness/pktdrill/pkt_parser.h"
#include "harness/pktdrill/pkt_translate.h"

namespace faultline {

StatusOr<Case> LoadPacketdrillText(const std::string& text, const std::string& file,
                                   const PktRunOptions& options) {
  StatusOr<pkt::Script> script = pkt::ParseScript(text, file, options.defines);
  if (!script.ok()) return script.status();
  return pkt::TranslateScript(*script, options);
}

StatusOr<Case> LoadPacketdrillFile(const std::string& path, const PktRunOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(fmt::format("{}: cannot open the script", path));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > pkt::kMaxScriptBytes) {
      return Status::Invalid(
          fmt::format("{}: script is larger than {} bytes", path, pkt::kMaxScriptBytes));
    }
  }
  return LoadPacketdrillText(text, path, options);
}

}  // namespace faultline
