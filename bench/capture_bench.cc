// capture_bench: what the capture costs. Needs root.
//
//   capture_bench [--starts N] [--rounds R] [--mb M]   defaults: N = 100, R = 5, M = 16 (at most
//   16)
//
// 1. Capture::Start + Stop on one built lab, N times: median / p90 / max ms.
// 2. A short case's wall time with and without capture (N runs each).
// 3. Bulk TCP (M MB client -> server) through the wire, R rounds each with
//    and without capture (alternating): median throughput of the receiving
//    recv step, and the packets the capture lost.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/capture/capture.h"
#include "harness/common/clock.h"
#include "harness/lab/lab.h"
#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"

namespace {

using namespace faultline;

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  int starts = 100, rounds = 5, mb = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--starts") == 0)
      starts = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--rounds") == 0)
      rounds = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--mb") == 0)
      mb = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: capture_bench [--starts N] [--rounds R] [--mb M]\n");
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "capture_bench: needs root\n");
    return 1;
  }

  LabSpec spec;
  for (const char* n : {"client", "server"}) {
    HostSpec h;
    h.name = n;
    spec.hosts.push_back(h);
  }
  StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
  if (!lab.ok()) {
    std::fprintf(stderr, "%s\n", lab.status().message().c_str());
    return 1;
  }
  std::vector<double> ms, stop_ms;
  for (int i = 0; i < starts; ++i) {
    CaptureConfig cfg;
    cfg.netns_fd = (*lab)->wire_netns();
    for (const LabHost& h : (*lab)->hosts()) cfg.ifnames.push_back(h.wire_ifname);
    int64_t t0 = MonotonicNs();
    StatusOr<std::unique_ptr<Capture>> c = Capture::Start(cfg);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().message().c_str());
      return 1;
    }
    int64_t t1 = MonotonicNs();
    (void)(*c)->Stop();
    c->reset();
    ms.push_back(static_cast<double>(t1 - t0) / 1e6);
    stop_ms.push_back(static_cast<double>(MonotonicNs() - t1) / 1e6);
  }
  std::printf("capture start (ms): median %.3f  p90 %.3f  max %.3f  (%d runs)\n",
              Percentile(ms, 50), Percentile(ms, 90), *std::max_element(ms.begin(), ms.end()),
              starts);
  std::printf("capture stop (ms):              median %.3f  p90 %.3f  max %.3f\n",
              Percentile(stop_ms, 50), Percentile(stop_ms, 90),
              *std::max_element(stop_ms.begin(), stop_ms.end()));
  lab->reset();

  {
    StatusOr<Case> small = LoadCaseText(R"(name: small
family: ipv4
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, data: "x"}
  - server: {recv: s, size: 1, expect: {data: "x"}}
)",
                                        "small.yaml");
    if (!small.ok()) return 1;
    std::vector<double> on, off;
    for (int r = 0; r < 2 * starts; ++r) {
      CaseRunOptions o;
      o.faultline_bin = FAULTLINE_BIN;
      if (r % 2 == 1) o.out_dir = "/tmp/capture-bench-small";
      CaseResult res = RunCaseVariant(*small, Family::kIPv4, o);
      if (res.outcome != Outcome::kPass) {
        std::fprintf(stderr, "small case failed: %s\n", res.message.c_str());
        return 1;
      }
      (r % 2 == 1 ? on : off).push_back(static_cast<double>(res.duration_ns) / 1e6);
    }
    std::filesystem::remove_all("/tmp/capture-bench-small");
    std::printf(
        "short case wall time (ms): without capture median %.2f p90 %.2f; with capture "
        "and pcap file median %.2f p90 %.2f\n",
        Percentile(off, 50), Percentile(off, 90), Percentile(on, 50), Percentile(on, 90));
  }

  const int64_t bytes = int64_t{mb} << 20;
  std::string yaml = fmt::format(R"(name: bulk
family: ipv4
timeout: 60s
steps:
  - server: listen 8080
  - client: {{connect: "server:8080", as: c}}
  - server: {{accept: ls, as: s}}
  - client: {{send: c, size: {0}, async: true, id: snd}}
  - server: {{recv: s, size: {0}, flags: [MSG_WAITALL], expect: {{bytes: {0}}}}}
  - await: snd
)",
                                 bytes);
  StatusOr<Case> c = LoadCaseText(yaml, "bulk.yaml");
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", c.status().message().c_str());
    return 1;
  }
  std::string dir = "/tmp/capture-bench-out";
  std::vector<double> with, without;
  uint64_t lost = 0;
  for (int r = 0; r < 2 * rounds; ++r) {
    CaseRunOptions o;
    o.faultline_bin = FAULTLINE_BIN;
    const bool cap = r % 2 == 1;
    if (cap) o.out_dir = dir;
    CaseResult res = RunCaseVariant(*c, Family::kIPv4, o);
    if (res.outcome != Outcome::kPass || res.steps.size() < 5) {
      std::fprintf(stderr, "bulk case failed: %s\n", res.message.c_str());
      return 1;
    }
    double mbps =
        static_cast<double>(bytes) * 8 / 1e6 / (static_cast<double>(res.steps[4].took_ns) / 1e9);
    (cap ? with : without).push_back(mbps);
    lost += res.capture_dropped;
  }
  uintmax_t pcap_bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) pcap_bytes += it->file_size(ec);
  }
  std::filesystem::remove_all(dir);
  double a = Percentile(without, 50), b = Percentile(with, 50);
  auto [wo_min, wo_max] = std::minmax_element(without.begin(), without.end());
  auto [w_min, w_max] = std::minmax_element(with.begin(), with.end());
  std::printf(
      "\nbulk %d MB through the wire (Mbit/s, min/median/max of %d): without capture "
      "%.0f/%.0f/%.0f, with capture %.0f/%.0f/%.0f (median %.0f %%); packets lost by the "
      "capture: %llu; pcap bytes per captured run: %ju\n",
      mb, rounds, *wo_min, a, *wo_max, *w_min, b, *w_max, 100.0 * b / a,
      static_cast<unsigned long long>(lost), pcap_bytes / static_cast<uintmax_t>(rounds));
  return 0;
}
