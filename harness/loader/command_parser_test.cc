// `run` and `stop` steps, command expectations and ${...} variables
// (docs/cases.md, "Commands"): what the loader builds, and every error with
// its exact message.
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

const char* kHead = "name: a\nsteps:\n";

StatusOr<Case> Load(const std::string& steps) { return LoadCaseText(kHead + steps, "a.yaml"); }

const CallStep& Call(const Case& c, size_t i) { return std::get<CallStep>(c.steps.at(i).body); }

TEST(CommandParser, ForegroundRunWithExpectations) {
  StatusOr<Case> c = Load(
      "  - client:\n"
      "      run: [curl, -s, \"http://${server.url_addr}:8080/\", 8080]\n"
      "      env: {LANG: C, TARGET: \"${server.addr}\"}\n"
      "      stdin: \"hi\\n\"\n"
      "      expect: {exit: 0, stdout: {contains: \"200\"}, stderr: \"\", took: [1s, 2s]}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const CallStep& s = Call(*c, 0);
  EXPECT_EQ(s.call.op, Op::kRun);
  EXPECT_EQ(s.call.command.argv,
            (std::vector<std::string>{"curl", "-s", "http://${server.url_addr}:8080/", "8080"}));
  ASSERT_EQ(s.call.command.env.size(), 2u);
  EXPECT_EQ(s.call.command.env[1].second, "${server.addr}");
  EXPECT_EQ(s.call.command.stdin_data, "hi\n");
  EXPECT_FALSE(s.call.command.background);
  ASSERT_TRUE(s.expect.exit);
  EXPECT_TRUE(s.expect.exit->Contains(0));
  EXPECT_FALSE(s.expect.exit->Contains(1));
  ASSERT_TRUE(s.expect.out);
  EXPECT_EQ(s.expect.out->kind, TextExpect::Kind::kContains);
  ASSERT_TRUE(s.expect.err);
  EXPECT_EQ(s.expect.err->kind, TextExpect::Kind::kEquals);
  EXPECT_EQ(c->steps[0].Describe(), "client: run curl -s http://${server.url_addr}:8080/ 8080");
}

TEST(CommandParser, BackgroundReadyStopAndAwait) {
  StatusOr<Case> c = Load(
      "  - server: {run: [python3, -m, http.server], as: web, background: true,\n"
      "             ready: {listening: 8000, within: 3s}}\n"
      "  - server: stop web\n"
      "  - server: {run: [sleep, \"1\"], as: nap, background: true, expect: {signal: SIGTERM}}\n"
      "  - await: nap\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const CallStep& web = Call(*c, 0);
  EXPECT_TRUE(web.call.command.background);
  EXPECT_EQ(web.call.as, "web");
  EXPECT_EQ(web.call.command.ready_port, 8000);
  EXPECT_EQ(web.call.command.ready_within, std::chrono::seconds(3));
  EXPECT_EQ(Call(*c, 1).call.op, Op::kStop);
  EXPECT_EQ(Call(*c, 1).call.fd, "web");
  EXPECT_EQ(Call(*c, 2).expect.signal, 15);
  EXPECT_EQ(c->steps[0].Describe(), "server: run python3 -m http.server as web (background)");
}

TEST(CommandParser, ReadyOnUdpAndOnOutputLines) {
  StatusOr<Case> c = Load(
      "  - server: {run: [x], as: a, background: true, ready: {udp: 5353, within: 2s}}\n"
      "  - server: {run: [x], as: b, background: true, ready: {stdout: ready}}\n"
      "  - server: {run: [x], as: c, background: true, ready: {stderr: {contains: up}}}\n"
      "  - server: {run: [x], as: d, background: true,\n"
      "             ready: {stdout: {matches: \"^port \\\\d+$\"}, within: 1s}}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Command& a = Call(*c, 0).call.command;
  EXPECT_EQ(a.ready_udp_port, 5353);
  EXPECT_FALSE(a.ready_port);
  EXPECT_FALSE(a.ready_stream);
  EXPECT_EQ(a.ready_within, std::chrono::seconds(2));
  const Command& b = Call(*c, 1).call.command;
  EXPECT_EQ(b.ready_stream, Command::Stream::kStdout);
  EXPECT_EQ(b.ready_line.kind, TextExpect::Kind::kEquals);
  EXPECT_EQ(b.ready_line.text, "ready");
  EXPECT_EQ(b.ready_within, std::chrono::seconds(10));
  const Command& cc = Call(*c, 2).call.command;
  EXPECT_EQ(cc.ready_stream, Command::Stream::kStderr);
  EXPECT_EQ(cc.ready_line.kind, TextExpect::Kind::kContains);
  const Command& d = Call(*c, 3).call.command;
  EXPECT_EQ(d.ready_line.kind, TextExpect::Kind::kMatches);
  EXPECT_EQ(d.ready_line.text, "^port \\d+$");
  EXPECT_EQ(d.ready_within, std::chrono::seconds(1));
}

TEST(CommandParser, StateByPort) {
  StatusOr<Case> c = Load(
      "  - client: {state: {remote_port: 8080}, is: SYN_SENT, within: 1s}\n"
      "  - server: {queue: {port: 8080}, expect: {queued: 1}}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& o = std::get<ObserveStep>(c->steps[0].body);
  ASSERT_TRUE(o.port);
  EXPECT_EQ(o.port->port, 8080);
  EXPECT_EQ(o.port->side, ObserveStep::PortSelector::Side::kRemote);
  EXPECT_EQ(c->steps[0].Describe(), "client: state remote port 8080 is SYN_SENT within 1s");
}

struct BadCommand {
  const char* name;
  const char* steps;
  const char* message;
};

const BadCommand kBad[] = {
    {"run_scalar", "  - client: {run: curl -s x}\n",
     "a.yaml:3:19: step 1: 'run' must be a list of strings such as [curl, -s, URL] (there is no "
     "shell: write [sh, -c, \"...\"] for one), not 'curl -s x'"},
    {"run_empty", "  - client: {run: []}\n", "a.yaml:3:19: step 1: 'run' must name a program"},
    {"run_arg_map", "  - client: {run: [curl, {a: 1}]}\n",
     "a.yaml:3:26: step 1: each argument of 'run' must be a string, not a map"},
    {"run_unknown_var", "  - client: {run: [curl, \"${sever.addr}\"]}\n",
     "a.yaml:3:26: step 1: unknown variable ${sever.addr} (did you mean 'server.addr'?)"},
    {"run_bad_attr", "  - client: {run: [curl, \"${server.ip}\"]}\n",
     "a.yaml:3:26: step 1: unknown variable ${server.ip} (HOST.addr, HOST.addr4, HOST.addr6, "
     "HOST.url_addr, family or workdir)"},
    {"run_unterminated", "  - client: {run: [curl, \"${server.addr\"]}\n",
     "a.yaml:3:26: step 1: unterminated ${ (no closing })"},
    {"env_bad_name", "  - client: {run: [env], env: {1X: a}}\n",
     "a.yaml:3:32: step 1: '1X' is not an environment variable name (letters, digits and _, not "
     "starting with a digit)"},
    {"env_list_value", "  - client: {run: [env], env: {X: [a]}}\n",
     "a.yaml:3:35: step 1: the value of environment variable 'X' must be a string, not a list"},
    {"ready_foreground", "  - client: {run: [x], ready: {listening: 80}}\n",
     "a.yaml:3:24: step 1: 'ready' applies only to a background command (add background: true)"},
    {"ready_no_port", "  - client: {run: [x], as: x, background: true, ready: {within: 1s}}\n",
     "a.yaml:3:56: step 1: 'ready' needs one of listening, udp, stdout or stderr"},
    {"ready_two_kinds",
     "  - client: {run: [x], as: x, background: true, ready: {udp: 53, stdout: up}}\n",
     "a.yaml:3:66: step 1: 'ready' takes one of listening, udp, stdout or stderr, not both 'udp' "
     "and 'stdout'"},
    {"ready_udp_bad_port", "  - client: {run: [x], as: x, background: true, ready: {udp: 0}}\n",
     "a.yaml:3:62: step 1: 'udp' must be an integer between 1 and 65535, not 0"},
    {"ready_stdout_list",
     "  - client: {run: [x], as: x, background: true, ready: {stdout: [up]}}\n",
     "a.yaml:3:65: step 1: 'stdout' must be a string or a map {contains: TEXT} / {matches: "
     "REGEX} / {equals: TEXT}, not a list"},
    {"ready_stderr_bad_regex",
     "  - client: {run: [x], as: x, background: true, ready: {stderr: {matches: \"(\"}}}\n",
     "a.yaml:3:75: step 1: 'matches' is not a valid regular expression (RE2 syntax): missing ): ("},
    {"ready_stdout_two_tests",
     "  - client: {run: [x], as: x, background: true, ready: {stdout: {contains: a, matches: "
     "b}}}\n",
     "a.yaml:3:65: step 1: 'stdout' takes exactly one of equals, contains or matches"},
    {"ready_stdout_unknown_var",
     "  - client: {run: [x], as: x, background: true, ready: {stdout: \"${sever.addr}\"}}\n",
     "a.yaml:3:65: step 1: unknown variable ${sever.addr} (did you mean 'server.addr'?)"},
    {"ready_bad_port",
     "  - client: {run: [x], as: x, background: true, ready: {listening: 70000}}\n",
     "a.yaml:3:68: step 1: 'listening' must be an integer between 1 and 65535, not 70000"},
    {"ready_unknown_key",
     "  - client: {run: [x], as: x, background: true, ready: {listening: 1, port: 2}}\n",
     "a.yaml:3:71: step 1: unknown key 'port' in ready"},
    {"background_no_name", "  - client: {run: [x], background: true}\n",
     "a.yaml:3:14: step 1: a background command needs a name ('as') for 'stop' and 'await'"},
    {"background_async", "  - client: {run: [x], as: x, background: true, async: true}\n",
     "a.yaml:3:49: step 1: 'async' and 'background' cannot be combined: a background command "
     "already runs beside the later steps"},
    {"background_twice",
     "  - client: {run: [x], as: x, background: true}\n"
     "  - client: {run: [y], as: x, background: true}\n",
     "a.yaml:4:28: step 2: 'x' is already a background command running on host 'client' "
     "(started by step 1)"},
    {"stop_unknown", "  - client: stop web\n",
     "a.yaml:3:18: step 1: 'web' is not a background command started by an earlier step on host "
     "'client'"},
    {"stop_twice",
     "  - client: {run: [x], as: web, background: true}\n"
     "  - client: stop web\n"
     "  - client: stop web\n",
     "a.yaml:5:18: step 3: 'web' on host 'client' was already stopped by step 2"},
    {"await_stopped",
     "  - client: {run: [x], as: web, background: true}\n"
     "  - client: stop web\n"
     "  - await: web\n",
     "a.yaml:5:12: step 3: 'web' was already stopped by step 2"},
    {"expect_ret_on_run", "  - client: {run: [x], expect: {ret: 0}}\n",
     "a.yaml:3:33: step 1: 'ret' in expect does not apply to 'run' (a command has exit, signal, "
     "stdout, stderr and took)"},
    {"expect_exit_on_socket", "  - client: {socket: tcp, as: s, expect: {exit: 0}}\n",
     "a.yaml:3:43: step 1: 'exit' in expect does not apply to 'socket' (only to run and stop)"},
    {"expect_bad_signal", "  - client: {run: [x], expect: {signal: SIGTERN}}\n",
     "a.yaml:3:41: step 1: unknown signal 'SIGTERN' (did you mean 'SIGTERM'?)"},
    {"expect_exit_and_signal", "  - client: {run: [x], expect: {exit: 0, signal: SIGKILL}}\n",
     "a.yaml:3:32: step 1: 'exit' and 'signal' cannot both hold: a command either exits or is "
     "killed by a signal"},
    {"expect_stdout_two_keys",
     "  - client: {run: [x], expect: {stdout: {contains: a, matches: b}}}\n",
     "a.yaml:3:41: step 1: 'stdout' takes exactly one of equals, contains or matches"},
    {"expect_stdout_bad_regex", "  - client: {run: [x], expect: {stdout: {matches: \"(\"}}}\n",
     "a.yaml:3:51: step 1: 'matches' is not a valid regular expression (RE2 syntax): missing ): "
     "("},
    // RE2 has no backreferences and no lookaround: load errors, not run-time surprises.
    {"expect_stdout_backreference",
     "  - client: {run: [x], expect: {stdout: {matches: \"(a)\\\\1\"}}}\n",
     "a.yaml:3:51: step 1: 'matches' is not a valid regular expression (RE2 syntax): invalid "
     "escape sequence: \\1"},
    {"expect_stderr_lookahead", "  - client: {run: [x], expect: {stderr: {matches: \"a(?=b)\"}}}\n",
     "a.yaml:3:51: step 1: 'matches' is not a valid regular expression (RE2 syntax): invalid "
     "perl operator: (?="},
    {"expect_stdout_too_large",
     "  - client: {run: [x], expect: {stdout: {matches: \"((a{100}){100}){100}\"}}}\n",
     "a.yaml:3:51: step 1: 'matches' is not a valid regular expression (RE2 syntax): invalid "
     "repetition size: {100}"},
    {"expect_stdout_unknown_var", "  - client: {run: [x], expect: {stdout: \"${client.addr7}\"}}\n",
     "a.yaml:3:32: step 1: unknown variable ${client.addr7} (did you mean 'client.addr'?)"},
    {"state_port_two", "  - client: {state: {port: 1, local_port: 2}, is: LISTEN}\n",
     "a.yaml:3:21: step 1: 'state' selects sockets by exactly one of port, local_port or "
     "remote_port"},
    {"state_port_unknown", "  - client: {state: {prot: 1}, is: LISTEN}\n",
     "a.yaml:3:22: step 1: unknown key 'prot' in 'state' (did you mean 'port'?)"},
};

class BadCommandTest : public ::testing::TestWithParam<BadCommand> {};

TEST_P(BadCommandTest, FailsWithExactMessage) {
  const BadCommand& b = GetParam();
  StatusOr<Case> c = Load(b.steps);
  ASSERT_FALSE(c.ok()) << "loaded without error:\n" << b.steps;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), b.message) << b.steps;
}

INSTANTIATE_TEST_SUITE_P(Errors, BadCommandTest, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<BadCommand>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace faultline
