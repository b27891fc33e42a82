#include "harness/runner/suite.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "harness/loader/case_loader.h"
#include "harness/loader/did_you_mean.h"
#include "harness/runner/precedence.h"

namespace faultline {
namespace {

// --tag a,b is --tag a --tag b.
std::vector<std::string> SplitTags(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& t : given) {
    for (size_t b = 0, e; b <= t.size(); b = e + 1) {
      e = std::min(t.find(',', b), t.size());
      if (e > b) out.push_back(t.substr(b, e - b));
    }
  }
  return out;
}

// Every --tag must be a tag of some loaded case: a misspelt tag would
// otherwise select nothing (or less) without a word.
Status CheckTags(const std::vector<Case>& cases, const std::vector<std::string>& tags) {
  std::vector<std::string> known;
  for (const Case& c : cases) {
    for (const std::string& t : c.tags) {
      if (std::find(known.begin(), known.end(), t) == known.end()) known.push_back(t);
    }
  }
  std::sort(known.begin(), known.end());
  for (const std::string& t : tags) {
    if (std::find(known.begin(), known.end(), t) != known.end()) continue;
    std::string hint = DidYouMean(t, known);
    if (hint.empty() && known.empty()) hint = " (the cases have no tags)";
    if (hint.empty()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      hint = "; the cases' tags are: " + list;
    }
    return Status::Invalid("--tag '" + t + "': no case has this tag" + hint);
  }
  return Status::Ok();
}

// The paths given as files, normalised like Case::loc.file.
std::vector<std::string> NamedFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec))
      out.push_back(std::filesystem::path(p).lexically_normal().string());
  }
  return out;
}

// The cases named as files that `request.family` leaves without a variant
// but that the filters and tags select: one skipped result each.
std::vector<CaseResult> FamilySkips(const std::vector<Case>& cases, const SuiteRequest& request,
                                    const Selection& selection) {
  std::vector<CaseResult> out;
  if (!request.family || selection.shard.index > 1) return out;
  const std::vector<std::string> named = NamedFiles(request.paths);
  Selection any_shard = selection;
  any_shard.shard = Shard{};
  for (const Case& c : cases) {
    if (std::find(named.begin(), named.end(), c.loc.file) == named.end()) continue;
    if (std::find(c.families.begin(), c.families.end(), *request.family) != c.families.end()) {
      continue;
    }
    if (Select(ExpandVariants({c}, std::nullopt), any_shard).empty()) continue;
    CaseResult r;
    r.name = c.name;
    r.variant = FamilyName(*request.family);
    r.file = c.loc.file;
    r.description = c.description;
    r.tags = c.tags;
    r.outcome = Outcome::kSkip;
    r.message =
        fmt::format("--family {}: case '{}' runs only on {} ({})", FamilyName(*request.family),
                    c.name, FamilyName(c.families.front()), c.loc.file);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

LoadedCases LoadCases(const std::vector<std::string>& paths, const PktRunOptions& pkt) {
  LoadedCases out;
  StatusOr<std::vector<std::string>> files = FindCaseFiles(paths);
  if (!files.ok()) {
    out.errors.push_back(files.status().message());
    // The path at fault: the first that does not expand on its own.
    std::string at_fault = paths.empty() ? "" : paths.front();
    for (const std::string& p : paths) {
      if (!FindCaseFiles({p}).ok()) {
        at_fault = p;
        break;
      }
    }
    out.error_files.push_back(at_fault);
    return out;
  }
  for (const std::string& f : files.value()) {
    StatusOr<Case> c = LoadCaseFile(f, pkt);
    if (c.ok()) {
      out.cases.push_back(std::move(c).value());
    } else {
      out.errors.push_back(c.status().message());
      out.error_files.push_back(f);
    }
  }
  return out;
}

std::vector<CaseResult> InvalidFileResults(const LoadedCases& loaded, int64_t start_unix_ms) {
  std::vector<CaseResult> out;
  for (size_t i = 0; i < loaded.errors.size(); ++i) {
    CaseResult r;
    r.file = i < loaded.error_files.size() ? loaded.error_files[i] : "";
    r.name = r.file;
    r.outcome = Outcome::kError;
    r.message = loaded.errors[i];
    r.start_unix_ms = start_unix_ms;
    r.invalid_file = true;
    out.push_back(std::move(r));
  }
  return out;
}

size_t SuitePlan::TotalRuns() const {
  return repeat > 0 ? variants.size() * static_cast<size_t>(repeat) : 0;
}

StatusOr<SuitePlan> PlanSuite(const std::vector<Case>& cases, const SuiteRequest& request) {
  SuitePlan plan;
  plan.repeat = request.repeat >= 0 ? request.repeat : (request.until_fail ? 0 : 1);
  if (plan.repeat == 0 && !request.until_fail) {
    return Status::Invalid("--repeat 0 (no bound) needs --until-fail");
  }
  plan.selection.filters = request.filters;
  plan.selection.tags = SplitTags(request.tags);
  FL_RETURN_IF_ERROR(CheckTags(cases, plan.selection.tags));
  if (!request.shard.empty()) {
    StatusOr<Shard> sh = ParseShard(request.shard);
    if (!sh.ok()) return Status::Invalid(sh.status().message());
    plan.selection.shard = sh.value();
  }
  plan.variants = Select(ExpandVariants(cases, request.family), plan.selection);
  plan.family_skips = FamilySkips(cases, request, plan.selection);
  CommandLineValues cli;
  cli.seed = request.seed;
  cli.family = request.family;
  cli.named_files = NamedFiles(request.paths);
  if (Status st = CheckPrecedence(cases, plan.variants, cli); !st.ok()) {
    return Status::Invalid(st.message());
  }
  return plan;
}

RunResult RunSuite(const std::vector<Variant>& variants, const RunOptions& options,
                   std::string kernel, std::string command_line, const Clock& clock) {
  RunResult run;
  run.kernel = std::move(kernel);
  run.command_line = std::move(command_line);
  run.start_unix_ms = clock.UnixMs();
  const int64_t t0 = clock.NowNs();
  run.cases = RunVariants(variants, options);
  run.duration_ns = clock.NowNs() - t0;
  return run;
}

int SuiteExitStatus(const RunResult& run, bool invalid_files, bool reports_written, int signal) {
  if (signal != 0) return 128 + signal;
  if (invalid_files) return 2;
  const bool all_ok = run.Count(Outcome::kFail) == 0 && run.Count(Outcome::kError) == 0;
  if (!all_ok || !reports_written) return 1;
  const bool all_skipped =
      !run.cases.empty() && static_cast<size_t>(run.Count(Outcome::kSkip)) == run.cases.size();
  return all_skipped ? kExitAllSkipped : 0;
}

}  // namespace faultline
