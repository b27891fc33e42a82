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
  return fmt::format(R"(name: bulk
timeout: 60s
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
  // Over the link's busy periods (a segment that found the link idle, its
  // queueing delay 0, starts one): wire bytes after a period's first
  // segment / (its last - its first release). Idle time (the sender had
  // nothing queued: slow start, a loaded sender) is not the link's rate.
  double rate_bps = 0;
  double busy_share = 0;  // busy time / first to last release
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

Measured Measure(const CaseResult& r) {
  Measured m;
  int64_t first = -1, last = 0, bytes = 0, busy_ns = 0, start = -1, prev = -1;
  for (const PacketRecord& p : r.packets) {
    if (p.fault != 1 || p.from != "client" || p.payload_len == 0) continue;
    if (p.fate == PacketFate::kDrop) {
      ++m.drops;
      continue;
    }
    const int64_t queued = QueuedNs(p.action).value_or(0);
    m.max_queued_ns = std::max(m.max_queued_ns, queued);
    ++m.segments;
    if (first < 0) first = p.release_ns;
    last = std::max(last, p.release_ns);
    if (queued == 0 || start < 0) {  // a new busy period
      if (start >= 0) busy_ns += prev - start;
      start = p.release_ns;
    } else {
      bytes += p.wire_len;
    }
    prev = p.release_ns;
  }
  if (start >= 0) busy_ns += prev - start;
  if (busy_ns > 0) m.rate_bps = static_cast<double>(bytes) * 8e9 / static_cast<double>(busy_ns);
  if (last > first) m.busy_share = static_cast<double>(busy_ns) / static_cast<double>(last - first);
  return m;
}

void ExpectRate(const CaseResult& r, double rate_bps) {
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const Measured m = Measure(r);
  std::printf(
      "rate %.0f bit/s configured, %.0f measured (%+.2f %%), link busy %.1f %% of the time, %d "
      "segments, %d drops\n",
      rate_bps, m.rate_bps, 100 * (m.rate_bps / rate_bps - 1), 100 * m.busy_share, m.segments,
      m.drops);
  EXPECT_NEAR(m.rate_bps, rate_bps, rate_bps * 0.03);
}

// A queue big enough never to overflow: the link stays busy from the first
// flight on, so the data leaves at the configured rate.
TEST_F(BottleneckTest, BulkTransferAchievesTenMbit) {
  ExpectRate(Run(BulkCase("10mbit", 4'000'000, "100000")), 10e6);
}

TEST_F(BottleneckTest, BulkTransferAchievesHundredMbit) {
  ExpectRate(Run(BulkCase("100mbit", 8'000'000, "100000")), 100e6);
}

// A queue of 20 packets: segments that find it full are dropped, and no
// segment waits longer than the 19 before it take (1.2 ms each for a
// 1500-byte segment at 10 Mbit/s).
TEST_F(BottleneckTest, SmallQueueDropsAndBoundsTheQueueingDelay) {
  const CaseResult r = Run(BulkCase("10mbit", 2'000'000, "20"));
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const Measured m = Measure(r);
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
