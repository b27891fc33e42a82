// faultline: the command line. A thin layer over the libraries:
//   faultline run PATH...        run cases (YAML and packetdrill .pkt), print one
//                                line each, write reports
//   faultline validate PATH...   load cases and report every error
//   faultline list PATH...       the catalogue: name, file, tags, families, description
//   faultline __format-keys      (hidden) the loader's key tables as JSON, for
//                                tests/schema/check_schema.py
// Exit status: 0 everything passed (some may have been skipped), 1 a case
// failed or hit a harness error, 2 bad command line or invalid case files,
// 77 every variant was skipped (nothing tested; CTest's SKIP_RETURN_CODE);
// 128 + N after signal N (SIGINT: 130, SIGTERM: 143) stopped a run.
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "harness/common/interrupt.h"
#include "harness/common/status.h"
#include "harness/loader/format_keys.h"
#include "harness/peer/peer_main.h"
#include "harness/pktdrill/pkt_loader.h"
#include "harness/runner/catalogue.h"
#include "harness/runner/preflight.h"
#include "harness/runner/progress.h"
#include "harness/runner/runner.h"
#include "harness/runner/suite.h"
#include "reports/console.h"
#include "reports/merge.h"
#include "reports/report_files.h"

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

// The options for packetdrill scripts (.pkt files; docs/packetdrill.md),
// taken by run, validate and list alike.
struct PktArgs {
  std::vector<std::string> defines;  // NAME=VALUE
  std::string ip_version;
};

PktRunOptions MakePktOptions(const PktArgs& a) {
  PktRunOptions o;
  for (const std::string& d : a.defines) {
    size_t eq = d.find('=');
    o.defines.emplace_back(d.substr(0, eq), d.substr(eq + 1));
  }
  o.ip_version = a.ip_version;
  return o;
}

// -D NAME=VALUE: NAME as a packetdrill variable ([A-Za-z_][A-Za-z0-9_]*).
CLI::Validator DefineValidator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        size_t eq = v.find('=');
        std::string name = v.substr(0, eq);
        auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        const bool ok = eq != std::string::npos && !name.empty() &&
                        std::isdigit(static_cast<unsigned char>(name[0])) == 0 &&
                        std::all_of(name.begin(), name.end(), word);
        if (ok) return "";
        return fmt::format(
            "'{}' is not a definition: NAME=VALUE is needed (NAME: letters, "
            "digits and '_', not starting with a digit)",
            v);
      },
      "NAME=VALUE");
}

void AddPktOptions(CLI::App* cmd, PktArgs& a) {
  cmd->add_option("-D,--define", a.defines,
                  "NAME=VALUE for packetdrill scripts (.pkt), as packetdrill's -D (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)  // one value each: the paths after it stay paths
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(DefineValidator());
  cmd->add_option("--ip-version", a.ip_version,
                  "address family of packetdrill scripts (.pkt), overriding their "
                  "--ip_version: ipv4, ipv6 or ipv4-mapped-ipv6")
      ->check(CLI::IsMember({"ipv4", "ipv6", "ipv4-mapped-ipv6"}));
}

// Every case file's messages on stderr, one per invalid file.
LoadedCases LoadAll(const std::vector<std::string>& paths, const PktArgs& pkt) {
  LoadedCases l = LoadCases(paths, MakePktOptions(pkt));
  for (const std::string& e : l.errors) std::cerr << e << "\n";
  return l;
}

bool UseColor(bool no_color) {
  return !no_color && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

// Writes the reports; false (after printing why, after `who: `) when any
// could not be written.
bool WriteAll(const RunResult& run, const std::string& out_dir, const ReportPaths& given,
              const char* who) {
  bool ok = true;
  for (const Status& st : WriteReports(run, ResolveReportPaths(out_dir, given))) {
    std::cerr << who << ": " << st.message() << "\n";
    ok = false;
  }
  return ok;
}

struct ValidateArgs {
  std::vector<std::string> paths;
  PktArgs pkt;
};

// "no case file (*.yaml, *.yml, *.pkt) in a, b": nothing loaded and nothing
// failed to load (an empty directory): exit 2, as for any unusable input.
std::string NoCaseFiles(const std::vector<std::string>& paths) {
  std::string list;
  for (const std::string& p : paths) list += (list.empty() ? "" : ", ") + p;
  return "no case file (*.yaml, *.yml, *.pkt) in " + list;
}

// "1 variant", "2 variants".
std::string Plural(size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

int CmdValidate(const ValidateArgs& a) {
  LoadedCases l = LoadAll(a.paths, a.pkt);
  if (l.cases.empty() && l.errors.empty()) {
    std::cerr << "faultline validate: " << NoCaseFiles(a.paths) << "\n";
    return kExitUsage;
  }
  std::cout << fmt::format("{} valid, {} invalid\n", l.cases.size(), l.errors.size());
  return l.errors.empty() ? kExitPass : kExitUsage;
}

struct ListArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  int width = 0;  // 0: the terminal's, else $COLUMNS, else 80
  PktArgs pkt;
};

// The width `list` wraps descriptions to.
int ListWidth(int given) {
  if (given > 0) return given;
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  if (const char* cols = std::getenv("COLUMNS")) {
    int n = std::atoi(cols);
    if (n > 0) return n;
  }
  return 80;
}

int CmdList(const ListArgs& a) {
  LoadedCases l = LoadAll(a.paths, a.pkt);
  std::cout << (a.format == "json" ? CatalogueJson(l.cases)
                                   : CatalogueText(l.cases, ListWidth(a.width)));
  return l.errors.empty() ? kExitPass : kExitUsage;
}

// The loader's tables (harness/loader/format_keys.h) as one JSON object, so
// that a test can compare docs/schema.json with what the loader accepts.
int CmdFormatKeys() {
  FormatKeys k = LoaderFormatKeys();
  auto named = [](const std::vector<NamedKeys>& v) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const NamedKeys& n : v) o[n.name] = n.keys;
    return o;
  };
  nlohmann::ordered_json j;
  j["case"] = k.case_keys;
  j["host"] = k.host_keys;
  j["step"] = k.step_keys;
  j["call_common"] = k.call_common_keys;
  j["ops"] = named(k.ops);
  j["expect"] = k.expect_keys;
  j["so_linger"] = k.so_linger_keys;
  j["ready"] = k.ready_keys;
  j["output_expect"] = k.output_keys;
  j["port_select"] = k.port_select_keys;
  j["observe_ops"] = named(k.observe_ops);
  j["queue_fields"] = k.queue_fields;
  j["tcp_info_fields"] = k.tcp_info_fields;
  j["fault"] = k.fault_keys;
  j["match"] = k.match_keys;
  j["actions"] = named(k.actions);
  j["hold_until"] = k.hold_until_keys;
  j["packets"] = k.packets_keys;
  j["packets_no_match"] = k.packets_no_match_keys;
  j["timing"] = k.timing_keys;
  j["timing_event"] = k.timing_event_keys;
  j["requires"] = k.requires_keys;
  j["xfail"] = k.xfail_keys;
  j["matrix"] = k.matrix_keys;
  j["counter"] = k.counter_keys;
  j["packet"] = k.packet_keys;
  j["icmp"] = k.icmp_keys;
  j["packet_step"] = k.packet_step_keys;
  j["wire_step"] = k.wire_step_keys;
  j["tcp_classes"] = k.tcp_classes;
  j["socket_options"] = k.socket_options;
  j["send_flags"] = k.send_flags;
  j["recv_flags"] = k.recv_flags;
  j["poll_events"] = k.poll_events;
  j["revents"] = k.revents;
  j["tcp_states"] = k.tcp_states;
  std::cout << j.dump(2) << "\n";
  return kExitPass;
}

struct RunArgs {
  std::vector<std::string> paths;
  int jobs = 0;
  std::string out_dir = "faultline-out";
  ReportPaths reports;
  std::optional<uint64_t> seed;
  std::string family;
  bool no_color = false;
  // Selection and repetition (harness/runner/suite.h, docs/cases.md).
  std::vector<std::string> filters, tags;
  std::string shard;
  bool list = false;
  int repeat = -1;  // -1: not given (1, or no bound with --until-fail)
  bool until_fail = false;
  bool keep = false;
  PktArgs pkt;
};

SuiteRequest MakeSuiteRequest(const RunArgs& a) {
  SuiteRequest r;
  r.paths = a.paths;
  r.filters = a.filters;
  r.tags = a.tags;
  r.shard = a.shard;
  if (a.family == "ipv4") r.family = Family::kIPv4;
  if (a.family == "ipv6") r.family = Family::kIPv6;
  r.seed = a.seed;
  r.repeat = a.repeat;
  r.until_fail = a.until_fail;
  return r;
}

// What must happen before the first lab: rootless entry (while the process
// still has one thread), the signal watcher, the output directory. -1 when
// all went well, else the exit status.
int PrepareRun(const RunArgs& a) {
  if (geteuid() != 0 && a.keep) {
    std::cerr << "faultline run: --keep names namespaces under /run/netns, which needs root; "
                 "a rootless run cannot keep a lab\n";
    return kExitUsage;
  }
  // Not root: enter a user namespace that will own the labs
  // (harness/runner/preflight.h).
  if (Status st = RootlessPreflight(); !st.ok()) {
    std::cerr << "faultline run: " << st.message() << "\n";
    return kExitFail;
  }
  // SIGINT/SIGTERM: stop starting cases, tear the running ones down, write
  // the reports (harness/common/interrupt.h). Before any other thread exists.
  if (Status st = StartSignalWatcher(); !st.ok()) {
    std::cerr << "faultline run: " << st.message() << "\n";
    return kExitFail;
  }
  // Once, before any case: OUT and the report paths (reports/report_files.h).
  if (Status st = CheckOutputPaths(a.out_dir, a.reports, true); !st.ok()) {
    std::cerr << "faultline run: " << st.message() << "\n";
    return kExitUsage;
  }
  return -1;
}

RunOptions MakeRunOptions(const RunArgs& a, const SuiteRequest& req, const SuitePlan& plan) {
  RunOptions opts;
  opts.jobs = a.jobs;
  opts.case_options.faultline_bin = SelfExe();
  opts.case_options.out_dir = a.out_dir;
  opts.case_options.seed = a.seed;
  opts.case_options.keep_failed = a.keep;
  opts.only_family = req.family;
  opts.repeat = plan.repeat;
  opts.until_fail = a.until_fail;
  return opts;
}

// What the reports show: every case file that did not load as an error
// testcase (issue 17: a CI dashboard must not stay green), before the cases
// that ran; in shard 1 only, so that merged shards name each file once.
RunResult WithInvalidFiles(const RunResult& run, const LoadedCases& loaded, const Shard& shard) {
  if (loaded.errors.empty() || shard.index != 1) return run;
  RunResult out = run;
  std::vector<CaseResult> invalid = InvalidFileResults(loaded, run.start_unix_ms);
  out.cases.insert(out.cases.begin(), invalid.begin(), invalid.end());
  return out;
}

// No case file loaded: the reports hold only the invalid files (exit 2).
int ReportOnlyInvalid(const RunArgs& a, const LoadedCases& loaded,
                      const std::string& command_line) {
  if (a.reports.UsesOutDir()) {
    std::error_code ec;
    std::filesystem::create_directories(a.out_dir, ec);
    if (ec) {
      std::cerr << fmt::format("faultline run: cannot create {}: {}\n", a.out_dir, ec.message());
      return kExitUsage;
    }
  }
  RunResult run;
  run.kernel = KernelRelease();
  run.command_line = command_line;
  run.start_unix_ms = RealClock().UnixMs();
  run.cases = InvalidFileResults(loaded, run.start_unix_ms);
  WriteAll(run, a.out_dir, a.reports, "faultline run");
  return kExitUsage;
}

// Runs the planned variants with console progress, writes the reports,
// prints the summary; the exit status.
int RunPlanned(const RunArgs& a, const SuiteRequest& req, const SuitePlan& plan,
               const LoadedCases& loaded, const std::string& command_line) {
  const bool color = UseColor(a.no_color);
  const size_t total = plan.TotalRuns();
  Progress progress(std::cout, isatty(STDOUT_FILENO) != 0, total,
                    [color](const CaseResult& r) { return ConsoleCaseLine(r, color); });
  RunOptions opts = MakeRunOptions(a, req, plan);
  opts.on_start = [&progress](const Variant&) { progress.Started(); };
  opts.on_result = [&progress](const CaseResult& r) { progress.Finished(r); };
  RunResult run = RunSuite(plan.variants, opts, KernelRelease(), command_line);
  progress.Done();
  // Cases --family leaves without a variant (named files): skipped.
  for (const CaseResult& r : plan.family_skips) std::cout << ConsoleCaseLine(r, color);
  run.cases.insert(run.cases.end(), plan.family_skips.begin(), plan.family_skips.end());

  const bool written = WriteAll(WithInvalidFiles(run, loaded, plan.selection.shard), a.out_dir,
                                a.reports, "faultline run");
  if (plan.repeat != 1 || a.until_fail) std::cout << PassCounts(run.cases);
  std::cout << ConsoleSummary(run, color);
  const int sig = InterruptSignal();
  if (sig != 0) {
    std::cout.flush();
    std::cerr << fmt::format("faultline run: {}: {} reported", InterruptReason(),
                             Plural(run.cases.size(), "variant run"));
    if (total > 0) std::cerr << fmt::format(" of {}; the others did not start", total);
    std::cerr << "\n";
  }
  return SuiteExitStatus(run, !loaded.errors.empty(), written, sig);
}

int CmdRun(const RunArgs& a, const std::string& command_line) {
  LoadedCases l = LoadAll(a.paths, a.pkt);
  if (l.cases.empty() && l.errors.empty()) {
    std::cerr << "faultline run: " << NoCaseFiles(a.paths) << "\n";
    return kExitUsage;
  }
  if (l.cases.empty()) {
    std::cerr << "faultline run: no valid case to run\n";
    if (!l.errors.empty() && !a.list) return ReportOnlyInvalid(a, l, command_line);
    return l.errors.empty() ? kExitFail : kExitUsage;
  }
  const SuiteRequest req = MakeSuiteRequest(a);
  StatusOr<SuitePlan> plan = PlanSuite(l.cases, req);
  if (!plan.ok()) {
    std::cerr << "faultline run: " << plan.status().message() << "\n";
    return kExitUsage;
  }
  if (a.list) {
    for (const Variant& v : plan->variants)
      std::cout << v.FullName() << "  " << v.c->loc.file << "\n";
    std::cout << Plural(plan->variants.size(), "variant") << " selected\n";
    return l.errors.empty() ? kExitPass : kExitUsage;
  }
  if (plan->variants.empty() && plan->family_skips.empty() && plan->selection.shard.count <= 1) {
    std::cerr << "faultline run: no case variant matches the selection\n";
    return kExitUsage;
  }
  if (int rc = PrepareRun(a); rc >= 0) return rc;
  return RunPlanned(a, req, plan.value(), l, command_line);
}

// `faultline report merge`: one JUnit, HTML and JSON report from several
// shards' report.json (reports/merge.h). Exit status as for run.
struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out_dir = "faultline-merged";
  ReportPaths reports;
  bool no_color = false;
};

int CmdReportMerge(const MergeArgs& a) {
  StatusOr<RunResult> merged = MergeShardFiles(a.inputs);
  if (!merged.ok()) {
    std::cerr << "faultline report merge: " << merged.status().message() << "\n";
    return kExitUsage;
  }
  RunResult& run = merged.value();
  if (Status st = CheckOutputPaths(a.out_dir, a.reports, false); !st.ok()) {
    std::cerr << "faultline report merge: " << st.message() << "\n";
    return kExitUsage;
  }
  // pcap paths relative to the merged reports' directories (reports/merge.h).
  bool written = true;
  for (const Status& st : WriteMergedReports(&run, ResolveReportPaths(a.out_dir, a.reports))) {
    std::cerr << "faultline report merge: " << st.message() << "\n";
    written = false;
  }
  std::cout << "merged " << Plural(run.cases.size(), "case") << " from "
            << Plural(a.inputs.size(), "shard") << "\n";
  std::cout << ConsoleSummary(run, UseColor(a.no_color));
  bool all_ok = run.Count(Outcome::kFail) == 0 && run.Count(Outcome::kError) == 0;
  return all_ok && written ? kExitPass : kExitFail;
}

// --seed: a decimal integer in [0, 2^63), as a case's seed: (CLI11 alone
// would wrap -1 to 2^64 - 1).
CLI::Validator SeedValidator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        const bool digits =
            !v.empty() && v.size() <= 19 &&
            std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits && std::stoull(v) <= static_cast<uint64_t>(INT64_MAX)) return "";
        return fmt::format("'{}' is not a seed: a non-negative integer below 2^63 is needed", v);
      },
      "UINT < 2^63");
}

CLI::App* AddRunCommand(CLI::App& app, RunArgs& run) {
  CLI::App* run_cmd = app.add_subcommand("run", "run cases (files or directories)");
  run_cmd->add_option("paths", run.paths, "case files or directories")->required();
  run_cmd->add_option("-j,--jobs", run.jobs, "labs at once (default: 16 per core, at most 64)")
      ->check(CLI::Range(1, 256));
  run_cmd->add_option("--out", run.out_dir, "directory for reports and per-case artifacts");
  run_cmd->add_option("--junit", run.reports.junit, "JUnit XML path (default OUT/junit.xml)");
  run_cmd->add_option("--html", run.reports.html, "HTML report path (default OUT/report.html)");
  run_cmd->add_option("--json", run.reports.json, "JSON report path (default OUT/report.json)");
  run_cmd->add_option("--seed", run.seed, "seed for probabilistic faults of cases without one")
      ->check(SeedValidator());
  run_cmd->add_option("--family", run.family, "run only one variant")
      ->check(CLI::IsMember({"ipv4", "ipv6"}));
  run_cmd->add_flag("--no-color", run.no_color, "plain output even on a terminal");
  run_cmd
      ->add_option("--filter", run.filters,
                   "run only variants whose case name, 'NAME [VARIANT]' or file matches this "
                   "glob (repeatable: any)")
      ->expected(1)
      ->allow_extra_args(false)  // one value each: the paths after it stay paths
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run_cmd->add_option("--tag", run.tags, "run only cases with this tag (repeatable or a,b: any)")
      ->expected(1)
      ->allow_extra_args(false)  // one value each: the paths after it stay paths
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run_cmd->add_option("--shard", run.shard,
                      "K/N: run only shard K of N (stable assignment by variant name)");
  run_cmd->add_flag("--list", run.list, "print the selected variants and exit");
  run_cmd
      ->add_option("--repeat", run.repeat,
                   "run every variant N times, with per-case pass counts (default 1; with "
                   "--until-fail: no bound)")
      ->check(CLI::Range(0, 1000000));
  run_cmd->add_flag("--until-fail", run.until_fail,
                    "stop starting runs after the first failure (flake hunting)");
  run_cmd->add_flag("--keep", run.keep,
                    "keep a failing variant's namespaces under /run/netns and print how to "
                    "enter them");
  AddPktOptions(run_cmd, run.pkt);
  return run_cmd;
}

CLI::App* AddListCommand(CLI::App& app, ListArgs& list) {
  CLI::App* list_cmd = app.add_subcommand(
      "list", "print the catalogue of cases: name, file, tags, families, description");
  list_cmd->add_option("paths", list.paths, "case files or directories")->required();
  list_cmd->add_option("--format", list.format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  list_cmd
      ->add_option("--width", list.width,
                   "wrap descriptions to this many columns (default: the terminal's, "
                   "$COLUMNS, or 80)")
      ->check(CLI::Range(1, 1000));
  AddPktOptions(list_cmd, list.pkt);
  return list_cmd;
}

// `report merge` (the `report` group is added here too).
CLI::App* AddMergeCommand(CLI::App& app, MergeArgs& merge) {
  CLI::App* report_cmd = app.add_subcommand("report", "work with written reports");
  report_cmd->require_subcommand(1);
  CLI::App* merge_cmd = report_cmd->add_subcommand(
      "merge", "combine several shards' report.json into one JUnit, HTML and JSON report");
  merge_cmd->add_option("inputs", merge.inputs, "report.json files of the shards")->required();
  merge_cmd->add_option("--out", merge.out_dir, "directory for the merged reports");
  merge_cmd->add_option("--junit", merge.reports.junit, "JUnit XML path (default OUT/junit.xml)");
  merge_cmd->add_option("--html", merge.reports.html, "HTML report path (default OUT/report.html)");
  merge_cmd->add_option("--json", merge.reports.json, "JSON report path (default OUT/report.json)");
  merge_cmd->add_flag("--no-color", merge.no_color, "plain output even on a terminal");
  return merge_cmd;
}

int Main(int argc, char** argv) {
  CLI::App app{"faultline: network conformance and fault-injection harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "faultline 0.1.0");

  RunArgs run;
  CLI::App* run_cmd = AddRunCommand(app, run);
  ValidateArgs validate;
  CLI::App* validate_cmd = app.add_subcommand("validate", "check case files without running them");
  validate_cmd->add_option("paths", validate.paths, "case files or directories")->required();
  AddPktOptions(validate_cmd, validate.pkt);
  ListArgs list;
  CLI::App* list_cmd = AddListCommand(app, list);
  MergeArgs merge;
  CLI::App* merge_cmd = AddMergeCommand(app, merge);
  // Hidden (no group): for the schema drift test, not for users.
  CLI::App* format_keys_cmd =
      app.add_subcommand("__format-keys", "print the loader's key tables as JSON");
  format_keys_cmd->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitPass : kExitUsage;
  }

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  if (*run_cmd) return CmdRun(run, command_line);
  if (*validate_cmd) return CmdValidate(validate);
  if (*list_cmd) return CmdList(list);
  if (*merge_cmd) return CmdReportMerge(merge);
  if (*format_keys_cmd) return CmdFormatKeys();
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
