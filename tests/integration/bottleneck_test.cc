// do: bottleneck through a real lab: the achieved rate, the queue's drops
// and queueing delay (docs/performance.md, "Bottleneck"). Needs root; skips
// otherwise.
//
// The rate is measured on the wire's log, from the release times of the
// client's data segments (when the wire let them go) while the link is
// busy: the delivery to the receiver adds the lab's own (load-dependent)
// latency, the release times only the lateness of the wire's timer, which
// does not accumulate.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness/common/duration.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using BottleneckTest = CaseFixture;

std::string BulkCase(const std::string& rate, int64_t bytes, const std::string& queue) {
  // Reno: slow start until the first loss (CUBIC's HyStart may stop it
  // before the window outgrows a small queue, and leaves the link idle
  // more often).
  return fmt::format(R"(name: bulk
timeout: 60s
hosts:
  client: {{sysctl: {{net.ipv4.tcp_congestion_control: reno}}}}
  server:
faults:
  - match: {{from: client}}
    do: bottleneck
    rate: {}
    queue: {}
steps:
  - server: listen 8080
  - client: {{connect: "server:8080", as: c}}
  - server: {{accept: ls, as: s}}
  - client: {{send: c, size: {}, async: true, id: w, expect: {{bytes: {}}}}}
  - server: {{recv: s, size: {}, flags: [MSG_WAITALL], expect: {{bytes: {}}}}}
  - await: w
)",
                     rate, queue, bytes, bytes, bytes, bytes);
}

// What the log says about the client's data segments through fault 1.
struct Measured {
  // Wire bytes after the first segment / (last - first release): what the
  // receiver gets, idle time included.
  double rate_bps = 0;
  // 1 - idle / (last - first release), idle as the model's own times say:
  // a segment whose queueing delay is 0 arrived that long after the one
  // before it had left (its arrival + queueing delay + serialisation).
  // Arrival is when the wire read the packet: a wire that reads late (a
  // loaded machine) makes the link look idle although the packet waited in
  // the kernel's queue, so this share is a lower bound.
  double busy_share = 0;
  int drops = 0;
  int64_t max_queued_ns = 0;
  int segments = 0;
};

std::optional<int64_t> QueuedNs(const std::string& action) {
  const size_t at = action.find("queueing delay ");
  if (at == std::string::npos) return std::nullopt;
  std::string d = action.substr(at + 15);
  d = d.substr(0, d.find(')'));
  if (auto q = ParseDuration(d)) return q->count();
  return std::nullopt;
}

Measured Measure(const CaseResult& r, double rate_bps) {
  Measured m;
  int64_t first = -1, last = 0, bytes = 0, idle_ns = 0, prev_depart = -1;
  for (const PacketRecord& p : r.packets) {
    if (p.fault != 1 || p.from != "client" || p.fate == PacketFate::kDrop) {
      // The queue's tail drops (not what the end of the case drops).
      if (p.fault == 1 && p.from == "client" && p.action.rfind("bottleneck drop", 0) == 0) {
        ++m.drops;
      }
      continue;
    }
    const int64_t queued = QueuedNs(p.action).value_or(0);
    const int64_t depart = p.arrival_ns + queued +
                           static_cast<int64_t>(static_cast<double>(p.wire_len) * 8e9 / rate_bps);
    if (queued == 0 && prev_depart >= 0 && first >= 0) idle_ns += p.arrival_ns - prev_depart;
    prev_depart = depart;
    if (p.payload_len == 0) continue;  // pure ACKs share the link: counted in its time only
    m.max_queued_ns = std::max(m.max_queued_ns, queued);
    ++m.segments;
    if (first < 0) {
      first = p.release_ns;
    } else {
      bytes += p.wire_len;
    }
    last = std::max(last, p.release_ns);
  }
  const int64_t busy_ns = last - first - idle_ns;
  if (first >= 0 && last > first) {
    m.rate_bps = static_cast<double>(bytes) * 8e9 / static_cast<double>(last - first);
    m.busy_share = static_cast<double>(busy_ns) / static_cast<double>(last - first);
  }
  return m;
}

void ExpectRate(const CaseResult& r, double rate_bps, double below) {
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const Measured m = Measure(r, rate_bps);
  std::printf(
      "rate %.0f bit/s configured, %.0f measured (%+.2f %%), link busy %.1f %% of the time, %d "
      "segments, %d drops\n",
      rate_bps, m.rate_bps, 100 * (m.rate_bps / rate_bps - 1), 100 * m.busy_share, m.segments,
      m.drops);
  // Never faster than the link; slower only by the time it was idle: the
  // sender or the wire's thread late on a loaded machine (or in a sanitizer
  // build: an ASan run measured -13 % with the link busy 84 % of the time),
  // not the link's own pace, which is what `below` bounds. The link must
  // still have been busy most of the time for the check to say anything.
  EXPECT_LE(m.rate_bps, rate_bps * 1.03);
  EXPECT_GE(m.busy_share, 0.5);
  EXPECT_GE(m.rate_bps, rate_bps * m.busy_share * (1 - below));
}

// A queue big enough never to overflow: the link stays busy from the first
// flight on, so the data leaves at the configured rate.
TEST_F(BottleneckTest, BulkTransferAchievesTenMbit) {
  ExpectRate(Run(BulkCase("10mbit", 4'000'000, "100000")), 10e6, 0.03);
}

// At 100 Mbit/s (8,300 segments a second) a loaded machine leaves the link
// idle now and then: the sender, or the wire reading the kernel's queue
// late. Measured -2 %..-3 % at load 14 on 2 cores, so the lower bound here
// is 8 %, not the issue's 3 % (docs/performance.md, "Bottleneck").
TEST_F(BottleneckTest, BulkTransferAchievesHundredMbit) {
  ExpectRate(Run(BulkCase("100mbit", 8'000'000, "100000")), 100e6, 0.08);
}

// A queue of 20 packets: segments that find it full are dropped, and no
// segment waits longer than the 19 before it take (1.2 ms each for a
// 1500-byte segment at 10 Mbit/s).
TEST_F(BottleneckTest, SmallQueueDropsAndBoundsTheQueueingDelay) {
  const CaseResult r = Run(BulkCase("10mbit", 2'000'000, "20"));
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const Measured m = Measure(r, 10e6);
  std::printf("queue 20: %d drops, max queueing delay %s, %d segments\n", m.drops,
              FormatDuration(Duration(m.max_queued_ns)).c_str(), m.segments);
  EXPECT_GT(m.drops, 0);
  int64_t max_len = 0;
  for (const PacketRecord& p : r.packets) {
    if (p.fault == 1 && p.from == "client") max_len = std::max<int64_t>(max_len, p.wire_len);
  }
  const int64_t packet_ns = max_len * 8 * 100;  // at 10 Mbit/s: 800 ns a byte
  EXPECT_LE(m.max_queued_ns, 19 * packet_ns);
  EXPECT_GE(m.max_queued_ns, 17 * packet_ns);
  // The summary line counts the same drops.
  bool summary = false;
  for (const PacketRecord& p : r.packets) {
    if (p.action.rfind("bottleneck fault 1 client->server:", 0) == 0) {
      summary = true;
      EXPECT_NE(p.action.find(fmt::format(", {} drops,", m.drops)), std::string::npos) << p.action;
      EXPECT_NE(p.action.find("max queue 20 packets"), std::string::npos) << p.action;
    }
  }
  EXPECT_TRUE(summary);
}

}  // namespace
}  // namespace faultline
