// A recursive-descent parser for packetdrill scripts (pkt_ast.h). Errors are
// kInvalidInput "FILE:LINE:COL: MESSAGE" naming the construct.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/common/status.h"
#include "harness/pktdrill/pkt_ast.h"

namespace faultline::pkt {

// Input bounds: larger scripts and deeper expressions are load errors.
inline constexpr size_t kMaxScriptBytes = 1 << 20;
inline constexpr int kMaxNesting = 32;

// The header options packetdrill scripts set (`--name=value`); any other
// is a load error naming it.
bool KnownHeaderOption(const std::string& name);

// -D NAME=VALUE definitions replace every word NAME of the script as
// packetdrill's lexer does: VALUE "..." is a string, `...` a shell command,
// a whole number (strtol base 0) an integer, anything else a word.
using Defines = std::vector<std::pair<std::string, std::string>>;

StatusOr<Script> ParseScript(const std::string& text, const std::string& file,
                             const Defines& defines = {});

}  // namespace faultline::pkt
