// report_bench: the report phase of a run with one big case -- JUnit, HTML
// and JSON written as `faultline run` writes them (WriteReports) -- for a
// synthetic bulk-transfer case (reports/synthetic_results.h: realistic
// records, every 997th packet dropped, every 1009th delayed, a 64 KB recv).
// No root needed.
//
//   report_bench [--packets 100000] [--runs 5] [--outcome pass|fail] [--out DIR]
//
// Each run forks a child holding the finished RunResult (the runner's state
// when its cases are done: the "idle" size), resets the child's peak RSS
// (/proc/self/clear_refs 5), writes the three reports and prints
//   wall: the report phase's wall time (and its CPU time, user + system:
//         less sensitive to the machine's load),
//   peak: VmHWM after minus VmRSS before (what the reports added),
// then min/median/max over the runs, and the files' sizes.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reports/report_files.h"
#include "reports/synthetic_results.h"

namespace {

using faultline::Outcome;

long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
  }
  return -1;
}

struct Sample {
  double wall_ms = 0, cpu_ms = 0, peak_mb = 0;
};

// The process's user + system CPU time so far.
double CpuMs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

// One report phase in a child; its figures come back through a pipe.
bool RunOnce(const faultline::RunResult& run, const std::string& out, Sample* s) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(fds[0]);
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
    const long idle_kb = StatusKb("VmRSS:");
    const double cpu0 = CpuMs();
    const auto t0 = std::chrono::steady_clock::now();
    auto failed = faultline::WriteReports(run, faultline::ResolveReportPaths(out, {}));
    const auto t1 = std::chrono::steady_clock::now();
    Sample r;
    r.wall_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    r.cpu_ms = CpuMs() - cpu0;
    r.peak_mb = static_cast<double>(StatusKb("VmHWM:") - idle_kb) / 1024.0;
    for (const auto& st : failed) std::fprintf(stderr, "%s\n", st.message().c_str());
    ssize_t n = write(fds[1], &r, sizeof r);
    _exit(failed.empty() && n == sizeof r ? 0 : 1);
  }
  close(fds[1]);
  ssize_t n = read(fds[0], s, sizeof *s);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return n == sizeof *s && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void Print(const char* what, std::vector<double> v, const char* unit) {
  std::sort(v.begin(), v.end());
  std::printf("%-28s min %8.1f  median %8.1f  max %8.1f %s\n", what, v.front(), v[v.size() / 2],
              v.back(), unit);
}

}  // namespace

int main(int argc, char** argv) {
  size_t packets = 100'000;
  int runs = 5;
  Outcome outcome = Outcome::kPass;
  std::string out = "/tmp/report_bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--packets") packets = std::stoul(v);
    if (a == "--runs") runs = std::stoi(v);
    if (a == "--outcome") outcome = v == "fail" ? Outcome::kFail : Outcome::kPass;
    if (a == "--out") out = v;
  }
  std::filesystem::create_directories(out);
  faultline::RunResult run;
  run.start_unix_ms = 1'790'000'000'000;
  run.kernel = "bench";
  run.command_line = "report_bench";
  run.cases.push_back(faultline::testing::BulkCase(packets, outcome));
  std::printf("report_bench: 1 case (%s), %zu packets, idle VmRSS %.1f MB, %d runs\n",
              outcome == Outcome::kPass ? "pass" : "fail", packets,
              static_cast<double>(StatusKb("VmRSS:")) / 1024.0, runs);
  std::vector<double> wall, cpu, peak;
  for (int i = 0; i < runs; ++i) {
    Sample s;
    if (!RunOnce(run, out, &s)) {
      std::fprintf(stderr, "report_bench: run %d failed\n", i + 1);
      return 1;
    }
    wall.push_back(s.wall_ms);
    cpu.push_back(s.cpu_ms);
    peak.push_back(s.peak_mb);
  }
  Print("report phase wall", wall, "ms");
  Print("report phase CPU (user+sys)", cpu, "ms");
  Print("peak RSS above idle", peak, "MB");
  for (const char* f : {"junit.xml", "report.html", "report.json"}) {
    std::printf("%-12s %10.1f KB\n", f,
                static_cast<double>(std::filesystem::file_size(out + "/" + f)) / 1024.0);
  }
  return 0;
}
