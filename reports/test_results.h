// Hand-built RunResults shared by the reports tests (header-only, tests only).
#pragma once

#include <string>

#include "harness/model/result.h"

namespace faultline::testing {

inline PacketRecord Packet(uint64_t n, int64_t arrival_ns, const std::string& from,
                           const std::string& to, const std::string& flags) {
  PacketRecord p;
  p.seq_no = n;
  p.arrival_ns = arrival_ns;
  p.release_ns = arrival_ns;
  p.from = from;
  p.to = to;
  p.proto = "tcp";
  p.flags = flags;
  p.sport = from == "client" ? 40000 : 8080;
  p.dport = from == "client" ? 8080 : 40000;
  p.seq = 1000 + static_cast<uint32_t>(n);
  p.ack = 2000 + static_cast<uint32_t>(n);
  p.rel_seq = static_cast<uint32_t>(n);
  p.rel_ack = 1;
  p.has_rel = true;
  p.window = 64240;
  p.wire_len = 60;
  p.action = "pass";
  return p;
}

inline StepRecord Step(int index, const std::string& host, const std::string& desc, bool ok) {
  StepRecord s;
  s.step_index = index;
  s.loc = {"cases/tcp/handshake.yaml", 10 + index, 5};
  s.description = desc;
  s.host = host;
  s.ran = true;
  s.finished = true;
  s.start_offset_ns = index * 1'000'000;
  s.took_ns = 250'000;
  s.expected = ok ? "" : "ret 0, took <= 50ms";
  s.actual = ok ? "ret 0, took 250us" : "ret -1 ECONNREFUSED, took 1.2ms";
  s.ok = ok;
  s.ret = ok ? 0 : -1;
  s.failure = ok ? "" : "expected ret 0 vs actual ret -1 ECONNREFUSED";
  return s;
}

// Four cases, one per outcome, with packets dropped, delayed and duplicated,
// and special characters in names and data.
// A finished `run` step of a real program, with output on both streams.
inline StepRecord CommandStep(int index) {
  StepRecord s = Step(index, "client", "client: run curl -s http://${server.url_addr}:8080/", true);
  s.argv = {"curl", "-s", "http://198.18.2.2:8080/"};
  s.command_end = "exit 0";
  s.stdout_text = "<html>200 & ok</html>\nline 2\n";
  s.stderr_text = "warning: \x01\n";
  s.stdout_bytes = 100000;  // only the first bytes kept
  s.stderr_bytes = static_cast<int64_t>(s.stderr_text.size());
  return s;
}

// A failed `timing:` check (timing 1 of t.yaml), for the reports' tests.
inline PacketCheckRecord FailedTimingCheck() {
  PacketCheckRecord t;
  t.kind = "timing";
  t.index = 1;
  t.loc = {"t.yaml", 20, 5};
  t.description = "from step 'connect' start to the 2nd client > any tcp SYN (sent)";
  t.ok = false;
  t.failure =
      "expected [2.5s, 3.5s] from step 'connect' start to the 2nd client > any tcp SYN (sent) vs "
      "actual 1.01s";
  return t;
}

inline RunResult SampleRun() {
  RunResult r;
  r.start_unix_ms = 1'790'000'000'123;
  r.duration_ns = 3'456'000'000;
  r.kernel = "6.1.0-test";
  r.command_line = "faultline run cases/ --seed 7";

  CaseResult pass;
  pass.name = "handshake";
  pass.variant = "ipv4";
  pass.file = "cases/tcp/handshake.yaml";
  pass.description = "three-way handshake";
  pass.tags = {"tcp", "smoke"};
  pass.outcome = Outcome::kPass;
  pass.start_unix_ms = r.start_unix_ms;
  pass.duration_ns = 12'345'678;
  pass.seed = 7;
  pass.steps = {Step(1, "server", "server: listen 8080", true),
                Step(2, "client", "client: connect c to server:8080", true)};
  pass.packets = {Packet(1, 5'000'000, "client", "server", "S"),
                  Packet(2, 5'100'000, "server", "client", "S."),
                  Packet(3, 5'200'000, "client", "server", ".")};
  pass.pcaps = {{"client", "out/handshake-ipv4/client.pcap"},
                {"server", "out/handshake-ipv4/server.pcap"}};
  pass.start_mono_ns = 4'000'000;
  pass.states = {{5'000'000, "client", "c", "SYN_SENT"},
                 {5'150'000, "server", "client/c", "SYN_RECV"},
                 {5'200'000, "client", "c", "ESTABLISHED"}};
  r.cases.push_back(pass);

  CaseResult fail = pass;
  fail.name = "syn <drop> & \"retry\"";
  fail.variant = "ipv6";
  fail.file = "cases/tcp/syn_drop.yaml";
  fail.tags = {"tcp", "faults"};
  fail.outcome = Outcome::kFail;
  fail.duration_ns = 1'250'000'000;
  fail.message_loc = {"cases/tcp/syn_drop.yaml", 12, 5};
  fail.message =
      "cases/tcp/syn_drop.yaml:12:5: step 2 (client: connect c to server:8080): expected ret 0 "
      "vs actual ret -1 ECONNREFUSED";
  fail.steps = {Step(1, "server", "server: listen 8080", true),
                Step(2, "client", "client: connect c to server:8080", false)};
  fail.steps[1].data = std::string("a<b>&\"c\0\x01\x1b[31m\xff", 15);
  PacketRecord drop = Packet(1, 10'000'000, "client", "server", "S");
  drop.release_ns = 0;
  drop.fault = 1;
  drop.fate = PacketFate::kDrop;
  drop.action = "drop";
  PacketRecord delay = Packet(2, 11'000'000, "client", "server", "S");
  delay.release_ns = 211'000'000;
  delay.fault = 2;
  delay.fate = PacketFate::kDelay;
  delay.action = "delay 200ms";
  PacketRecord dup = Packet(3, 212'000'000, "server", "client", "S.");
  dup.fault = 3;
  dup.fate = PacketFate::kDuplicate;
  dup.action = "duplicate";
  PacketRecord copy = dup;
  copy.seq_no = 4;
  copy.is_copy = true;
  fail.packets = {drop, delay, dup, copy};
  fail.faults = {"drop client->any tcp SYN nth 1", "delay 200ms client->any tcp SYN nth 2",
                 "duplicate server->any tcp SYN-ACK <1>"};
  fail.states = {{10'000'000, "client", "c", "SYN_SENT"},
                 {211'500'000, "server", "client/c", "SYN_RECV"}};
  PacketCheckRecord ok_check;
  ok_check.index = 1;
  ok_check.loc = {"cases/tcp/syn_drop.yaml", 20, 5};
  ok_check.description = "client > server tcp SYN, sent";
  PacketCheckRecord bad_check = ok_check;
  bad_check.index = 2;
  bad_check.loc.line = 23;
  bad_check.description = "client > server tcp SYN, received";
  bad_check.ok = false;
  bad_check.failure = "expected count 2 vs actual 1";
  bad_check.dump = {
      "#2 +1.000000s delivered to server  client:40000 > server:8080 tcp S seq 0 win 64240 len 0"};
  fail.packet_checks = {ok_check, bad_check};
  fail.pcaps = {};
  r.cases.push_back(fail);

  CaseResult error = pass;
  error.name = "udp echo";
  error.file = "cases/udp/echo.yaml";
  error.tags = {"udp"};
  error.outcome = Outcome::kError;
  error.duration_ns = 850'000;
  error.message_loc = {"cases/udp/echo.yaml", 1, 0};
  error.message = "cases/udp/echo.yaml:1: peer client exited\nwith status 1";
  error.packets.clear();
  error.states.clear();
  error.steps = {Step(1, "client", "client: socket udp as u", true)};
  error.steps[0].ran = false;
  r.cases.push_back(error);

  CaseResult skip = pass;
  skip.name = "cubic";
  skip.file = "cases/tcp/cubic.yaml";
  skip.tags = {"tcp", "cc"};
  skip.outcome = Outcome::kSkip;
  skip.duration_ns = 100'000;
  skip.message_loc = {"cases/tcp/cubic.yaml", 1, 0};
  skip.message = "cases/tcp/cubic.yaml:1: congestion control cubic is not allowed here";
  skip.packets.clear();
  skip.states.clear();
  skip.steps.clear();
  r.cases.push_back(skip);
  return r;
}

// A case file that did not load, as `faultline run` reports it.
inline CaseResult InvalidFile() {
  CaseResult c;
  c.name = "cases/tcp/bad <x>.yaml";
  c.file = c.name;
  c.outcome = Outcome::kError;
  c.invalid_file = true;
  c.start_unix_ms = 1'790'000'000'123;
  c.message = "cases/tcp/bad <x>.yaml:2:1: unknown key 'timeot' in case (did you mean 'timeout'?)";
  return c;
}

}  // namespace faultline::testing
