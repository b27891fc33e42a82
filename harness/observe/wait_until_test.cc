#include "harness/observe/wait_until.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

// A fake clock and event source: Wait() jumps to the next scripted event
// (a packet) or to `until`, whichever is first.
class FakeSource : public WaitSource {
 public:
  explicit FakeSource(std::vector<int64_t> events) : events_(std::move(events)) {}
  int64_t Now() override { return now_; }
  void Wait(int64_t until) override {
    ++waits_;
    for (int64_t e : events_) {
      if (e > now_ && e < until) {
        now_ = e;
        return;
      }
    }
    now_ = until;
  }
  int64_t now_ = 0;
  int waits_ = 0;
  std::vector<int64_t> events_;
};

// A socket whose state is a function of the fake time.
struct Timeline {
  std::vector<std::pair<int64_t, std::string>> at;  // from time -> state
  std::string StateAt(int64_t t) const {
    std::string s = "gone";
    for (const auto& [from, st] : at) {
      if (t >= from) s = st;
    }
    return s;
  }
};

TEST(WaitUntil, HoldsAtOnceWithoutWaiting) {
  FakeSource src({});
  auto probe = [&]() -> StatusOr<Probe> { return Probe{true, "ESTABLISHED"}; };
  StatusOr<WaitResult> r = WaitUntil(probe, src, 1'000'000'000, 2'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->holds);
  EXPECT_EQ(r->probes, 1);
  EXPECT_EQ(src.waits_, 0);
}

TEST(WaitUntil, EventWakesBeforeThePollBoundAndRecordsEveryState) {
  // States change exactly at packet events 100us and 150us: a 2 ms poll
  // alone would have missed FIN_WAIT1 (it lasts 50us); the events catch it.
  Timeline tl{{{0, "ESTABLISHED"},
               {100'000, "FIN_WAIT1"},
               {150'000, "FIN_WAIT2"},
               {5'000'000, "TIME_WAIT"}}};
  FakeSource src({100'000, 150'000});
  auto probe = [&]() -> StatusOr<Probe> {
    std::string s = tl.StateAt(src.Now());
    return Probe{s == "TIME_WAIT", s};
  };
  StatusOr<WaitResult> r = WaitUntil(probe, src, 2'000'000'000, 2'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->holds);
  EXPECT_EQ(JoinSeen(r->seen), "ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT");
  // 5 ms of timer-driven change found by the 2 ms fallback: at most 6.1 ms.
  EXPECT_GE(r->waited_ns, 5'000'000);
  EXPECT_LE(r->waited_ns, 6'150'000);
}

TEST(WaitUntil, TimesOutWithTheLastStateAndProbesAtTheDeadline) {
  Timeline tl{{{0, "ESTABLISHED"}, {100'000, "FIN_WAIT2"}}};
  FakeSource src({100'000});
  auto probe = [&]() -> StatusOr<Probe> {
    std::string s = tl.StateAt(src.Now());
    return Probe{s == "TIME_WAIT", s};
  };
  StatusOr<WaitResult> r = WaitUntil(probe, src, 10'000'000, 2'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->holds);
  EXPECT_EQ(r->last, "FIN_WAIT2");
  EXPECT_EQ(JoinSeen(r->seen), "ESTABLISHED, FIN_WAIT2");
  EXPECT_EQ(src.Now(), 10'000'000);  // the last probe is at the deadline
}

TEST(WaitUntil, NoWithinMeansOneProbe) {
  FakeSource src({});
  auto probe = [&]() -> StatusOr<Probe> { return Probe{false, "SYN_SENT"}; };
  StatusOr<WaitResult> r = WaitUntil(probe, src, 0, 2'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->holds);
  EXPECT_EQ(r->probes, 1);
}

TEST(WaitUntil, ProbeErrorEndsTheWait) {
  FakeSource src({});
  auto probe = [&]() -> StatusOr<Probe> { return Status::Invalid("2 sockets match"); };
  StatusOr<WaitResult> r = WaitUntil(probe, src, 1'000'000, 2'000'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "2 sockets match");
}

}  // namespace
}  // namespace faultline
