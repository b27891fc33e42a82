// The step loop of case_runner.cc on a FakeCaseEnv: no lab, no processes,
// no privileges; time is a FakeClock that moves only when the loop waits.
#include <signal.h>

#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/fake_case_env.h"

namespace faultline {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

Case Load(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : Case{};
}

CaseResult RunIn(const Case& c, FakeCaseEnv& env) {
  CaseRunOptions o;
  o.seed = 1;
  return RunCaseVariant(c, Family::kIPv4, o, env);
}

peer::Reply Ret(int64_t ret, int err = 0) {
  peer::Reply r;
  r.ret = ret;
  r.err = err;
  return r;
}

peer::Reply Command(int exit_code, std::string out = "", std::string err = "") {
  peer::Reply r;
  r.pid = FakeCaseEnv::kPid;
  r.exited = true;
  r.exit_code = exit_code;
  r.out.assign(out.begin(), out.end());
  r.out_bytes = static_cast<int64_t>(out.size());
  r.err_out.assign(err.begin(), err.end());
  r.err_bytes = static_cast<int64_t>(err.size());
  return r;
}

peer::Reply Started() {
  peer::Reply r;
  r.pid = FakeCaseEnv::kPid;
  return r;
}

// The requests of `op` the step loop sent.
std::vector<peer::Request> SentOf(const FakeCaseEnv& env, Op op) {
  std::vector<peer::Request> out;
  for (const FakeCaseEnv::Sent& s : env.sent()) {
    if (s.req.op == op) out.push_back(s.req);
  }
  return out;
}

TEST(StepLoopTest, PassingCall) {
  Case c = Load(R"(name: pass
steps:
  - client: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.message, "");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_TRUE(r.steps[0].ran);
  EXPECT_TRUE(r.steps[0].finished);
  EXPECT_TRUE(r.steps[0].ok);
  EXPECT_EQ(r.steps[0].expected, "success");
  EXPECT_EQ(r.steps[0].actual, "ret 0, took 0s");
  ASSERT_EQ(env.sent().size(), 1u);
  EXPECT_EQ(env.sent()[0].host, "client");
  EXPECT_EQ(env.sent()[0].req.op, Op::kSocket);
  EXPECT_EQ(env.setups(), 1);
  EXPECT_EQ(env.teardowns(), 1);
  EXPECT_FALSE(env.kept());
}

TEST(StepLoopTest, FailingExpectationMessageAndLaterStepsNotRun) {
  Case c = Load(R"(name: refused
steps:
  - client: {connect: "server:8080", as: c, expect: {errno: ECONNREFUSED}}
  - client: {close: c}
)");
  FakeCaseEnv env;
  env.Script("client", Op::kConnect, Ret(0));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: connect to server:8080 as c): expected errno ECONNREFUSED "
            "vs actual ret 0");
  EXPECT_EQ(r.message_loc.line, 3);
  EXPECT_FALSE(r.steps[0].ok);
  EXPECT_FALSE(r.steps[1].ran);
  EXPECT_EQ(SentOf(env, Op::kClose).size(), 0u);
  EXPECT_TRUE(env.kept());
  EXPECT_EQ(env.teardowns(), 1);
}

TEST(StepLoopTest, AsyncThenAwait) {
  Case c = Load(R"(name: async
steps:
  - client: {connect: "server:8080", as: c, async: true}
  - server: {socket: udp, as: u}
  - await: c
)");
  FakeCaseEnv env;
  env.Script("client", Op::kConnect, Ret(0), 30 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_TRUE(r.steps[0].finished);
  EXPECT_EQ(r.steps[0].took_ns, 30 * kMs);
  EXPECT_EQ(r.steps[2].actual, "joined");
  // The server's step went out before the connect's reply came.
  ASSERT_EQ(env.sent().size(), 2u);
  EXPECT_EQ(env.sent()[1].at_ns, env.sent()[0].at_ns);
}

TEST(StepLoopTest, AwaitOfUnknownIdIsAnError) {
  Case c = Load(R"(name: await-unknown
steps:
  - client: {connect: "server:8080", as: c, async: true}
  - await: c
)");
  std::get<AwaitStep>(c.steps[1].body).id = "zz";  // the loader rejects it
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message, "t.yaml:4:5: step 2 (await zz): no async step 'zz' is running");
}

TEST(StepLoopTest, AsyncNeverAwaitedButFinishedIsChecked) {
  Case c = Load(R"(name: leftover
steps:
  - client: {connect: "server:8080", as: c, async: true, expect: {errno: ECONNREFUSED}}
  - server: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  env.Script("client", Op::kConnect, Ret(0));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: connect to server:8080 as c (async)): expected errno "
            "ECONNREFUSED "
            "vs actual ret 0");
}

TEST(StepLoopTest, AsyncStillRunningAtTheEnd) {
  Case c = Load(R"(name: still-running
steps:
  - client: {connect: "server:8080", as: c, async: true}
)");
  FakeCaseEnv env;
  env.Script("client", Op::kConnect, Ret(0), FakeCaseEnv::kNever);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: connect to server:8080 as c (async)): still running at "
            "the end of the case (add `await: c`)");
  EXPECT_FALSE(r.steps[0].finished);
}

TEST(StepLoopTest, HungCallHitsTheCaseTimeout) {
  Case c = Load(R"(name: hung
timeout: 3s
steps:
  - client: {connect: "server:8080", as: c}
)");
  FakeCaseEnv env;
  const int64_t t0 = env.fake_clock().NowNs();
  env.Script("client", Op::kConnect, Ret(0), 10 * kSec);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:4:5: step 1 (client: connect to server:8080 as c): did not finish within the "
            "case timeout of 3s");
  EXPECT_EQ(r.duration_ns, 3 * kSec);
  EXPECT_EQ(env.fake_clock().NowNs(), t0 + 3 * kSec);  // the timeout, at the deadline
}

TEST(StepLoopTest, HungRunStepShowsItsOutputSoFar) {
  Case c = Load(R"(name: hung-run
timeout: 2s
steps:
  - client: {run: [sleep, "100"], as: nap}
)");
  FakeCaseEnv env;
  env.Script("client", Op::kRun, Command(0), FakeCaseEnv::kNever);
  peer::Reply stopped = Command(0, "tick\n", "oops");
  stopped.exit_code = 0;
  stopped.term_signal = SIGTERM;
  stopped.stopped = true;
  env.Script("client", Op::kStop, stopped, 10 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(
      r.message,
      "t.yaml:4:5: step 1 (client: run sleep 100 as nap): did not finish within the case timeout "
      "of 2s; stdout so far: \"tick\\n\"; stderr so far: \"oops\"");
  std::vector<peer::Request> stops = SentOf(env, Op::kStop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].fd, "nap");
  EXPECT_EQ(stops[0].timeout_ns, 500 * kMs);  // a quarter of the grace
}

TEST(StepLoopTest, BackgroundReadyThenStoppedAtTheEnd) {
  Case c = Load(R"(name: bg
steps:
  - server: {run: [python3, -m, http.server, "8080"], as: web, background: true,
             ready: {listening: 8080, within: 10s}}
  - client: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Pass("listening on port 8080", "listening after 20ms"), 20 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.steps[0].expected, "ready: listening on port 8080");
  // Never awaited: stopped at the end of the case, with the full grace.
  std::vector<peer::Request> stops = SentOf(env, Op::kStop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].fd, "web");
  EXPECT_EQ(stops[0].timeout_ns, 2 * kSec);
  EXPECT_EQ(r.steps[0].command_end, "killed by SIGTERM (stopped)");
  EXPECT_EQ(r.steps[0].actual, "killed by SIGTERM (stopped) at the end of the case");
}

TEST(StepLoopTest, BackgroundNotReadyShowsStderr) {
  Case c = Load(R"(name: bg-not-ready
steps:
  - server: {run: [python3, -m, http.server, "8080"], as: web, background: true,
             ready: {listening: 8080, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Fail("listening on port 8080", "not listening after 1s", "x"), kSec);
  peer::Reply end = Command(0, "", "address in use");
  end.term_signal = SIGTERM;
  end.stopped = true;
  env.Script("server", Op::kStop, end);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run python3 -m http.server 8080 as web (background)): not "
            "listening on port 8080 within 1s; stderr: \"address in use\"");
  EXPECT_EQ(r.steps[0].actual, "not listening after 1s");
}

TEST(StepLoopTest, BackgroundExitedBeforeListening) {
  Case c = Load(R"(name: bg-exited
steps:
  - server: {run: [python3, -m, http.server, "8080"], as: web, background: true,
             ready: {listening: 8080, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Fail("listening on port 8080", "exited before it listened", "x"));
  env.Script("server", Op::kStop, Command(1, "", "bad option"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run python3 -m http.server 8080 as web (background)): it "
            "exited (exit 1) before listening on port 8080; stderr: \"bad option\"");
}

TEST(StepLoopTest, BackgroundNotBoundToItsUdpPortInTime) {
  Case c = Load(R"(name: bg-udp
steps:
  - server: {run: [dnsd], as: dns, background: true, ready: {udp: 5353, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Fail("bound to UDP port 5353", "not bound after 1s", "x"), kSec);
  peer::Reply end = Command(0, "", "no route");
  end.term_signal = SIGTERM;
  end.stopped = true;
  env.Script("server", Op::kStop, end);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run dnsd as dns (background)): not bound to UDP port 5353 "
            "within 1s; stderr: \"no route\"");
}

TEST(StepLoopTest, BackgroundExitedBeforeBindingItsUdpPort) {
  Case c = Load(R"(name: bg-udp-exit
steps:
  - server: {run: [dnsd], as: dns, background: true, ready: {udp: 5353, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Fail("bound to UDP port 5353", "exited before it bound", "x"));
  env.Script("server", Op::kStop, Command(2));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run dnsd as dns (background)): it exited (exit 2) before "
            "binding UDP port 5353");
}

TEST(StepLoopTest, ReadyOnAnOutputLineAsksThePeerAndGoesOnWhenItSaysReady) {
  Case c = Load(R"(name: bg-line
steps:
  - server: {run: [srv], as: srv, background: true,
             ready: {stdout: {matches: "^up on ${server.addr}$"}, within: 2s}}
  - client: {socket: tcp, as: s}
)");
  FakeCaseEnv env;
  peer::Reply ready = Started();
  ready.ready = true;
  ready.ready_line = "up on 10.0.2.1";
  env.Script("server", Op::kRun, ready, kSec / 2);
  CaseResult r = RunIn(c, env);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  std::vector<peer::Request> runs = SentOf(env, Op::kRun);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].ready_stream, 1);
  EXPECT_EQ(runs[0].ready_test, 2);
  EXPECT_EQ(runs[0].ready_text, "^up on 10\\.0\\.2\\.1$");  // the value stands for itself
  EXPECT_EQ(runs[0].timeout_ns, 2 * kSec);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(SentOf(env, Op::kSocket).size(), 1u);       // the next step ran
  EXPECT_EQ(SentOf(env, Op::kWaitCommand).size(), 1u);  // joined as any background command
}

TEST(StepLoopTest, ReadyOnAnOutputLineNotInTimeStopsItAndShowsItsOutput) {
  Case c = Load(R"(name: bg-line-late
steps:
  - server: {run: [srv], as: srv, background: true, ready: {stderr: ready, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started(), kSec);
  peer::Reply end = Command(0, "", "warming up\n");
  end.term_signal = SIGTERM;
  end.stopped = true;
  env.Script("server", Op::kStop, end);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run srv as srv (background)): no stderr line \"ready\" "
            "within 1s; stderr: \"warming up\\n\"");
  EXPECT_EQ(SentOf(env, Op::kStop).size(), 1u);
  EXPECT_TRUE(SentOf(env, Op::kWaitCommand).empty());
}

TEST(StepLoopTest, ReadyOnAnOutputLineExitedFirst) {
  Case c = Load(R"(name: bg-line-exit
steps:
  - server: {run: [srv], as: srv, background: true, ready: {stdout: {contains: ready}}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Command(1, "usage: srv", "bad flag"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run srv as srv (background)): it exited (exit 1) before "
            "a stdout line contains \"ready\"; stdout: \"usage: srv\"; stderr: \"bad flag\"");
  EXPECT_TRUE(SentOf(env, Op::kStop).empty());
  EXPECT_EQ(r.steps[0].command_end, "exit 1");
}

TEST(StepLoopTest, ReadinessErrorIsAHarnessError) {
  Case c = Load(R"(name: bg-error
steps:
  - server: {run: [python3, -m, http.server, "8080"], as: web, background: true,
             ready: {listening: 8080, within: 1s}}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.ScriptReady(Verdict::Error("sock_diag: Operation not permitted"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run python3 -m http.server 8080 as web (background)): "
            "sock_diag: Operation not permitted");
}

TEST(StepLoopTest, StopOfARunningCommandEscalatesWithinTheGrace) {
  Case c = Load(R"(name: stop
steps:
  - server: {run: [sleep, "100"], as: nap, background: true}
  - server: {stop: nap}
  - client: {socket: tcp, as: s}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  peer::Reply killed = Command(0);
  killed.term_signal = SIGKILL;  // ignored SIGTERM: the peer escalated
  killed.stopped = true;
  env.Script("server", Op::kStop, killed, 2 * kSec);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  std::vector<peer::Request> stops = SentOf(env, Op::kStop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].fd, "nap");
  EXPECT_EQ(stops[0].timeout_ns, 2 * kSec);
  EXPECT_EQ(r.steps[0].actual, "killed by SIGKILL (stopped)");
  EXPECT_EQ(r.steps[1].expected, "stopped");
  EXPECT_EQ(r.steps[1].actual, "killed by SIGKILL (stopped), took 2s");
  // The stop answered the command's join too: the next step starts when the
  // stop returned, not at the case's deadline.
  EXPECT_EQ(r.steps[2].start_offset_ns, 2 * kSec);
}

TEST(StepLoopTest, StopOfAnUnknownName) {
  Case c = Load(R"(name: stop-unknown
steps:
  - server: {run: [sleep, "100"], as: nap, background: true}
  - server: {stop: nap}
)");
  std::get<CallStep>(c.steps[1].body).call.fd = "other";  // the loader rejects it
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            "t.yaml:4:5: step 2 (server: stop other): no background command 'other' is running");
}

TEST(StepLoopTest, BackgroundThatExitedOnItsOwnIsCheckedAtTheEnd) {
  Case c = Load(R"(name: bg-exit
steps:
  - server: {run: [sleep, "1"], as: nap, background: true}
  - client: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  env.Script("server", Op::kRun, Started());
  env.Script("server", Op::kWaitCommand, Command(3));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(
      r.message,
      "t.yaml:3:5: step 1 (server: run sleep 1 as nap (background)): expected exit 0 vs actual "
      "exit 3");
  EXPECT_EQ(SentOf(env, Op::kStop).size(), 0u);
}

TEST(StepLoopTest, InterruptBeforeAStep) {
  Case c = Load(R"(name: interrupt
steps:
  - client: {socket: udp, as: u}
  - client: {close: u}
)");
  FakeCaseEnv env;
  env.Script("client", Op::kSocket, Ret(3), 10 * kMs);
  env.InterruptAt(env.fake_clock().NowNs() + 5 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            "t.yaml:4:5: step 2 (client: close u): interrupted by SIGINT before this step");
  EXPECT_EQ(r.steps[1].failure, "interrupted by SIGINT");
  EXPECT_EQ(SentOf(env, Op::kClose).size(), 0u);
}

TEST(StepLoopTest, InterruptBeforeSetup) {
  Case c = Load(R"(name: interrupt-early
steps:
  - client: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  env.InterruptAt(0);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message, "t.yaml:1:1: interrupted by SIGINT before its lab was set up");
  EXPECT_EQ(env.setups(), 0);
}

TEST(StepLoopTest, ObservationPassFailAndError) {
  const char* yaml = R"(name: observe
steps:
  - client: {connect: "server:8080", as: c}
  - client: {state: c, is: ESTABLISHED}
)";
  Case c = Load(yaml);
  {
    FakeCaseEnv env;
    env.ScriptObservation(Verdict::Pass("state ESTABLISHED", "ESTABLISHED"), 3 * kMs);
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
    EXPECT_EQ(r.steps[1].took_ns, 3 * kMs);
    EXPECT_EQ(r.steps[1].actual, "ESTABLISHED");
  }
  {
    FakeCaseEnv env;
    env.ScriptObservation(Verdict::Fail("state ESTABLISHED", "SYN_SENT",
                                        "expected state ESTABLISHED vs actual SYN_SENT"));
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kFail);
    EXPECT_EQ(r.message,
              "t.yaml:4:5: step 2 (client: state c is ESTABLISHED): expected state ESTABLISHED "
              "vs actual SYN_SENT");
  }
  {
    FakeCaseEnv env;
    env.ScriptObservation(Verdict::Error("no address is known for socket 'c' on host 'client'"));
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kError);
    EXPECT_EQ(r.message,
              "t.yaml:4:5: step 2 (client: state c is ESTABLISHED): no address is known for "
              "socket 'c' on host 'client'");
  }
}

TEST(StepLoopTest, CountersAndPacketsFailAPassingCase) {
  Case c = Load(R"(name: end-checks
steps:
  - client: {socket: udp, as: u}
counters:
  client: {X: 1}
)");
  {
    FakeCaseEnv env;
    env.SetCounters(Verdict::Fail("", "",
                                  "t.yaml:5:12: counters: client X: expected delta 1 vs "
                                  "actual 0 (TcpExt:X)"));
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kFail);
    EXPECT_EQ(r.message,
              "t.yaml:5:12: counters: client X: expected delta 1 vs actual 0 (TcpExt:X)");
    // Located at the counter, not at the case (reports put message_loc in
    // front of a message that does not start with it: "t.yaml:1:1: t.yaml:5:12: ...").
    EXPECT_EQ(r.message_loc.line, 5);
    EXPECT_EQ(r.message_loc.column, 12);
  }
  {
    FakeCaseEnv env;
    PacketCheckRecord check;
    check.loc.file = "t.yaml";
    check.loc.line = 12;
    check.ok = false;
    env.SetCapture(Verdict::Fail("", "", "packets failed"), {check});
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kFail);
    EXPECT_EQ(r.message, "packets failed");
    EXPECT_EQ(r.message_loc.line, 12);
  }
  {
    FakeCaseEnv env;
    env.SetCapture(Verdict::Error("capture: the capture lost 3 packets"));
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kError);
    EXPECT_EQ(r.message, "t.yaml:1:1: capture: the capture lost 3 packets");
  }
}

TEST(StepLoopTest, EndChecksDoNotOverrideAStepFailure) {
  Case c = Load(R"(name: step-first
steps:
  - client: {socket: udp, as: u, expect: {ret: 7}}
)");
  FakeCaseEnv env;
  env.SetCounters(Verdict::Fail("", "", "counters failed"));
  env.SetCapture(Verdict::Error("capture broke"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: socket udp as u): expected ret 7 vs actual ret 0");
}

TEST(StepLoopTest, TookAndOffsetComeFromTheReplyStamps) {
  Case c = Load(R"(name: took
steps:
  - client: {connect: "server:8080", as: c, expect: {took: "<= 50ms"}}
)");
  FakeCaseEnv env;
  const int64_t t0 = env.fake_clock().NowNs();
  peer::Reply slow = Ret(0);
  slow.start_ns = t0 + 2 * kMs;
  slow.end_ns = t0 + 80 * kMs;
  env.Script("client", Op::kConnect, slow, 80 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.steps[0].start_offset_ns, 2 * kMs);
  EXPECT_EQ(r.steps[0].took_ns, 78 * kMs);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: connect to server:8080 as c): expected took <= 50ms vs "
            "actual took 78ms");
}

TEST(StepLoopTest, PeerHarnessErrorIsAnError) {
  Case c = Load(R"(name: harness-error
steps:
  - client: {socket: udp, as: u}
  - client: {close: u}
)");
  FakeCaseEnv env;
  peer::Reply bad = Ret(-1);
  bad.harness_error = "no socket named 'nope' on this host";
  env.Script("client", Op::kClose, bad);  // the peer lost track of it
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message, "t.yaml:4:5: step 2 (client: close u): no socket named 'nope' on this host");
}

// A sysctl the lab's kernel lacks (one the load let through: far from every
// shipped name) is reported at its key, not at the case.
TEST(StepLoopTest, SetupFailureNamingASysctlPointsAtIt) {
  Case c = Load(R"(name: setup
hosts:
  client:
  server:
    sysctl: {net.ipv4.tcp_syn_retries: 2, net.ipv4.tcp_some_future_knob: 1}
steps:
  - client: {socket: udp, as: u}
)");
  FakeCaseEnv env;
  env.SetSetup(Status::Invalid(
      "building the lab: host 'server': sysctl net.ipv4.tcp_some_future_knob does not exist in a "
      "network namespace on this kernel"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message,
            "t.yaml:5:43: building the lab: host 'server': sysctl net.ipv4.tcp_some_future_knob "
            "does not exist in a network namespace on this kernel");
  EXPECT_EQ(r.message_loc.line, 5);
  EXPECT_EQ(r.message_loc.column, 43);
}

TEST(StepLoopTest, SetupFailureAndSkip) {
  Case c = Load(R"(name: setup
steps:
  - client: {socket: udp, as: u}
)");
  {
    FakeCaseEnv env;
    env.SetSetup(Status::System("building the lab: EPERM"));
    CaseResult r = RunIn(c, env);
    EXPECT_EQ(r.outcome, Outcome::kError);
    EXPECT_EQ(r.message, "t.yaml:1:1: building the lab: EPERM");
    EXPECT_TRUE(env.sent().empty());
    EXPECT_EQ(env.teardowns(), 1);
  }
  {
    FakeCaseEnv env;
    env.SetSetup(Status::Unsupported("no IPv6"));
    EXPECT_EQ(RunIn(c, env).outcome, Outcome::kSkip);
  }
}

TEST(StepLoopTest, StepLabelsReachTheWire) {
  Case c = Load(R"(name: labels
steps:
  - client: {socket: udp, as: u}
    label: first
  - client: {close: u}
)");
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(env.labels(), std::vector<std::string>{"first"});
}

TEST(StepLoopTest, FaultStepsReachTheWireBeforeTheNextStepAndAreReported) {
  Case c = Load(R"(name: control
steps:
  - client: {socket: udp, as: u}
  - fault: hole
    enable: true
  - client: {close: u}
faults:
  - name: hole
    enabled: false
    match: {}
    do: drop
)");
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(env.controls(), std::vector<std::string>{"2 fault hole: enable after 1 requests"});
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[1].description, "fault hole: enable");
  EXPECT_EQ(r.steps[1].host, "wire");
  EXPECT_TRUE(r.steps[1].ran);
  EXPECT_TRUE(r.steps[1].ok);
  EXPECT_EQ(r.steps[1].actual, "applied");
}

TEST(StepLoopTest, AFaultStepTheWireCannotApplyIsAnError) {
  Case c = Load(R"(name: control
steps:
  - fault: hole
    enable: true
  - client: {socket: udp, as: u}
faults:
  - name: hole
    match: {}
    do: drop
)");
  FakeCaseEnv env;
  env.SetControlFault(Status::System("wire: not running (fault step)"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.message, "t.yaml:3:5: step 1 (fault hole: enable): wire: not running (fault step)");
  EXPECT_TRUE(env.sent().empty());
}

// Case::batch_calls (.pkt scripts): a run of consecutive calls of one host
// goes to its peer as one request; each step is still checked and recorded
// on its own reply.
TEST(StepLoopTest, ARunOfCallsIsOneRequest) {
  Case c = Load(R"(name: run
steps:
  - client: {socket: tcp, as: s}
  - client: {setsockopt: s, opt: SO_REUSEADDR, value: 1}
  - client: {bind: s, addr: "client:8080"}
  - client: {listen: s, expect: {ret: 0}}
)");
  c.batch_calls = true;
  FakeCaseEnv env;
  for (Op op : {Op::kSocket, Op::kSetsockopt, Op::kBind, Op::kListen}) {
    env.Script("client", op, Ret(0), 1 * kMs);
  }
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env.sent().size(), 1u);
  const peer::Request& batch = env.sent()[0].req;
  ASSERT_EQ(batch.batch.size(), 4u);
  EXPECT_EQ(batch.batch[0].op, Op::kSocket);
  EXPECT_EQ(batch.batch[3].op, Op::kListen);
  EXPECT_EQ(batch.batch[0].go_on, peer::Request::GoOn::kSuccess);
  EXPECT_EQ(batch.batch[2].go_on, peer::Request::GoOn::kSuccess);
  EXPECT_EQ(batch.batch[3].go_on, peer::Request::GoOn::kAny);  // the last: nothing after it
  ASSERT_EQ(r.steps.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(r.steps[i].ran) << i;
    EXPECT_TRUE(r.steps[i].ok) << i;
    // One after the other on the peer: each started when the one before returned.
    EXPECT_EQ(r.steps[i].start_offset_ns, static_cast<int64_t>(i) * kMs) << i;
    EXPECT_EQ(r.steps[i].took_ns, 1 * kMs) << i;
  }
  EXPECT_EQ(r.steps[3].expected, "ret 0");
  EXPECT_EQ(r.steps[3].actual, "ret 0, took 1ms");
}

TEST(StepLoopTest, AFailureInTheMiddleOfARunStopsItThere) {
  Case c = Load(R"(name: refused
steps:
  - client: {socket: tcp, as: c}
  - client: {connect: c, to: "server:8080", expect: {errno: ECONNREFUSED}}
  - client: {close: c}
  - client: {socket: udp, as: u}
)");
  c.batch_calls = true;
  FakeCaseEnv env;
  env.Script("client", Op::kConnect, Ret(0));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  // Word for word the failure of the call made alone.
  EXPECT_EQ(r.message,
            "t.yaml:4:5: step 2 (client: connect c to server:8080): expected errno ECONNREFUSED "
            "vs actual ret 0");
  ASSERT_EQ(env.sent().size(), 1u);
  ASSERT_EQ(env.sent()[0].req.batch.size(), 4u);
  EXPECT_EQ(env.sent()[0].req.batch[1].go_on_errnos, std::vector<int>{ECONNREFUSED});
  EXPECT_TRUE(r.steps[0].ok);
  EXPECT_FALSE(r.steps[1].ok);
  // The peer ran none after it (the fake answers as it does) and neither
  // step is recorded as run.
  EXPECT_FALSE(r.steps[2].ran);
  EXPECT_FALSE(r.steps[3].ran);
  EXPECT_FALSE(env.HasReply("client", env.sent()[0].req.batch[2].id));
}

TEST(StepLoopTest, ARunEndsAtAnotherHostAndAfterACallCheckingMoreThanItsReturn) {
  Case c = Load(R"(name: runs
steps:
  - client: {socket: tcp, as: a}
  - client: {socket: tcp, as: b}
  - server: {socket: udp, as: u}
  - client: {close: b}
  - client: {getsockopt: a, opt: SO_REUSEADDR, expect: {value: 0}}
  - client: {close: a}
  - client: {socket: udp, as: v, async: true}
  - await: v
)");
  c.batch_calls = true;
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  std::vector<size_t> sizes;
  for (const FakeCaseEnv::Sent& s : env.sent()) sizes.push_back(s.req.batch.size());
  // [a, b], u alone, [close b, getsockopt], [close a, the async call].
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 0, 2, 2}));
  for (const StepRecord& s : r.steps) EXPECT_TRUE(s.ok);
}

TEST(StepLoopTest, AnAsyncCallEndsItsRunAndIsAwaitedAsAlone) {
  Case c = Load(R"(name: async
steps:
  - client: {socket: tcp, as: c}
  - client: {sleep: 10ms}
  - client: {connect: c, to: "server:8080", async: true, id: c}
  - server: {socket: udp, as: u}
  - await: c
)");
  c.batch_calls = true;
  FakeCaseEnv env;
  env.Script("client", Op::kSleep, Ret(0), 10 * kMs);
  env.Script("client", Op::kConnect, Ret(0), 30 * kMs);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env.sent().size(), 2u);
  ASSERT_EQ(env.sent()[0].req.batch.size(), 3u);
  EXPECT_EQ(env.sent()[1].host, "server");
  // The connect started as the sleep ended, on the peer, with no round trip.
  EXPECT_EQ(r.steps[2].start_offset_ns, 10 * kMs);
  EXPECT_EQ(r.steps[2].took_ns, 30 * kMs);
  EXPECT_TRUE(r.steps[2].ok);
  EXPECT_TRUE(r.steps[4].ok);
}

TEST(StepLoopTest, YamlCallsAreOneRequestEach) {
  Case c = Load(R"(name: yaml
steps:
  - client: {socket: tcp, as: a}
  - client: {close: a}
)");
  FakeCaseEnv env;
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(env.sent().size(), 2u);
  EXPECT_TRUE(env.sent()[0].req.batch.empty());
}

}  // namespace
}  // namespace faultline
