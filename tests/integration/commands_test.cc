// Real programs as peers (`run` steps) end to end: output and exit status,
// ${...} variables and the environment, background commands with `ready`,
// `stop` and `await`, a program that ignores SIGTERM, a hung one, and that
// nothing a case started outlives it. Needs root; skips otherwise.
#include <dirent.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;

using CommandsTest = CaseFixture;

// Pids of processes whose command line contains `marker`.
std::vector<int> ProcessesWith(const std::string& marker) {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const int pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string cmd = ss.str();
    for (char& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.find(marker) != std::string::npos) out.push_back(pid);
  }
  closedir(d);
  return out;
}

TEST_F(CommandsTest, ForegroundExitStatusAndOutput) {
  CaseResult r = Run(R"(name: out
steps:
  - client:
      run: [sh, -c, "echo out; echo err >&2; exit 3"]
      expect: {exit: 3, stdout: "out", stderr: {matches: "^err$"}, took: "<= 5s"}
)");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  const StepRecord& s = r.steps[0];
  EXPECT_EQ(s.argv, (std::vector<std::string>{"sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(s.command_end, "exit 3");
  EXPECT_EQ(s.stdout_text, "out\n");
  EXPECT_EQ(s.stderr_text, "err\n");
  EXPECT_EQ(s.stdout_bytes, 4);
}

TEST_F(CommandsTest, UnmetExitStatusSaysExpectedAndActual) {
  CaseResult r = Run(R"(name: exit
steps:
  - client: {run: [sh, -c, "echo boom >&2; exit 1"]}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (client: run sh -c 'echo boom >&2; exit 1'): "
            "expected exit 0 vs actual exit 1");
  EXPECT_EQ(r.steps[0].stderr_text, "boom\n");
}

TEST_F(CommandsTest, ProgramNotFound) {
  CaseResult r = Run(R"(name: missing
steps:
  - client: {run: [faultline-no-such-program]}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("expected exit 0 vs actual could not start: ENOENT"));
}

TEST_F(CommandsTest, VariablesEnvironmentAndWorkdir) {
  setenv("http_proxy", "http://192.0.2.1:3128", 1);  // must not reach the command
  CaseResult r = Run(R"(name: vars
steps:
  - client:
      run: [sh, -c, "echo ${server.addr} $FAULTLINE_SERVER_ADDR ${server.url_addr} $X [$http_proxy]; pwd; echo $TMPDIR"]
      env: {X: "${family}"}
      expect: {stdout: {contains: "2001:2:0:2::2 2001:2:0:2::2 [2001:2:0:2::2] ipv6 []"}}
)",
                     Family::kIPv6);
  unsetenv("http_proxy");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message << "\n" << r.steps[0].stdout_text;
  std::istringstream lines(r.steps[0].stdout_text);
  std::string first, cwd, tmp;
  std::getline(lines, first);
  std::getline(lines, cwd);
  std::getline(lines, tmp);
  EXPECT_EQ(cwd, tmp);
  EXPECT_THAT(cwd, HasSubstr("faultline-work-"));
  EXPECT_FALSE(std::ifstream(cwd).good()) << "the work directory was not removed: " << cwd;
}

TEST_F(CommandsTest, StopEscalatesToSigkillForAProgramIgnoringSigterm) {
  CaseResult r = Run(R"yaml(name: stubborn
steps:
  # It ignores SIGTERM from before it listens: `ready` makes that certain.
  - server:
      run: [python3, -c, "import signal, socket, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ns = socket.socket(socket.AF_INET6)\ns.bind(('::', 9000))\ns.listen()\ntime.sleep(600)", "7357.1"]
      as: stubborn
      background: true
      ready: {listening: 9000}
  - server:
      stop: stubborn
      expect: {signal: SIGKILL, took: [1900ms, 4s]}
)yaml");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.steps[0].command_end, "killed by SIGKILL (stopped)");
  EXPECT_TRUE(ProcessesWith("7357.1").empty());
}

TEST_F(CommandsTest, ANameIsFreeAgainAfterStop) {
  CaseResult r = Run(R"(name: again
steps:
  - server: {run: [sleep, "7357.6"], as: x, background: true}
  - server: stop x
  - server: {run: [sleep, "7357.6"], as: x, background: true}
  - server: {stop: x, expect: {signal: SIGTERM}}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_TRUE(ProcessesWith("sleep 7357.6").empty());
}

TEST_F(CommandsTest, BackgroundThatFailsOnItsOwnFailsTheCase) {
  CaseResult r = Run(R"(name: crash
steps:
  - server: {run: [sh, -c, "echo dying >&2; exit 4"], as: d, background: true}
  - client: {run: [sh, -c, "sleep 0.2"]}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message,
            "t.yaml:3:5: step 1 (server: run sh -c 'echo dying >&2; exit 4' as d "
            "(background)): expected exit 0 vs actual exit 4");
}

TEST_F(CommandsTest, ReadyFailsWhenTheProgramExitsFirst) {
  CaseResult r = Run(R"(name: not-ready
steps:
  - server:
      run: [sh, -c, "echo no port for you >&2; exit 2"]
      as: srv
      background: true
      ready: {listening: 9999, within: 5s}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("it exited (exit 2) before listening on port 9999; stderr: "
                                   "\"no port for you\\n\""));
}

TEST_F(CommandsTest, ReadyTimesOutWithABound) {
  CaseResult r = Run(R"(name: never-listens
steps:
  - server: {run: [sleep, "7357.2"], as: srv, background: true, ready: {listening: 9999, within: 300ms}}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("not listening on port 9999 within 300ms"));
  EXPECT_TRUE(ProcessesWith("sleep 7357.2").empty());
}

TEST_F(CommandsTest, ReadyOnUdpWaitsForTheBind) {
  // The bind comes after a delay the runner cannot see: only the ready
  // wait orders the datagram after it.
  CaseResult r = Run(R"yaml(name: udp-ready
steps:
  - server:
      run: [python3, -c, "import socket, time; time.sleep(0.3); s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::', 5454)); d, p = s.recvfrom(100); s.sendto(d, p)"]
      as: srv
      background: true
      ready: {udp: 5454, within: 20s}
  - client: {socket: udp, as: c}
  - client: {sendto: c, to: "server:5454", data: "x"}
  - client: {recvfrom: c, size: 10, expect: {data: "x"}}
  - await: srv
)yaml");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(CommandsTest, ReadyOnUdpFailsWhenTheProgramExitsFirst) {
  CaseResult r = Run(R"(name: udp-not-ready
steps:
  - server:
      run: [sh, -c, "echo no socket >&2; exit 3"]
      as: srv
      background: true
      ready: {udp: 5454, within: 5s}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("it exited (exit 3) before binding UDP port 5454; stderr: "
                                   "\"no socket\\n\""));
}

TEST_F(CommandsTest, ReadyOnUdpTimesOutWithABound) {
  CaseResult r = Run(R"(name: udp-never
steps:
  - server: {run: [sleep, "7357.4"], as: srv, background: true, ready: {udp: 5454, within: 300ms}}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("not bound to UDP port 5454 within 300ms"));
  EXPECT_TRUE(ProcessesWith("sleep 7357.4").empty());
}

TEST_F(CommandsTest, ReadyOnTheSecondLineOfStdout) {
  // The first line only contains "ready"; the second, split across two
  // writes and ended by CRLF, is it.
  CaseResult r = Run(R"(name: line-ready
steps:
  - server:
      run: [sh, -c, "echo getting ready; printf 're'; sleep 0.2; printf 'ady\\r\\n'; exec sleep 7357.5"]
      as: srv
      background: true
      ready: {stdout: ready, within: 20s}
  - server: stop srv
)");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.steps[0].expected, "ready: stdout line \"ready\"");
  EXPECT_EQ(r.steps[0].stdout_text, "getting ready\nready\r\n");
  EXPECT_TRUE(ProcessesWith("sleep 7357.5").empty());
}

TEST_F(CommandsTest, ReadyOnStderrMatches) {
  CaseResult r = Run(R"(name: stderr-ready
steps:
  - server:
      run: [sh, -c, "echo 'port 77 open' >&2; exec sleep 7357.6"]
      as: srv
      background: true
      ready: {stderr: {matches: "^port \\d+ open$"}, within: 20s}
  - server: stop srv
)");
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(CommandsTest, ReadyOnALineFailsWhenTheProgramExitsFirst) {
  // "ready" without its newline is no line: it exits before one.
  CaseResult r = Run(R"(name: line-exits
steps:
  - server:
      run: [sh, -c, "echo oops >&2; printf 'almost\\nready'; exit 5"]
      as: srv
      background: true
      ready: {stdout: ready, within: 20s}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("it exited (exit 5) before a stdout line \"ready\"; stdout: "
                                   "\"almost\\nready\"; stderr: \"oops\\n\""));
}

TEST_F(CommandsTest, ReadyOnALineTimesOutWithABound) {
  CaseResult r = Run(R"(name: line-never
steps:
  - server:
      run: [sh, -c, "echo not yet; exec sleep 7357.7"]
      as: srv
      background: true
      ready: {stdout: {contains: ready}, within: 300ms}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("no stdout line contains \"ready\" within 300ms; stdout: "
                                   "\"not yet\\n\""));
  EXPECT_TRUE(ProcessesWith("sleep 7357.7").empty());
}

TEST_F(CommandsTest, HungForegroundCommandIsStoppedAndShowsItsOutput) {
  CaseResult r = Run(R"(name: hung
timeout: 1s
steps:
  - client: {run: [sh, -c, "echo started; exec sleep 7357.3"]}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("did not finish within the case timeout of 1s; stdout so far: "
                                   "\"started\\n\""));
  EXPECT_TRUE(ProcessesWith("sleep 7357.3").empty());
}

TEST_F(CommandsTest, NothingOutlivesTheCaseNotEvenAnEscapedGrandchild) {
  // setsid takes the grandchild out of the command's process group; the
  // peer's PID namespace still ends it with the case.
  CaseResult r = Run(R"(name: escape
steps:
  - server: {run: [sh, -c, "setsid sleep 7357.4 & exec sleep 7357.5"], as: bg, background: true}
  - client: {run: ["true"]}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_TRUE(ProcessesWith("sleep 7357.4").empty());
  EXPECT_TRUE(ProcessesWith("sleep 7357.5").empty());
}

TEST_F(CommandsTest, StateOfAProgramsConnectionByPort) {
  CaseResult r = Run(R"(name: by-port
steps:
  - server: listen 8080
  - client:
      run: [bash, -c, "exec 3<>/dev/tcp/${server.addr}/8080 && read -r -t 10 line <&3 && echo $line"]
      as: c
      async: true
      expect: {exit: 0, stdout: "hi"}
  - server: {accept: ls, as: s}
  - client: {state: {remote_port: 8080}, is: ESTABLISHED, within: 2s}
  - server: {state: {local_port: 8080}, is: ESTABLISHED}
  - client: {state: {remote_port: 8080}, is: LISTEN}
  - server: {send: s, data: "hi\n"}
  - await: c
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  // The third observation cannot hold: the client has no listener there.
  EXPECT_THAT(r.message, HasSubstr("step 6 (client: state remote port 8080 is LISTEN): expected "
                                   "state LISTEN vs actual ESTABLISHED"));
  EXPECT_TRUE(r.steps[3].ok) << r.steps[3].failure;
  EXPECT_TRUE(r.steps[4].ok) << r.steps[4].failure;
}

}  // namespace
}  // namespace faultline
