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

// Checked once before a run or merge writes anything, so a bad output
// location is one clear error instead of one per case:
// - `out_dir` (when `out_dir_always` or some report defaults to it) exists
//   or is created, is a directory and not a symbolic link, and files can be
//   created in it; its pcap/ and work/, when present, are directories, not
//   symbolic links (a run writes pcaps and work directories there);
// - the directory of each explicit --junit/--html/--json path exists (it is
//   not created), is a directory, not a symbolic link, writable;
// - every report path that exists is a regular file.
// The first problem, naming the option and the path: "--junit /dev/full:
// not a regular file (character device); refusing to replace it",
// "--out o: a symbolic link; refusing to write through it". kInvalidInput
// for what the user named wrongly, kSystem when a system call failed.
Status CheckOutputPaths(const std::string& out_dir, const ReportPaths& given, bool out_dir_always);

// Writes JUnit, HTML and JSON (in that order; a failure does not stop the
// others). Every failure, in that order; empty when all were written.
std::vector<Status> WriteReports(const RunResult& run, const ReportPaths& paths);

}  // namespace faultline
