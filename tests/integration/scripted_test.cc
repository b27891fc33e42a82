// Scripted hosts and `wire:` steps end to end: real labs, a real stack
// against the case's script, the real wire. Needs root; skips otherwise.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/packet/packet_dump.h"
#include "harness/runner/lab_env.h"
#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using ScriptedTest = CaseFixture;

constexpr const char* kHosts = R"(hosts:
  server: {}
  peer: {scripted: true}
steps:
  - server: listen 8080
  - peer: {send: {flags: S, seq: 0, win: 65535, options: [{mss: 1460}]}, to: "server:8080", port: 40000}
)";

std::string ScriptedCase(const std::string& name, const std::string& more_steps) {
  return "name: " + name + "\n" + kHosts + more_steps;
}

// (a) handshake, data, reset: the stack against the script, both families.
TEST_F(ScriptedTest, HandshakeDataAndResetPassOnBothFamilies) {
  const std::string yaml =
      ScriptedCase("exchange", R"(  - peer: {expect: {flags: S., seq: 0, ack: 1}}
  - peer: {send: {flags: ., seq: 1, ack: 1}}
  - server: {accept: ls, as: s}
  - server: {send: s, data: "hello"}
  - peer: {expect: {flags: P., seq: 1, ack: 1, data: "hello"}}
  - peer: {send: {flags: R., seq: 1, ack: 6}}
  - server: {recv: s, size: 10, expect: {errno: ECONNRESET}}
)");
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(yaml, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    ASSERT_EQ(r.steps.size(), 9u);
    for (const StepRecord& s : r.steps) {
      EXPECT_TRUE(s.ran && s.finished && s.ok) << s.description << ": " << s.failure;
    }
    EXPECT_EQ(r.steps[2].host, "peer");
    EXPECT_THAT(r.steps[6].actual, HasSubstr(" len 5 at "));
    int sent = 0, taken = 0;
    for (const PacketRecord& p : r.packets) {
      ASSERT_EQ(p.fate, PacketFate::kScripted) << PacketRecordLine(p);
      if (p.action == "scripted send") ++sent;
      if (p.action == "scripted take") ++taken;
    }
    EXPECT_EQ(sent, 3) << FamilyName(f);
    EXPECT_EQ(taken, 2) << FamilyName(f);
    bool marked = false;
    for (const Environment::Host& h : r.environment.hosts) {
      if (h.name == "peer") marked = h.scripted && h.sysctls.empty();
    }
    EXPECT_TRUE(marked) << FamilyName(f);
  }
}

// (b) a wrong expectation: packetdrill-like message, the StepRecord's two
// sides, and the packets both ways logged as scripted.
TEST_F(ScriptedTest, WrongAckFailsWithExpectedVersusActual) {
  CaseResult r = Run(ScriptedCase("wrong-ack", "  - peer: {expect: {flags: S., ack: 2}}\n"));
  ASSERT_EQ(r.outcome, Outcome::kFail) << r.message;
  EXPECT_THAT(r.message, StartsWith("t.yaml:8:5: step 3 (peer: expect tcp S. ack 2): expected tcp "
                                    "S. ack 2 vs actual server:8080 > peer:40000 tcp S. seq 0 "
                                    "ack 1 win "));
  EXPECT_THAT(r.message, EndsWith("(ack: expected 2 vs actual 1)"));
  ASSERT_EQ(r.steps.size(), 3u);
  const StepRecord& s = r.steps[2];
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.host, "peer");
  EXPECT_EQ(s.expected, "tcp S. ack 2");
  EXPECT_THAT(s.actual, StartsWith("server:8080 > peer:40000 tcp S. seq 0 ack 1 win "));
  EXPECT_THAT(s.actual, HasSubstr(" at +"));
  bool to_peer = false, from_peer = false;
  for (const PacketRecord& p : r.packets) {
    if (p.to == "peer") to_peer |= p.fate == PacketFate::kScripted && p.action == "scripted take";
    if (p.from == "peer") {
      from_peer |= p.fate == PacketFate::kScripted && p.action == "scripted send";
    }
  }
  EXPECT_TRUE(to_peer && from_peer);
}

// (c) the stack sends something the script does not expect: the case
// fails naming the packet.
TEST_F(ScriptedTest, UnexpectedPacketFailsNamingIt) {
  CaseResult r = Run(ScriptedCase("unexpected", R"(  - peer: {expect: {flags: S., seq: 0, ack: 1}}
  - peer: {send: {flags: ., seq: 1, ack: 1}}
  - server: {accept: ls, as: s}
  - server: {send: s, data: "surprise"}
  - peer: {send: {flags: ., seq: 1, ack: 1}, after: 500ms}
)"));
  ASSERT_EQ(r.outcome, Outcome::kFail) << r.message;
  EXPECT_THAT(r.message, StartsWith("t.yaml:12:5: step 7 (peer: send tcp . seq 1 ack 1): "
                                    "unexpected packet: server:8080 > peer:40000 tcp P. seq 1 "
                                    "ack 1 "));
  EXPECT_THAT(r.message, EndsWith(" len 8"));
}

// (d) a `wire:` step: an RST at the server's RCV.NXT crafted into a live
// two-stack connection resets the server's socket.
TEST_F(ScriptedTest, WireStepRstResetsTheServersSocket) {
  CaseResult r = Run(R"(name: wire-rst
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, data: "hello"}
  - server: {recv: s, size: 5, expect: {data: "hello"}}
  - wire: {send: {flags: R}, from: client, toward: server, seq-next: 0}
  - server: {recv: s, size: 5, expect: {errno: ECONNRESET}}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  int injected = 0;
  for (const PacketRecord& p : r.packets) {
    if (p.fate != PacketFate::kInject) continue;
    ++injected;
    EXPECT_EQ(p.action, "inject (step 6)");
    EXPECT_EQ(p.from, "client");
    EXPECT_EQ(p.to, "server");
  }
  EXPECT_EQ(injected, 1);
}

// A scripted host has its namespace and addresses but no peer process.
TEST_F(ScriptedTest, ScriptedHostHasNoPeerProcess) {
  StatusOr<Case> c = LoadCaseText(ScriptedCase("no-peer", ""), "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  LabEnv env(*c, Family::kIPv4, options_);
  CaseResult result;
  ASSERT_TRUE(env.Setup(env.clock().NowNs(), &result).ok());
  EXPECT_TRUE(env.HasPeer("server"));
  EXPECT_FALSE(env.HasPeer("peer"));
  bool has_addr = false;
  for (const HostAddrs& h : env.Hosts()) has_addr |= h.name == "peer" && !h.addr4.empty();
  EXPECT_TRUE(has_addr);
  peer::Request req;
  req.id = 1;
  req.op = Op::kListen;
  Status st = env.Send("peer", req);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(),
            "host 'peer' is scripted: it has no peer process (its steps are packets)");
  env.Teardown();
}

}  // namespace
}  // namespace faultline
