// faultline: the command line. A thin layer over the libraries:
//   faultline run PATH...        run cases, print one line each, write reports
//   faultline validate PATH...   load cases and report every error
//   faultline list PATH...       the catalogue: name, tags, description
// Exit status: 0 everything passed (or was skipped), 1 a case failed or hit
// a harness error, 2 bad command line or invalid case files.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/loader/case_loader.h"
#include "harness/peer/peer_main.h"
#include "harness/runner/runner.h"
#include "reports/console.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"

namespace faultline {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

std::string SelfExe() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

std::string KernelRelease() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

struct Loaded {
  std::vector<Case> cases;
  std::vector<std::string> errors;  // one message per file that failed
};

Loaded LoadAll(const std::vector<std::string>& paths) {
  Loaded out;
  StatusOr<std::vector<std::string>> files = FindCaseFiles(paths);
  if (!files.ok()) {
    out.errors.push_back(files.status().message());
    return out;
  }
  for (const std::string& f : files.value()) {
    StatusOr<Case> c = LoadCaseFile(f);
    if (c.ok())
      out.cases.push_back(std::move(c).value());
    else
      out.errors.push_back(c.status().message());
  }
  return out;
}

int CmdValidate(const std::vector<std::string>& paths) {
  Loaded l = LoadAll(paths);
  for (const std::string& e : l.errors) std::cerr << e << "\n";
  std::cout << fmt::format("{} valid, {} invalid\n", l.cases.size(), l.errors.size());
  return l.errors.empty() ? kExitPass : kExitUsage;
}

int CmdList(const std::vector<std::string>& paths) {
  Loaded l = LoadAll(paths);
  for (const std::string& e : l.errors) std::cerr << e << "\n";
  for (const Case& c : l.cases) {
    std::string tags;
    for (const std::string& t : c.tags) tags += (tags.empty() ? "" : ",") + t;
    std::cout << fmt::format("{}\n  file: {}\n  tags: {}\n", c.name, c.loc.file, tags);
    if (!c.description.empty()) std::cout << "  " << c.description << "\n";
  }
  return l.errors.empty() ? kExitPass : kExitUsage;
}

struct RunArgs {
  std::vector<std::string> paths;
  int jobs = 0;
  std::string out_dir = "faultline-out";
  std::string junit, html, json;
  std::optional<uint64_t> seed;
  std::string family;
  bool no_color = false;
};

int CmdRun(const RunArgs& a, const std::string& command_line) {
  Loaded l = LoadAll(a.paths);
  for (const std::string& e : l.errors) std::cerr << e << "\n";
  if (l.cases.empty()) {
    std::cerr << "faultline run: no valid case to run\n";
    return l.errors.empty() ? kExitFail : kExitUsage;
  }

  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) {
    std::cerr << fmt::format("faultline run: cannot create {}: {}\n", a.out_dir, ec.message());
    return kExitUsage;
  }

  const bool color = !a.no_color && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  RunOptions opts;
  opts.jobs = a.jobs;
  opts.case_options.faultline_bin = SelfExe();
  opts.case_options.out_dir = a.out_dir;
  opts.case_options.seed = a.seed;
  if (a.family == "ipv4") opts.only_family = Family::kIPv4;
  if (a.family == "ipv6") opts.only_family = Family::kIPv6;
  opts.on_result = [color](const CaseResult& r) {
    std::cout << ConsoleCaseLine(r, color) << std::flush;
  };

  RunResult run;
  run.kernel = KernelRelease();
  run.command_line = command_line;
  run.start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  int64_t t0 = MonotonicNs();
  std::vector<Variant> variants = ExpandVariants(l.cases, opts.only_family);
  run.cases = RunVariants(variants, opts);
  run.duration_ns = MonotonicNs() - t0;

  auto path_or = [&](const std::string& given, const char* name) {
    return given.empty() ? (std::filesystem::path(a.out_dir) / name).string() : given;
  };
  bool write_ok = true;
  for (const Status& st : {WriteJunit(run, path_or(a.junit, "junit.xml")),
                           WriteHtml(run, path_or(a.html, "report.html")),
                           WriteJson(run, path_or(a.json, "report.json"))}) {
    if (!st.ok()) {
      std::cerr << "faultline run: " << st.message() << "\n";
      write_ok = false;
    }
  }
  std::cout << ConsoleSummary(run, color);
  if (!l.errors.empty()) return kExitUsage;
  bool all_ok = run.Count(Outcome::kFail) == 0 && run.Count(Outcome::kError) == 0;
  return all_ok && write_ok ? kExitPass : kExitFail;
}

int Main(int argc, char** argv) {
  CLI::App app{"faultline: network conformance and fault-injection harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "run cases (files or directories)");
  run_cmd->add_option("paths", run.paths, "case files or directories")->required();
  run_cmd->add_option("-j,--jobs", run.jobs, "labs at once (default: 4 per core, at most 16)")
      ->check(CLI::Range(1, 256));
  run_cmd->add_option("--out", run.out_dir, "directory for reports and per-case artifacts");
  run_cmd->add_option("--junit", run.junit, "JUnit XML path (default OUT/junit.xml)");
  run_cmd->add_option("--html", run.html, "HTML report path (default OUT/report.html)");
  run_cmd->add_option("--json", run.json, "JSON report path (default OUT/report.json)");
  run_cmd->add_option("--seed", run.seed, "seed for probabilistic faults of cases without one");
  run_cmd->add_option("--family", run.family, "run only one variant")
      ->check(CLI::IsMember({"ipv4", "ipv6"}));
  run_cmd->add_flag("--no-color", run.no_color, "plain output even on a terminal");

  std::vector<std::string> validate_paths;
  CLI::App* validate_cmd = app.add_subcommand("validate", "check case files without running them");
  validate_cmd->add_option("paths", validate_paths, "case files or directories")->required();

  std::vector<std::string> list_paths;
  CLI::App* list_cmd = app.add_subcommand("list", "print the catalogue of cases");
  list_cmd->add_option("paths", list_paths, "case files or directories")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitPass : kExitUsage;
  }

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  if (*run_cmd) return CmdRun(run, command_line);
  if (*validate_cmd) return CmdValidate(validate_paths);
  if (*list_cmd) return CmdList(list_paths);
  return kExitUsage;
}

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) {
  // Peer mode: started by the runner inside a host's namespace, before any
  // other initialisation (see harness/peer/peer_main.h).
  if (argc >= 2 && std::strcmp(argv[1], "__peer") == 0) return faultline::peer::PeerMain(3);
  return faultline::Main(argc, argv);
}
