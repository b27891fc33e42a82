#include "harness/runner/history_check.h"

#include <gtest/gtest.h>
#include <netinet/tcp.h>

namespace faultline {
namespace {

StateTransition T(int64_t at, int from, int to, uint64_t sk = 1) {
  StateTransition t;
  t.at_ns = at;
  t.sk = sk;
  t.lport = 40000;
  t.rport = 8080;
  t.old_state = from;
  t.new_state = to;
  return t;
}

// A simultaneous close as the fake history recorded it.
const std::vector<StateTransition> kSimultaneous = {
    T(10, TCP_CLOSE, TCP_SYN_SENT),        T(11, TCP_SYN_SENT, TCP_ESTABLISHED),
    T(20, TCP_ESTABLISHED, TCP_FIN_WAIT1), T(30, TCP_FIN_WAIT1, TCP_CLOSING),
    T(40, TCP_CLOSING, TCP_TIME_WAIT),
};

TEST(HistoryCheck, ThroughInOrderWithOthersBetween) {
  Probe p = ThroughProbe({kSimultaneous}, {"FIN_WAIT1", "CLOSING", "TIME_WAIT"}, 0, "TIME_WAIT");
  EXPECT_TRUE(p.holds);
  EXPECT_EQ(p.value, "SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> CLOSING -> TIME_WAIT");
  EXPECT_TRUE(ThroughProbe({kSimultaneous}, {"SYN_SENT", "TIME_WAIT"}, 0, "").holds);
  // Order matters.
  EXPECT_FALSE(ThroughProbe({kSimultaneous}, {"CLOSING", "FIN_WAIT1"}, 0, "").holds);
}

TEST(HistoryCheck, ThroughFailureMessageWordForWord) {
  const std::vector<StateTransition> active = {
      T(10, TCP_CLOSE, TCP_SYN_SENT),
      T(11, TCP_SYN_SENT, TCP_ESTABLISHED),
      T(20, TCP_ESTABLISHED, TCP_FIN_WAIT1),
      T(30, TCP_FIN_WAIT1, TCP_FIN_WAIT2),
  };
  // The time-wait socket's TIME_WAIT has no tracepoint: sock_diag's "now" completes the path.
  Probe p = ThroughProbe({active}, {"FIN_WAIT1", "CLOSING", "TIME_WAIT"}, 0, "TIME_WAIT");
  EXPECT_FALSE(p.holds);
  EXPECT_EQ(ThroughMessage({"FIN_WAIT1", "CLOSING", "TIME_WAIT"}, p.value),
            "expected state path FIN_WAIT1 -> CLOSING -> TIME_WAIT vs actual SYN_SENT -> "
            "ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT");
  EXPECT_EQ(ThroughProbe({}, {"CLOSING"}, 0, "").value, "no recorded transitions");
}

// since: LABEL -- only what came from that step's start, beginning with the
// state the socket was in then.
TEST(HistoryCheck, ThroughSince) {
  EXPECT_EQ(ThroughProbe({kSimultaneous}, {"CLOSING"}, 25, "").value,
            "FIN_WAIT1 -> CLOSING -> TIME_WAIT");
  EXPECT_FALSE(ThroughProbe({kSimultaneous}, {"ESTABLISHED", "CLOSING"}, 25, "").holds);
  EXPECT_TRUE(ThroughProbe({kSimultaneous}, {"FIN_WAIT1", "CLOSING"}, 25, "").holds);
  EXPECT_EQ(ThroughProbe({kSimultaneous}, {"CLOSING"}, 50, "").value, "TIME_WAIT");
}

// Any socket of a {port:} selector may hold.
TEST(HistoryCheck, ThroughAnySocket) {
  std::vector<StateTransition> other = {T(5, TCP_CLOSE, TCP_SYN_SENT, 2),
                                        T(6, TCP_SYN_SENT, TCP_CLOSE, 2)};
  Probe p = ThroughProbe({other, kSimultaneous}, {"CLOSING"}, 0, "");
  EXPECT_TRUE(p.holds);
  EXPECT_EQ(p.value,
            "SYN_SENT -> CLOSE | SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> CLOSING -> TIME_WAIT");
}

// is: X within D -- any instant of the window; a late check still sees a
// transient CLOSING.
TEST(HistoryCheck, SeenInWindow) {
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"CLOSING"}, 15, 100), "CLOSING");
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"CLOSING"}, 35, 35), "CLOSING");
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"CLOSING"}, 40, 100), "");  // left before the window
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"CLOSING"}, 0, 29), "");    // came after it
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"LISTEN", "FIN_WAIT1"}, 0, 100), "FIN_WAIT1");
  EXPECT_EQ(SeenInWindow({kSimultaneous}, {"gone"}, 0, 100), "");
}

TEST(HistoryCheck, PassesThrough) {
  EXPECT_TRUE(PassesThrough({"A", "B", "C"}, {"A", "C"}));
  EXPECT_FALSE(PassesThrough({"A", "B"}, {"B", "A"}));
  EXPECT_TRUE(PassesThrough({"A"}, {}));
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// took: the recorded transition into the state, from the step's start.
TEST(HistoryCheck, EnteredAtIsTheTransitionsTime) {
  EXPECT_EQ(EnteredAt({kSimultaneous}, {"TIME_WAIT"}, 25, 100), std::optional<int64_t>(40));
  EXPECT_EQ(EnteredAt({kSimultaneous}, {"CLOSING", "TIME_WAIT"}, 25, 100),
            std::optional<int64_t>(30));
  // In the state at the step's start: it held at once.
  EXPECT_EQ(EnteredAt({kSimultaneous}, {"ESTABLISHED"}, 15, 100), std::optional<int64_t>(15));
  // Left before the window, or entered after it: not seen.
  EXPECT_EQ(EnteredAt({kSimultaneous}, {"ESTABLISHED"}, 25, 100), std::nullopt);
  EXPECT_EQ(EnteredAt({kSimultaneous}, {"TIME_WAIT"}, 0, 35), std::nullopt);
  EXPECT_EQ(EnteredAt({}, {"TIME_WAIT"}, 0, 35), std::nullopt);
}

// stays: the first transition out of the listed states in the window.
TEST(HistoryCheck, LeftAtIsTheFirstTransitionOut) {
  std::optional<StateTransition> l = LeftAt({kSimultaneous}, {"ESTABLISHED"}, 11, 100);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->at_ns, 20);
  EXPECT_EQ(TcpStateName(l->new_state), "FIN_WAIT1");
  // Moving between listed states is staying.
  l = LeftAt({kSimultaneous}, {"ESTABLISHED", "FIN_WAIT1", "CLOSING"}, 11, 100);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->at_ns, 40);
  EXPECT_EQ(LeftAt({kSimultaneous}, {"ESTABLISHED"}, 11, 19), std::nullopt);
  EXPECT_EQ(LeftAt({kSimultaneous}, {"TIME_WAIT"}, 40, 100), std::nullopt);
}

}  // namespace
}  // namespace faultline
