// The wire's hot path allocates nothing per packet: FaultEngine::OnPacket
// of a forwarded packet (no fault, or faults that do not match it) and of a
// delayed one takes no heap memory besides the packet log's amortised
// growth. Counted by replacing the global operator new in this test
// program (the counter only counts while a test asks it to, on its thread).
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "harness/packet/packet_craft.h"
#include "harness/packet/packet_view.h"
#include "injectors/fault_engine.h"
#include "injectors/testing_segments.h"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocs = 0;
}  // namespace

// The replacements pair malloc with free; GCC cannot see that through
// inlining and warns.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(size_t n) {
  if (g_counting) ++g_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocs;
  return std::malloc(n == 0 ? 1 : n);
}
// The array forms and the nothrow forms (std::stable_sort's temporary
// buffer) pair with the same free, so no allocation mixes allocators.
void* operator new[](size_t n) { return operator new(n); }
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace faultline {
namespace {

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

std::vector<uint8_t> Seg(bool from_client, uint8_t flags, uint32_t rel_seq, uint32_t rel_ack,
                         const std::string& payload = "") {
  TestSegmentOptions o;
  o.options = {TcpOption::Timestamp(1, 2)};
  return TestSegment(from_client, flags, rel_seq, rel_ack, payload, o);
}

// Feeds a handshake and then `n` data segments with their ACKs (headers
// only, as the headers-only queue hands them over); returns how many
// allocations the data packets took.
size_t AllocsForBulk(std::vector<Fault> faults, int n) {
  EngineConfig c;
  c.hosts.push_back({"client", Addr("198.18.1.2"), Addr("2001:2:0:1::2")});
  c.hosts.push_back({"server", Addr("198.18.2.2"), Addr("2001:2:0:2::2")});
  for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
  c.faults = std::move(faults);
  FaultEngine engine(c);
  std::vector<Effect> fx;
  fx.reserve(16);
  uint32_t id = 0;
  int64_t t = 0;
  for (const auto& p :
       {Seg(true, kTcpSyn, 0, 0), Seg(false, kTcpSyn | kTcpAck, 0, 1), Seg(true, kTcpAck, 1, 1)}) {
    engine.OnPacket(++id, p, t, &fx);
    fx.clear();
  }
  // The packets, made before counting (the queue's buffer in the product).
  std::vector<std::vector<uint8_t>> data, acks;
  for (int i = 0; i < n; ++i) {
    const uint32_t off = 1 + static_cast<uint32_t>(i) * 1448;
    data.push_back(Seg(true, kTcpAck, off, 1, std::string(1448, 'x')));
    acks.push_back(Seg(false, kTcpAck, 1, off + 1448));
  }
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < n; ++i) {
    const std::span<const uint8_t> d = std::span<const uint8_t>(data[i]).first(256);
    engine.OnPacket(++id, d, t, &fx, data[i].size());
    engine.OnPacket(++id, acks[i], t, &fx);
    t += 1000;
    fx.clear();
  }
  g_counting = false;
  return g_allocs;
}

// The log grows by doubling: ~log2(2n) allocations for 2n records.
constexpr int kPackets = 2000;
constexpr size_t kLogGrowth = 16;

TEST(FaultEngineAllocations, APassedPacketAllocatesNothing) {
  EXPECT_LE(AllocsForBulk({}, kPackets), kLogGrowth);
}

TEST(FaultEngineAllocations, FaultsThatDoNotMatchAllocateNothing) {
  Fault drop_syn;
  drop_syn.match.from = "client";
  drop_syn.match.tcp = {TcpClass::kSyn};
  drop_syn.match.nth = 5;
  drop_syn.action.kind = ActionKind::kDrop;
  Fault drop_rst;
  drop_rst.match.tcp = {TcpClass::kRst};
  drop_rst.action.kind = ActionKind::kDrop;
  EXPECT_LE(AllocsForBulk({drop_syn, drop_rst}, kPackets), kLogGrowth);
}

}  // namespace
}  // namespace faultline
