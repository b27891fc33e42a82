// wire_bench: what the wire costs and how precise its delays are.
//
//  1. pass-through latency: UDP request/response round trips between client
//     and server, in a lab without the wire (no NFQUEUE rule: the kernel
//     forwards) and in the same kind of lab with a Wire with no faults. Both
//     directions are queued, so the added round trip is two queue passes.
//  2. bulk TCP throughput, measured --bulk-runs times, each run a fresh lab
//     per setup, the setups interleaved within the run: raw veth (no queue),
//     a bare NFQUEUE accept-all loop (BareQueue: the same NfqSocket, whole
//     packets copied, every packet accepted, no parsing, no log), and the
//     Wire with the case's capture on (pcaps written, as `faultline run
//     --out` does) at the copy range(s) asked for (--wire-copy headers,
//     the default for a case without payload faults; whole; both). For
//     each lab offload setting asked for: offloads off (the lab's default:
//     every queued packet is one segment) and offloads on (`offloads: true`
//     on both hosts: TSO/GSO/GRO stay on, the queue gets GSO super-packets
//     whole thanks to NFQA_CFG_F_GSO). Ratios per run, then min/median/max.
//  3. delay error: a 50 ms delay on every client datagram; error = arrival -
//     (send + 50 ms), measured in one process on CLOCK_MONOTONIC, --delay-runs
//     times (a fresh lab each), with the process's CPU time per delayed
//     packet (what the wire's precise release costs).
//
// Needs root. Usage: wire_bench [--rounds N] [--seconds S] [--delays N] [--mtu M]
//                    [--bulk-runs N] [--delay-runs N] [--offloads off|on|both]
//                    [--only bulk|delay] [--wire-copy headers|whole|both]
//                    [--capture on|off] [--release default|off|fixed:US|PCT:MIN_US:MAX_US]
// Results and how to read them: docs/performance.md ("Wire").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <linux/netfilter.h>

#include <filesystem>

#include "harness/capture/case_capture.h"
#include "harness/common/clock.h"
#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"
#include "injectors/nfq_socket.h"
#include "injectors/queue_rules.h"
#include "injectors/wire.h"

namespace faultline {
namespace {

// --release: default (WireConfig::release unset), off (margin 0: armed at the
// deadline), fixed:US, or adaptive PCT:MIN_US:MAX_US.
std::optional<ReleaseTimerConfig> g_release;

struct Options {
  int rounds = 20000;
  double seconds = 3;
  int delays = 400;
  int mtu = 1500;
  int bulk_runs = 3;
  std::string offloads = "both";
  std::string only;
  int delay_runs = 1;
  std::string release = "default";
  std::string wire_copy = "headers";
  bool capture = true;
};

int g_mtu = 1500;
bool g_offloads = false;
uint32_t g_copy_range = kWireHeaderBytes;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "wire_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) Die(std::string(what) + ": " + st.ToString());
}

// The anchor: the least a user-space NFQUEUE consumer does. The same
// socket as the wire's (recvmmsg, batched verdicts, NFQA_CFG_F_GSO), whole
// packets copied (the usual accept loop), every packet accepted as soon as
// it is read; no parsing, no log, no capture. Its thread runs at the wire
// thread's nice -10 (the verdict's sendto does the forwarding work, so the
// priority matters on a loaded machine).
class BareQueue {
 public:
  explicit BareQueue(int netns_fd) {
    StatusOr<std::unique_ptr<NfqSocket>> s = NfqSocket::Open(netns_fd, 0, 16384, kWireWholePacket);
    Check(s.status(), "bare queue: open");
    nfq_ = std::move(*s);
    thread_ = std::thread([this] { Loop(); });
    Check(InstallQueueRules(netns_fd, 0), "bare queue: rules");
  }
  ~BareQueue() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Loop() {
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -10);
    auto accept = [this](uint32_t id, std::span<const uint8_t>, uint32_t, bool, int64_t) {
      Check(nfq_->QueueVerdict(id, NF_ACCEPT), "bare queue: verdict");
    };
    while (!stop_) {
      pollfd p{nfq_->fd(), POLLIN, 0};
      if (poll(&p, 1, 50) != 1) continue;
      Check(nfq_->Drain(accept), "bare queue: receive");
      Check(nfq_->Flush(), "bare queue: flush");
    }
  }
  std::unique_ptr<NfqSocket> nfq_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Bed {
  std::unique_ptr<Lab> lab;
  std::unique_ptr<BareQueue> bare;
  Case kase;  // the hosts, for the capture
  CaseResult result;
  std::unique_ptr<Capture> capture;
  std::unique_ptr<Wire> wire;
  // Stops the capture (as the runner does at the end of a case) and
  // removes its pcaps.
  void FinishCapture() {
    if (!capture) return;
    (void)FinishCaseCapture(kase, *lab, *capture, 0, &result);
    for (const auto& p : result.pcaps) {
      std::error_code ec;
      std::filesystem::remove(p.path, ec);
    }
    capture.reset();
  }
};

enum class Setup { kRaw, kBare, kWire, kWireCapture };

Bed MakeBed(bool with_wire, std::vector<Fault> faults = {}, Setup setup = Setup::kWire) {
  LabSpec spec;
  for (const char* n : {"client", "server"}) {
    HostSpec h;
    h.name = n;
    h.mtu = g_mtu;
    h.offloads = g_offloads;
    spec.hosts.push_back(h);
  }
  StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
  Check(lab.status(), "Lab::Build");
  Bed bed;
  bed.lab = std::move(*lab);
  bed.kase.name = "wire-bench";
  bed.kase.loc.file = "wire-bench.yaml";
  bed.kase.hosts = spec.hosts;
  if (setup == Setup::kBare) bed.bare = std::make_unique<BareQueue>(bed.lab->wire_netns());
  if (setup == Setup::kWireCapture) {
    const std::string out = "/tmp/wire_bench-" + std::to_string(getpid());
    StatusOr<std::unique_ptr<Capture>> cap = StartCaseCapture(bed.kase, *bed.lab, out, &bed.result);
    Check(cap.status(), "capture");
    bed.capture = std::move(*cap);
  }
  if (with_wire) {
    WireConfig cfg;
    cfg.netns_fd = bed.lab->wire_netns();
    for (const LabHost& h : bed.lab->hosts()) {
      cfg.links.push_back(WireLink{h.name, h.wire_ifname, h.addr4, h.addr6});
    }
    for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
    cfg.faults = std::move(faults);
    cfg.case_start_ns = MonotonicNs();
    cfg.copy_range = g_copy_range;
    cfg.release = g_release;
    StatusOr<std::unique_ptr<Wire>> w = Wire::Start(cfg);
    Check(w.status(), "Wire::Start");
    bed.wire = std::move(*w);
  }
  return bed;
}

UniqueFd SocketIn(const LabHost& h, int type) {
  UniqueFd fd;
  Check(InNetns(h.netns.get(),
                [&]() -> Status {
                  fd.reset(socket(AF_INET, type | SOCK_CLOEXEC, 0));
                  return fd ? Status::Ok() : Status::FromErrno("socket", errno);
                }),
        "socket");
  return fd;
}

sockaddr_in AddrOf(const LabHost& h, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, h.addr4.c_str(), &a.sin_addr);
  return a;
}

double Pct(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return static_cast<double>(v[i]) / 1000.0;  // us
}

// UDP ping-pong round trips in ns.
std::vector<int64_t> PingPong(Bed& bed, int rounds) {
  const LabHost& c = *bed.lab->host("client");
  const LabHost& s = *bed.lab->host("server");
  UniqueFd srv = SocketIn(s, SOCK_DGRAM);
  sockaddr_in sa = AddrOf(s, 7000);
  if (bind(srv.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("bind");
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    char buf[2048];
    pollfd p{srv.get(), POLLIN, 0};
    while (!stop) {
      if (poll(&p, 1, 100) != 1) continue;
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      const ssize_t n =
          recvfrom(srv.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0)
        sendto(srv.get(), buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  });
  UniqueFd cli = SocketIn(c, SOCK_DGRAM);
  if (connect(cli.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("connect");
  timeval tv{1, 0};
  setsockopt(cli.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<int64_t> rtt;
  char msg[64] = "ping", buf[2048];
  for (int i = 0; i < rounds + 200; ++i) {
    const int64_t t0 = MonotonicNs();
    if (send(cli.get(), msg, sizeof msg, 0) != sizeof msg) Die("send");
    if (recv(cli.get(), buf, sizeof buf, 0) <= 0) Die("no echo within 1 s");
    if (i >= 200) rtt.push_back(MonotonicNs() - t0);  // the first 200 warm up
  }
  stop = true;
  echo.join();
  return rtt;
}

// Bulk TCP for `seconds`; returns bytes per second measured at the receiver.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// `cpu_ms_per_gb`: CPU time of this process (all threads: sender, receiver,
// wire; user + system, which includes the softirq work done in their
// system calls, not what ksoftirqd does) per GB moved. Less sensitive than
// throughput to other load on a shared machine.
double Bulk(Bed& bed, double seconds, double* cpu_ms_per_gb) {
  const LabHost& c = *bed.lab->host("client");
  const LabHost& s = *bed.lab->host("server");
  UniqueFd ls = SocketIn(s, SOCK_STREAM);
  sockaddr_in sa = AddrOf(s, 7001);
  int one = 1;
  setsockopt(ls.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(ls.get(), 1) != 0) {
    Die("listen");
  }
  int64_t bytes = 0, t_first = 0, t_last = 0;
  std::thread sink([&] {
    UniqueFd a(accept(ls.get(), nullptr, nullptr));
    std::vector<char> buf(1 << 20);
    while (true) {
      const ssize_t n = recv(a.get(), buf.data(), buf.size(), 0);
      if (n <= 0) break;
      if (t_first == 0) t_first = MonotonicNs();
      bytes += n;
      t_last = MonotonicNs();
    }
  });
  UniqueFd cli = SocketIn(c, SOCK_STREAM);
  if (connect(cli.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("tcp connect");
  std::vector<char> chunk(1 << 16, 'x');
  const double cpu0 = CpuSeconds();
  const int64_t end = MonotonicNs() + static_cast<int64_t>(seconds * 1e9);
  while (MonotonicNs() < end) {
    if (send(cli.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) Die("tcp send");
  }
  shutdown(cli.get(), SHUT_WR);
  sink.join();
  *cpu_ms_per_gb = bytes > 0 ? (CpuSeconds() - cpu0) * 1e3 / (static_cast<double>(bytes) / 1e9) : 0;
  return t_last > t_first
             ? static_cast<double>(bytes) / (static_cast<double>(t_last - t_first) / 1e9)
             : 0;
}

// Delay error in ns for a 50 ms delay on every client datagram.
// `cpu_us`: this process's CPU time (all threads) per delayed packet from the
// first send to the last receive (the lab's setup and teardown excluded).
std::vector<int64_t> DelayErrors(int count, std::vector<int64_t>* wire_err, double* cpu_us) {
  Fault f;
  f.match.from = "client";
  f.match.proto = Proto::kUdp;
  f.action.kind = ActionKind::kDelay;
  f.action.delay = std::chrono::milliseconds(50);
  Bed bed = MakeBed(true, {f});
  const LabHost& c = *bed.lab->host("client");
  const LabHost& s = *bed.lab->host("server");
  UniqueFd srv = SocketIn(s, SOCK_DGRAM);
  sockaddr_in sa = AddrOf(s, 7002);
  if (bind(srv.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("bind");
  std::vector<int64_t> err;
  std::thread rx([&] {
    timeval tv{2, 0};
    setsockopt(srv.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < count; ++i) {
      int64_t sent;
      if (recv(srv.get(), &sent, sizeof sent, 0) != sizeof sent) break;
      err.push_back(MonotonicNs() - sent - 50'000'000);
    }
  });
  UniqueFd cli = SocketIn(c, SOCK_DGRAM);
  if (connect(cli.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("connect");
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < count; ++i) {
    const int64_t now = MonotonicNs();
    if (send(cli.get(), &now, sizeof now, 0) != sizeof now) Die("send");
    pollfd p{-1, 0, 0};
    poll(&p, 0, 2);  // pacing: one datagram every ~2 ms, so many are held at once
  }
  rx.join();
  *cpu_us = (CpuSeconds() - cpu0) * 1e6 / std::max(1, count);
  (void)bed.wire->Stop();
  const ReleaseStats rs = bed.wire->release_stats();
  std::printf(
      "    release timer: %llu wake-ups (latest %.1f us after its arming), %llu precise waits "
      "(%.1f us each on average), margin now %.1f us\n",
      static_cast<unsigned long long>(rs.timer_wakes),
      static_cast<double>(rs.max_lateness_ns) / 1e3, static_cast<unsigned long long>(rs.spins),
      rs.spins ? static_cast<double>(rs.spin_ns) / 1e3 / static_cast<double>(rs.spins) : 0.0,
      static_cast<double>(rs.margin_ns) / 1e3);
  // The wire's own precision: release - arrival - delay, from its log.
  for (const PacketRecord& r : bed.wire->Log()) {
    if (r.release_ns != 0 && r.proto == "udp") {
      wire_err->push_back(r.release_ns - r.arrival_ns - 50'000'000);
    }
  }
  return err;
}

std::string LoadAverage() {
  double l[3] = {};
  if (getloadavg(l, 3) != 3) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %.1f %.1f", l[0], l[1], l[2]);
  return buf;
}

struct BulkSeries {
  std::vector<double> bw;                     // bytes/s per run
  std::vector<double> ratio_bare, ratio_raw;  // wire setups: per run
};

// One bulk run on a fresh lab of the given setup; prints a line.
void RunBulk(Setup setup, double seconds, const std::string& name, BulkSeries* out) {
  const bool wire = setup == Setup::kWire || setup == Setup::kWireCapture;
  Bed b = MakeBed(wire, {}, setup);
  double cpu = 0;
  const double bw = Bulk(b, seconds, &cpu);
  QueueStats qs;
  if (b.wire) {
    Check(b.wire->Stop(), "Wire::Stop");
    qs = b.wire->queue_stats();
  }
  b.FinishCapture();
  out->bw.push_back(bw);
  std::printf("  %-36s %8.1f MB/s  CPU %5.0f ms/GB", name.c_str(), bw / 1e6, cpu);
  if (b.wire) {
    std::printf("  queue: %llu packets (%llu GSO), %llu verdict msgs, %llu truncated",
                static_cast<unsigned long long>(qs.packets),
                static_cast<unsigned long long>(qs.gso),
                static_cast<unsigned long long>(qs.verdict_msgs),
                static_cast<unsigned long long>(qs.truncated));
  }
  std::printf("\n");
}

void PrintSeries(const std::string& name, std::vector<double> v, double scale, const char* unit) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  std::printf("  %-22s min %7.1f%s  median %7.1f%s  max %7.1f%s\n", name.c_str(), v.front() * scale,
              unit, v[v.size() / 2] * scale, unit, v.back() * scale, unit);
}
}  // namespace
}  // namespace faultline

int main(int argc, char** argv) {
  using namespace faultline;
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--rounds")
      o.rounds = std::atoi(argv[i + 1]);
    else if (k == "--seconds")
      o.seconds = std::atof(argv[i + 1]);
    else if (k == "--delays")
      o.delays = std::atoi(argv[i + 1]);
    else if (k == "--mtu")
      o.mtu = std::atoi(argv[i + 1]);
    else if (k == "--bulk-runs")
      o.bulk_runs = std::max(1, std::atoi(argv[i + 1]));
    else if (k == "--offloads")
      o.offloads = argv[i + 1];
    else if (k == "--only")
      o.only = argv[i + 1];
    else if (k == "--wire-copy")
      o.wire_copy = argv[i + 1];
    else if (k == "--capture")
      o.capture = std::string(argv[i + 1]) != "off";
    else if (k == "--delay-runs")
      o.delay_runs = std::max(1, std::atoi(argv[i + 1]));
    else if (k == "--release")
      o.release = argv[i + 1];
    else
      Die("unknown option " + k);
  }
  if (geteuid() != 0) Die("needs root (network namespaces)");
  g_mtu = o.mtu;

  if (o.offloads != "off" && o.offloads != "on" && o.offloads != "both") {
    Die("--offloads must be off, on or both");
  }
  if (!o.only.empty() && o.only != "bulk" && o.only != "delay") Die("--only must be bulk or delay");
  if (o.release == "off") {
    g_release = ReleaseTimerConfig{};
  } else if (o.release.rfind("fixed:", 0) == 0) {
    g_release = ReleaseTimerConfig{};
    g_release->margin_ns = std::atoll(o.release.c_str() + 6) * 1000;
  } else if (o.release != "default") {
    int pct = 0, lo = 0, hi = 0;
    if (std::sscanf(o.release.c_str(), "%d:%d:%d", &pct, &lo, &hi) != 3) Die("bad --release");
    g_release = ReleaseTimerConfig{};
    g_release->adaptive = true;
    g_release->quantile_pct = pct;
    g_release->min_margin_ns = lo * 1000LL;
    g_release->max_margin_ns = hi * 1000LL;
    g_release->margin_ns = lo * 1000LL;
  }
  if (o.wire_copy != "headers" && o.wire_copy != "whole" && o.wire_copy != "both") {
    Die("--wire-copy must be headers, whole or both");
  }

  std::printf("wire_bench: %d round trips, %.1f s bulk x %d, %d delayed datagrams, MTU %d\n",
              o.rounds, o.seconds, o.bulk_runs, o.delays, o.mtu);
  if (o.only.empty()) {
    std::vector<int64_t> base, wired;
    {
      Bed b = MakeBed(false);
      base = PingPong(b, o.rounds);
    }
    {
      Bed b = MakeBed(true);
      wired = PingPong(b, o.rounds);
      Check(b.wire->Stop(), "Wire::Stop");
    }
    std::printf("UDP round trip, no wire:   p50 %8.1f us  p99 %8.1f us\n", Pct(base, 50),
                Pct(base, 99));
    std::printf("UDP round trip, with wire: p50 %8.1f us  p99 %8.1f us\n", Pct(wired, 50),
                Pct(wired, 99));
    std::printf("added by the wire (2 queue passes): p50 %.1f us  p99 %.1f us\n",
                Pct(wired, 50) - Pct(base, 50), Pct(wired, 99) - Pct(base, 99));
  }

  std::vector<bool> modes;
  if (o.only != "delay" && o.offloads != "on") modes.push_back(false);
  if (o.only != "delay" && o.offloads != "off") modes.push_back(true);
  std::vector<uint32_t> copies;
  if (o.wire_copy != "whole") copies.push_back(kWireHeaderBytes);
  if (o.wire_copy != "headers") copies.push_back(kWireWholePacket);
  for (bool off_on : modes) {
    g_offloads = off_on;
    BulkSeries raw, bare;
    std::vector<BulkSeries> wired(copies.size());
    for (int run = 1; run <= o.bulk_runs; ++run) {
      std::printf("bulk TCP, offloads %s, run %d (load %s):\n", off_on ? "on" : "off", run,
                  LoadAverage().c_str());
      RunBulk(Setup::kRaw, o.seconds, "raw veth (no queue)", &raw);
      RunBulk(Setup::kBare, o.seconds, "bare NFQUEUE accept loop", &bare);
      for (size_t i = 0; i < copies.size(); ++i) {
        g_copy_range = copies[i];
        const std::string name = std::string("wire, copy ") +
                                 (copies[i] == kWireHeaderBytes ? "256 B" : "whole") +
                                 (o.capture ? ", capture on" : "");
        RunBulk(o.capture ? Setup::kWireCapture : Setup::kWire, o.seconds, name, &wired[i]);
        wired[i].ratio_bare.push_back(wired[i].bw.back() / bare.bw.back());
        wired[i].ratio_raw.push_back(wired[i].bw.back() / raw.bw.back());
      }
      std::fflush(stdout);
    }
    const char* mode = off_on ? "on" : "off";
    std::printf("bulk TCP, offloads %s, %d runs: MB/s min/median/max\n", mode, o.bulk_runs);
    PrintSeries("raw veth", raw.bw, 1e-6, "");
    PrintSeries("bare NFQUEUE loop", bare.bw, 1e-6, "");
    for (size_t i = 0; i < copies.size(); ++i) {
      const std::string name =
          std::string("wire ") + (copies[i] == kWireHeaderBytes ? "256 B" : "whole");
      PrintSeries(name, wired[i].bw, 1e-6, "");
      PrintSeries("  / bare loop", wired[i].ratio_bare, 100, "%");
      PrintSeries("  / raw veth", wired[i].ratio_raw, 100, "%");
    }
    std::fflush(stdout);
  }
  g_offloads = false;
  if (o.only == "bulk") return 0;
  for (int run = 1; run <= o.delay_runs; ++run) {
    std::vector<int64_t> wire_err;
    double cpu_us = 0;
    std::vector<int64_t> err = DelayErrors(o.delays, &wire_err, &cpu_us);
    std::printf(
        "delay 50 ms run %d: at the wire (release - arrival - 50 ms, %zu samples): "
        "p50 %.1f us  p99 %.1f us  max %.1f us  min %.1f us\n",
        run, wire_err.size(), Pct(wire_err, 50), Pct(wire_err, 99), Pct(wire_err, 100),
        Pct(wire_err, 0));
    std::printf(
        "delay 50 ms run %d: end to end (receiver's clock, %zu samples): "
        "p50 %.1f us  p99 %.1f us  max %.1f us; CPU %.1f us per delayed packet\n",
        run, err.size(), Pct(err, 50), Pct(err, 99), Pct(err, 100), cpu_us);
    std::fflush(stdout);
  }
  return 0;
}
