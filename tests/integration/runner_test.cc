// The runner end to end: real labs, real peers, real wire. Needs root (or
// CAP_NET_ADMIN + CAP_SYS_ADMIN); skips otherwise.
#include <unistd.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/runner.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using RunnerTest = CaseFixture;

constexpr const char* kEcho = R"(name: echo
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, data: "ping"}
  - server: {recv: s, size: 10, expect: {data: "ping", bytes: 4}}
  - server: {send: s, size: 3000}
  - client: {recv: c, size: 3000, flags: [MSG_WAITALL], expect: {bytes: 3000}}
  - client: close c
  - server: {recv: s, expect: {ret: 0}}
)";

TEST_F(RunnerTest, EchoPassesOnBothFamilies) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(kEcho, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    EXPECT_EQ(r.variant, FamilyName(f));
    ASSERT_EQ(r.steps.size(), 9u);
    for (const StepRecord& s : r.steps) {
      EXPECT_TRUE(s.ran && s.finished && s.ok) << s.description << ": " << s.failure;
    }
    EXPECT_EQ(r.steps[4].data, "ping");
    EXPECT_EQ(r.steps[6].bytes, 3000);
    // The wire saw the handshake, the data and the teardown.
    EXPECT_GE(r.packets.size(), 8u);
  }
}

TEST_F(RunnerTest, UnmetExpectationFailsWithLocationAndBothSides) {
  CaseResult r = Run(R"(name: wrong
steps:
  - server: listen 8080
  - client:
      connect: "server:8081"
      as: c
      expect: {ret: 0}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:4:5: step 2 (client: connect to server:8081 as c): "
            "expected ret 0 vs actual ret -1 ECONNREFUSED");
  EXPECT_EQ(r.message_loc.line, 4);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_FALSE(r.steps[1].ok);
  EXPECT_EQ(r.steps[1].err, ECONNREFUSED);
}

TEST_F(RunnerTest, StepWithoutExpectMustSucceed) {
  CaseResult r = Run(R"(name: setup-fails
steps:
  - client: {connect: "server:7", as: c}
  - client: {send: c, data: "x"}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("step 1 (client: connect to server:7 as c): "
                                   "expected success vs actual ret -1 ECONNREFUSED"));
  EXPECT_FALSE(r.steps[1].ran);
}

TEST_F(RunnerTest, HungStepIsNamedWhenTheCaseTimesOut) {
  CaseResult r = Run(R"(name: hangs
timeout: 1s
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - server: {recv: s}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:7:5: step 4 (server: recv s): did not finish within the case timeout of 1s");
  EXPECT_TRUE(r.steps[3].ran);
  EXPECT_FALSE(r.steps[3].finished);
  EXPECT_LT(r.duration_ns, 5'000'000'000);
}

TEST_F(RunnerTest, AsyncStepIsAwaited) {
  CaseResult r = Run(R"(name: async
steps:
  - server: listen 8080
  - server: {accept: ls, as: s, async: true}
  - client: {connect: "server:8080", as: c}
  - await: s
  - server: {recv: s, async: true, id: r}
  - client: {send: c, data: "late"}
  - await: r
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.steps[4].data, "late");
}

TEST_F(RunnerTest, AsyncStepStillRunningAtTheEndFails) {
  CaseResult r = Run(R"(name: forgotten
steps:
  - server: listen 8080
  - server: {accept: ls, as: s, async: true}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message,
              HasSubstr("step 2 (server: accept ls as s (async)): still running at the end "
                        "of the case (add `await: s`)"));
}

TEST_F(RunnerTest, HostSysctlAppliesInsideTheLab) {
  // A one-port ephemeral range, set in the client's namespace only: the
  // second connection to the same server port has no source port left.
  CaseResult r = Run(R"(name: sysctl
hosts:
  client: {sysctl: {net.ipv4.ip_local_port_range: "40000 40000"}}
  server: {}
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: {connect: "server:8080", as: d, expect: {ret: error, errno: EADDRNOTAVAIL}}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(RunnerTest, VariantsRunInParallelAndComeBackInOrder) {
  StatusOr<Case> c = LoadCaseText(kEcho, "t.yaml");
  ASSERT_TRUE(c.ok());
  std::vector<Case> cases(6, c.value());
  for (size_t i = 0; i < cases.size(); ++i) cases[i].name = "echo" + std::to_string(i);
  std::vector<Variant> variants = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(variants.size(), 12u);
  RunOptions o;
  o.case_options = options_;
  o.jobs = 8;
  int seen = 0;
  o.on_result = [&](const CaseResult&) { ++seen; };
  std::vector<CaseResult> results = RunVariants(variants, o);
  ASSERT_EQ(results.size(), 12u);
  EXPECT_EQ(seen, 12);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].name, "echo" + std::to_string(i / 2));
    EXPECT_EQ(results[i].variant, i % 2 ? "ipv6" : "ipv4");
    EXPECT_EQ(results[i].outcome, Outcome::kPass) << results[i].message;
  }
}

// --seed N (CaseRunOptions::seed): a re-run with the same seed gives the
// same fault actions in the packet log for the same packets; another seed
// others. UDP, so no retransmission or timer changes the packet sequence.
TEST_F(RunnerTest, SameSeedReproducesTheActionsOfAProbabilisticUdpFault) {
  std::string yaml = R"(name: seeded
faults:
  - match: {from: client, proto: udp, probability: 0.5}
    do: drop
steps:
  - server: {socket: udp, as: u}
  - server: {bind: u, addr: "any:5000"}
  - client: {socket: udp, as: c}
)";
  for (int i = 0; i < 24; ++i) {
    yaml += fmt::format("  - client: {{sendto: c, to: \"server:5000\", data: \"d{}\"}}\n", i);
  }
  auto actions = [&](uint64_t seed) {
    options_.seed = seed;
    CaseResult r = Run(yaml);
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
    EXPECT_EQ(r.seed, seed);
    std::string a;
    for (const PacketRecord& p : r.packets) {
      if (p.proto == "udp" && p.from == "client") a += p.fate == PacketFate::kDrop ? 'D' : 'A';
    }
    EXPECT_EQ(a.size(), 24u) << a;
    return a;
  };
  const std::string first = actions(11);
  EXPECT_EQ(actions(11), first);
  EXPECT_NE(actions(12), first);
}

}  // namespace
}  // namespace faultline
