// packetdrill's %{ }% blocks at the end of a case: the generated program
// (run here with the system's python3, when there is one) and the step
// loop's end-of-case run on a FakeCaseEnv.
#include "harness/runner/code_blocks.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/fake_case_env.h"

namespace faultline {
namespace {

using Values = std::vector<std::pair<std::string, uint64_t>>;

CodeBlock Block(int n, int line, std::string code, Values v) {
  return CodeBlock{n, SourceLoc{"t.pkt", line, 1}, std::move(code), std::move(v)};
}

struct PyRun {
  int status = -1;
  std::string out;
};

// Runs `program` with python3 -I (as the peer does), stdout and stderr.
PyRun RunPython(const std::string& program) {
  char path[] = "/tmp/fl-blocks-XXXXXX";
  const int fd = mkstemp(path);
  PyRun r;
  if (fd < 0) return r;
  close(fd);
  std::ofstream(path) << program;
  FILE* f = popen(("python3 -I " + std::string(path) + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  r.status = pclose(f);
  unlink(path);
  return r;
}

bool HavePython() { return std::system("command -v python3 >/dev/null 2>&1") == 0; }

TEST(CodeBlocksProgram, RunsEveryBlockWithItsSnapshotAndSharedGlobals) {
  if (!HavePython()) GTEST_SKIP() << "no python3 here";
  const std::string program = BlockProgram(
      {Block(1, 3, " LIMIT = 0x7fffffff \t", {{"tcpi_state", 1}, {"tcpi_snd_mss", 1000}}),
       Block(2, 5,
             "\nassert tcpi_state == TCP_ESTABLISHED, tcpi_state\n"
             "assert tcpi_snd_mss == 1460 and tcpi_snd_ssthresh == LIMIT\n"
             "assert tcpi_options & TCPI_OPT_SYN_DATA and tcpi_snd_wscale == 7\n"
             "assert tcpi_ca_state == TCP_CA_Recovery and tcpi_total_rto_time == 0\n",
             {{"tcpi_state", 1},
              {"tcpi_ca_state", 3},
              {"tcpi_options", 32 | 4},
              {"tcpi_snd_wscale", 7},
              {"tcpi_snd_mss", 1460},
              {"tcpi_snd_ssthresh", 0x7fffffff}})});
  PyRun r = RunPython(program);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");
}

TEST(CodeBlocksProgram, AFailingBlockPrintsItsNumberPlaceAndLastTracebackLine) {
  if (!HavePython()) GTEST_SKIP() << "no python3 here";
  PyRun r = RunPython(BlockProgram(
      {Block(1, 3, "x = 1", {{"tcpi_state", 1}}),
       Block(2, 7, "assert tcpi_state == TCP_CLOSE_WAIT, tcpi_state", {{"tcpi_state", 1}}),
       Block(3, 9, "assert False", {})}));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "BLOCK 2 (t.pkt:7): AssertionError: 1\n");
  // Errors other than assertions, and code with quotes and backslashes.
  r = RunPython(BlockProgram({Block(4, 12, "s = 'a\\'b\"'\nprint(undefined_name)", {})}));
  EXPECT_EQ(r.out, "BLOCK 4 (t.pkt:12): NameError: name 'undefined_name' is not defined\n");
}

TEST(CodeBlocksEnd, WhatThePythonRunMeans) {
  const std::vector<CodeBlock> blocks = {Block(1, 3, "", {}), Block(2, 7, "", {})};
  peer::Reply ok;
  ok.pid = 1;
  ok.exited = true;
  ok.exit_code = 0;
  EXPECT_EQ(InterpretBlockRun(blocks, "host", ok).outcome, Outcome::kPass);

  peer::Reply failed = ok;
  failed.exit_code = 1;
  const std::string line = "BLOCK 2 (t.pkt:7): AssertionError: 1\n";
  failed.out.assign(line.begin(), line.end());
  BlockRunEnd f = InterpretBlockRun(blocks, "host", failed);
  EXPECT_EQ(f.outcome, Outcome::kFail);
  EXPECT_EQ(f.loc.ToString(), "t.pkt:7:1");
  EXPECT_EQ(f.message, "t.pkt:7:1: BLOCK 2 (t.pkt:7): AssertionError: 1");

  peer::Reply missing;
  missing.ret = -1;
  missing.err = ENOENT;
  BlockRunEnd m = InterpretBlockRun(blocks, "host", missing);
  EXPECT_EQ(m.outcome, Outcome::kSkip);
  EXPECT_EQ(m.message,
            "t.pkt:3:1: %{ }% blocks need python3, which host 'host' could not start (ENOENT): "
            "skipped (install python3 to run them)");

  peer::Reply killed = ok;
  killed.exit_code = -1;
  killed.term_signal = 9;
  EXPECT_EQ(InterpretBlockRun(blocks, "host", killed).outcome, Outcome::kFail);
}

// A case with one socket step and two snapshot steps (what the packetdrill
// translation makes of two %{ }% blocks).
Case SnapshotCase() {
  StatusOr<Case> c = LoadCaseText(R"(name: blocks
steps:
  - client: {socket: tcp, as: s}
)",
                                  "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  for (int b = 1; b <= 2; ++b) {
    ObserveStep o;
    o.host = "client";
    o.kind = ObserveKind::kSnapshot;
    o.fd = "s";
    o.block = b;
    o.code = b == 1 ? "assert tcpi_state == TCP_ESTABLISHED" : "assert tcpi_snd_mss == 1460";
    Step s;
    s.loc = SourceLoc{"t.pkt", 10 * b, 1};
    s.index = static_cast<int>(c->steps.size()) + 1;
    s.body = o;
    c->steps.push_back(s);
  }
  return std::move(c).value();
}

CaseResult RunIn(const Case& c, FakeCaseEnv& env) {
  CaseRunOptions o;
  o.seed = 1;
  return RunCaseVariant(c, Family::kIPv4, o, env);
}

peer::Reply Exit(int code, const std::string& out) {
  peer::Reply r;
  r.pid = FakeCaseEnv::kPid;
  r.exited = true;
  r.exit_code = code;
  r.out.assign(out.begin(), out.end());
  return r;
}

TEST(CodeBlocksStepLoop, OnePythonInTheHostsPeerAfterTheLastStep) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  env.ScriptSnapshot({{"tcpi_state", 1}, {"tcpi_snd_mss", 1460}});
  env.ScriptSnapshot({{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}});
  env.Script("client", Op::kRun, Exit(0, ""));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[1].snapshot, (Values{{"tcpi_state", 1}, {"tcpi_snd_mss", 1460}}));
  EXPECT_EQ(r.steps[1].description, "client: tcp_info snapshot s for %{ }% block 1");
  EXPECT_EQ(r.steps[2].snapshot, (Values{{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}}));
  int runs = 0;
  for (const FakeCaseEnv::Sent& s : env.sent()) {
    if (s.req.op != Op::kRun) continue;
    ++runs;
    EXPECT_EQ(s.host, "client");
    EXPECT_EQ(s.req.argv, (std::vector<std::string>{"python3", "-I", "-"}));
    ASSERT_TRUE(s.req.has_stdin);
    const std::string program(s.req.data.begin(), s.req.data.end());
    const auto code = [&](size_t i) { return std::get<ObserveStep>(c.steps[i].body).code; };
    EXPECT_EQ(program, BlockProgram({Block(1, 10, code(1), r.steps[1].snapshot),
                                     Block(2, 20, code(2), r.steps[2].snapshot)}));
  }
  EXPECT_EQ(runs, 1);
}

TEST(CodeBlocksStepLoop, AFailingBlockFailsTheCaseAtItsLine) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  env.ScriptSnapshot({{"tcpi_state", 1}});
  env.ScriptSnapshot({{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}});
  env.Script("client", Op::kRun, Exit(1, "BLOCK 2 (t.pkt:20): AssertionError\n"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.message, "t.pkt:20:1: BLOCK 2 (t.pkt:20): AssertionError");
  EXPECT_EQ(r.message_loc.line, 20);
}

TEST(CodeBlocksStepLoop, NoPython3InTheLabSkipsTheCaseNamingIt) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  env.ScriptSnapshot({{"tcpi_state", 1}});
  env.ScriptSnapshot({{"tcpi_state", 1}});
  peer::Reply missing;
  missing.ret = -1;
  missing.err = ENOENT;
  env.Script("client", Op::kRun, missing);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kSkip);
  EXPECT_EQ(r.message,
            "t.pkt:10:1: %{ }% blocks need python3, which host 'client' could not start "
            "(ENOENT): skipped (install python3 to run them)");
}

TEST(CodeBlocksStepLoop, AFailedStepRunsNoPython) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  env.ScriptSnapshot({{"tcpi_state", 1}});
  env.ScriptObservation(Verdict::Fail("tcp_info of s", "gone", "no tcp_info for socket s"));
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  for (const FakeCaseEnv::Sent& s : env.sent()) EXPECT_NE(s.req.op, Op::kRun);
}

// The snapshot is read as packetdrill reads it, getsockopt(TCP_INFO) on the
// fd in the host's peer, when the fd is open there (a socket sock_diag does
// not list, e.g. reset or never connected, still answers); sock_diag only
// when the peer has no such fd.
TEST(CodeBlocksStepLoop, TheSnapshotIsGetsockoptOnTheFdInThePeer) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  peer::Reply info;
  info.data.assign(104, 0);
  info.data[0] = 7;  // tcpi_state: TCP_CLOSE
  env.Script("client", Op::kGetsockopt, info);
  env.ScriptSnapshot({{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}});  // block 2: sock_diag
  env.Script("client", Op::kRun, Exit(0, ""));
  CaseResult r = RunIn(c, env);
  ASSERT_EQ(r.steps.size(), 3u);
  ASSERT_FALSE(r.steps[1].snapshot.empty());
  EXPECT_EQ(r.steps[1].snapshot.front(), (std::pair<std::string, uint64_t>{"tcpi_state", 7}));
  EXPECT_EQ(r.steps[1].snapshot_bytes, 104u);
  EXPECT_EQ(r.steps[1].actual, "CLOSE, " + std::to_string(r.steps[1].snapshot.size()) +
                                   " fields (104 bytes, getsockopt)");
  EXPECT_EQ(r.steps[2].snapshot, (Values{{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}}));
  int asked = 0;
  for (const FakeCaseEnv::Sent& s : env.sent()) {
    if (s.req.op != Op::kGetsockopt) continue;
    ++asked;
    EXPECT_EQ(s.host, "client");
    EXPECT_EQ(s.req.fd, "s");
    EXPECT_EQ(s.req.level, IPPROTO_TCP);
    EXPECT_EQ(s.req.optname, TCP_INFO);
  }
  EXPECT_EQ(asked, 2);
}

// packetdrill fails the script when getsockopt(TCP_INFO) fails; so does
// the snapshot step, naming the errno.
TEST(CodeBlocksStepLoop, AFailedGetsockoptFailsTheBlock) {
  const Case c = SnapshotCase();
  FakeCaseEnv env;
  peer::Reply bad;
  bad.ret = -1;
  bad.err = EBADF;
  env.Script("client", Op::kGetsockopt, bad);
  CaseResult r = RunIn(c, env);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("%{ }% block 1: no tcp_info for socket s: getsockopt(TCP_INFO) = -1 "
                           "EBADF"),
            std::string::npos)
      << r.message;
}

}  // namespace
}  // namespace faultline
