#include "reports/merge.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "harness/common/unique_fd.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"

namespace faultline {

namespace {

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status NotRegular(const std::string& path, mode_t mode) {
  return Status::Invalid(
      fmt::format("{}: is {}; a report.json must be a regular file", path, FileKind(mode)));
}

Status TooLarge(const std::string& path, uint64_t max_bytes) {
  return Status::Invalid(
      fmt::format("{}: larger than {} bytes, the limit for a report.json", path, max_bytes));
}

// The whole file, if it is a regular file of at most `max_bytes`; never
// reads more than that.
StatusOr<std::string> ReadBounded(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ELOOP) {
      return Status::Invalid(path + ": too many levels of symbolic links (a symlink loop?)");
    }
    return Status::System(path + ": cannot open for reading");
  }
  if (!S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return TooLarge(path, max_bytes);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return Status::System(path + ": cannot open for reading");
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::System(path + ": read error");
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) return TooLarge(path, max_bytes);
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

StatusOr<ShardReport> LoadShard(const std::string& path, uint64_t max_bytes) {
  StatusOr<std::string> text = ReadBounded(path, max_bytes);
  if (!text.ok()) return text.status();
  StatusOr<RunResult> run = ParseReportJson(text.value());
  if (!run.ok()) return run.status().Prefixed(path);
  return ShardReport{path, std::move(run).value()};
}

RunResult MergeRuns(const std::vector<ShardReport>& shards) {
  RunResult out;
  size_t total = 0;
  for (const ShardReport& s : shards) total += s.run.cases.size();
  out.cases.reserve(total);

  int64_t first_start = 0, last_end = 0, longest = 0;
  bool all_started = !shards.empty();
  // Kernels in order of first appearance, with the (1-based) shards of each.
  std::vector<std::pair<std::string, std::vector<size_t>>> kernels;
  for (size_t i = 0; i < shards.size(); ++i) {
    const RunResult& r = shards[i].run;
    out.cases.insert(out.cases.end(), r.cases.begin(), r.cases.end());
    longest = std::max(longest, r.duration_ns);
    if (r.start_unix_ms > 0) {
      if (first_start == 0 || r.start_unix_ms < first_start) first_start = r.start_unix_ms;
      // End in ns since the epoch: ms * 1e6 fits int64 until the year 2262.
      last_end = std::max(last_end, r.start_unix_ms * 1'000'000 + r.duration_ns);
    } else {
      all_started = false;
    }
    auto it = std::find_if(kernels.begin(), kernels.end(),
                           [&](const auto& k) { return k.first == r.kernel; });
    if (it == kernels.end()) {
      kernels.push_back({r.kernel, {i + 1}});
    } else {
      it->second.push_back(i + 1);
    }
    out.command_line += fmt::format("{}shard {}: {}", i == 0 ? "" : "\n", i + 1, r.command_line);
  }
  out.start_unix_ms = first_start;
  out.duration_ns = all_started ? last_end - first_start * 1'000'000 : longest;

  if (kernels.size() == 1) {
    out.kernel = kernels.front().first;
  } else if (kernels.size() > 1) {
    out.kernel = "mixed:";
    for (size_t k = 0; k < kernels.size(); ++k) {
      const auto& [name, ids] = kernels[k];
      std::string list;
      for (size_t id : ids) list += fmt::format("{}{}", list.empty() ? "" : ", ", id);
      out.kernel += fmt::format("{} {} (shard{} {})", k == 0 ? "" : ",",
                                name.empty() ? "unknown" : name, ids.size() == 1 ? "" : "s", list);
    }
  }
  return out;
}

void RebasePcapPaths(ShardReport* shard) {
  namespace fs = std::filesystem;
  const fs::path report_dir = fs::path(shard->path).parent_path();
  for (CaseResult& c : shard->run.cases) {
    for (CaseResult::Pcap& p : c.pcaps) {
      const fs::path given(p.path);
      // pcap/<variant dir>/<host>.pcap beside the report, then the path
      // relative to the report, then as given.
      const fs::path beside =
          report_dir / "pcap" / given.parent_path().filename() / given.filename();
      for (const fs::path& candidate : {beside, report_dir / given, given}) {
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) {
          p.path = candidate.lexically_normal().string();
          break;
        }
      }
    }
  }
}

void MakePcapPathsRelativeTo(RunResult* run, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path base = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return;
  for (CaseResult& c : run->cases) {
    for (CaseResult::Pcap& p : c.pcaps) {
      std::error_code ec2;
      const fs::path abs = fs::absolute(fs::path(p.path), ec2).lexically_normal();
      if (ec2) continue;
      const fs::path rel = abs.lexically_relative(base);
      if (!rel.empty()) p.path = rel.string();
    }
  }
}

std::vector<Status> WriteMergedReports(RunResult* run, const ReportPaths& paths) {
  namespace fs = std::filesystem;
  // Each report's pcap paths are rewritten in place from the originals
  // (a few strings per case, never a copy of the run) and restored after.
  std::vector<std::string> original;
  for (const CaseResult& c : run->cases) {
    for (const CaseResult::Pcap& p : c.pcaps) original.push_back(p.path);
  }
  auto restore = [&] {
    size_t i = 0;
    for (CaseResult& c : run->cases) {
      for (CaseResult::Pcap& p : c.pcaps) p.path = original[i++];
    }
  };
  auto relative_to_dir_of = [&](const std::string& report) {
    restore();
    const fs::path d = fs::path(report).parent_path();
    MakePcapPathsRelativeTo(run, d.empty() ? std::string(".") : d.string());
  };
  std::vector<Status> failed;
  auto keep = [&](Status st) {
    if (!st.ok()) failed.push_back(std::move(st));
  };
  relative_to_dir_of(paths.junit);
  keep(WriteJunit(*run, paths.junit));
  restore();
  keep(WriteHtml(*run, paths.html));
  relative_to_dir_of(paths.json);
  keep(WriteJson(*run, paths.json));
  restore();
  return failed;
}

StatusOr<RunResult> MergeShardFiles(const std::vector<std::string>& paths) {
  std::vector<ShardReport> shards;
  shards.reserve(paths.size());
  for (const std::string& p : paths) {
    StatusOr<ShardReport> s = LoadShard(p);
    if (!s.ok()) return s.status();
    shards.push_back(std::move(s).value());
    RebasePcapPaths(&shards.back());
  }
  return MergeRuns(shards);
}

}  // namespace faultline
