#include "harness/runner/case_runner.h"

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "harness/capture/case_capture.h"
#include "harness/common/clock.h"
#include "harness/common/errno_names.h"
#include "harness/lab/lab.h"
#include "harness/peer/peer_client.h"
#include "harness/runner/expect_check.h"
#include "harness/runner/keep.h"
#include "harness/runner/observer.h"
#include "harness/runner/request.h"
#include "harness/runner/setup_gate.h"
#include "injectors/wire.h"

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

 private:
  struct Pending {
    const Step* step;
    uint64_t request_id;
    size_t record;  // index into result_->steps
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
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<Capture> capture_;  // before the wire: sees the first SYN
  std::unique_ptr<Wire> wire_;
  std::unique_ptr<Observer> observer_;  // observation steps, counters, environment
  std::map<std::string, std::unique_ptr<peer::PeerClient>> peers_;
  std::map<std::string, Pending> pending_;
  bool stopped_ = false;
};

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
  CheckResult check = CheckReply(call, r);
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
  StatusOr<peer::Request> req = BuildRequest(call, family_, resolve);
  if (!req.ok()) {
    rec.ok = false;
    rec.failure = req.status().message();
    FailStep(step, Outcome::kError, rec.failure);
    return false;
  }
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
  Status st = Setup();
  gate.Release();
  if (!st.ok()) {
    result_->outcome = st.code() == StatusCode::kUnsupported ? Outcome::kSkip : Outcome::kError;
    result_->message = fmt::format("{}: {}", case_.loc.ToString(), st.message());
    result_->message_loc = case_.loc;
    return;
  }

  for (const Step& s : case_.steps) {
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
