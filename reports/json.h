// JSON report (nlohmann-json): everything the HTML report shows, for tools
// and for `faultline report merge`. The schema is docs/report-json.md.
//
// The output is always valid JSON (valid UTF-8). Received step data, which
// may be any bytes, round-trips exactly ("data", or "data_base64" when it is
// not valid UTF-8). In text fields (names, messages, ...) bytes that are not
// valid UTF-8 are written as "\xNN" text, which ParseReportJson keeps as is;
// valid text (control characters and NUL included) round-trips exactly.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

// The report as one JSON document: one line per packet and per step, so it
// stays greppable and diffable without being huge.
std::string ReportJson(const RunResult& r);

// Writes ReportJson(r) to `path`. kSystem on failure, with path and reason.
Status WriteJson(const RunResult& r, const std::string& path);

// Reads a document written by ReportJson. kInvalidInput, naming the JSON
// pointer of the offending member, when the text is not such a document.
// Unknown members are ignored (newer writers may add some).
StatusOr<RunResult> ParseReportJson(const std::string& text);

}  // namespace faultline
