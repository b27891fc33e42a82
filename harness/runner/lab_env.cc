#include "harness/runner/lab_env.h"

#include <filesystem>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "harness/capture/case_capture.h"
#include "harness/common/interrupt.h"
#include "harness/observe/state_trace.h"
#include "harness/runner/keep.h"

namespace faultline {
namespace {

bool UsesThrough(const Case& c) {
  for (const Step& st : c.steps) {
    const auto* o = std::get_if<ObserveStep>(&st.body);
    if (o != nullptr && !o->through.empty()) return true;
  }
  return false;
}

bool UsesStays(const Case& c) {
  for (const Step& st : c.steps) {
    const auto* o = std::get_if<ObserveStep>(&st.body);
    if (o != nullptr && o->stays) return true;
  }
  return false;
}

// A `timing:` event is a state transition: it is placed from the history.
bool UsesStateTiming(const Case& c) {
  for (const TimingExpect& t : c.timing) {
    for (const TimingEvent* ev : {&t.from, &t.to}) {
      if (std::holds_alternative<TimingEvent::State>(ev->what)) return true;
    }
  }
  return false;
}

// What in the case needs the state history ("" when nothing does).
std::string NeedsHistory(const Case& c) {
  if (UsesThrough(c)) return "'through' needs it";
  if (UsesStays(c)) return "'stays' needs it";
  if (UsesStateTiming(c)) return "a state event of 'timing' needs it";
  return "";
}

bool HasCommands(const Case& c) {
  for (const Step& st : c.steps) {
    const auto* call = std::get_if<CallStep>(&st.body);
    // open: the file is made in the workdir (docs/packetdrill.md).
    if (call != nullptr && (call->call.op == Op::kRun || call->call.op == Op::kOpen)) return true;
  }
  return false;
}

}  // namespace

LabEnv::LabEnv(const Case& c, Family family, const CaseRunOptions& options, const Clock& clock)
    : case_(c), family_(family), options_(options), clock_(clock) {}

LabEnv::~LabEnv() { Teardown(); }

std::string LabEnv::InterruptReason() const { return faultline::InterruptReason(); }

std::optional<std::string> LabEnv::UnmetRequirement() { return faultline::UnmetRequirement(case_); }

Status LabEnv::Setup(int64_t start_ns, CaseResult* result) {
  result_ = result;
  LabSpec spec;
  spec.hosts = case_.hosts;
  for (HostSpec& h : spec.hosts) {
    if (family_ == Family::kIPv6 && h.mtu_ipv6) h.mtu = *h.mtu_ipv6;
  }
  StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
  if (!lab.ok()) return lab.status().Prefixed("building the lab");
  lab_ = std::move(lab).value();

  // The peers first: each one's exec, dynamic loading and start-up (~5-10
  // ms of its own CPU) then runs while this thread starts the capture, the
  // wire and the observer. A peer only acts on requests, and the first is
  // sent after all of that. A scripted host gets none: it has a namespace,
  // a link and addresses, but nothing runs in it (the case is its stack).
  const std::string peer_bin = peer::PeerExecutable(options_.faultline_bin);
  for (const LabHost& h : lab_->hosts()) {
    if (const HostSpec* spec = case_.FindHost(h.name); spec != nullptr && spec->scripted) continue;
    StatusOr<std::unique_ptr<peer::PeerClient>> p =
        peer::PeerClient::Spawn(peer_bin, h.netns.get(), h.name, clock_);
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
  for (const HostSpec& h : case_.hosts) {
    if (h.scripted) wc.scripted.push_back({h.name, h.ignore});
  }
  wc.faults = case_.faults;
  wc.copy_range = WireCopyRange(case_);
  wc.seed = result_->seed;
  wc.case_start_ns = start_ns;
  StatusOr<std::unique_ptr<Wire>> wire = Wire::Start(wc);
  if (!wire.ok()) return wire.status().Prefixed("starting the wire");
  wire_ = std::move(wire).value();

  if (HasCommands(case_)) {
    std::string path;
    if (!result_->pcaps.empty()) {  // OUT/pcap/NAME/HOST.pcap: OUT/work/NAME
      namespace fs = std::filesystem;
      const fs::path pcap_dir = fs::path(result_->pcaps.front().path).parent_path();
      path = (pcap_dir.parent_path().parent_path() / "work" / pcap_dir.filename()).string();
    }
    StatusOr<std::unique_ptr<faultline::Workdir>> w = faultline::Workdir::Create(path);
    if (!w.ok()) return w.status();
    workdir_ = std::move(w).value();
  }
  const Wire* w = wire_.get();
  ActivitySource activity = [w](uint64_t seen, int64_t deadline_ns) {
    return w->WaitActivity(seen, deadline_ns);
  };
  observer_ = std::make_unique<Observer>(case_, family_, *lab_, activity, result_, clock_,
                                         &StateTracer::Global());
  if (Status ost = observer_->Start(); !ost.ok()) return ost.Prefixed("observer");
  if (const std::string needs = NeedsHistory(case_);
      !needs.empty() && !observer_->HistoryUnavailable().empty()) {
    return Status::Unsupported(fmt::format("socket state history unavailable: {}; {}",
                                           observer_->HistoryUnavailable(), needs));
  }
  return Status::Ok();
}

void LabEnv::KeepFailed(CaseResult* result) {
  if (workdir_ != nullptr && !options_.out_dir.empty()) workdir_->Keep();
  if (options_.keep_failed && lab_ != nullptr) KeepFailedLab(*lab_, result);
}

void LabEnv::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  for (auto& [name, peer] : peers_) peer->SignalKill();  // all end at once
  for (auto& [name, peer] : peers_) peer->Kill();
  if (wire_) {
    (void)wire_->Stop();
    if (result_ != nullptr) result_->packets = wire_->Log();
  }
  // Now, not at destruction: the lab's removal is part of the variant's time.
  peers_.clear();
  if (observer_) observer_->RecordHistory();
  observer_.reset();
  wire_.reset();
  capture_.reset();
  lab_.reset();
  workdir_.reset();
}

std::vector<HostAddrs> LabEnv::Hosts() const {
  std::vector<HostAddrs> hosts;
  for (const LabHost& h : lab_->hosts()) hosts.push_back({h.name, h.addr4, h.addr6});
  return hosts;
}

VarLookup LabEnv::Vars() const {
  LabVarValues values;
  values.ipv6 = family_ == Family::kIPv6;
  values.workdir = Workdir();
  const Lab* l = lab_.get();
  values.address = [l](const std::string& host, bool six) -> std::optional<std::string> {
    const LabHost* h = l->host(host);
    if (h == nullptr) return std::nullopt;
    return six ? h->addr6 : h->addr4;
  };
  return LabVarLookup(values);
}

std::string LabEnv::Workdir() const { return workdir_ ? workdir_->path() : ""; }

StatusOr<peer::PeerClient*> LabEnv::PeerOf(const std::string& host) const {
  auto it = peers_.find(host);
  if (it != peers_.end()) return it->second.get();
  const HostSpec* spec = case_.FindHost(host);
  if (spec != nullptr && spec->scripted) {
    return Status::Invalid(
        fmt::format("host '{}' is scripted: it has no peer process (its steps are packets)", host));
  }
  return Status::Invalid(fmt::format("host '{}' has no peer process", host));
}

Status LabEnv::Send(const std::string& host, const peer::Request& req) {
  StatusOr<peer::PeerClient*> p = PeerOf(host);
  if (!p.ok()) return p.status();
  return (*p)->Send(req);
}

StatusOr<peer::Reply> LabEnv::Wait(const std::string& host, uint64_t id, int64_t deadline_ns) {
  StatusOr<peer::PeerClient*> p = PeerOf(host);
  if (!p.ok()) return p.status();
  return (*p)->Wait(id, deadline_ns);
}

bool LabEnv::HasReply(const std::string& host, uint64_t id) {
  StatusOr<peer::PeerClient*> p = PeerOf(host);
  return p.ok() && (*p)->HasReply(id);
}

bool LabEnv::HasPeer(const std::string& host) const { return peers_.count(host) != 0; }

void LabEnv::SignalStep(const std::string& label) {
  if (observer_) observer_->OnStepStart(label);
  wire_->SignalStep(label);
}

Status LabEnv::ControlFault(const FaultStep& step, int step_index) {
  return wire_->ControlFault(step, step_index);
}

void LabEnv::OnRequest(const CallStep& call, const peer::Request& req) {
  if (observer_) observer_->OnRequest(call, req);
}

void LabEnv::OnReply(const CallStep& call, const peer::Reply& reply) {
  if (observer_) observer_->OnReply(call, reply);
}

ObserveOutcome LabEnv::Observe(const ObserveStep& o, int64_t case_deadline) {
  return observer_->Run(o, case_deadline);
}

ObserveOutcome LabEnv::WaitListening(const std::string& host, uint16_t port, int64_t limit,
                                     const std::function<bool()>& exited) {
  return observer_->WaitListening(host, port, limit, exited);
}

ObserveOutcome LabEnv::WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                                    const std::function<bool()>& exited) {
  return observer_->WaitUdpBound(host, port, limit, exited);
}

Verdict LabEnv::FinishCounters() {
  if (!observer_) return Verdict::Pass("", "");
  return observer_->FinishCounters();
}

Verdict LabEnv::FinishCapture(int64_t start_ns) {
  if (!capture_) return Verdict::Pass("", "");
  std::function<void()> history;
  if (observer_ && UsesStateTiming(case_)) {
    Observer* o = observer_.get();
    history = [o] { o->RecordHistory(); };  // again at teardown, with what came later
  }
  return FinishCaseCapture(case_, *lab_, *capture_, start_ns, result_, history);
}

CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options) {
  LabEnv env(c, family, options);
  return RunCaseVariant(c, family, options, env);
}

StatusOr<int64_t> LabEnv::SendPacket(const std::string&, std::vector<uint8_t> bytes) {
  StatusOr<WirePacket> p = wire_->Inject(std::move(bytes));
  if (!p.ok()) return p.status();
  return p->at_ns;
}

StatusOr<TakenPacket> LabEnv::NextPacket(const std::string& host, int64_t deadline_ns) {
  StatusOr<WirePacket> p = wire_->Take(host, deadline_ns);
  if (!p.ok()) return p.status();
  return TakenPacket{std::move(p->bytes), p->at_ns, p->seq_no, std::move(p->line), p->ignorable};
}

void LabEnv::MarkIgnored(uint64_t seq_no) {
  if (wire_) wire_->MarkIgnored(seq_no);
}

StatusOr<TakenPacket> LabEnv::InjectInto(const WireSendStep& step, int step_index) {
  StatusOr<WirePacket> p = wire_->InjectInto(step, step_index);
  if (!p.ok()) return p.status();
  return TakenPacket{std::move(p->bytes), p->at_ns, p->seq_no, std::move(p->line), false};
}

}  // namespace faultline
