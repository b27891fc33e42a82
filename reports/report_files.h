// The three report files of a run (or of a merge), written together: JUnit
// XML, HTML and JSON, each at its given path or under an output directory.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

struct ReportPaths {
  std::string junit;  // "": OUT/junit.xml
  std::string html;   // "": OUT/report.html
  std::string json;   // "": OUT/report.json
  // True when some file goes to the output directory (it must exist then).
  bool UsesOutDir() const { return junit.empty() || html.empty() || json.empty(); }
};

// `given` with every empty path replaced by its default under `out_dir`.
ReportPaths ResolveReportPaths(const std::string& out_dir, const ReportPaths& given);

// Writes JUnit, HTML and JSON (in that order; a failure does not stop the
// others). Every failure, in that order; empty when all were written.
std::vector<Status> WriteReports(const RunResult& run, const ReportPaths& paths);

}  // namespace faultline
