// runner_bench: what the runner adds to a case beyond the case's own
// timeline, and the suite's wall time at several -j. Needs root.
//
//   runner_bench [--runs N] [--out DIR] [--suite DIR] [--jobs 1,8,32,64]
//
// Part 1 (overhead): runs two small cases N times each, one at a time
// (RunCaseVariant, ipv4), and reports per run
//   overhead = duration - timeline
// where duration is the whole RunCaseVariant call (setup gate, lab, wire,
// capture, peers, steps, teardown, reports in memory) and timeline is from
// the first step's start to the last step's end as the peers measured them.
// Then the setup and teardown parts one by one, and the wire's rule install
// by route (nf_tables netlink, iptables-restore). The rule route of the
// overhead runs is the runner's (FAULTLINE_WIRE_RULES=iptables-restore in
// the environment forces the old one, for a before/after comparison).
// Part 2 (suite wall time, with --suite): runs `faultline run -j J DIR` for
// each J and prints the wall time and the pass/fail line.
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/lab/lab.h"
#include "harness/loader/case_loader.h"
#include "harness/peer/peer_client.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/observer.h"
#include "injectors/queue_rules.h"
#include "injectors/wire.h"

namespace {

using faultline::Case;
using faultline::CaseResult;

constexpr const char* kEcho = R"(name: bench-echo
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, data: "ping"}
  - server: {recv: s, size: 4, expect: {data: "ping"}}
  - client: {close: c}
  - server: {recv: s, size: 4, expect: {ret: 0}}
)";

constexpr const char* kOneStep = R"(name: bench-one-step
steps:
  - client: {socket: udp, as: u}
)";

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

std::string g_out_dir;  // --out: cases also capture and write their pcap there

int Overhead(const char* yaml, int runs) {
  faultline::StatusOr<Case> c = faultline::LoadCaseText(yaml, "bench.yaml");
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", c.status().message().c_str());
    return 1;
  }
  faultline::CaseRunOptions o;
  o.faultline_bin = FAULTLINE_BIN;
  o.out_dir = g_out_dir;
  std::vector<double> total, timeline, overhead;
  for (int i = 0; i < runs; ++i) {
    CaseResult r = faultline::RunCaseVariant(*c, faultline::Family::kIPv4, o);
    if (r.outcome != faultline::Outcome::kPass) {
      std::fprintf(stderr, "run %d: %s\n", i, r.message.c_str());
      return 1;
    }
    int64_t first = r.steps.front().start_offset_ns, last = 0;
    for (const auto& s : r.steps) last = std::max(last, s.start_offset_ns + s.took_ns);
    double tl = static_cast<double>(last - first) / 1e6;
    double d = static_cast<double>(r.duration_ns) / 1e6;
    total.push_back(d);
    timeline.push_back(tl);
    overhead.push_back(d - tl);
  }
  std::printf("%-16s %5d runs   median / p90 / max (ms)\n", c->name.c_str(), runs);
  auto row = [](const char* n, const std::vector<double>& v) {
    std::printf("  %-10s %8.2f %8.2f %8.2f\n", n, Percentile(v, 50), Percentile(v, 90),
                *std::max_element(v.begin(), v.end()));
  };
  row("duration", total);
  row("timeline", timeline);
  row("overhead", overhead);
  return 0;
}

// Where the overhead goes: the setup parts of a case, timed one by one, in
// the order the runner does them (case_runner.cc, Execution::Setup), then
// the teardown parts in the order of ~Execution.
int Phases(int runs) {
  faultline::StatusOr<Case> c = faultline::LoadCaseText(kOneStep, "bench.yaml");
  if (!c.ok()) return std::fprintf(stderr, "%s\n", c.status().message().c_str()), 1;
  std::vector<double> lab, spawn, wire, observer, first, kill, wire_stop, lab_close, total;
  for (int i = 0; i < runs; ++i) {
    faultline::LabSpec spec;
    spec.hosts = c->hosts;
    int64_t t0 = faultline::MonotonicNs();
    auto l = faultline::Lab::Build(spec);
    if (!l.ok()) return std::fprintf(stderr, "%s\n", l.status().message().c_str()), 1;
    int64_t t1 = faultline::MonotonicNs();
    std::vector<std::unique_ptr<faultline::peer::PeerClient>> ps;
    for (const auto& h : (*l)->hosts()) {
      auto p = faultline::peer::PeerClient::Spawn(faultline::peer::PeerExecutable(FAULTLINE_BIN),
                                                  h.netns.get(), h.name);
      if (!p.ok()) return std::fprintf(stderr, "%s\n", p.status().message().c_str()), 1;
      ps.push_back(std::move(p).value());
    }
    int64_t t2 = faultline::MonotonicNs();
    faultline::WireConfig wc;
    wc.netns_fd = (*l)->wire_netns();
    for (const auto& h : (*l)->hosts())
      wc.links.push_back({h.name, h.wire_ifname, h.addr4, h.addr6});
    wc.case_start_ns = t1;
    auto w = faultline::Wire::Start(wc);
    if (!w.ok()) return std::fprintf(stderr, "%s\n", w.status().message().c_str()), 1;
    int64_t t3 = faultline::MonotonicNs();
    CaseResult result;
    const faultline::Wire* live = w->get();
    faultline::Observer obs(
        *c, faultline::Family::kIPv4, **l,
        [live](uint64_t seen, int64_t deadline) { return live->WaitActivity(seen, deadline); },
        &result);
    if (auto st = obs.Start(); !st.ok())
      return std::fprintf(stderr, "%s\n", st.message().c_str()), 1;
    int64_t t4 = faultline::MonotonicNs();
    for (auto& p : ps) {  // first request: the peer is up and serving
      faultline::peer::Request req;
      req.id = 1;
      req.op = faultline::Op::kSocket;
      req.family = AF_INET;
      req.udp = true;
      req.as = "u";
      if (!p->Send(req).ok()) return 1;
      if (!p->Wait(1, faultline::MonotonicNs() + 5'000'000'000).ok()) return 1;
    }
    int64_t t5 = faultline::MonotonicNs();
    for (auto& p : ps) p->SignalKill();  // as LabEnv::Teardown does
    for (auto& p : ps) p->Kill();
    ps.clear();
    int64_t t6 = faultline::MonotonicNs();
    (void)(*w)->Stop();
    w->reset();
    int64_t t7 = faultline::MonotonicNs();
    l->reset();
    int64_t t8 = faultline::MonotonicNs();
    auto ms = [](int64_t a, int64_t b) { return static_cast<double>(b - a) / 1e6; };
    lab.push_back(ms(t0, t1));
    spawn.push_back(ms(t1, t2));
    wire.push_back(ms(t2, t3));
    observer.push_back(ms(t3, t4));
    first.push_back(ms(t4, t5));
    kill.push_back(ms(t5, t6));
    wire_stop.push_back(ms(t6, t7));
    lab_close.push_back(ms(t7, t8));
    total.push_back(ms(t0, t8));
  }
  std::printf("setup phases    %5d runs   median / p90 / max (ms)\n", runs);
  auto row = [](const char* n, const std::vector<double>& v) {
    std::printf("  %-34s %8.2f %8.2f %8.2f\n", n, Percentile(v, 50), Percentile(v, 90),
                *std::max_element(v.begin(), v.end()));
  };
  row("lab build", lab);
  row("2 peers spawn (until exec)", spawn);
  row("wire start (queue bind, rules)", wire);
  row("observer start (environment)", observer);
  row("2 peers first reply (start-up left)", first);
  row("teardown: kill + reap 2 peers", kill);
  row("teardown: wire stop", wire_stop);
  row("teardown: lab (close netns fds)", lab_close);
  row("all of the above", total);
  return 0;
}

// The wire's rule install alone, by route, each on a fresh lab's wire
// namespace (alternating), with the queue bound as the wire does it.
int Rules(int runs) {
  std::vector<double> netlink, iptables;
  for (int i = 0; i < 2 * runs; ++i) {
    faultline::LabSpec spec;
    for (const char* n : {"client", "server"}) {
      faultline::HostSpec h;
      h.name = n;
      spec.hosts.push_back(h);
    }
    auto l = faultline::Lab::Build(spec);
    if (!l.ok()) return std::fprintf(stderr, "%s\n", l.status().message().c_str()), 1;
    const bool nl = i % 2 == 0;
    int64_t t0 = faultline::MonotonicNs();
    faultline::Status st = nl ? faultline::InstallQueueRulesNetlink((*l)->wire_netns(), 0)
                              : faultline::InstallQueueRulesIptables((*l)->wire_netns(), 0);
    int64_t t1 = faultline::MonotonicNs();
    if (!st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
    (nl ? netlink : iptables).push_back(static_cast<double>(t1 - t0) / 1e6);
  }
  std::printf("queue rules     %5d runs   median / p90 / max (ms)\n", runs);
  auto row = [](const char* n, const std::vector<double>& v) {
    std::printf("  %-34s %8.2f %8.2f %8.2f\n", n, Percentile(v, 50), Percentile(v, 90),
                *std::max_element(v.begin(), v.end()));
  };
  row("nf_tables netlink (one batch)", netlink);
  row("iptables-restore + ip6tables-", iptables);
  return 0;
}

int Suite(const std::string& dir, const std::vector<int>& jobs) {
  std::printf("suite %s\n", dir.c_str());
  for (int j : jobs) {
    std::string cmd = std::string(FAULTLINE_BIN) +
                      " run --no-color --out /tmp/runner-bench-out -j " + std::to_string(j) + " " +
                      dir + " | tail -1";
    int64_t t0 = faultline::MonotonicNs();
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return 1;
    char line[256] = {0};
    std::string last;
    while (std::fgets(line, sizeof line, p) != nullptr) last = line;
    pclose(p);
    double s = static_cast<double>(faultline::MonotonicNs() - t0) / 1e9;
    if (!last.empty() && last.back() == '\n') last.pop_back();
    std::printf("  -j %-3d %7.2f s   %s\n", j, s, last.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  std::string suite;
  std::vector<int> jobs = {1, 8, 32, 64};
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--runs") == 0) {
      runs = std::atoi(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--out") == 0) {
      g_out_dir = argv[++i];
    } else if (i + 1 < argc && std::strcmp(argv[i], "--suite") == 0) {
      suite = argv[++i];
    } else if (i + 1 < argc && std::strcmp(argv[i], "--jobs") == 0) {
      jobs.clear();
      for (char* t = std::strtok(argv[++i], ","); t; t = std::strtok(nullptr, ","))
        jobs.push_back(std::atoi(t));
    } else {
      std::fprintf(stderr,
                   "usage: runner_bench [--runs N] [--out DIR] [--suite DIR] [--jobs 1,8,32,64]\n");
      return 2;
    }
  }
  if (runs > 0 && (Overhead(kOneStep, runs) != 0 || Overhead(kEcho, runs) != 0 ||
                   Phases(runs) != 0 || Rules(runs) != 0)) {
    return 1;
  }
  if (!suite.empty()) return Suite(suite, jobs);
  return 0;
}
