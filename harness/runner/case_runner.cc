#include "harness/runner/case_runner.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "harness/capture/case_capture.h"
#include "harness/common/clock.h"
#include "harness/common/errno_names.h"
#include "harness/common/interrupt.h"
#include "harness/lab/lab.h"
#include "harness/peer/peer_client.h"
#include "harness/runner/expect_check.h"
#include "harness/runner/keep.h"
#include "harness/runner/observer.h"
#include "harness/runner/request.h"
#include "harness/runner/setup_gate.h"
#include "harness/runner/workdir.h"
#include "injectors/wire.h"

extern char** environ;

namespace faultline {
namespace {

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

bool IsCommandOp(Op op) { return op == Op::kRun || op == Op::kStop || op == Op::kWaitCommand; }

bool HasCommands(const Case& c) {
  for (const Step& st : c.steps) {
    const auto* call = std::get_if<CallStep>(&st.body);
    if (call != nullptr && call->call.op == Op::kRun) return true;
  }
  return false;
}

// The ${...} values of a variant (harness/model/lab_vars.h).
VarLookup VariantVars(const Lab& lab, Family family, const std::string& workdir) {
  LabVarValues values;
  values.ipv6 = family == Family::kIPv6;
  values.workdir = workdir;
  const Lab* l = &lab;
  values.address = [l](const std::string& host, bool six) -> std::optional<std::string> {
    const LabHost* h = l->host(host);
    if (h == nullptr) return std::nullopt;
    return six ? h->addr6 : h->addr4;
  };
  return LabVarLookup(values);
}

// Everything one running variant owns. Member order is teardown order in
// reverse: peers die first, then the wire stops, then the lab goes.
class Execution {
 public:
  Execution(const Case& c, Family f, const CaseRunOptions& o, CaseResult* result)
      : case_(c), family_(f), options_(o), result_(result) {}
  ~Execution() {
    for (auto& [name, peer] : peers_) peer->Kill();
    if (wire_) {
      (void)wire_->Stop();
      result_->packets = wire_->Log();
    }
  }

  void Run();
  const Lab* lab() const { return lab_.get(); }
  Workdir* workdir() const { return workdir_.get(); }

 private:
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

  Status Setup();
  // Runs one call step to its reply (or, if async, only sends it).
  // Returns false when the case must stop here (result_ already says why).
  bool RunCall(const Step& step, const CallStep& call);
  bool RunAwait(const Step& step, const AwaitStep& await);
  // An observation step (observer.h); false when the case stops.
  bool RunObserve(const Step& step, const ObserveStep& o);
  // Checks `counters:` at the end (fails the case if the steps passed).
  void FinishObserve();
  // Waits for a call's reply and records it; false when the case stops.
  bool Finish(const Step& step, const CallStep& call, uint64_t request_id, size_t record);
  void FailStep(const Step& step, Outcome outcome, const std::string& what);
  // run / stop and the join of background commands.
  bool RunBackground(const Step& step, const CallStep& call);
  bool RunStop(const Step& step, const CallStep& call);
  bool JoinBackground(const std::string& id);
  // Sends a command request and waits for its reply until `deadline`.
  StatusOr<peer::Reply> Ask(const std::string& host, peer::Request req, int64_t deadline);
  // Copies a command's end and output into its run step's record.
  void RecordCommand(const Step& run_step, const peer::Reply& r);
  // The end of the case: background commands that exited on their own are
  // checked, the others stopped (their output recorded).
  void EndBackground();
  // The command request of a run/stop step (variables, environment, name).
  StatusOr<peer::Request> CommandRequest(const CallStep& call, const Step& step);
  // The variant's ${...} values (after Setup).
  VarLookup Vars() const { return VariantVars(*lab_, family_, workdir_ ? workdir_->path() : ""); }
  void CheckLeftovers();
  // Stops the capture and checks `packets:` (fails the case if the steps passed).
  void FinishCapture();
  int64_t Deadline() const { return start_ns_ + case_.timeout.count(); }

  const Case& case_;
  Family family_;
  const CaseRunOptions& options_;
  CaseResult* result_;
  int64_t start_ns_ = 0;
  uint64_t next_request_ = 1;
  std::unique_ptr<Workdir> workdir_;  // cases with run steps; removed after the peers died
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<Capture> capture_;  // before the wire: sees the first SYN
  std::unique_ptr<Wire> wire_;
  std::unique_ptr<Observer> observer_;  // observation steps, counters, environment
  std::map<std::string, std::unique_ptr<peer::PeerClient>> peers_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Background> background_;  // by name (the run step's `as`)
  bool stopped_ = false;
};

StatusOr<peer::Request> Execution::CommandRequest(const CallStep& call, const Step& step) {
  CommandContext cx;
  cx.workdir = workdir_ ? workdir_->path() : "";
  cx.vars = Vars();
  cx.host = call.host;
  std::vector<HostAddrs> hosts;
  for (const LabHost& h : lab_->hosts()) hosts.push_back({h.name, h.addr4, h.addr6});
  cx.lab_env = CommandVariables(hosts, family_);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) cx.runner_env.emplace_back(*e);
  const std::string name = call.call.as.empty() ? fmt::format("#{}", step.index) : call.call.as;
  return BuildCommandRequest(call, name, cx);
}

Status Execution::Setup() {
  LabSpec spec;
  spec.hosts = case_.hosts;
  StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
  if (!lab.ok()) return lab.status().Prefixed("building the lab");
  lab_ = std::move(lab).value();

  // The peers first: each one's exec, dynamic loading and start-up (~5-10
  // ms of its own CPU) then runs while this thread starts the capture, the
  // wire and the observer. A peer only acts on requests, and the first is
  // sent after all of that.
  for (const LabHost& h : lab_->hosts()) {
    StatusOr<std::unique_ptr<peer::PeerClient>> p =
        peer::PeerClient::Spawn(options_.faultline_bin, h.netns.get(), h.name);
    if (!p.ok()) return p.status().Prefixed(fmt::format("starting the peer of host '{}'", h.name));
    peers_[h.name] = std::move(p).value();
  }

  StatusOr<std::unique_ptr<Capture>> cap =
      StartCaseCapture(case_, *lab_, options_.out_dir, result_);
  if (!cap.ok()) return cap.status();
  capture_ = std::move(cap).value();

  WireConfig wc;
  wc.netns_fd = lab_->wire_netns();
  for (const LabHost& h : lab_->hosts())
    wc.links.push_back({h.name, h.wire_ifname, h.addr4, h.addr6});
  wc.faults = case_.faults;
  wc.seed = result_->seed;
  wc.case_start_ns = start_ns_;
  StatusOr<std::unique_ptr<Wire>> wire = Wire::Start(wc);
  if (!wire.ok()) return wire.status().Prefixed("starting the wire");
  wire_ = std::move(wire).value();

  if (HasCommands(case_)) {
    std::string path;
    if (!result_->pcap_path.empty()) {
      namespace fs = std::filesystem;
      const fs::path pcap(result_->pcap_path);
      path = (pcap.parent_path().parent_path() / "work" / pcap.stem()).string();
    }
    StatusOr<std::unique_ptr<Workdir>> w = Workdir::Create(path);
    if (!w.ok()) return w.status();
    workdir_ = std::move(w).value();
  }
  observer_ = std::make_unique<Observer>(case_, family_, *lab_, wire_.get(), result_);
  if (Status ost = observer_->Start(); !ost.ok()) return ost.Prefixed("observer");
  return Status::Ok();
}

void Execution::FailStep(const Step& step, Outcome outcome, const std::string& what) {
  if (stopped_) return;
  stopped_ = true;
  result_->outcome = outcome;
  result_->message_loc = step.loc;
  result_->message =
      fmt::format("{}: step {} ({}): {}", step.loc.ToString(), step.index, step.Describe(), what);
}

bool Execution::Finish(const Step& step, const CallStep& call, uint64_t request_id, size_t record) {
  peer::PeerClient& peer = *peers_.at(call.host);
  StatusOr<peer::Reply> reply = peer.Wait(request_id, Deadline());
  StepRecord& rec = result_->steps[record];
  if (!reply.ok()) {
    rec.finished = false;
    rec.ok = false;
    if (reply.status().code() == StatusCode::kTimeout) {
      rec.failure = fmt::format("did not finish within the case timeout of {}",
                                FormatDuration(case_.timeout));
      if (call.call.op == Op::kRun) {
        // Stop it to show what it printed (bounded: a little past the timeout).
        peer::Request stop;
        stop.op = Op::kStop;
        stop.fd = call.call.as.empty() ? fmt::format("#{}", step.index) : call.call.as;
        stop.timeout_ns = kStopGraceNs / 4;
        StatusOr<peer::Reply> end = Ask(call.host, stop, MonotonicNs() + kCollectNs);
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
    } else {
      rec.failure = reply.status().message();
      FailStep(step, Outcome::kError, rec.failure);
    }
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
  if (observer_) observer_->OnReply(call, r);
  if (!r.harness_error.empty()) {
    rec.ok = false;
    rec.failure = r.harness_error;
    FailStep(step, Outcome::kError, r.harness_error);
    return false;
  }
  if (IsCommandOp(call.call.op)) RecordCommand(step, r);
  CheckResult check =
      IsCommandOp(call.call.op) ? CheckCommand(call, r, Vars()) : CheckReply(call, r);
  rec.expected = check.expected;
  rec.actual = check.actual;
  rec.ok = check.ok;
  rec.failure = check.failure;
  if (!check.ok) {
    FailStep(step, Outcome::kFail, check.failure);
    return false;
  }
  return true;
}

bool Execution::RunCall(const Step& step, const CallStep& call) {
  StepRecord& rec = result_->steps[static_cast<size_t>(step.index - 1)];
  rec.ran = true;
  auto resolve = [this](const std::string& host, Family f) -> std::optional<std::string> {
    const LabHost* h = lab_->host(host);
    if (!h) return std::nullopt;
    return h->Address(f);
  };
  if (call.call.op == Op::kStop) return RunStop(step, call);
  if (call.call.op == Op::kRun && call.call.command.background) return RunBackground(step, call);
  StatusOr<peer::Request> req =
      call.call.op == Op::kRun ? CommandRequest(call, step) : BuildRequest(call, family_, resolve);
  if (!req.ok()) {
    rec.ok = false;
    rec.failure = req.status().message();
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
  if (call.call.op == Op::kRun) rec.argv = req->argv;
  req->id = next_request_++;
  if (observer_) observer_->OnRequest(call, *req);
  Status sent = peers_.at(call.host)->Send(req.value());
  if (!sent.ok()) {
    rec.ok = false;
    rec.failure = sent.message();
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
  if (call.async) {
    std::string id = call.id.empty() ? call.call.as : call.id;
    pending_[id] = Pending{&step, req->id, static_cast<size_t>(step.index - 1)};
    return true;
  }
  return Finish(step, call, req->id, static_cast<size_t>(step.index - 1));
}

bool Execution::RunAwait(const Step& step, const AwaitStep& await) {
  StepRecord& rec = result_->steps[static_cast<size_t>(step.index - 1)];
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
    rec.ok = false;
    rec.failure = fmt::format("no async step '{}' is running", await.id);
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
  Pending p = it->second;
  pending_.erase(it);
  const auto& call = std::get<CallStep>(p.step->body);
  bool ok = Finish(*p.step, call, p.request_id, p.record);
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
    peer::PeerClient& peer = *peers_.at(call.host);
    if (peer.HasReply(p.request_id)) {
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

void Execution::Run() {
  // A setup slot first; the case's clock starts once it has one (setup_gate.h).
  SetupGate::Hold gate(options_.setup_gate);
  start_ns_ = MonotonicNs();
  result_->start_mono_ns = start_ns_;
  for (const Step& s : case_.steps) {
    StepRecord rec;
    rec.step_index = s.index;
    rec.loc = s.loc;
    rec.description = s.Describe();
    if (const auto* c = std::get_if<CallStep>(&s.body)) rec.host = c->host;
    if (const auto* o = std::get_if<ObserveStep>(&s.body)) rec.host = o->host;
    result_->steps.push_back(std::move(rec));
  }

  if (std::optional<std::string> unmet = UnmetRequirement(case_)) {  // `requires:` (observer.h)
    result_->outcome = Outcome::kSkip;
    result_->message_loc = case_.requirements->loc;
    result_->message = fmt::format("{}: {}", case_.requirements->loc.ToString(), *unmet);
    return;
  }
  if (gate.interrupted() || InterruptSignal() != 0) {  // SIGINT/SIGTERM (interrupt.h)
    result_->outcome = Outcome::kError;
    result_->message =
        fmt::format("{}: {} before its lab was set up", case_.loc.ToString(), InterruptReason());
    result_->message_loc = case_.loc;
    return;
  }
  Status st = Setup();
  gate.Release();
  if (!st.ok()) {
    result_->outcome = st.code() == StatusCode::kUnsupported ? Outcome::kSkip : Outcome::kError;
    result_->message = fmt::format("{}: {}", case_.loc.ToString(), st.message());
    result_->message_loc = case_.loc;
    return;
  }

  for (const Step& s : case_.steps) {
    if (InterruptSignal() != 0) {  // SIGINT/SIGTERM: name the step it stopped before
      result_->steps[static_cast<size_t>(s.index - 1)].failure = InterruptReason();
      FailStep(s, Outcome::kError, InterruptReason() + " before this step");
      break;
    }
    if (!s.label.empty()) wire_->SignalStep(s.label);
    bool go = std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, CallStep>)
            return RunCall(s, body);
          else if constexpr (std::is_same_v<T, AwaitStep>)
            return RunAwait(s, body);
          else
            return RunObserve(s, body);
        },
        s.body);
    if (!go) break;
  }
  if (!stopped_) CheckLeftovers();
  FinishObserve();
  FinishCapture();
  EndBackground();
}

StatusOr<peer::Reply> Execution::Ask(const std::string& host, peer::Request req, int64_t deadline) {
  peer::PeerClient& peer = *peers_.at(host);
  req.id = next_request_++;
  FL_RETURN_IF_ERROR(peer.Send(req));
  return peer.Wait(req.id, deadline);
}

void Execution::RecordCommand(const Step& run_step, const peer::Reply& r) {
  StepRecord& rec = result_->steps[static_cast<size_t>(run_step.index - 1)];
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
  StepRecord& rec = result_->steps[static_cast<size_t>(step.index - 1)];
  auto harness_fail = [&](const std::string& what) {
    rec.ok = false;
    rec.failure = what;
    FailStep(step, Outcome::kError, what);
    return false;
  };
  StatusOr<peer::Request> req = CommandRequest(call, step);
  if (!req.ok()) return harness_fail(req.status().message());
  rec.argv = req->argv;
  StatusOr<peer::Reply> started = Ask(call.host, *req, Deadline());
  if (!started.ok()) return harness_fail(started.status().message());
  if (!started->harness_error.empty()) return harness_fail(started->harness_error);
  rec.start_offset_ns = started->start_ns - start_ns_;
  if (started->pid == 0) {  // it could not start: that is the command's result
    RecordCommand(step, *started);
    CheckResult check = CheckCommand(call, *started, Vars());
    rec.finished = true;
    rec.expected = check.expected;
    rec.actual = check.actual;
    rec.ok = false;
    rec.failure = fmt::format("could not start {}: {}", rec.argv[0], ErrnoName(started->err));
    FailStep(step, Outcome::kFail, rec.failure);
    return false;
  }
  peer::PeerClient& peer = *peers_.at(call.host);
  peer::Request wait;
  wait.op = Op::kWaitCommand;
  wait.fd = req->as;
  wait.id = next_request_++;
  if (Status sent = peer.Send(wait); !sent.ok()) return harness_fail(sent.message());
  background_[call.call.as] = Background{&step, call.host, wait.id};
  rec.actual = fmt::format("started, pid {}", started->pid);
  if (!call.call.command.ready_port) return true;

  const uint16_t port = *call.call.command.ready_port;
  const int64_t limit =
      std::min(MonotonicNs() + call.call.command.ready_within.count(), Deadline());
  ObserveOutcome ready = observer_->WaitListening(
      call.host, port, limit, [&peer, id = wait.id] { return peer.HasReply(id); });
  rec.expected = "ready: " + ready.expected;
  if (ready.ok) {
    rec.actual += ", " + ready.actual;
    return true;
  }
  // Not ready: say why, with what it printed.
  std::string why = ready.harness_error
                        ? ready.failure
                        : fmt::format("not listening on port {} within {}", port,
                                      FormatDuration(call.call.command.ready_within));
  peer::Request stop;
  stop.op = Op::kStop;
  stop.fd = req->as;
  stop.timeout_ns = kStopGraceNs / 4;
  StatusOr<peer::Reply> end = Ask(call.host, stop, MonotonicNs() + kCollectNs);
  background_.erase(call.call.as);
  if (end.ok()) {
    RecordCommand(step, *end);
    if (!end->stopped)
      why = fmt::format("it exited ({}) before listening on port {}", CommandEnd(*end), port);
    if (!rec.stderr_text.empty()) why += "; stderr: " + QuoteBytes(rec.stderr_text, 400);
  }
  rec.ok = false;
  rec.failure = why;
  rec.actual = ready.actual;
  FailStep(step, ready.harness_error ? Outcome::kError : Outcome::kFail, why);
  return false;
}

bool Execution::RunStop(const Step& step, const CallStep& call) {
  StepRecord& rec = result_->steps[static_cast<size_t>(step.index - 1)];
  auto it = background_.find(call.call.fd);
  if (it == background_.end()) {
    rec.ok = false;
    rec.failure = fmt::format("no background command '{}' is running", call.call.fd);
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
  const Background bg = it->second;
  background_.erase(it);
  peer::Request stop;
  stop.op = Op::kStop;
  stop.fd = call.call.fd;
  stop.timeout_ns = kStopGraceNs;
  StatusOr<peer::Reply> end = Ask(bg.host, stop, Deadline());
  if (!end.ok() || !end->harness_error.empty()) {
    rec.ok = false;
    rec.failure = end.ok() ? end->harness_error : end.status().message();
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
  (void)peers_.at(bg.host)->Wait(bg.wait_id, Deadline());  // its join has its answer too now
  RecordCommand(*bg.step, *end);
  StepRecord& run_rec = result_->steps[static_cast<size_t>(bg.step->index - 1)];
  run_rec.actual = CommandEnd(*end);
  CheckResult check = CheckCommand(call, *end, Vars(),
                                   /*by_stop_step=*/true);
  rec.ran = rec.finished = true;
  rec.start_offset_ns = end->start_ns - start_ns_;
  rec.expected = check.expected;
  rec.actual = check.actual;
  rec.ok = check.ok;
  rec.failure = check.failure;
  if (!check.ok) FailStep(step, Outcome::kFail, check.failure);
  return check.ok;
}

bool Execution::JoinBackground(const std::string& id) {
  const Background bg = background_.at(id);
  background_.erase(id);
  const auto& run_call = std::get<CallStep>(bg.step->body);
  return Finish(*bg.step, run_call, bg.wait_id, static_cast<size_t>(bg.step->index - 1));
}

void Execution::EndBackground() {
  for (auto& [name, bg] : background_) {
    peer::PeerClient& peer = *peers_.at(bg.host);
    const auto& run_call = std::get<CallStep>(bg.step->body);
    if (peer.HasReply(bg.wait_id)) {
      // It ended on its own during the case: that end must be what the
      // run step expects (exit 0 by default).
      (void)Finish(*bg.step, run_call, bg.wait_id, static_cast<size_t>(bg.step->index - 1));
      continue;
    }
    peer::Request stop;
    stop.op = Op::kStop;
    stop.fd = name;
    stop.timeout_ns = kStopGraceNs;
    StatusOr<peer::Reply> end = Ask(bg.host, stop, MonotonicNs() + kStopGraceNs + kCollectNs);
    if (end.ok() && end->harness_error.empty()) {
      RecordCommand(*bg.step, *end);
      StepRecord& rec = result_->steps[static_cast<size_t>(bg.step->index - 1)];
      rec.actual = CommandEnd(*end) + " at the end of the case";
    }
  }
  background_.clear();
}

bool Execution::RunObserve(const Step& step, const ObserveStep& o) {
  StepRecord& rec = result_->steps[static_cast<size_t>(step.index - 1)];
  rec.ran = true;
  ObserveOutcome r = observer_->Run(o, Deadline());
  rec.finished = true;
  rec.start_offset_ns = r.start_ns - start_ns_;
  rec.took_ns = r.took_ns;
  rec.expected = r.expected;
  rec.actual = r.actual;
  rec.ok = r.ok;
  rec.failure = r.failure;
  if (!r.ok) FailStep(step, r.harness_error ? Outcome::kError : Outcome::kFail, r.failure);
  return r.ok;
}

void Execution::FinishObserve() {
  if (!observer_) return;
  StatusOr<std::string> failed = observer_->FinishCounters();
  if (stopped_) return;  // a step failed first: its message stands
  if (!failed.ok()) {
    stopped_ = true;
    result_->outcome = Outcome::kError;
    result_->message = failed.status().message();
    result_->message_loc = case_.loc;
  } else if (!failed->empty()) {
    stopped_ = true;
    result_->outcome = Outcome::kFail;
    result_->message = *failed;
    result_->message_loc = case_.loc;
  }
}

void Execution::FinishCapture() {
  if (!capture_) return;
  StatusOr<std::string> failed = FinishCaseCapture(case_, *lab_, *capture_, start_ns_, result_);
  if (stopped_) return;  // a step failed first: its message stands
  if (!failed.ok()) {
    stopped_ = true;
    result_->outcome = Outcome::kError;
    result_->message = fmt::format("{}: {}", case_.loc.ToString(), failed.status().message());
    result_->message_loc = case_.loc;
  } else if (!failed->empty()) {
    stopped_ = true;
    result_->outcome = Outcome::kFail;
    result_->message = *failed;
    for (const PacketCheckRecord& r : result_->packet_checks) {
      if (!r.ok) {
        result_->message_loc = r.loc;
        break;
      }
    }
  }
}

}  // namespace

CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options) {
  CaseResult result;
  result.name = c.name;
  result.variant = options.variant.empty() ? FamilyName(family) : options.variant;
  result.file = c.loc.file;
  result.description = c.description;
  result.tags = c.tags;
  for (const Fault& f : c.faults) result.faults.push_back(f.Describe());
  result.start_unix_ms = UnixMs();
  result.seed = ChooseSeed(c, options);
  int64_t t0 = MonotonicNs();
  {
    Execution e(c, family, options, &result);
    e.Run();
    const bool failed = result.outcome == Outcome::kFail || result.outcome == Outcome::kError;
    if (failed && e.workdir() != nullptr && !options.out_dir.empty()) e.workdir()->Keep();
    if (options.keep_failed && e.lab() != nullptr &&
        (result.outcome == Outcome::kFail || result.outcome == Outcome::kError)) {
      KeepFailedLab(*e.lab(), &result);
    }
  }
  result.duration_ns = MonotonicNs() - t0;
  ApplyExpectedFailure(c, &result);  // `xfail:` (observer.h)
  return result;
}

}  // namespace faultline
