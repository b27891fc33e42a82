// steps_bench: what a step, a peer and a trivial case cost, for one or more
// faultline builds side by side (issue 19, docs/performance.md "Steps and
// peers"). Needs root.
//
//   steps_bench [--rounds R] [--steps N] [--extra K] [--bin LABEL=PATH]...
//
// Each --bin is a faultline executable (default: this build's, as "this").
// Every round measures, for each build in turn (the order alternates by
// round, so all builds see the same load):
//   trivial   wall time of `faultline run --family ipv4 trivial.yaml` (one
//             `socket` step, no --out), from fork to exit;
//   peer      one peer's start: PeerClient::Spawn of the peer executable the
//             runner would start for that build (peer::PeerExecutable: the
//             small `faultline-peer` beside it, else `faultline __peer`)
//             until its reply to a first `socket` request (and the part
//             until its exec succeeded);
//   getsockopt, pingpong
//             per-step cost: a case with N steps and one with N + K steps,
//             each run through `faultline run --out`; the case's timeline
//             (first step's start to last step's end, from report.json, as
//             the peers stamped them) of the second minus the first,
//             divided by K. getsockopt: K `getsockopt` steps on one socket;
//             pingpong: K/2 pairs of a 1-byte send on the client and a
//             1-byte recv on the server, so one step is half a round trip.
// and once per round the anchor: a bare lab built by netlink (two hosts, a
// wire), one UDP request and reply between the hosts, and its removal, in
// this process.
// Prints min / median / max per build and metric, and the load average.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/common/clock.h"
#include "harness/lab/lab.h"
#include "harness/peer/peer_client.h"

namespace {

namespace fs = std::filesystem;
using faultline::MonotonicNs;

struct Build {
  std::string label, bin;
  std::map<std::string, std::vector<double>> results;  // metric -> values
};

std::string g_work = "/tmp/steps-bench";

double Ms(int64_t a, int64_t b) { return static_cast<double>(b - a) / 1e6; }

std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// Runs argv to its exit with stdout/stderr to `log`; returns the wall time
// in ms, or -1 if it did not exit 0.
double RunTimed(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int64_t t0 = MonotonicNs();
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  const int64_t t1 = MonotonicNs();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed (status %#x); see %s\n", args[0].c_str(), status, log.c_str());
    return -1;
  }
  return Ms(t0, t1);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

// A case of `n` getsockopt steps (after the socket), or of n/2 ping-pongs.
std::string StepsCase(const std::string& kind, int n) {
  std::string y = "name: steps-" + kind + "-" + std::to_string(n) + "\nsteps:\n";
  if (kind == "getsockopt") {
    y += "  - client: {socket: tcp, as: c}\n";
    for (int i = 0; i < n; ++i) y += "  - client: {getsockopt: c, opt: SO_RCVBUF}\n";
    return y;
  }
  y += "  - server: listen 8080\n";
  y += "  - client: {connect: \"server:8080\", as: c}\n";
  y += "  - server: {accept: ls, as: s}\n";
  for (int i = 0; i < n / 2; ++i) {
    y += "  - client: {send: c, data: \"x\"}\n";
    y += "  - server: {recv: s, size: 1, expect: {data: \"x\"}}\n";
  }
  return y;
}

// The case's timeline in ms (report.json), from its first step's start to
// its last step's end; -1 if unreadable.
double Timeline(const std::string& json_path) {
  std::ifstream f(json_path);
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.contains("cases") || j["cases"].empty()) return -1;
  const nlohmann::json& steps = j["cases"][0]["steps"];
  int64_t first = INT64_MAX, last = 0;
  for (const nlohmann::json& s : steps) {
    const int64_t start = s.value("start_offset_ns", int64_t{0});
    first = std::min(first, start);
    last = std::max(last, start + s.value("took_ns", int64_t{0}));
  }
  return steps.empty() ? -1 : Ms(first, last);
}

double CaseTimeline(const Build& b, const std::string& yaml_path) {
  const std::string out = g_work + "/out-" + b.label;
  const double wall =
      RunTimed({b.bin, "run", "--no-color", "--family", "ipv4", "--out", out, yaml_path},
               g_work + "/log-" + b.label + ".txt");
  if (wall < 0) return -1;
  return Timeline(out + "/report.json");
}

// One peer: spawn until its first reply, in ms (*exec: until its exec
// succeeded: clone, setns, the mounts of its confinement, execve); -1 on
// error.
double PeerStart(const Build& b, int netns_fd, double* exec) {
  namespace peer = faultline::peer;
  const int64_t t0 = MonotonicNs();
  auto p = peer::PeerClient::Spawn(peer::PeerExecutable(b.bin), netns_fd, "client");
  if (!p.ok()) return std::fprintf(stderr, "%s\n", p.status().message().c_str()), -1;
  *exec = Ms(t0, MonotonicNs());
  peer::Request req;
  req.id = 1;
  req.op = faultline::Op::kSocket;
  req.family = AF_INET;
  req.udp = true;
  req.as = "u";
  if (!(*p)->Send(req).ok() || !(*p)->Wait(1, MonotonicNs() + 5'000'000'000).ok()) return -1;
  const int64_t t1 = MonotonicNs();
  (*p)->Kill();
  return Ms(t0, t1);
}

// A socket made in network namespace `netns_fd` (from a thread that enters
// it; the socket keeps that namespace).
int SocketIn(int netns_fd) {
  int fd = -1;
  std::thread t([&] {
    if (setns(netns_fd, CLONE_NEWNET) == 0) fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  });
  t.join();
  return fd;
}

bool RecvWithin(int fd, char* buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return false;
  return recv(fd, buf, 1, 0) == 1;
}

// The anchor: a bare lab, one UDP exchange, teardown; ms or -1.
double Anchor() {
  faultline::LabSpec spec;
  for (const char* n : {"client", "server"}) {
    faultline::HostSpec h;
    h.name = n;
    spec.hosts.push_back(h);
  }
  const int64_t t0 = MonotonicNs();
  auto lab = faultline::Lab::Build(spec);
  if (!lab.ok()) return std::fprintf(stderr, "%s\n", lab.status().message().c_str()), -1;
  const faultline::LabHost* c = (*lab)->host("client");
  const faultline::LabHost* s = (*lab)->host("server");
  const int cfd = SocketIn(c->netns.get()), sfd = SocketIn(s->netns.get());
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(9000);
  inet_pton(AF_INET, s->addr4.c_str(), &sa.sin_addr);
  char buf[1] = {'x'};
  sockaddr_in from{};
  socklen_t len = sizeof from;
  bool ok = bind(sfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
            sendto(cfd, buf, 1, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 1;
  pollfd p{sfd, POLLIN, 0};
  ok = ok && poll(&p, 1, 2000) == 1 &&
       recvfrom(sfd, buf, 1, 0, reinterpret_cast<sockaddr*>(&from), &len) == 1 &&
       sendto(sfd, buf, 1, 0, reinterpret_cast<sockaddr*>(&from), len) == 1 &&
       RecvWithin(cfd, buf, 2000);
  close(cfd);
  close(sfd);
  lab->reset();
  const int64_t t1 = MonotonicNs();
  return ok ? Ms(t0, t1) : -1;
}

void Row(const char* name, std::vector<double> v, const char* unit, double scale) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  std::printf("  %-22s %9.3f %9.3f %9.3f %s  (n=%zu)\n", name, v.front() * scale,
              v[v.size() / 2] * scale, v.back() * scale, unit, v.size());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5, n = 20, k = 400;
  std::vector<Build> builds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 < argc && a == "--rounds") {
      rounds = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--steps") {
      n = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--extra") {
      k = std::atoi(argv[++i]);
    } else if (i + 1 < argc && a == "--work") {
      g_work = argv[++i];
    } else if (i + 1 < argc && a == "--bin") {
      const std::string v = argv[++i];
      const size_t eq = v.find('=');
      if (eq == std::string::npos) return std::fprintf(stderr, "--bin LABEL=PATH\n"), 2;
      builds.push_back({v.substr(0, eq), v.substr(eq + 1), {}});
    } else {
      std::fprintf(stderr,
                   "usage: steps_bench [--rounds R] [--steps N] [--extra K] [--work DIR] "
                   "[--bin LABEL=PATH]...\n");
      return 2;
    }
  }
  if (builds.empty()) builds.push_back({"this", FAULTLINE_BIN, {}});
  k += k % 2;  // ping-pong steps come in pairs
  fs::create_directories(g_work);
  const std::string trivial = g_work + "/trivial.yaml";
  WriteFile(trivial, "name: trivial\nsteps:\n  - client: {socket: udp, as: u}\n");
  std::map<std::string, std::pair<std::string, std::string>> cases;
  for (const char* kind : {"getsockopt", "pingpong"}) {
    const std::string a = g_work + "/" + kind + "-n.yaml", b = g_work + "/" + kind + "-nk.yaml";
    WriteFile(a, StepsCase(kind, n));
    WriteFile(b, StepsCase(kind, n + k));
    cases[kind] = {a, b};
  }
  faultline::LabSpec one;
  faultline::HostSpec h;
  h.name = "client";
  one.hosts.push_back(h);
  auto lab = faultline::Lab::Build(one);
  if (!lab.ok()) return std::fprintf(stderr, "%s\n", lab.status().message().c_str()), 1;
  const int netns = (*lab)->hosts().front().netns.get();

  std::printf("steps_bench: %d rounds, N=%d K=%d; load before: %s\n", rounds, n, k,
              LoadAvg().c_str());
  std::vector<double> anchor;
  for (int r = 0; r < rounds; ++r) {
    for (size_t bi = 0; bi < builds.size(); ++bi) {
      Build& b = builds[r % 2 == 0 ? bi : builds.size() - 1 - bi];
      const double wall = RunTimed({b.bin, "run", "--no-color", "--family", "ipv4", trivial},
                                   g_work + "/log-" + b.label + ".txt");
      if (wall < 0) return 1;
      b.results["trivial case (ms)"].push_back(wall);
      for (int i = 0; i < 10; ++i) {
        double exec = 0;
        const double p = PeerStart(b, netns, &exec);
        if (p < 0) return 1;
        b.results["peer start (ms)"].push_back(p);
        b.results["  of which until exec"].push_back(exec);
      }
      for (const auto& [kind, files] : cases) {
        const double a = CaseTimeline(b, files.first), c = CaseTimeline(b, files.second);
        if (a < 0 || c < 0) return 1;
        b.results[kind + " step (us)"].push_back((c - a) / k * 1000.0);
      }
    }
    const double an = Anchor();
    if (an < 0) return std::fprintf(stderr, "anchor failed\n"), 1;
    anchor.push_back(an);
  }
  std::printf("load after: %s\n", LoadAvg().c_str());
  std::printf("%-24s %9s %9s %9s\n", "", "min", "median", "max");
  std::printf("anchor: bare lab + one UDP exchange\n");
  Row("(ms)", anchor, "ms", 1);
  for (const Build& b : builds) {
    std::printf("%s: %s\n", b.label.c_str(), b.bin.c_str());
    for (const auto& [metric, v] : b.results) Row(metric.c_str(), v, "", 1);
  }
  return 0;
}
