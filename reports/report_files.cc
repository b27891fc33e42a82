#include "reports/report_files.h"

#include <filesystem>

#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"

namespace faultline {

ReportPaths ResolveReportPaths(const std::string& out_dir, const ReportPaths& given) {
  auto path_or = [&](const std::string& p, const char* name) {
    return p.empty() ? (std::filesystem::path(out_dir) / name).string() : p;
  };
  return ReportPaths{path_or(given.junit, "junit.xml"), path_or(given.html, "report.html"),
                     path_or(given.json, "report.json")};
}

std::vector<Status> WriteReports(const RunResult& run, const ReportPaths& paths) {
  std::vector<Status> failed;
  for (Status st :
       {WriteJunit(run, paths.junit), WriteHtml(run, paths.html), WriteJson(run, paths.json)}) {
    if (!st.ok()) failed.push_back(std::move(st));
  }
  return failed;
}

}  // namespace faultline
