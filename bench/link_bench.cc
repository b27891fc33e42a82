// link_bench: what a bottleneck or slots fault costs per packet, in one
// process, no lab (no root needed).
//
//  - engine drop: FaultEngine::OnPacket with one `drop` fault matching every
//    packet (the anchor: parsing, connection tracking, logging, matching);
//  - engine bottleneck / engine slots: the same with `do: bottleneck` (100
//    Gbit/s, so the queue drains as the clock advances) or `do: slots`, plus
//    the OnTimer call that releases each packet;
//  - model bottleneck / model slots: BottleneckLink::Offer and
//    SlotLink::Offer alone (the decision without the engine).
//
// Packets: 1500-byte TCP segments of one connection, 1 us apart (made-up
// times). Usage: link_bench [--packets N] (default 1000000; the engine's log
// keeps the first 100,000 records, the rest are handled alike, unlogged).
// Results: docs/performance.md ("Bottleneck").
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness/packet/packet_craft.h"
#include "injectors/bottleneck.h"
#include "injectors/fault_engine.h"

namespace faultline {
namespace {

using Steady = std::chrono::steady_clock;

double NsSince(Steady::time_point t0, int n) {
  return std::chrono::duration<double, std::nano>(Steady::now() - t0).count() / n;
}

std::vector<uint8_t> Segment() {
  SegmentSpec s;
  IpAddr::Parse("198.18.1.2", &s.src);
  IpAddr::Parse("198.18.2.2", &s.dst);
  s.sport = 40000;
  s.dport = 8080;
  s.seq = 1000;
  s.ack = 5000;
  s.flags = kTcpAck;
  s.payload = std::string(1460, 'x');
  return BuildSegment(s);
}

double EngineNs(const FaultAction& action, int n) {
  EngineConfig c;
  IpAddr a4, b4, none;
  IpAddr::Parse("198.18.1.2", &a4);
  IpAddr::Parse("198.18.2.2", &b4);
  c.hosts.push_back({"client", a4, none});
  c.hosts.push_back({"server", b4, none});
  Fault f;
  f.index = 1;
  f.action = action;
  c.faults.push_back(f);
  FaultEngine engine(c);
  const std::vector<uint8_t> seg = Segment();
  std::vector<Effect> out;
  const auto t0 = Steady::now();
  for (int i = 0; i < n; ++i) {
    const int64_t now = int64_t{i} * 1000;
    engine.OnPacket(static_cast<uint32_t>(i), seg, now, &out);
    engine.OnTimer(now, &out);
    out.clear();
  }
  const double ns = NsSince(t0, n);
  engine.OnStop(int64_t{n} * 1000 + 1'000'000'000, &out);
  return ns;
}

template <typename Link>
double ModelNs(Link link, int n) {
  int64_t sink = 0;
  const auto t0 = Steady::now();
  for (int i = 0; i < n; ++i) sink += link.Offer(int64_t{i} * 1000, 1500).release_ns;
  const double ns = NsSince(t0, n);
  if (sink == 42) std::printf(" ");
  return ns;
}

int Main(int argc, char** argv) {
  int n = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--packets") == 0) n = std::atoi(argv[i + 1]);
  }
  FaultAction drop;
  drop.kind = ActionKind::kDrop;
  FaultAction bottleneck;
  bottleneck.kind = ActionKind::kBottleneck;
  bottleneck.rate_bps = 100'000'000'000;
  FaultAction slots;
  slots.kind = ActionKind::kSlots;
  slots.slot_lo = std::chrono::microseconds(50);
  slots.slot_hi = std::chrono::microseconds(150);
  slots.slot_packets = 100;
  std::printf("%d packets, ns per packet:\n", n);
  std::printf("  engine drop (anchor)  %8.1f\n", EngineNs(drop, n));
  std::printf("  engine bottleneck     %8.1f\n", EngineNs(bottleneck, n));
  std::printf("  engine slots          %8.1f\n", EngineNs(slots, n));
  std::printf("  model bottleneck      %8.1f\n",
              ModelNs(BottleneckLink(100'000'000'000, 0, QueueLimit{}, 0), n));
  std::printf("  model slots           %8.1f\n",
              ModelNs(SlotLink(50'000, 150'000, 100, 0, QueueLimit{}, 1), n));
  return 0;
}

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) { return faultline::Main(argc, argv); }
