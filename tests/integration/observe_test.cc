// Observations end to end: socket states through sock_diag, accept queue,
// tcp_info, counters, environment, requires and xfail. Needs root.
#include <unistd.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using ObserveTest = CaseFixture;

constexpr const char* kTimeWait = R"(name: tw
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {state: c, is: ESTABLISHED}
  - server: {state: client/c, is: ESTABLISHED}
  - client: close c
  - client: {state: c, is: [FIN_WAIT2, TIME_WAIT], within: 1s}
  - server: {state: s, is: CLOSE_WAIT, within: 1s}
  - server: close s
  - client: {state: c, is: TIME_WAIT, within: 1s}
  - server: {state: s, is: gone, within: 1s}
)";

TEST_F(ObserveTest, StatesOfAClosedConnectionOnBothFamilies) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(kTimeWait, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    // State changes are recorded for the reports.
    bool tw = false;
    for (const StateEvent& e : r.states) tw |= e.host == "client" && e.state == "TIME_WAIT";
    EXPECT_TRUE(tw);
  }
}

TEST_F(ObserveTest, TimeoutReportsTheStatesSeen) {
  CaseResult r = Run(R"(name: t
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: close c
  - client: {state: c, is: TIME_WAIT, within: 300ms}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, StartsWith("t.yaml:7:5: step 5 (client: state c is TIME_WAIT within "
                                    "300ms): expected state TIME_WAIT within 300ms vs actual "
                                    "FIN_WAIT2"));
  // The states seen are listed when there were several (FIN_WAIT1 may be
  // over before the first look on a loaded machine).
  EXPECT_THAT(r.message, HasSubstr("after 30"));
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_GE(r.steps[4].took_ns, 300'000'000);
  EXPECT_LE(r.steps[4].took_ns, 600'000'000);
}

TEST_F(ObserveTest, QueueAndTcpInfoMismatchesSayExpectedVsActual) {
  CaseResult r = Run(R"(name: t
steps:
  - server: {listen: 8080, backlog: 4}
  - client: {connect: "server:8080", as: c}
  - server: {queue: ls, expect: {queued: 1, backlog: 4}, within: 1s}
  - client: {tcp_info: c, expect: {unacked: 0, retransmits: 0, rto: [200ms, 1s], recv_q: 0}}
  - server: {queue: ls, expect: {queued: ">= 2"}}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:7:5: step 5 (server: queue ls): expected queue queued >= 2 vs "
            "actual queued 1");
}

TEST_F(ObserveTest, UnknownAddressIsAHarnessError) {
  CaseResult r = Run(R"(name: t
steps:
  - client: {socket: tcp, as: c}
  - client: {state: c, is: CLOSE}
)");
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_THAT(r.message, HasSubstr("no address is known for socket 'c' on host 'client'"));
}

TEST_F(ObserveTest, CountersDeltasAndEnvironment) {
  CaseResult r = Run(R"(name: t
hosts:
  client:
  server: {sysctl: {net.ipv4.tcp_fin_timeout: 7}}
counters:
  server: {PassiveOpens: 1, Tcp.ActiveOpens: 0}
  client: {ActiveOpens: "== 1", ListenOverflows: 0}
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  int checked = 0;
  for (const CounterDelta& d : r.counters) checked += d.checked ? 1 : 0;
  EXPECT_EQ(checked, 4);
  EXPECT_FALSE(r.environment.kernel.empty());
  EXPECT_FALSE(r.environment.congestion_available.empty());
  ASSERT_EQ(r.environment.hosts.size(), 2u);
  const auto& sys = r.environment.hosts[1].sysctls;
  ASSERT_FALSE(sys.empty());
  EXPECT_EQ(sys.front(), (std::pair<std::string, std::string>{"net.ipv4.tcp_fin_timeout", "7"}));

  r = Run(R"(name: t
counters:
  server: {NoSuchCounterHere: 0}
steps:
  - server: listen 8080
)");
  // A name far from the shipped list passes the load (known_names.h); the
  // lab's /proc/net decides, located at the counter only.
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            "t.yaml:3:12: counters: host 'server': no counter 'NoSuchCounterHere' in "
            "/proc/net/netstat, snmp or snmp6 on this kernel");
  EXPECT_EQ(r.message_loc.line, 3);
  EXPECT_EQ(r.message_loc.column, 12);
  r = Run(R"(name: t
counters:
  server: {PassiveOpens: ">= 1"}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:12: counters: server PassiveOpens: expected delta >= 1 vs "
            "actual 0 (Tcp.PassiveOpens)");
}

// Family-neutral names resolve to the variant's family's counter, and the
// message names the kernel's counter.
TEST_F(ObserveTest, FamilyNeutralCounters) {
  const std::string yaml = R"(name: t
counters:
  server: {Udp*.NoPorts: 1, Udp*.InDatagrams: 0}
  client: {Udp*.OutDatagrams: 1}
steps:
  - client: {socket: udp, as: c}
  - client: {sendto: c, to: "server:5999", data: "x", expect: {bytes: 1}}
  - server: {counters: {Udp*.NoPorts: 1}, within: 2s}
)";
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(yaml, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    bool seen = false;
    for (const CounterDelta& d : r.counters) {
      if (d.checked && d.host == "server" && d.delta == 1) {
        EXPECT_EQ(d.name, f == Family::kIPv4 ? "Udp.NoPorts" : "Udp6NoPorts");
        seen = true;
      }
    }
    EXPECT_TRUE(seen) << FamilyName(f);
  }
  CaseResult r = Run(R"(name: t
counters:
  server: {Udp*.NoPorts: 2}
steps:
  - server: listen 8080
)",
                     Family::kIPv6);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:12: counters: server Udp*.NoPorts: expected delta 2 vs actual 0 "
            "(Udp6NoPorts)");
}

// A counters step: the deltas from the start of a labelled step, waited for.
TEST_F(ObserveTest, CountersBetweenSteps) {
  CaseResult r = Run(R"(name: t
timeout: 15s
steps:
  - server: {listen: 8080, backlog: 0}
  - client: {connect: "server:8080", as: c1}
  - server: {queue: ls, expect: {queued: 1}, within: 2s}
  - server: {counters: {ListenOverflows: 0, PassiveOpens: 1}}
  - client: {connect: "server:8080", as: c2, async: true}
    label: second
  - server: {counters: {ListenOverflows: ">= 1", PassiveOpens: 0}, since: second, within: 3s}
  - server: {accept: ls, as: a1}
  - await: c2
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  // Not met within the bound: the message names the deltas and the time.
  r = Run(R"(name: t
steps:
  - server: listen 8080
    label: up
  - client: {connect: "server:8080", as: c}
  - server: {counters: {ListenOverflows: ">= 1", PassiveOpens: 1}, since: up, within: 200ms}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message,
              HasSubstr("expected counters ListenOverflows delta >= 1, PassiveOpens delta 1 "
                        "since up within 200ms vs actual ListenOverflows 0 "
                        "(TcpExt.ListenOverflows), PassiveOpens 1 (Tcp.PassiveOpens), after "));
  // The snapshot is the labelled step's start: the connection made before
  // it is not counted.
  r = Run(R"(name: t
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: close c
    label: later
  - server: {counters: {PassiveOpens: 0}, since: later}
  - server: {counters: {PassiveOpens: 1}}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

// stays: fails at the recorded transition out of the state, with its time;
// took: the transition's time from the step's start.
TEST_F(ObserveTest, StaysAndTook) {
  CaseResult r = Run(R"(name: t
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {state: c, is: ESTABLISHED, stays: 150ms}
  - client: {state: c, is: ESTABLISHED, within: 1s, took: "<= 50ms"}
)");
  if (r.outcome == Outcome::kSkip) GTEST_SKIP() << r.message;  // no state history here
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_GE(r.steps.size(), 4u);
  EXPECT_GE(r.steps[3].took_ns, 150'000'000);  // the step lasts `stays`
  // The SYN-ACK is delayed 300 ms: the client leaves SYN_SENT for
  // ESTABLISHED during its `stays` (the step ends then, not after 5s).
  r = Run(R"(name: t
faults:
  - match: {from: server, tcp: SYN-ACK}
    do: delay
    delay: 300ms
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, async: true}
  - client: {state: c, is: SYN_SENT, within: 1s}
  - client: {state: c, is: SYN_SENT, stays: 5s}
  - await: c
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("expected state SYN_SENT to stay for 5s vs actual left at +"));
  EXPECT_THAT(r.message, HasSubstr("ms to ESTABLISHED"));
  ASSERT_GE(r.steps.size(), 4u);
  EXPECT_LT(r.steps[3].took_ns, 2'000'000'000);
  // took out of its range: the message gives the time.
  r = Run(R"(name: t
faults:
  - match: {from: server, tcp: SYN-ACK}
    do: delay
    delay: 300ms
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, async: true}
  - client: {state: c, is: ESTABLISHED, within: 2s, took: "<= 100ms"}
  - await: c
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  // The last look may have come just before the transition that the
  // history recorded ("actual SYN_SENT (history: ESTABLISHED ...)", seen
  // in CI under load): the state's text is not fixed; the verdict and
  // that the time is given are.
  EXPECT_THAT(r.message,
              HasSubstr("expected state ESTABLISHED within 2s took <= 100ms vs actual "));
  EXPECT_THAT(r.message, HasSubstr(", took "));
}

// stays with within (a load error before): the wait for the state, then
// `stays` from the recorded transition into it.
TEST_F(ObserveTest, StaysAfterWithin) {
  CaseResult r = Run(R"(name: t
faults:
  - match: {from: server, tcp: SYN-ACK}
    do: delay
    delay: 300ms
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, async: true}
  - client: {state: c, is: ESTABLISHED, within: 3s, stays: 200ms}
  - await: c
)");
  if (r.outcome == Outcome::kSkip) GTEST_SKIP() << r.message;  // no state history here
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_GE(r.steps.size(), 3u);
  // Reached after the delayed SYN-ACK, then 200 ms more.
  EXPECT_GE(r.steps[2].took_ns, 200'000'000);
  EXPECT_LT(r.steps[2].took_ns, 3'000'000'000);
  // Not reached within: fails as a within step does, without the stay.
  r = Run(R"(name: t
faults:
  - match: {from: server, tcp: SYN-ACK}
    do: delay
    delay: 1s
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, async: true}
  - client: {state: c, is: SYN_SENT, within: 3s}
  - client: {state: c, is: ESTABLISHED, within: 100ms, stays: 5s}
  - await: c
)");
  // The socket is seen in SYN_SENT first (an async connect may not have made
  // it by the first look on a busy machine: the text would then list "gone").
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("expected state ESTABLISHED within 100ms to stay for 5s vs "
                                   "actual SYN_SENT, after "));
  ASSERT_GE(r.steps.size(), 4u);
  EXPECT_LT(r.steps[3].took_ns, 1'000'000'000);
}

TEST_F(ObserveTest, RequiresSkipsWithTheReason) {
  CaseResult r = Run(R"(name: t
requires: {kernel: "99.1", reason: "a feature of the future"}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kSkip);
  EXPECT_THAT(r.message, StartsWith("t.yaml:2:11: requires kernel >= 99.1 (running "));
  EXPECT_THAT(r.message, HasSubstr("): a feature of the future"));
  r = Run(R"(name: t
requires: {sysctl: [net.ipv4.tcp_no_such_thing], congestion: [reno]}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kSkip);
  EXPECT_THAT(r.message, HasSubstr("requires sysctl net.ipv4.tcp_no_such_thing (missing on"));
  r = Run(R"(name: t
requires: {kernel: "3.0", sysctl: [net.ipv4.tcp_syn_retries]}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(ObserveTest, ExpectedFailure) {
  CaseResult r = Run(R"(name: t
xfail: {reason: "known kernel bug"}
steps:
  - server: listen 8080
  - client: {connect: "server:8081", as: c}
)");
  EXPECT_EQ(r.outcome, Outcome::kSkip);
  EXPECT_THAT(r.message, StartsWith("expected failure: known kernel bug (failed: t.yaml:5:5: "));
  r = Run(R"(name: t
xfail: {reason: "known kernel bug"}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, "t.yaml:2:8: passed but was expected to fail: known kernel bug");
  r = Run(R"(name: t
xfail: {kernel_below: "3.0", reason: "fixed long ago"}
steps:
  - server: listen 8080
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

}  // namespace
}  // namespace faultline
