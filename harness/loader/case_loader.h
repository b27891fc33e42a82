// Loading case files: YAML (yaml-cpp) into the case model.
//
// Every error is kInvalidInput with a message that starts with
// "FILE:LINE:COLUMN: " and says what was found and what was expected, e.g.
//   cases/a.yaml:7:5: unknown key 'timeot' in case (did you mean 'timeout'?)
//   cases/a.yaml:9:14: 'timeout' must be a duration such as 10s or 500ms, not 'ten'
// The first error ends the load. Loading never throws and never crashes, on
// any input.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/pktdrill/pkt_loader.h"

namespace faultline {

// Bounds of one case file (docs/cases.md, "Case files"): its size, and the
// steps it lists.
inline constexpr size_t kMaxCaseFileBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxCaseSteps = 10000;

// Parses one case from `text`; `file` is the name used in locations.
StatusOr<Case> LoadCaseText(const std::string& text, const std::string& file);

// Reads and parses a case file. Only a regular file (or a symlink to one) is
// opened: a FIFO, device or socket is an error without being opened (never
// blocks), so is a symlink loop; a file over kMaxCaseFileBytes is refused
// before it is read. A file whose name ends in .pkt is a packetdrill script
// (docs/packetdrill.md): its text goes to LoadPacketdrillText with `pkt`;
// any other name is YAML.
StatusOr<Case> LoadCaseFile(const std::string& path, const PktRunOptions& pkt = {});

// True when `path` names a packetdrill script (ends in .pkt).
bool IsPacketdrillPath(const std::string& path);

// Expands paths (files, and directories searched recursively for *.yaml,
// *.yml and *.pkt) into a sorted, de-duplicated list of case files. A path that does
// not exist, that is a symlink loop, or that is neither a regular file nor a
// directory is an error; a directory with no cases is not (in directories,
// only regular files are taken).
StatusOr<std::vector<std::string>> FindCaseFiles(const std::vector<std::string>& paths);

}  // namespace faultline
