// Limits: a case that moves a lot of packets or bytes ends with a clear
// result within its timeout, other labs keep running meanwhile, and the
// runner's memory stays bounded (the packet log keeps its first
// FaultEngine::kMaxLogRecords records and says how many it left out). The
// figures printed here are the ones in docs/performance.md ("Limits").
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "injectors/fault_engine.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

// kB from a /proc/self/status line ("VmHWM:  123 kB"); -1 if absent.
long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  }
  return -1;
}

// Resets VmHWM to the current RSS (proc(5), clear_refs "5").
void ResetPeakRss() {
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "5", 1), 1);
  close(fd);
}

// A TCP transfer of `chunks` x 64 MiB from client to server, each chunk
// sent in one call (async) and read in 16 MiB calls, then end of stream.
std::string TransferCase(int chunks, const std::string& timeout) {
  std::string y = fmt::format(
      "name: big-transfer\ntimeout: {}\nsteps:\n"
      "  - server: listen 8080\n"
      "  - client: {{connect: \"server:8080\", as: c}}\n"
      "  - server: {{accept: ls, as: s}}\n",
      timeout);
  for (int i = 0; i < chunks; ++i) {
    y += fmt::format(
        "  - client: {{send: c, size: 67108864, async: true, id: w{0}, expect: {{bytes: "
        "67108864}}}}\n",
        i);
    for (int r = 0; r < 4; ++r) {
      y += "  - server: {recv: s, size: 16777216, flags: [MSG_WAITALL], expect: {bytes: "
           "16777216}}\n";
    }
    y += fmt::format("  - await: w{}\n", i);
  }
  y += "  - client: {shutdown: c, how: wr}\n  - server: {recv: s, expect: {ret: 0}}\n";
  return y;
}

constexpr const char* kQuickCase =
    "name: quick\nsteps:\n"
    "  - server: listen 8080\n"
    "  - client: {connect: \"server:8080\", as: c}\n"
    "  - server: {accept: ls, as: s}\n"
    "  - client: {send: c, data: hello}\n"
    "  - server: {recv: s, expect: {data: hello}}\n";

class LimitsTest : public CaseFixture {
 protected:
  // Runs the big case; for as long as it runs, short cases run one after
  // another in labs of their own, to show the runner still serves other
  // labs. *quick_s: the slowest of them. Returns the big case's result.
  CaseResult RunWithNeighbour(const std::string& yaml, double* quick_s) {
    StatusOr<Case> quick = LoadCaseText(kQuickCase, "quick.yaml");
    EXPECT_TRUE(quick.ok());
    ResetPeakRss();
    const long base_kb = StatusKb("VmRSS:");
    CaseResult big;
    std::atomic<bool> done{false};
    int quick_runs = 0, quick_failed = 0;
    int64_t slowest_ns = 0;
    std::thread neighbour([&] {
      while (!done.load()) {
        CaseResult q = RunCaseVariant(*quick, Family::kIPv4, options_);
        ++quick_runs;
        if (q.outcome != Outcome::kPass) ++quick_failed;
        slowest_ns = std::max(slowest_ns, q.duration_ns);
      }
    });
    big = Run(yaml);
    done.store(true);
    neighbour.join();
    const long peak_kb = StatusKb("VmHWM:");
    EXPECT_GE(quick_runs, 1);
    EXPECT_EQ(quick_failed, 0) << "of " << quick_runs << " neighbouring cases";
    *quick_s = static_cast<double>(slowest_ns) / 1e9;
    peak_growth_mb_ = static_cast<double>(peak_kb - base_kb) / 1024.0;
    std::printf("%d neighbouring cases ran meanwhile\n", quick_runs);
    return big;
  }
  double peak_growth_mb_ = 0;
};

// ~150,000 packets (three 64 MiB chunks: ~139,000 segments, plus ACKs): more
// than the packet log keeps.
TEST_F(LimitsTest, HundredThousandPacketsKeepTheLogBounded) {
  double quick_s = 0;
  CaseResult r = RunWithNeighbour(TransferCase(3, "120s"), &quick_s);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.packets.size(), FaultEngine::kMaxLogRecords + 1);
  EXPECT_NE(r.packets.back().action.find("not logged"), std::string::npos)
      << r.packets.back().action;
  const double took = static_cast<double>(r.duration_ns) / 1e9;
  std::printf("192 MiB, %s: %.1f s; slowest neighbour %.2f s; runner peak RSS growth %.0f MB\n",
              r.packets.back().action.c_str(), took, quick_s, peak_growth_mb_);
  EXPECT_LT(quick_s, 10.0) << "a neighbouring lab was starved";
  EXPECT_LT(peak_growth_mb_, 250.0);
}

// 1 GiB through the wire, offloads off (~1.1 million packets).
TEST_F(LimitsTest, OneGibTransferEndsWithinItsTimeoutInBoundedMemory) {
  double quick_s = 0;
  CaseResult r = RunWithNeighbour(TransferCase(16, "240s"), &quick_s);
  const double took = static_cast<double>(r.duration_ns) / 1e9;
  std::printf(
      "1 GiB: %s in %.1f s; %zu log records (%s); slowest neighbour %.2f s; peak RSS growth "
      "%.0f MB\n",
      OutcomeName(r.outcome), took, r.packets.size(),
      r.packets.empty() ? "" : r.packets.back().action.c_str(), quick_s, peak_growth_mb_);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_LT(took, 240.0);
  EXPECT_EQ(r.packets.size(), FaultEngine::kMaxLogRecords + 1);
  EXPECT_LT(quick_s, 10.0) << "a neighbouring lab was starved";
  EXPECT_LT(peak_growth_mb_, 250.0);
}

}  // namespace
}  // namespace faultline
