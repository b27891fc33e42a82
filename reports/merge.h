// Merging the results of several shards (`faultline run --shard K/N` on
// several machines, or several runs) into one RunResult, from which one
// JUnit, HTML and JSON report is written (`faultline report merge`).
// Pure functions except LoadShard (reads a file) and RebasePcapPaths (looks
// at the file system); all are thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/result.h"
#include "reports/report_files.h"

namespace faultline {

// One shard's report.json, parsed, with the path it was read from.
struct ShardReport {
  std::string path;
  RunResult run;
};

// The largest report.json `report merge` reads.
inline constexpr uint64_t kMaxShardReportBytes = 256ull << 20;

// Reads and parses `path` (a report.json written by faultline run).
// kSystem if it cannot be read, kInvalidInput if it is not a report, is not
// a regular file (a FIFO or device is never opened) or is larger than
// `max_bytes` (it is read only that far); the message starts with the path.
StatusOr<ShardReport> LoadShard(const std::string& path, uint64_t max_bytes = kMaxShardReportBytes);

// The merged run:
// - cases: every shard's cases, shard by shard in the given order, each
//   shard's in its own order (nothing is deduplicated: a case that ran in
//   two shards is reported twice);
// - start_unix_ms: the earliest shard start (shards with 0 ignored);
// - duration_ns: the wall-clock span from the earliest shard start to the
//   latest shard end (start_unix_ms + duration), i.e. what the whole run took
//   whether the shards ran side by side or one after another; when a start
//   is unknown, the longest shard duration;
// - kernel: the one kernel if all shards agree, else
//   "mixed: K1 (shards 1, 3), K2 (shard 2)" in order of first appearance;
// - command_line: one line per shard, "shard N: COMMAND LINE".
// An empty `shards` gives an empty run.
RunResult MergeRuns(const std::vector<ShardReport>& shards);

// Makes the shard's pcap paths usable from here (the working directory).
// For a CaseResult::pcaps path ".../pcap/DIR/HOST.pcap", the first that is
// a file:
//   1. "<directory of shard.path>/pcap/DIR/HOST.pcap": the pcap beside the
//      report (CI jobs download each shard's --out directory as a whole;
//      this wins even over an absolute path, which names the shard's
//      machine);
//   2. the path relative to the report's directory (a merged report's);
//   3. the path as given (relative to the working directory, or absolute).
// Pcaps found nowhere are left as they are.
void RebasePcapPaths(ShardReport* shard);

// Rewrites every relative-to-here or absolute pcap path of `run` relative
// to `dir` (where a report that names them is written), so that the links
// work from the report's directory, and still when that directory and the
// shards' are moved together (a CI artifact).
void MakePcapPathsRelativeTo(RunResult* run, const std::string& dir);

// Writes the merged reports at `paths` (as WriteReports): JUnit and JSON
// with pcap paths relative to their own directory (MakePcapPathsRelativeTo),
// HTML with links relative to its directory (WriteHtml). Every failure, in
// that order; empty when all were written. `run` is rewritten in place
// while writing (no copy of it is made) and is as given again on return.
std::vector<Status> WriteMergedReports(RunResult* run, const ReportPaths& paths);

// LoadShard and RebasePcapPaths for each path, then MergeRuns: what
// `faultline report merge` does. The first file that cannot be read or is no
// report is the error (its message starts with the path).
StatusOr<RunResult> MergeShardFiles(const std::vector<std::string>& paths);

}  // namespace faultline
