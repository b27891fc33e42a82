#include "reports/report_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>

#include "harness/common/safe_file.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"

namespace faultline {
namespace {

// `st` about `path` as named by `option`: "--out PATH: ...".
Status Named(const std::string& option, const std::string& path, const Status& st) {
  const std::string& msg = st.message();
  if (msg.rfind(path + ":", 0) == 0) return Status(st.code(), option + " " + msg);
  return Status(st.code(), fmt::format("{} {}: {}", option, path, msg));
}

// The output directory itself, created if missing.
Status CheckOutDir(const std::string& out_dir) {
  StatusOr<UniqueFd> dir = OpenDirNoFollow(out_dir, true);
  if (!dir.ok()) return Named("--out", out_dir, dir.status());
  if (Status st = CheckWritableDir(dir->get(), out_dir); !st.ok()) {
    return Named("--out", out_dir, st);
  }
  for (const char* sub : {"pcap", "work"}) {
    const std::string shown = (std::filesystem::path(out_dir) / sub).string();
    struct stat st {};
    if (fstatat(dir->get(), sub, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // made when needed
    if (S_ISLNK(st.st_mode)) {
      return Status::Invalid(fmt::format(
          "--out {}: {} is a symbolic link; refusing to write through it", out_dir, shown));
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::Invalid(fmt::format("--out {}: {} is not a directory ({})", out_dir, shown,
                                         FileKindName(st.st_mode)));
    }
  }
  return Status::Ok();
}

// One report path: its directory (not created) and the file if present.
Status CheckReportPath(const std::string& option, const std::string& path) {
  StatusOr<PathParts> parts = SplitFilePath(path);
  if (!parts.ok()) return Named(option, path, parts.status());
  StatusOr<UniqueFd> dir = OpenDirNoFollow(parts->dir, false);
  if (!dir.ok()) return Named(option, path, dir.status());
  FL_RETURN_IF_ERROR(CheckReplaceable(dir->get(), parts->name, option + " " + path));
  if (Status st = CheckWritableDir(dir->get(), parts->dir); !st.ok()) {
    return Named(option, path, st);
  }
  return Status::Ok();
}

}  // namespace

ReportPaths ResolveReportPaths(const std::string& out_dir, const ReportPaths& given) {
  auto path_or = [&](const std::string& p, const char* name) {
    return p.empty() ? (std::filesystem::path(out_dir) / name).string() : p;
  };
  return ReportPaths{path_or(given.junit, "junit.xml"), path_or(given.html, "report.html"),
                     path_or(given.json, "report.json")};
}

Status CheckOutputPaths(const std::string& out_dir, const ReportPaths& given, bool out_dir_always) {
  if (out_dir_always || given.UsesOutDir()) FL_RETURN_IF_ERROR(CheckOutDir(out_dir));
  const ReportPaths all = ResolveReportPaths(out_dir, given);
  const std::pair<const char*, const std::string*> named[] = {
      {given.junit.empty() ? "--out" : "--junit", &all.junit},
      {given.html.empty() ? "--out" : "--html", &all.html},
      {given.json.empty() ? "--out" : "--json", &all.json}};
  for (const auto& [option, path] : named) FL_RETURN_IF_ERROR(CheckReportPath(option, *path));
  return Status::Ok();
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
