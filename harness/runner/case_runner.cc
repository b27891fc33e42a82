#include "harness/runner/case_runner.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <map>
#include <optional>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "harness/common/errno_names.h"
#include "harness/observe/tcp_info_fields.h"
#include "harness/runner/case_env.h"
#include "harness/runner/case_requirements.h"
#include "harness/runner/code_blocks.h"
#include "harness/runner/expect_check.h"
#include "harness/runner/packet_steps.h"
#include "harness/runner/request.h"
#include "harness/runner/setup_gate.h"

extern char** environ;

namespace faultline {
namespace {

uint64_t ChooseSeed(const Case& c, const CaseRunOptions& o) {
  if (c.seed) return *c.seed;
  if (o.seed) return *o.seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

// How long a command gets between SIGTERM and SIGKILL (stop, end of case).
constexpr int64_t kStopGraceNs = 2'000'000'000;
// Extra time, past the case timeout, to stop a hung command and collect
// its output for the message.
constexpr int64_t kCollectNs = 4'000'000'000;
// How long the %{ }% blocks' python3 may run, past the case timeout.
constexpr int64_t kBlocksNs = 30'000'000'000;

const char* StreamName(const Command& cmd) {
  return cmd.ready_stream == Command::Stream::kStderr ? "stderr" : "stdout";
}

bool IsCommandOp(Op op) { return op == Op::kRun || op == Op::kStop || op == Op::kWaitCommand; }

Outcome OutcomeOf(const Verdict& v) { return v.error() ? Outcome::kError : Outcome::kFail; }

// The one place where a peer's harness_error (it could not carry out the
// request: no such socket, a name in use) becomes a verdict.
std::optional<Verdict> PeerError(const peer::Reply& r) {
  if (r.harness_error.empty()) return std::nullopt;
  return Verdict::Error(r.harness_error);
}

// The step loop of one running variant. Everything outside it -- the lab,
// the peers, the wire, observations, the capture, the clock -- is `env`
// (case_env.h).
class Execution {
 public:
  Execution(const Case& c, Family f, const CaseRunOptions& o, CaseEnv& env, CaseResult* result)
      : case_(c),
        family_(f),
        options_(o),
        env_(env),
        clock_(env.clock()),
        result_(result),
        packets_(c, f, env) {}

  void Run();

 private:
  // Calls in one run at most (Case::batch_calls).
  static constexpr size_t kMaxRun = 64;
  // One step, by its kind; false when the case stops.
  bool RunStep(const Step& s);
  struct Pending {
    const Step* step;
    uint64_t request_id;
    size_t record;  // index into result_->steps
  };
  // A background command, from its start until it is awaited, stopped or
  // ended with the case.
  struct Background {
    const Step* step;  // its run step
    std::string host;
    uint64_t wait_id = 0;  // the Op::kWaitCommand sent when it started: replies at its exit
  };

  // The step records, the `requires:` skip and the setup; false when the
  // case ends before its first step (result_ already says why).
  bool Prepare(const SetupGate::Hold& gate);
  // Runs one call step to its reply (or, if async, only sends it).
  // Returns false when the case must stop here (result_ already says why).
  bool RunCall(const Step& step, const CallStep& call);
  // The peer request of a socket call step (not run/stop), with its id.
  StatusOr<peer::Request> CallRequest(const Step& step, const CallStep& call);
  // Case::batch_calls: how many steps from index `i` on form a run of calls
  // sent as one request (1: the step runs alone).
  size_t RunLength(size_t i) const;
  // Sends the `n` call steps from index `i` as one request and checks each
  // reply in order, as RunCall does one step's; `*done`: how many steps it
  // ran (the first `done` members). False when the case stops.
  bool RunBatch(size_t i, size_t n, size_t* done);
  bool RunAwait(const Step& step, const AwaitStep& await);
  // An observation step (case_requirements.h); false when the case stops.
  bool RunObserve(const Step& step, const ObserveStep& o);
  // A %{ }% block's snapshot read as packetdrill reads it, getsockopt
  // (TCP_INFO) on the fd in its host's peer; nullopt when the fd is not
  // open there (then sock_diag reads it: Observer::Snapshot).
  std::optional<ObserveOutcome> SnapshotByPeer(const ObserveStep& o);
  // Packet steps of scripted hosts and `wire:` steps (packet_steps.h).
  bool RunPacket(const Step& step, const PacketStep& p);
  bool RunWire(const Step& step, const WireSendStep& w);
  // The events before step `index` with their script times
  // (Case::keep_early_packets; packet_steps.h).
  std::vector<EventMark> MarksBefore(int index) const;
  // A `- fault:` step: the wire applies it before the next step starts.
  bool RunFault(const Step& step, const FaultStep& f);
  // A packet still waiting for a scripted host after the last step.
  void CheckScriptedLeftovers();
  // packetdrill's %{ }% blocks, after the steps passed (code_blocks.h).
  void RunCodeBlocks();
  // Checks `counters:` at the end (fails the case if the steps passed).
  void FinishObserve();
  // Waits for a call's reply and records it; false when the case stops.
  bool Finish(const Step& step, const CallStep& call, uint64_t request_id, size_t record);
  // CheckReply, with an `addr` expectation's host resolved in the variant's family.
  Verdict CheckCall(const CallStep& call, const peer::Reply& r);
  // `returned_after:` of a call that passed its other checks (`v`): its
  // return's time after the event of the step labelled `returned_since`.
  // Its window's end is later by the peer's run-queue wait during the call
  // (`run_delay_ns`, peer::Reply): the peer's lateness, not the stack's.
  Verdict CheckReturnedAfter(const Expect& e, int64_t end_ns, int64_t run_delay_ns,
                             Verdict v) const;
  // A call that got no reply by the case's deadline (or whose peer failed).
  void FinishWithoutReply(const Step& step, const CallStep& call, const Status& why,
                          StepRecord& rec);
  // Copies `v` into `rec`; fails the step unless it passed. Returns v.ok().
  bool Record(const Step& step, StepRecord& rec, const Verdict& v);
  void FailStep(const Step& step, Outcome outcome, const std::string& what);
  // Fails the case after its steps (counters, packets) unless a step did.
  void FailCase(const Verdict& v, const SourceLoc& loc, const std::string& message);
  // run / stop and the join of background commands.
  bool RunBackground(const Step& step, const CallStep& call);
  // A started background command's `ready:`; false (the step failed) when
  // it is not ready in time.
  bool WaitReady(const Step& step, const CallStep& call, const std::string& name, uint64_t wait_id);
  // `ready: {stdout|stderr: ...}` that did not hold: `started` is the run's
  // reply (the command's end if it ended first). Stops it; fails the step.
  bool LineNotReady(const Step& step, const CallStep& call, const std::string& name,
                    const peer::Reply& started);
  bool RunStop(const Step& step, const CallStep& call);
  bool JoinBackground(const std::string& id);
  // Sends a command request and waits for its reply until `deadline`.
  StatusOr<peer::Reply> Ask(const std::string& host, peer::Request req, int64_t deadline);
  // Stops command `name` on `host` within `grace_ns`, waiting until `deadline`.
  StatusOr<peer::Reply> StopCommand(const std::string& host, const std::string& name,
                                    int64_t grace_ns, int64_t deadline);
  // Copies a command's end and output into its run step's record.
  void RecordCommand(const Step& run_step, const peer::Reply& r);
  // The end of the case: background commands that exited on their own are
  // checked, the others stopped (their output recorded).
  void EndBackground();
  // The command request of a run/stop step (variables, environment, name).
  StatusOr<peer::Request> CommandRequest(const CallStep& call, const Step& step);
  void CheckLeftovers();
  // Stops the capture and checks `packets:` (fails the case if the steps passed).
  void FinishCapture();
  int64_t Deadline() const { return start_ns_ + case_.timeout.count(); }
  StepRecord& RecordOf(const Step& step) {
    return result_->steps[static_cast<size_t>(step.index - 1)];
  }

  const Case& case_;
  Family family_;
  const CaseRunOptions& options_;
  CaseEnv& env_;
  const Clock& clock_;
  CaseResult* result_;
  int64_t start_ns_ = 0;
  uint64_t next_request_ = 1;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Background> background_;  // by name (the run step's `as`)
  bool stopped_ = false;
  PacketSteps packets_;
  // Each step's event time (packet steps' anchors), by step index - 1.
  std::vector<std::optional<int64_t>> events_;
  // A call step's start stamp (the peer's clock), by step index - 1.
  std::vector<std::optional<int64_t>> starts_;
};

bool Execution::RunPacket(const Step& step, const PacketStep& p) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  int anchor_step = step.index - 1;
  // The last step before it that runs in this variant (`when:`).
  while (anchor_step > 0 && case_.steps[static_cast<size_t>(anchor_step - 1)].not_in_variant) {
    --anchor_step;
  }
  if (!p.since.empty()) {
    for (const Step& s : case_.steps) {
      if (s.label == p.since && s.index < step.index) anchor_step = s.index;
    }
  }
  StepTiming t;
  t.anchor_step = anchor_step;
  t.anchor_ns = anchor_step == 0
                    ? start_ns_
                    : events_[static_cast<size_t>(anchor_step - 1)].value_or(clock_.NowNs());
  t.deadline_ns = Deadline();
  t.script_at = step.script_at;
  if (case_.keep_early_packets) t.marks = MarksBefore(step.index);
  int64_t event = clock_.NowNs();
  Verdict v = packets_.Run(p, t, rec, &event);
  events_[static_cast<size_t>(step.index - 1)] = event;
  rec.start_offset_ns = event - start_ns_;
  return Record(step, rec, v);
}

std::vector<EventMark> Execution::MarksBefore(int index) const {
  std::vector<EventMark> marks = {EventMark{0, start_ns_, Duration(0)}};
  for (const Step& s : case_.steps) {
    if (s.index >= index) break;
    if (!s.script_at) continue;
    const auto i = static_cast<size_t>(s.index - 1);
    // A pacing sleep's script time is its end; its start is that much earlier.
    const auto* call = std::get_if<CallStep>(&s.body);
    const Duration begun = call != nullptr && call->call.op == Op::kSleep
                               ? *s.script_at - call->call.timeout
                               : *s.script_at;
    if (starts_[i]) marks.push_back(EventMark{s.index, *starts_[i], begun});
    if (events_[i]) marks.push_back(EventMark{s.index, *events_[i], *s.script_at});
  }
  return marks;
}

bool Execution::RunWire(const Step& step, const WireSendStep& w) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  int64_t event = clock_.NowNs();
  Verdict v = packets_.RunWire(w, step.index, rec, &event);
  events_[static_cast<size_t>(step.index - 1)] = event;
  rec.start_offset_ns = event - start_ns_;
  return Record(step, rec, v);
}

bool Execution::RunFault(const Step& step, const FaultStep& f) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  const int64_t event = clock_.NowNs();
  rec.start_offset_ns = event - start_ns_;
  Status st = env_.ControlFault(f, step.index);
  rec.took_ns = clock_.NowNs() - event;
  events_[static_cast<size_t>(step.index - 1)] = event;
  if (st.ok()) return Record(step, rec, Verdict::Pass("", "applied"));
  return Record(step, rec, Verdict::Error(st.message(), "", "not applied"));
}

void Execution::CheckScriptedLeftovers() {
  if (stopped_) return;
  StepRecord* last = nullptr;  // the last step of this variant (`when:`)
  for (const Step& s : case_.steps) {
    if (!s.not_in_variant) last = &RecordOf(s);
  }
  std::optional<std::string> left = packets_.Leftover(last);
  if (!left) return;
  stopped_ = true;
  result_->outcome = Outcome::kFail;
  result_->message_loc = case_.loc;
  result_->message = fmt::format("{}: unexpected packet {}", case_.loc.ToString(), *left);
}

StatusOr<peer::Request> Execution::CommandRequest(const CallStep& call, const Step& step) {
  CommandContext cx;
  cx.workdir = env_.Workdir();
  cx.vars = env_.Vars();
  cx.host = call.host;
  cx.lab_env = CommandVariables(env_.Hosts(), family_);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) cx.runner_env.emplace_back(*e);
  const std::string name = call.call.as.empty() ? fmt::format("#{}", step.index) : call.call.as;
  return BuildCommandRequest(call, name, cx);
}

void Execution::FailStep(const Step& step, Outcome outcome, const std::string& what) {
  if (stopped_) return;
  stopped_ = true;
  result_->outcome = outcome;
  result_->message_loc = step.loc;
  result_->message =
      fmt::format("{}: step {} ({}): {}", step.loc.ToString(), step.index, step.Describe(), what);
}

bool Execution::Record(const Step& step, StepRecord& rec, const Verdict& v) {
  // A harness error without its own expected/actual keeps what the step
  // already said ("ready: ...", "started, pid N").
  if (!v.error() || !v.expected.empty()) rec.expected = v.expected;
  if (!v.error() || !v.actual.empty()) rec.actual = v.actual;
  rec.ok = v.ok();
  rec.failure = v.message;
  if (!v.ok()) FailStep(step, OutcomeOf(v), v.message);
  return v.ok();
}

void Execution::FinishWithoutReply(const Step& step, const CallStep& call, const Status& why,
                                   StepRecord& rec) {
  rec.finished = false;
  rec.ok = false;
  if (why.code() != StatusCode::kTimeout) {
    rec.failure = why.message();
    FailStep(step, Outcome::kError, rec.failure);
    return;
  }
  rec.failure =
      fmt::format("did not finish within the case timeout of {}", FormatDuration(case_.timeout));
  if (call.call.op == Op::kRun) {
    // Stop it to show what it printed (bounded: a little past the timeout).
    const std::string name = call.call.as.empty() ? fmt::format("#{}", step.index) : call.call.as;
    StatusOr<peer::Reply> end =
        StopCommand(call.host, name, kStopGraceNs / 4, clock_.NowNs() + kCollectNs);
    if (end.ok()) {
      RecordCommand(step, *end);
      rec.finished = false;
      if (!rec.stdout_text.empty())
        rec.failure += "; stdout so far: " + QuoteBytes(rec.stdout_text, 400);
      if (!rec.stderr_text.empty())
        rec.failure += "; stderr so far: " + QuoteBytes(rec.stderr_text, 400);
    }
  }
  FailStep(step, Outcome::kFail, rec.failure);
}

bool Execution::Finish(const Step& step, const CallStep& call, uint64_t request_id, size_t record) {
  StatusOr<peer::Reply> reply = env_.Wait(call.host, request_id, Deadline());
  StepRecord& rec = result_->steps[record];
  if (!reply.ok()) {
    FinishWithoutReply(step, call, reply.status(), rec);
    return false;
  }
  const peer::Reply& r = reply.value();
  rec.finished = true;
  rec.ret = r.ret;
  rec.err = r.err;
  rec.bytes = r.bytes;
  rec.data.assign(r.data.begin(), r.data.end());
  rec.start_offset_ns = r.start_ns - start_ns_;
  rec.took_ns = r.end_ns - r.start_ns;
  events_[static_cast<size_t>(step.index - 1)] = r.end_ns;
  starts_[static_cast<size_t>(step.index - 1)] = r.start_ns;
  env_.OnReply(call, r);
  if (std::optional<Verdict> error = PeerError(r)) return Record(step, rec, *error);
  if (IsCommandOp(call.call.op)) RecordCommand(step, r);
  Verdict v = IsCommandOp(call.call.op) ? CheckCommand(call, r, env_.Vars()) : CheckCall(call, r);
  if (v.ok() && call.expect.returned_after) {
    v = CheckReturnedAfter(call.expect, r.end_ns, r.run_delay_ns, v);
  }
  return Record(step, rec, v);
}

Verdict Execution::CheckCall(const CallStep& call, const peer::Reply& r) {
  if (!call.expect.addr) return CheckReply(call, r);
  CallStep resolved = call;  // getsockname / getpeername of HOST:PORT
  ResolveAddrExpect(&resolved.expect, family_, env_.Hosts());
  return CheckReply(resolved, r);
}

Verdict Execution::CheckReturnedAfter(const Expect& e, int64_t end_ns, int64_t run_delay_ns,
                                      Verdict v) const {
  const Step* anchor = nullptr;
  for (const Step& s : case_.steps) {
    if (s.label == e.returned_since) anchor = &s;
  }
  const std::optional<int64_t> at =
      anchor ? events_[static_cast<size_t>(anchor->index - 1)] : std::nullopt;
  if (!at) {
    return Verdict::Error(
        fmt::format("returned_after: step '{}' has no event time", e.returned_since));
  }
  DurationRange window = *e.returned_after;
  std::string range = fmt::format("[{}, {}]", FormatDuration(window.lo), FormatDuration(window.hi));
  if (run_delay_ns > 0) {
    window.hi += Duration(run_delay_ns);
    range += fmt::format(" + {} the peer waited to run", FormatDuration(Duration(run_delay_ns)));
  }
  const Duration offset(end_ns - *at);
  const std::string off = (offset.count() < 0 ? "" : "+") + FormatDuration(offset);
  v.expected += fmt::format(", returned {} after step {}", range, anchor->index);
  v.actual += fmt::format(", returned at {} after step {}", off, anchor->index);
  if (window.Contains(offset)) return v;
  return Verdict::Fail(
      v.expected, v.actual,
      fmt::format("returned at {} after step {}, expected {}", off, anchor->index, range));
}

StatusOr<peer::Request> Execution::CallRequest(const Step& step, const CallStep& call) {
  const std::vector<HostAddrs> hosts =
      call.call.op == Op::kRun ? std::vector<HostAddrs>{} : env_.Hosts();
  auto resolve = [&hosts](const std::string& host, Family f) -> std::optional<std::string> {
    for (const HostAddrs& h : hosts) {
      if (h.name == host) return f == Family::kIPv4 ? h.addr4 : h.addr6;
    }
    return std::nullopt;
  };
  StatusOr<peer::Request> req =
      call.call.op == Op::kRun ? CommandRequest(call, step) : BuildRequest(call, family_, resolve);
  if (!req.ok()) return req;
  if (call.call.op == Op::kOpen) req->cwd = env_.Workdir();  // the file is made there
  req->id = next_request_++;
  return req;
}

bool Execution::RunCall(const Step& step, const CallStep& call) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  if (call.call.op == Op::kStop) return RunStop(step, call);
  if (call.call.op == Op::kRun && call.call.command.background) return RunBackground(step, call);
  StatusOr<peer::Request> req = CallRequest(step, call);
  if (!req.ok()) return Record(step, rec, Verdict::Error(req.status().message()));
  if (call.call.op == Op::kRun) rec.argv = req->argv;
  env_.OnRequest(call, *req);
  Status sent = env_.Send(call.host, req.value());
  if (!sent.ok()) return Record(step, rec, Verdict::Error(sent.message()));
  if (call.async) {
    std::string id = call.id.empty() ? call.call.as : call.id;
    pending_[id] = Pending{&step, req->id, static_cast<size_t>(step.index - 1)};
    return true;
  }
  return Finish(step, call, req->id, static_cast<size_t>(step.index - 1));
}

// A run ends before a step that is not a call of the same host (a
// command; a packet, an observation, an await, another host's step),
// before a labelled step (its label is signalled when it starts), after an
// async call (a time range: it blocks while the script goes on; the peer
// starts it right after the call before it, and the runner goes on as it
// does after sending it alone) and after a call whose check needs more
// than its return value (SetGoOn): the peer cannot tell whether the
// script would stop there.
size_t Execution::RunLength(size_t i) const {
  if (!case_.batch_calls) return 1;
  const auto* first = std::get_if<CallStep>(&case_.steps[i].body);
  size_t n = 0;
  for (size_t j = i; j < case_.steps.size() && n < kMaxRun; ++j) {
    const Step& s = case_.steps[j];
    const auto* c = std::get_if<CallStep>(&s.body);
    if (c == nullptr || first == nullptr || IsCommandOp(c->call.op) || c->host != first->host ||
        s.not_in_variant || (j > i && !s.label.empty())) {
      break;
    }
    ++n;
    peer::Request probe;
    if (c->async || !SetGoOn(*c, &probe)) break;
  }
  return std::max<size_t>(n, 1);
}

bool Execution::RunBatch(size_t i, size_t n, size_t* done) {
  peer::Request batch;
  batch.id = next_request_++;
  const std::string& host = std::get<CallStep>(case_.steps[i].body).host;
  size_t bytes = 0;
  for (size_t k = 0; k < n; ++k) {
    const Step& s = case_.steps[i + k];
    const auto& call = std::get<CallStep>(s.body);
    StatusOr<peer::Request> req = CallRequest(s, call);
    bytes += req.ok() ? req->data.size() : 0;
    // A call whose request cannot be made (its step says why when it runs
    // alone) or that would make the message too large starts the next run.
    if (k > 0 && (!req.ok() || bytes > peer::kMaxMessageBytes / 2)) break;
    if (!req.ok()) return RunCall(s, call);  // its step records the error
    if (k + 1 < n) SetGoOn(call, &*req);
    batch.batch.push_back(std::move(*req));
  }
  if (batch.batch.size() == 1)
    return RunCall(case_.steps[i], std::get<CallStep>(case_.steps[i].body));
  const Status sent = env_.Send(host, batch);
  for (size_t k = 0; k < batch.batch.size(); ++k) {
    const Step& s = case_.steps[i + k];
    const auto& call = std::get<CallStep>(s.body);
    StepRecord& rec = RecordOf(s);
    rec.ran = true;
    *done = k + 1;
    if (!sent.ok()) return Record(s, rec, Verdict::Error(sent.message()));
    env_.OnRequest(call, batch.batch[k]);
    if (call.async) {  // the last member: it returns when the script awaits it
      pending_[call.id.empty() ? call.call.as : call.id] =
          Pending{&s, batch.batch[k].id, static_cast<size_t>(s.index - 1)};
      return true;
    }
    if (!Finish(s, call, batch.batch[k].id, static_cast<size_t>(s.index - 1))) return false;
  }
  return true;
}

bool Execution::RunAwait(const Step& step, const AwaitStep& await) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  if (background_.count(await.id) != 0) {
    const bool ok = JoinBackground(await.id);
    rec.finished = true;
    rec.ok = ok;
    rec.actual = ok ? "joined" : "the awaited command failed";
    return ok;
  }
  auto it = pending_.find(await.id);
  if (it == pending_.end()) {
    return Record(step, rec,
                  Verdict::Error(fmt::format("no async step '{}' is running", await.id)));
  }
  Pending p = it->second;
  pending_.erase(it);
  const auto& call = std::get<CallStep>(p.step->body);
  bool ok = Finish(*p.step, call, p.request_id, p.record);
  // The await's event is the call's return (the anchor of the next packet
  // step), not the time the step loop got to it.
  events_[static_cast<size_t>(step.index - 1)] = events_[p.record];
  rec.finished = true;
  rec.ok = ok;
  rec.actual = ok ? "joined" : "the awaited step failed";
  return ok;
}

void Execution::CheckLeftovers() {
  // Async steps nobody awaited: a finished one is checked, a running one is
  // a mistake in the case (it would hide a hang).
  for (auto& [id, p] : pending_) {
    const auto& call = std::get<CallStep>(p.step->body);
    if (env_.HasReply(call.host, p.request_id)) {
      if (!Finish(*p.step, call, p.request_id, p.record)) return;
      continue;
    }
    StepRecord& rec = result_->steps[p.record];
    rec.finished = false;
    rec.ok = false;
    rec.failure = fmt::format("still running at the end of the case (add `await: {}`)", id);
    FailStep(*p.step, Outcome::kFail, rec.failure);
    return;
  }
}

// Where a setup error points: the sysctl it names ("host 'server': sysctl
// KEY ...", harness/lab/sysctl.h), in hosts: or matrix:, else the case.
SourceLoc SetupErrorLoc(const Case& c, const std::string& message) {
  for (const HostSpec& h : c.hosts) {
    for (size_t i = 0; i < h.sysctls.size() && i < h.sysctl_locs.size(); ++i) {
      if (message.find(fmt::format("host '{}': sysctl {} ", h.name, h.sysctls[i].first)) !=
          std::string::npos) {
        return h.sysctl_locs[i];
      }
    }
  }
  for (const MatrixSysctl& m : c.matrix) {
    if (message.find(fmt::format("host '{}': sysctl {} ", m.host, m.key)) != std::string::npos) {
      return m.loc;
    }
  }
  return c.loc;
}

bool Execution::Prepare(const SetupGate::Hold& gate) {
  events_.assign(case_.steps.size(), std::nullopt);
  starts_.assign(case_.steps.size(), std::nullopt);
  for (const Step& s : case_.steps) {
    StepRecord rec;
    rec.step_index = s.index;
    rec.loc = s.loc;
    rec.description = s.Describe();
    if (const auto* c = std::get_if<CallStep>(&s.body)) rec.host = c->host;
    if (const auto* o = std::get_if<ObserveStep>(&s.body)) rec.host = o->host;
    if (const auto* p = std::get_if<PacketStep>(&s.body)) rec.host = p->host;
    if (std::holds_alternative<WireSendStep>(s.body)) rec.host = "wire";
    if (std::holds_alternative<FaultStep>(s.body)) rec.host = "wire";
    result_->steps.push_back(std::move(rec));
  }
  if (std::optional<std::string> unmet =
          env_.UnmetRequirement()) {  // `requires:` (case_requirements.h)
    result_->outcome = Outcome::kSkip;
    result_->message_loc = case_.requirements->loc;
    result_->message = fmt::format("{}: {}", case_.requirements->loc.ToString(), *unmet);
    return false;
  }
  const std::string interrupted = env_.InterruptReason();
  if (gate.interrupted() || !interrupted.empty()) {  // SIGINT/SIGTERM (interrupt.h)
    const std::string reason = interrupted.empty() ? InterruptReason() : interrupted;
    result_->outcome = Outcome::kError;
    result_->message =
        fmt::format("{}: {} before its lab was set up", case_.loc.ToString(), reason);
    result_->message_loc = case_.loc;
    return false;
  }
  Status st = env_.Setup(start_ns_, result_);
  if (!st.ok()) {
    const SourceLoc loc = SetupErrorLoc(case_, st.message());
    result_->outcome = st.code() == StatusCode::kUnsupported ? Outcome::kSkip : Outcome::kError;
    result_->message = fmt::format("{}: {}", loc.ToString(), st.message());
    result_->message_loc = loc;
    return false;
  }
  return true;
}

bool Execution::RunStep(const Step& s) {
  return std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, CallStep>)
          return RunCall(s, body);
        else if constexpr (std::is_same_v<T, AwaitStep>)
          return RunAwait(s, body);
        else if constexpr (std::is_same_v<T, ObserveStep>)
          return RunObserve(s, body);
        else if constexpr (std::is_same_v<T, PacketStep>)
          return RunPacket(s, body);
        else if constexpr (std::is_same_v<T, FaultStep>)
          return RunFault(s, body);
        else
          return RunWire(s, body);
      },
      s.body);
}

void Execution::Run() {
  // A setup slot first; the case's clock starts once it has one (setup_gate.h).
  SetupGate::Hold gate(options_.setup_gate);
  start_ns_ = clock_.NowNs();
  result_->start_mono_ns = start_ns_;
  const bool ready = Prepare(gate);
  gate.Release();
  if (!ready) return;

  for (size_t i = 0; i < case_.steps.size(); ++i) {
    const Step& s = case_.steps[i];
    if (std::string reason = env_.InterruptReason(); !reason.empty()) {
      // SIGINT/SIGTERM: name the step it stopped before
      RecordOf(s).failure = reason;
      FailStep(s, Outcome::kError, reason + " before this step");
      break;
    }
    if (s.not_in_variant) {  // `when:` does not hold in this variant
      RecordOf(s).not_in_variant = true;
      continue;
    }
    if (!s.label.empty()) env_.SignalStep(s.label);
    size_t ran = 1;
    const size_t run = RunLength(i);
    const bool go = run > 1 ? RunBatch(i, run, &ran) : RunStep(s);
    for (size_t k = i; k < i + ran; ++k) {
      if (!events_[k]) events_[k] = clock_.NowNs();
    }
    i += ran - 1;
    if (!go) break;
  }
  if (!stopped_) CheckLeftovers();
  CheckScriptedLeftovers();
  if (!stopped_) RunCodeBlocks();
  FinishObserve();
  FinishCapture();
  EndBackground();
}

StatusOr<peer::Reply> Execution::Ask(const std::string& host, peer::Request req, int64_t deadline) {
  req.id = next_request_++;
  FL_RETURN_IF_ERROR(env_.Send(host, req));
  return env_.Wait(host, req.id, deadline);
}

StatusOr<peer::Reply> Execution::StopCommand(const std::string& host, const std::string& name,
                                             int64_t grace_ns, int64_t deadline) {
  peer::Request stop;
  stop.op = Op::kStop;
  stop.fd = name;
  stop.timeout_ns = grace_ns;
  return Ask(host, stop, deadline);
}

void Execution::RecordCommand(const Step& run_step, const peer::Reply& r) {
  StepRecord& rec = RecordOf(run_step);
  rec.command_end = CommandEnd(r);
  if (r.pid == 0) return;
  rec.stdout_text.assign(r.out.begin(), r.out.end());
  rec.stderr_text.assign(r.err_out.begin(), r.err_out.end());
  rec.stdout_bytes = r.out_bytes;
  rec.stderr_bytes = r.err_bytes;
  if (r.exited) {
    rec.finished = true;
    rec.took_ns = r.end_ns - r.start_ns;
  }
}

bool Execution::RunBackground(const Step& step, const CallStep& call) {
  // A background command: start it, arm its join, wait for `ready`.
  StepRecord& rec = RecordOf(step);
  auto harness_fail = [&](const std::string& what) {
    return Record(step, rec, Verdict::Error(what));
  };
  StatusOr<peer::Request> req = CommandRequest(call, step);
  if (!req.ok()) return harness_fail(req.status().message());
  rec.argv = req->argv;
  const Command& cmd = call.call.command;
  if (cmd.ready_stream) {  // the peer replies once ready, ended, or after this
    const int64_t limit = std::min(clock_.NowNs() + cmd.ready_within.count(), Deadline());
    req->timeout_ns = std::max<int64_t>(limit - clock_.NowNs(), 0);
  }
  StatusOr<peer::Reply> started = Ask(call.host, *req, Deadline());
  if (!started.ok()) return harness_fail(started.status().message());
  if (std::optional<Verdict> error = PeerError(*started)) return Record(step, rec, *error);
  rec.start_offset_ns = started->start_ns - start_ns_;
  if (started->pid == 0) {  // it could not start: that is the command's result
    RecordCommand(step, *started);
    Verdict check = CheckCommand(call, *started, env_.Vars());
    rec.finished = true;
    return Record(
        step, rec,
        Verdict::Fail(check.expected, check.actual,
                      fmt::format("could not start {}: {}", rec.argv[0], ErrnoName(started->err))));
  }
  if (cmd.ready_stream && !started->ready) return LineNotReady(step, call, req->as, *started);
  peer::Request wait;
  wait.op = Op::kWaitCommand;
  wait.fd = req->as;
  wait.id = next_request_++;
  if (Status sent = env_.Send(call.host, wait); !sent.ok()) return harness_fail(sent.message());
  background_[call.call.as] = Background{&step, call.host, wait.id};
  rec.actual = fmt::format("started, pid {}", started->pid);
  if (cmd.ready_stream) {
    rec.expected = fmt::format("ready: {} line {}", StreamName(cmd), cmd.ready_line.ToString());
    rec.actual +=
        fmt::format(", line {} after {}", QuoteBytes(started->ready_line, 200),
                    FormatDuration(std::chrono::nanoseconds(started->end_ns - started->start_ns)));
    return true;
  }
  if (!cmd.ready_port && !cmd.ready_udp_port) return true;
  return WaitReady(step, call, req->as, wait.id);
}

bool Execution::LineNotReady(const Step& step, const CallStep& call, const std::string& name,
                             const peer::Reply& started) {
  StepRecord& rec = RecordOf(step);
  const Command& cmd = call.call.command;
  const std::string want = fmt::format("{} line {}", StreamName(cmd), cmd.ready_line.ToString());
  rec.expected = "ready: " + want;
  std::string why = fmt::format("no {} within {}", want, FormatDuration(cmd.ready_within));
  bool ended = started.exited;
  if (ended) {
    RecordCommand(step, started);
  } else {
    StatusOr<peer::Reply> end =
        StopCommand(call.host, name, kStopGraceNs / 4, clock_.NowNs() + kCollectNs);
    if (end.ok()) {
      RecordCommand(step, *end);
      ended = !end->stopped;
    }
  }
  if (ended) why = fmt::format("it exited ({}) before a {}", rec.command_end, want);
  const std::string& out =
      *cmd.ready_stream == Command::Stream::kStdout ? rec.stdout_text : rec.stderr_text;
  if (*cmd.ready_stream == Command::Stream::kStdout) {
    why += "; stdout: " + QuoteBytes(out, 400);
  }
  if (!rec.stderr_text.empty() || *cmd.ready_stream == Command::Stream::kStderr) {
    why += "; stderr: " + QuoteBytes(rec.stderr_text, 400);
  }
  rec.ok = false;
  rec.failure = why;
  rec.actual = ended ? "exited before it was ready" : "not ready";
  FailStep(step, Outcome::kFail, why);
  return false;
}

bool Execution::WaitReady(const Step& step, const CallStep& call, const std::string& name,
                          uint64_t wait_id) {
  StepRecord& rec = RecordOf(step);
  const Command& cmd = call.call.command;
  const bool udp = cmd.ready_udp_port.has_value();
  const uint16_t port = udp ? *cmd.ready_udp_port : *cmd.ready_port;
  const int64_t limit = std::min(clock_.NowNs() + cmd.ready_within.count(), Deadline());
  auto exited = [this, &call, wait_id] { return env_.HasReply(call.host, wait_id); };
  ObserveOutcome ready = udp ? env_.WaitUdpBound(call.host, port, limit, exited)
                             : env_.WaitListening(call.host, port, limit, exited);
  const Verdict& v = ready.verdict;
  rec.expected = "ready: " + v.expected;
  if (v.ok()) {
    rec.actual += ", " + v.actual;
    return true;
  }
  // Not ready: say why, with what it printed.
  const std::string within = FormatDuration(cmd.ready_within);
  std::string why = v.error() ? v.message
                    : udp     ? fmt::format("not bound to UDP port {} within {}", port, within)
                              : fmt::format("not listening on port {} within {}", port, within);
  StatusOr<peer::Reply> end =
      StopCommand(call.host, name, kStopGraceNs / 4, clock_.NowNs() + kCollectNs);
  background_.erase(call.call.as);
  if (end.ok()) {
    RecordCommand(step, *end);
    if (!end->stopped) {
      why = udp ? fmt::format("it exited ({}) before binding UDP port {}", CommandEnd(*end), port)
                : fmt::format("it exited ({}) before listening on port {}", CommandEnd(*end), port);
    }
    if (!rec.stderr_text.empty()) why += "; stderr: " + QuoteBytes(rec.stderr_text, 400);
  }
  rec.ok = false;
  rec.failure = why;
  rec.actual = v.actual;
  FailStep(step, OutcomeOf(v), why);
  return false;
}

bool Execution::RunStop(const Step& step, const CallStep& call) {
  StepRecord& rec = RecordOf(step);
  auto it = background_.find(call.call.fd);
  if (it == background_.end()) {
    return Record(
        step, rec,
        Verdict::Error(fmt::format("no background command '{}' is running", call.call.fd)));
  }
  const Background bg = it->second;
  background_.erase(it);
  StatusOr<peer::Reply> end = StopCommand(bg.host, call.call.fd, kStopGraceNs, Deadline());
  if (!end.ok()) return Record(step, rec, Verdict::Error(end.status().message()));
  if (std::optional<Verdict> error = PeerError(*end)) return Record(step, rec, *error);
  (void)env_.Wait(bg.host, bg.wait_id, Deadline());  // its join has its answer too now
  RecordCommand(*bg.step, *end);
  RecordOf(*bg.step).actual = CommandEnd(*end);
  rec.ran = rec.finished = true;
  rec.start_offset_ns = end->start_ns - start_ns_;
  return Record(step, rec, CheckCommand(call, *end, env_.Vars(), /*by_stop_step=*/true));
}

bool Execution::JoinBackground(const std::string& id) {
  const Background bg = background_.at(id);
  background_.erase(id);
  const auto& run_call = std::get<CallStep>(bg.step->body);
  return Finish(*bg.step, run_call, bg.wait_id, static_cast<size_t>(bg.step->index - 1));
}

void Execution::EndBackground() {
  for (auto& [name, bg] : background_) {
    const auto& run_call = std::get<CallStep>(bg.step->body);
    if (env_.HasReply(bg.host, bg.wait_id)) {
      // It ended on its own during the case: that end must be what the
      // run step expects (exit 0 by default).
      (void)Finish(*bg.step, run_call, bg.wait_id, static_cast<size_t>(bg.step->index - 1));
      continue;
    }
    StatusOr<peer::Reply> end =
        StopCommand(bg.host, name, kStopGraceNs, clock_.NowNs() + kStopGraceNs + kCollectNs);
    if (end.ok() && !PeerError(*end)) {
      RecordCommand(*bg.step, *end);
      RecordOf(*bg.step).actual = CommandEnd(*end) + " at the end of the case";
    }
  }
  background_.clear();
}

std::optional<ObserveOutcome> Execution::SnapshotByPeer(const ObserveStep& o) {
  ObserveOutcome out;
  out.start_ns = clock_.NowNs();
  peer::Request req;
  req.op = Op::kGetsockopt;
  req.fd = o.fd;
  req.level = IPPROTO_TCP;
  req.optname = TCP_INFO;
  StatusOr<peer::Reply> r = Ask(o.host, req, Deadline());
  out.took_ns = clock_.NowNs() - out.start_ns;
  const std::string expected = "tcp_info of " + o.fd;
  if (!r.ok()) {
    out.verdict = Verdict::Error(r.status().message(), expected, "not observed");
    return out;
  }
  if (!r->harness_error.empty()) return std::nullopt;  // not open in the peer
  if (r->ret != 0 || r->data.empty()) {
    // packetdrill fails the script too when getsockopt(TCP_INFO) fails.
    const std::string actual =
        fmt::format("getsockopt(TCP_INFO) = {} {}", r->ret, ErrnoName(r->err));
    out.verdict = Verdict::Fail(
        expected, actual,
        fmt::format("%{{ }}% block {}: no tcp_info for socket {}: {}", o.block, o.fd, actual));
    return out;
  }
  const std::string_view raw(reinterpret_cast<const char*>(r->data.data()), r->data.size());
  for (const TcpInfoValue& v : TcpInfoFields(raw)) out.snapshot.emplace_back(v.name, v.value);
  out.snapshot_bytes = r->data.size();
  out.verdict = Verdict::Pass(
      expected, fmt::format("{}, {} fields ({} bytes, getsockopt)", TcpStateName(r->data[0]),
                            out.snapshot.size(), out.snapshot_bytes));
  return out;
}

bool Execution::RunObserve(const Step& step, const ObserveStep& o) {
  StepRecord& rec = RecordOf(step);
  rec.ran = true;
  std::optional<ObserveOutcome> by_peer;
  if (o.kind == ObserveKind::kSnapshot) by_peer = SnapshotByPeer(o);
  ObserveOutcome r = by_peer ? std::move(*by_peer) : env_.Observe(o, Deadline());
  rec.finished = true;
  rec.start_offset_ns = r.start_ns - start_ns_;
  rec.took_ns = r.took_ns;
  rec.snapshot = std::move(r.snapshot);
  rec.snapshot_bytes = r.snapshot_bytes;
  return Record(step, rec, r.verdict);
}

void Execution::RunCodeBlocks() {
  std::vector<CodeBlock> blocks;
  std::string host;
  for (const Step& s : case_.steps) {
    const auto* o = std::get_if<ObserveStep>(&s.body);
    if (o == nullptr || o->kind != ObserveKind::kSnapshot) continue;
    blocks.push_back(CodeBlock{o->block, s.loc, o->code, RecordOf(s).snapshot});
    host = o->host;
  }
  if (blocks.empty()) return;
  // One python3 for all blocks, a command of the host's confined peer
  // (never on the runner's host: the code is the script's).
  peer::Request req;
  req.op = Op::kRun;
  req.as = "%{}%";
  req.cwd = env_.Workdir();
  req.argv = {"python3", "-I", "-"};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) req.env.emplace_back(*e);
  const std::string program = BlockProgram(blocks);
  req.has_stdin = true;
  req.data.assign(program.begin(), program.end());
  const int64_t limit = std::max(Deadline(), clock_.NowNs()) + kBlocksNs;
  StatusOr<peer::Reply> end = Ask(host, req, limit);
  if (!end.ok() && end.status().code() == StatusCode::kTimeout) {
    (void)StopCommand(host, req.as, kStopGraceNs / 4, clock_.NowNs() + kCollectNs);
    return FailCase(Verdict::Fail("", "", ""), blocks.front().loc,
                    fmt::format("{}: %{{ }}% blocks: python3 did not finish within {}",
                                blocks.front().loc.ToString(),
                                FormatDuration(std::chrono::nanoseconds(kBlocksNs))));
  }
  if (!end.ok()) {
    return FailCase(Verdict::Error(end.status().message()), blocks.front().loc,
                    fmt::format("{}: %{{ }}% blocks: {}", blocks.front().loc.ToString(),
                                end.status().message()));
  }
  const BlockRunEnd r = InterpretBlockRun(blocks, host, *end);
  if (r.outcome == Outcome::kPass) return;
  stopped_ = true;
  result_->outcome = r.outcome;
  result_->message = r.message;
  result_->message_loc = r.loc;
}

void Execution::FailCase(const Verdict& v, const SourceLoc& loc, const std::string& message) {
  if (stopped_ || v.ok()) return;  // a step failed first: its message stands
  stopped_ = true;
  result_->outcome = OutcomeOf(v);
  result_->message = message;
  result_->message_loc = loc;
}

void Execution::FinishObserve() {
  const Verdict v = env_.FinishCounters();
  // The message starts with the failing counter's location: report it there
  // (with the case's, reports would show both locations).
  SourceLoc loc = case_.loc;
  for (const CounterExpect& x : case_.counters) {
    if (v.message.rfind(x.loc.ToString() + ": ", 0) == 0) {
      loc = x.loc;
      break;
    }
  }
  FailCase(v, loc, v.message);
}

void Execution::FinishCapture() {
  const Verdict v = env_.FinishCapture(start_ns_);
  if (v.error())
    return FailCase(v, case_.loc, fmt::format("{}: {}", case_.loc.ToString(), v.message));
  SourceLoc loc = case_.loc;
  for (const PacketCheckRecord& r : result_->packet_checks) {
    if (!r.ok) {
      loc = r.loc;
      break;
    }
  }
  FailCase(v, loc, v.message);
}

}  // namespace

CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options,
                          CaseEnv& env) {
  CaseResult result;
  result.name = c.name;
  result.variant = options.variant.empty() ? FamilyName(family) : options.variant;
  result.file = c.loc.file;
  result.description = c.description;
  result.tags = c.tags;
  for (const Fault& f : c.faults) result.faults.push_back(f.Describe());
  const Clock& clock = env.clock();
  result.start_unix_ms = clock.UnixMs();
  result.seed = ChooseSeed(c, options);
  const int64_t t0 = clock.NowNs();
  Execution e(c, family, options, env, &result);
  e.Run();
  if (result.outcome == Outcome::kFail || result.outcome == Outcome::kError)
    env.KeepFailed(&result);
  env.Teardown();
  result.duration_ns = clock.NowNs() - t0;
  ApplyExpectedFailure(c, &result);  // `xfail:` (case_requirements.h)
  return result;
}

}  // namespace faultline
