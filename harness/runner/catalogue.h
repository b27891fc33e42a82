// The case catalogue `faultline list` prints: per case its name, file, tags,
// variants (families and matrix values) and description. Text for people
// (stable, one field per line, the description wrapped to a width) or JSON
// for tools. Pure functions of the loaded cases.
#pragma once

#include <string>
#include <vector>

#include "harness/model/case.h"

namespace faultline {

// Plain text, one block per case in the given order, blocks separated by an
// empty line, then "N cases (M variants)". A case with a `matrix:` also has a
// "variants:" line naming every variant as `run` reports it. `width` bounds the wrapped
// description lines (a word longer than the room is never cut); values
// below 40 are taken as 40.
//
//   syn-backlog-full-drops-syn
//     file:     cases/backlog/syn-backlog-full-drops-syn.yaml
//     tags:     backlog, handshake
//     families: ipv4, ipv6
//     The SYN queue (request sockets in SYN_RECV) is bounded by ...
std::string CatalogueText(const std::vector<Case>& cases, int width);

// A JSON array, one object per case: name, file, tags, families, variants,
// description. Pretty-printed, two-space indent, keys in that order.
std::string CatalogueJson(const std::vector<Case>& cases);

// Wraps `text` (runs of white space, newlines included, count as one space)
// into lines of at most `width` characters after `indent`; each line starts
// with `indent` and ends with "\n". Empty text gives "".
std::string WrapText(const std::string& text, int width, const std::string& indent);

}  // namespace faultline
