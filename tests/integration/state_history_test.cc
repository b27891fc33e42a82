// The socket state history end to end (harness/observe/state_trace.h): a
// transient state seen by a check that runs after it is over, the failure
// message of `through:`, and two labs with the same addresses at once each
// getting only its own transitions. Needs root (and BPF; skips without).
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/observe/state_trace.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;

class StateHistoryTest : public CaseFixture {
 protected:
  void SetUp() override {
    CaseFixture::SetUp();
    if (IsSkipped()) return;
    Status st = StateTracer::Global().Start();
    if (!st.ok()) GTEST_SKIP() << "no socket state history here: " << st.message();
  }
};

// The wire holds the client's FIN until `release`: the server's FIN crosses
// it and the client goes FIN_WAIT1 -> CLOSING -> TIME_WAIT. The `through:`
// check runs when the client is already in TIME_WAIT.
constexpr const char* kSimultaneous = R"(name: sim
faults:
  - match: {from: client, tcp: FIN}
    do: hold
    until: {step: release}
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: close c
  - client: {state: c, is: FIN_WAIT1}
  - server: close s
  - client: {state: c, is: CLOSING, within: 1s}
  - label: release
    client: {state: c, is: TIME_WAIT, within: 2s}
  - client: {state: c, through: [FIN_WAIT1, CLOSING, TIME_WAIT]}
  - client: {state: c, through: [CLOSING, TIME_WAIT], since: release}
  - server: {state: s, through: [ESTABLISHED, FIN_WAIT1, TIME_WAIT]}
)";

TEST_F(StateHistoryTest, SimultaneousCloseSeenThroughAfterTheFact) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(kSimultaneous, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    EXPECT_TRUE(r.notes.empty());
    bool closing = false;
    for (const TransitionRecord& t : r.transitions) {
      closing |= t.host == "client" && t.from == "FIN_WAIT1" && t.to == "CLOSING";
    }
    EXPECT_TRUE(closing) << FamilyName(f);
  }
}

TEST_F(StateHistoryTest, ThroughFailureNamesTheActualPath) {
  CaseResult r = Run(R"(name: t
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: close c
  - server: {state: s, is: CLOSE_WAIT, within: 1s}
  - server: close s
  - client: {state: c, is: TIME_WAIT, within: 2s}
  - client: {state: c, through: [FIN_WAIT1, CLOSING, TIME_WAIT]}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:10:5: step 8 (client: state c through FIN_WAIT1 -> CLOSING -> TIME_WAIT): "
            "expected state path FIN_WAIT1 -> CLOSING -> TIME_WAIT vs actual SYN_SENT -> "
            "ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT");
}

// `timing:` with state events: placed from the history before the check
// (the check runs before teardown), the whole history recorded once in the
// result. A state never entered: the failure shows the socket's path.
TEST_F(StateHistoryTest, TimingStateEvents) {
  CaseResult r = Run(R"(name: t
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: close c
  - server: {state: s, is: CLOSE_WAIT, within: 1s}
  - server: close s
  - client: {state: c, is: TIME_WAIT, within: 2s}
  - server: {state: s, is: gone, within: 1s}
timing:
  - from: {packet: {from: client, tcp: ACK}, nth: 2, at: received}
    to: {state: CLOSE, host: server, port: 8080}
    took: "<= 1s"
  - from: {packet: {from: client, tcp: FIN}}
    to: {state: CLOSING, host: client, port: 8080}
    took: "<= 1s"
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  // The path ends in FIN_WAIT2 or TIME_WAIT (whether the server's FIN came
  // with the ACK of the client's or after it).
  EXPECT_THAT(r.message,
              ::testing::StartsWith(
                  "t.yaml:15:5: timing 2: expected <= 1s from the 1st client > any tcp FIN "
                  "(sent) to client (port 8080) entering CLOSING vs actual: client (port 8080) "
                  "never entered CLOSING (transitions: CLOSE -> SYN_SENT -> ESTABLISHED -> "
                  "FIN_WAIT1 -> "));
  ASSERT_EQ(r.packet_checks.size(), 2u);
  EXPECT_TRUE(r.packet_checks[0].ok) << r.packet_checks[0].failure;
  std::set<std::tuple<int64_t, std::string, std::string, std::string>> distinct;
  bool listener_closed = false;  // at teardown, after the check: recorded too
  for (const TransitionRecord& t : r.transitions) {
    distinct.insert({t.at_ns, t.socket, t.from, t.to});
    listener_closed |= t.host == "server" && t.from == "LISTEN" && t.to == "CLOSE";
  }
  EXPECT_EQ(distinct.size(), r.transitions.size());
  EXPECT_TRUE(listener_closed);
}

TEST_F(StateHistoryTest, TwoLabsWithTheSameAddressesGetOnlyTheirOwn) {
  auto yaml = [](int port) {
    return "name: t" + std::to_string(port) + "\nsteps:\n  - server: listen " +
           std::to_string(port) + "\n  - client: {connect: \"server:" + std::to_string(port) +
           "\", as: c}\n  - server: {accept: ls, as: s}\n  - client: sleep 300ms\n"
           "  - client: close c\n  - client: {state: c, is: [FIN_WAIT2, TIME_WAIT], within: 1s}\n";
  };
  StatusOr<Case> a = LoadCaseText(yaml(8080), "a.yaml");
  StatusOr<Case> b = LoadCaseText(yaml(9090), "b.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  CaseResult ra, rb;
  std::thread ta([&] { ra = RunCaseVariant(*a, Family::kIPv4, options_); });
  std::thread tb([&] { rb = RunCaseVariant(*b, Family::kIPv4, options_); });
  ta.join();
  tb.join();
  ASSERT_EQ(ra.outcome, Outcome::kPass) << ra.message;
  ASSERT_EQ(rb.outcome, Outcome::kPass) << rb.message;
  auto only = [](const CaseResult& r, const std::string& mine, const std::string& other) {
    int own = 0;
    for (const TransitionRecord& t : r.transitions) {
      EXPECT_THAT(t.socket, ::testing::Not(HasSubstr(other))) << r.name;
      own += t.socket.find(mine) != std::string::npos;
    }
    EXPECT_GE(own, 4) << r.name;  // LISTEN, SYN_SENT, ESTABLISHED x2, FIN_WAIT1, ...
  };
  only(ra, ":8080", ":9090");
  only(rb, ":9090", ":8080");
}

}  // namespace
}  // namespace faultline
