// lab_bench: builds and destroys N labs, one after another on each of T
// threads, and prints the median, p90, p99 and max of Lab::Build, of the
// teardown (~Lab) and of their sum, in milliseconds. Needs root.
//
//   lab_bench [--labs N] [--hosts H] [--threads T]   defaults: N = 200, H = 2, T = 1
//
// Teardown is what the caller waits for: closing the namespace fds. The
// kernel dismantles the namespaces afterwards, asynchronously (cleanup_net);
// that work competes with the next builds for the RTNL lock, so it shows up
// in the build numbers of a long run, as it would in a test run.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/common/clock.h"
#include "harness/lab/lab.h"

namespace {

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

void Row(const char* name, const std::vector<double>& v) {
  std::printf("%-9s %8.3f %8.3f %8.3f %8.3f\n", name, Percentile(v, 50), Percentile(v, 90),
              Percentile(v, 99), *std::max_element(v.begin(), v.end()));
}

// CPU time of the whole process (every thread, also those that ended: Build
// creates the namespaces from short-lived threads): with --threads 1, what
// Build() costs in work, without the time it waits (for a CPU on a busy
// machine, for a lock, a grace period). Not printed for --threads > 1.
int64_t ProcessCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int Usage() {
  std::fprintf(stderr, "usage: lab_bench [--labs N] [--hosts H] [--threads T]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int labs = 200;
  int hosts = 2;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--labs") == 0) {
      labs = std::atoi(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--hosts") == 0) {
      hosts = std::atoi(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--threads") == 0) {
      threads = std::atoi(argv[++i]);
    } else {
      return Usage();
    }
  }
  if (labs < 1 || hosts < 1 || threads < 1) return Usage();
  if (::geteuid() != 0) {
    std::fprintf(stderr, "lab_bench: needs root to create network namespaces\n");
    return 77;
  }

  faultline::LabSpec spec;
  for (int h = 0; h < hosts; ++h) {
    faultline::HostSpec hs;
    hs.name = h == 0 ? "client" : h == 1 ? "server" : "host" + std::to_string(h);
    spec.hosts.push_back(hs);
  }

  std::vector<double> build, teardown, sum, build_cpu;
  std::mutex mu;
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (int i = next++; i < labs && !failed; i = next++) {
      const int64_t c0 = ProcessCpuNs();
      int64_t t0 = faultline::MonotonicNs();
      auto lab = faultline::Lab::Build(spec);
      int64_t t1 = faultline::MonotonicNs();
      const int64_t c1 = ProcessCpuNs();
      if (!lab.ok()) {
        std::fprintf(stderr, "lab_bench: lab %d: %s\n", i, lab.status().ToString().c_str());
        failed = true;
        return;
      }
      lab.value().reset();
      int64_t t2 = faultline::MonotonicNs();
      std::lock_guard<std::mutex> lock(mu);
      build.push_back((t1 - t0) / 1e6);
      build_cpu.push_back((c1 - c0) / 1e6);
      teardown.push_back((t2 - t1) / 1e6);
      sum.push_back((t2 - t0) / 1e6);
    }
  };
  const int64_t start = faultline::MonotonicNs();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  const double wall_s = (faultline::MonotonicNs() - start) / 1e9;
  if (failed) return 1;
  std::printf(
      "lab_bench: %d labs of %d hosts, built and destroyed one after another on %d "
      "thread(s): %.1f labs/s\n",
      labs, hosts, threads, labs / wall_s);
  std::printf("%-9s %8s %8s %8s %8s   (ms)\n", "", "median", "p90", "p99", "max");
  Row("build", build);
  Row("teardown", teardown);
  Row("sum", sum);
  if (threads == 1) Row("build cpu", build_cpu);  // the process's CPU time (user + kernel)
  return 0;
}
