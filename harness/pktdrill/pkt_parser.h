// A recursive-descent parser for packetdrill scripts (pkt_ast.h). Errors are
// kInvalidInput "FILE:LINE:COL: MESSAGE" naming the construct.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/pktdrill/pkt_ast.h"

namespace faultline::pkt {

// Input bounds: larger scripts and deeper expressions are load errors.
inline constexpr size_t kMaxScriptBytes = 1 << 20;
inline constexpr int kMaxNesting = 32;

// The header options packetdrill scripts set (`--name=value`); any other
// is a load error naming it.
bool KnownHeaderOption(const std::string& name);

StatusOr<Script> ParseScript(const std::string& text, const std::string& file);

}  // namespace faultline::pkt
