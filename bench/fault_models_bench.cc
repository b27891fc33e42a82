// fault_models_bench: what each netem model costs per packet.
//
//  1. model: ns per decision of each model alone (netem_models.h), against
//     one plain SplitMix64 draw (what `probability:` costs) as the anchor.
//  2. engine: ns per packet through FaultEngine::OnPacket (parse, connection
//     table, log record, the fault's decision) for a fault of each model on
//     every packet, against a plain `drop` with `probability: 0.5` as the
//     anchor and no fault at all.
//
// Runs are interleaved (every configuration once per round, --rounds
// rounds) and each configuration's figure is the min / median / max over
// the rounds, so a load spike hits one round of every configuration rather
// than all rounds of one. No root needed.
// Usage: fault_models_bench [--rounds N] [--packets N]
// Results and how to read them: docs/performance.md ("Fault models").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/packet/packet_craft.h"
#include "injectors/fault_engine.h"
#include "injectors/netem_models.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

double NsPer(const std::function<void()>& body, int n) {
  const auto t0 = Clock::now();
  body();
  const auto t1 = Clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
}

volatile double g_sink = 0;

std::vector<std::pair<std::string, std::function<double(int)>>> ModelCases() {
  std::vector<std::pair<std::string, std::function<double(int)>>> v;
  v.push_back({"draw (probability, anchor)", [](int n) {
                 SplitMix64 p(1);
                 return NsPer(
                     [&] {
                       double s = 0;
                       for (int i = 0; i < n; ++i) s += p.NextUnit() < 0.5;
                       g_sink = s;
                     },
                     n);
               }});
  v.push_back({"correlated draw", [](int n) {
                 SplitMix64 p(1);
                 CorrelatedDraw d(0.5);
                 return NsPer(
                     [&] {
                       double s = 0;
                       for (int i = 0; i < n; ++i) s += d.Next(&p) < 0.5;
                       g_sink = s;
                     },
                     n);
               }});
  for (DelayDist dist :
       {DelayDist::kUniform, DelayDist::kNormal, DelayDist::kPareto, DelayDist::kParetoNormal}) {
    v.push_back({std::string("delay ") + DelayDistName(dist), [dist](int n) {
                   SplitMix64 p(1);
                   return NsPer(
                       [&] {
                         double s = 0;
                         for (int i = 0; i < n; ++i) {
                           s += static_cast<double>(
                               DrawDelayNs(50'000'000, 30'000'000, dist, p.NextUnit()));
                         }
                         g_sink = s;
                       },
                       n);
                 }});
  }
  v.push_back({"loss gemodel", [](int n) {
                 SplitMix64 p(1);
                 Gemodel g({0.05, 0.3, 1, 0});
                 bool bad = false;
                 return NsPer(
                     [&] {
                       double s = 0;
                       for (int i = 0; i < n; ++i) s += g.Lost(&p, &bad);
                       g_sink = s;
                     },
                     n);
               }});
  v.push_back({"loss state", [](int n) {
                 SplitMix64 p(1);
                 FourState f({0.02, 0.4, 0.1, 0.3, 0.01});
                 int st = 0;
                 return NsPer(
                     [&] {
                       double s = 0;
                       for (int i = 0; i < n; ++i) s += f.Lost(&p, &st);
                       g_sink = s;
                     },
                     n);
               }});
  return v;
}

IpAddr Addr(const char* s) {
  IpAddr a;
  IpAddr::Parse(s, &a);
  return a;
}

// One configuration of the engine: the fault on every client packet.
struct EngineCase {
  std::string name;
  std::optional<Fault> fault;
};

std::vector<EngineCase> EngineCases() {
  auto make = [](ActionKind k) {
    Fault f;
    f.index = 1;
    f.match.from = "client";
    f.action.kind = k;
    return f;
  };
  std::vector<EngineCase> v;
  v.push_back({"no fault", std::nullopt});
  Fault anchor = make(ActionKind::kDrop);
  anchor.match.probability = 0.5;
  v.push_back({"drop probability 0.5 (anchor)", anchor});
  Fault corr = anchor;
  corr.match.correlation = 0.5;
  v.push_back({"drop probability 0.5 correlation 0.5", corr});
  Fault lr = make(ActionKind::kDrop);
  lr.action.loss = LossModel{};
  lr.action.loss->random = 0.5;
  lr.action.loss->correlation = 0.5;
  v.push_back({"drop loss random 0.5 0.5", lr});
  Fault ge = make(ActionKind::kDrop);
  ge.action.loss = LossModel{};
  ge.action.loss->kind = LossModel::Kind::kGemodel;
  ge.action.loss->p = 0.05;
  ge.action.loss->r = 0.3;
  v.push_back({"drop loss gemodel", ge});
  Fault st = make(ActionKind::kDrop);
  st.action.loss = LossModel{};
  st.action.loss->kind = LossModel::Kind::kState;
  st.action.loss->p13 = 0.02;
  st.action.loss->p31 = 0.4;
  st.action.loss->p32 = 0.1;
  st.action.loss->p23 = 0.3;
  st.action.loss->p14 = 0.01;
  v.push_back({"drop loss state", st});
  Fault fixed = make(ActionKind::kDelay);
  fixed.action.delay = std::chrono::milliseconds(50);
  v.push_back({"delay 50ms (fixed)", fixed});
  for (DelayDistribution d : {DelayDistribution::kUniform, DelayDistribution::kNormal,
                              DelayDistribution::kPareto, DelayDistribution::kParetoNormal}) {
    Fault j = fixed;
    j.action.jitter = std::chrono::milliseconds(30);
    j.action.distribution = d;
    v.push_back({std::string("delay 50ms jitter 30ms ") + DelayDistributionName(d), j});
  }
  Fault ro = fixed;
  ro.action.reorder = DelayReorder{0.25, 0, 1};
  v.push_back({"delay 50ms reorder 25%", ro});
  return v;
}

double RunEngine(const EngineCase& c, int n, const std::vector<std::vector<uint8_t>>& pkts) {
  EngineConfig cfg;
  cfg.hosts.push_back({"client", Addr("198.18.1.2"), Addr("2001:2:0:1::2")});
  cfg.hosts.push_back({"server", Addr("198.18.2.2"), Addr("2001:2:0:2::2")});
  if (c.fault) cfg.faults.push_back(*c.fault);
  cfg.seed = 1;
  FaultEngine e(cfg);
  std::vector<Effect> fx;
  fx.reserve(4096);
  return NsPer(
      [&] {
        for (int i = 0; i < n; ++i) {
          const auto& b = pkts[static_cast<size_t>(i) % pkts.size()];
          e.OnPacket(static_cast<uint32_t>(i + 1), b, int64_t{i} * 1000, &fx);
          if ((i & 1023) == 1023) {  // release what is due, as the wire's timer would
            e.OnTimer(int64_t{i} * 1000 + 1'000'000'000, &fx);
            fx.clear();
          }
        }
        e.OnStop(int64_t{n} * 1000 + 2'000'000'000, &fx);
      },
      n);
}

struct Stat {
  std::vector<double> v;
  void Print(const std::string& name, double anchor_median) {
    std::sort(v.begin(), v.end());
    const double med = v[v.size() / 2];
    std::printf("  %-42s %8.1f %8.1f %8.1f   x%.2f\n", name.c_str(), v.front(), med, v.back(),
                anchor_median > 0 ? med / anchor_median : 1.0);
  }
};

int Main(int argc, char** argv) {
  int rounds = 7, packets = 50000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--packets") == 0) packets = std::atoi(argv[i + 1]);
  }
  const auto models = ModelCases();
  const auto engines = EngineCases();
  std::vector<std::vector<uint8_t>> pkts;
  for (int i = 0; i < 64; ++i) {
    SegmentSpec s;
    s.src = Addr("198.18.1.2");
    s.dst = Addr("198.18.2.2");
    s.sport = 40000;
    s.dport = 8080;
    s.seq = 1000 + static_cast<uint32_t>(i) * 1448;
    s.ack = 5000;
    s.flags = 0x18;
    s.payload.assign(1448, 'x');
    pkts.push_back(BuildSegment(s));
  }
  std::vector<Stat> ms(models.size()), es(engines.size());
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < models.size(); ++i) ms[i].v.push_back(models[i].second(packets * 20));
    for (size_t i = 0; i < engines.size(); ++i) {
      es[i].v.push_back(RunEngine(engines[i], packets, pkts));
    }
  }
  std::printf("model: ns per decision, %d rounds of %d (min median max, median / anchor)\n", rounds,
              packets * 20);
  std::sort(ms[0].v.begin(), ms[0].v.end());
  const double m_anchor = ms[0].v[ms[0].v.size() / 2];
  for (size_t i = 0; i < models.size(); ++i) ms[i].Print(models[i].first, m_anchor);
  std::printf("engine: ns per packet through OnPacket, %d rounds of %d 1448-byte segments\n",
              rounds, packets);
  std::sort(es[1].v.begin(), es[1].v.end());
  const double e_anchor = es[1].v[es[1].v.size() / 2];
  for (size_t i = 0; i < engines.size(); ++i) es[i].Print(engines[i].name, e_anchor);
  return 0;
}

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) { return faultline::Main(argc, argv); }
