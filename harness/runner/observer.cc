#include "harness/runner/observer.h"

#include <sys/socket.h>
#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/lab/sysctl.h"
#include "harness/observe/environment.h"
#include "harness/observe/tcp_info_fields.h"
#include "harness/observe/wait_until.h"
#include "harness/runner/counter_check.h"
#include "harness/runner/history_check.h"

namespace faultline {
namespace {

constexpr int64_t kPollNs = 2'000'000;    // fallback re-read for timer-driven changes
constexpr int64_t kFollowUpNs = 300'000;  // re-read soon after a packet: it lands later

void SleepUntil(int64_t until) {
  timespec ts{};
  ts.tv_sec = until / 1'000'000'000;
  ts.tv_nsec = until % 1'000'000'000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// Wakes on every round of wire activity (a packet handled: a state may
// change when it lands), re-reads shortly after it, and at most kPollNs
// apart otherwise.
class WireSource : public WaitSource {
 public:
  WireSource(const ActivitySource& activity, const Clock& clock)
      : activity_(activity), clock_(clock) {
    if (activity_) seen_ = activity_(0, 0);
  }
  int64_t Now() override { return clock_.NowNs(); }
  void Wait(int64_t until) override {
    if (!activity_) return SleepUntil(until);
    if (follow_up_) until = std::min(until, Now() + kFollowUpNs);
    uint64_t a = activity_(seen_, until);
    follow_up_ = a != seen_;
    seen_ = a;
    if (!follow_up_ && Now() < until) SleepUntil(until);  // the wire thread has ended
  }

 private:
  const ActivitySource& activity_;
  const Clock& clock_;
  uint64_t seen_ = 0;
  bool follow_up_ = false;
};

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

bool IsDurationField(const std::string& f) { return f == "rto" || f == "rtt"; }

// The value of a tcp_info: field; nullopt for an unknown name.
std::optional<int64_t> FieldValue(const DiagSocket& s, const std::string& f) {
  const tcp_info& i = s.info;
  if (f == "retransmits") return i.tcpi_retransmits;
  if (f == "total_retrans") return i.tcpi_total_retrans;
  if (f == "unacked") return i.tcpi_unacked;
  if (f == "lost") return i.tcpi_lost;
  if (f == "retrans") return i.tcpi_retrans;
  if (f == "sacked") return i.tcpi_sacked;
  if (f == "probes") return i.tcpi_probes;
  if (f == "backoff") return i.tcpi_backoff;
  if (f == "rto") return i.tcpi_rto;
  if (f == "rtt") return i.tcpi_rtt;
  if (f == "snd_cwnd") return i.tcpi_snd_cwnd;
  if (f == "ssthresh") return i.tcpi_snd_ssthresh;
  if (f == "recv_q") return s.rqueue;
  if (f == "send_q") return s.wqueue;
  if (f == "queued") return s.rqueue;
  if (f == "backlog") return s.wqueue;
  return std::nullopt;
}

std::string FieldText(const std::string& f, int64_t v) {
  if (IsDurationField(f)) return FormatDuration(std::chrono::microseconds(v));
  return std::to_string(v);
}

// The queue:/tcp_info: fields of `o` read off socket `s`.
Probe FieldsProbe(const ObserveStep& o, const DiagSocket& s) {
  Probe p;
  std::vector<std::string> vals;
  p.holds = true;
  for (const FieldExpect& f : o.fields) {
    int64_t v = FieldValue(s, f.name).value_or(0);
    vals.push_back(f.name + " " + FieldText(f.name, v));
    if (!f.expect.Contains(v)) p.holds = false;
  }
  p.value = Join(vals, ", ");
  return p;
}

}  // namespace

Observer::Observer(const Case& c, Family family, const Lab& lab, ActivitySource activity,
                   CaseResult* result, const Clock& clock, StateHistorySource* histories)
    : case_(c),
      family_(family),
      lab_(lab),
      activity_(std::move(activity)),
      clock_(clock),
      result_(result),
      histories_(histories) {
  wants_counters_ = !c.counters.empty();
  for (const Step& st : c.steps) {
    const auto* o = std::get_if<ObserveStep>(&st.body);
    if (o == nullptr || o->kind != ObserveKind::kCounters) continue;
    wants_counters_ = true;
    if (!o->since.empty()) label_counters_[o->since];
  }
}

Status Observer::ReadAllCounters(std::map<std::string, Counters>* into) {
  for (auto& [name, hs] : hosts_) {
    StatusOr<Counters> c = ReadNetnsCounters(hs.netns);
    if (!c.ok()) return c.status().Prefixed(fmt::format("host '{}': counters", name));
    (*into)[name] = std::move(c).value();
  }
  return Status::Ok();
}

void Observer::NoteState(const std::string& host, const std::string& target,
                         const std::string& state) {
  std::string& last = last_state_[host + "/" + target];
  if (last == state) return;
  last = state;
  result_->states.push_back(StateEvent{clock_.NowNs(), host, target, state});
}

Status Observer::Start() {
  Environment& env = result_->environment;
  env.kernel = RunningKernel();
  env.congestion_available = AvailableCongestion();
  for (const LabHost& h : lab_.hosts()) {
    const HostSpec* spec = case_.FindHost(h.name);
    // A scripted host has no stack the case uses: no sysctls to report, no
    // counters (the loader refuses them), no sockets to observe.
    if (spec != nullptr && spec->scripted) {
      env.hosts.push_back(Environment::Host{h.name, {}, true});
      continue;
    }
    HostState& hs = hosts_[h.name];
    hs.netns = h.netns.get();
    std::vector<std::string> keys;
    if (spec != nullptr) {
      for (const auto& [k, v] : spec->sysctls) keys.push_back(k);
    }
    for (const std::string& k : InterestingSysctls()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
    StatusOr<std::vector<std::pair<std::string, std::string>>> sys =
        ReadNetnsSysctls(hs.netns, keys);
    if (!sys.ok()) return sys.status().Prefixed(fmt::format("host '{}': sysctls", h.name));
    env.hosts.push_back(Environment::Host{h.name, std::move(sys).value(), false});
    if (wants_counters_) {
      StatusOr<Counters> c = ReadNetnsCounters(hs.netns);
      if (!c.ok()) return c.status().Prefixed(fmt::format("host '{}': counters", h.name));
      hs.start = std::move(c).value();
    }
  }
  StartHistory();
  return Status::Ok();
}

namespace {

bool HasStateSteps(const Case& c) {
  for (const Step& st : c.steps) {
    const auto* o = std::get_if<ObserveStep>(&st.body);
    if (o != nullptr && o->kind == ObserveKind::kState) return true;
  }
  return false;
}

HistoryKey KeyFor(const ObserveStep& o, const SockTuple& t, bool reverse) {
  HistoryKey k;
  if (o.port) {
    using Side = ObserveStep::PortSelector::Side;
    k.by_port = true;
    k.port = o.port->port;
    k.port_side = o.port->side == Side::kLocal ? 1 : o.port->side == Side::kRemote ? 2 : 0;
    return k;
  }
  k.laddr = t.laddr;
  k.lport = t.lport;
  k.raddr = t.raddr;
  k.rport = t.rport;
  k.listener = t.listener;
  k.reverse = reverse;
  return k;
}

}  // namespace

void Observer::StartHistory() {
  if (histories_ == nullptr) {
    history_reason_ = "not recorded by this runner";
    return;
  }
  Status st = histories_->Start();
  for (auto it = hosts_.begin(); st.ok() && it != hosts_.end(); ++it) {
    StatusOr<std::shared_ptr<StateHistory>> h = histories_->Watch(it->second.netns);
    if (!h.ok()) {
      st = h.status();
    } else {
      it->second.history = std::move(h).value();
    }
  }
  if (st.ok()) return;
  history_reason_ = st.message();
  for (auto& [name, hs] : hosts_) hs.history.reset();
  if (HasStateSteps(case_)) {
    result_->notes.push_back(
        fmt::format("socket state history unavailable: {}; states are polled", history_reason_));
  }
}

void Observer::OnStepStart(const std::string& label) {
  step_starts_[label] = clock_.NowNs();
  auto it = label_counters_.find(label);
  if (it == label_counters_.end()) return;
  it->second.clear();
  if (Status st = ReadAllCounters(&it->second); !st.ok()) {
    label_counters_error_[label] = st.message();
  }
}

void Observer::RecordHistory() {
  if (histories_ == nullptr || !history_reason_.empty()) return;
  histories_->Drain();
  // Every call copies the whole history again: an earlier copy (for
  // `timing:`) is replaced, not appended to.
  result_->transitions.clear();
  uint64_t lost = 0;
  for (const auto& [name, hs] : hosts_) {
    if (!hs.history) continue;
    lost += hs.history->Lost();
    std::vector<StateTransition> all = hs.history->Transitions(INT64_MAX);
    std::map<uint64_t, const StateTransition*> named;  // a socket's addresses
    for (const StateTransition& t : all) {
      if (t.lport != 0) named[t.sk] = &t;
    }
    for (const StateTransition& t : all) {
      const StateTransition& n = named.count(t.sk) ? *named[t.sk] : t;
      std::string sock = n.family == AF_INET6
                             ? fmt::format("[{}]:{} > [{}]:{}", n.laddr, n.lport, n.raddr, n.rport)
                             : fmt::format("{}:{} > {}:{}", n.laddr, n.lport, n.raddr, n.rport);
      result_->transitions.push_back(TransitionRecord{
          t.at_ns, name, std::move(sock), TcpStateName(t.old_state), TcpStateName(t.new_state)});
    }
  }
  std::stable_sort(
      result_->transitions.begin(), result_->transitions.end(),
      [](const TransitionRecord& a, const TransitionRecord& b) { return a.at_ns < b.at_ns; });
  if (lost != 0) {  // one note, with the latest count
    const std::string head = "socket state history incomplete: ";
    std::erase_if(result_->notes, [&](const std::string& n) { return n.rfind(head, 0) == 0; });
    result_->notes.push_back(
        fmt::format("{}{} transitions lost (the ring buffer was full)", head, lost));
  }
  result_->transitions_lost = lost;
}

Probe Observer::WithHistory(const ObserveStep& o, const SockTuple& tuple, bool reverse,
                            int64_t start_ns, Probe base) {
  const HostState& hs = hosts_.at(o.host);
  histories_->Drain();
  const int64_t now = clock_.NowNs();
  const std::vector<std::vector<StateTransition>> lives =
      MatchLives(hs.history->Transitions(now), KeyFor(o, tuple, reverse));
  Probe p = base;
  bool is_ok = o.states.empty() || base.holds;
  // `within:`: the socket was in the state at any instant since the step's
  // start. Without it the check is about now, and sock_diag (base) is what
  // is true now: the history may lack a transition (a ring buffer full, a
  // close the kernel does not trace), so it never overrules it.
  if (!is_ok && o.within) {
    std::string seen = SeenInWindow(lives, o.states, start_ns, now);
    if (!seen.empty()) {
      is_ok = true;
      p.value = fmt::format("{} (history: {} since the step's start)", base.value, seen);
    }
  }
  p.holds = is_ok;
  if (o.through.empty()) return p;
  int64_t since = 0;
  if (!o.since.empty()) {
    auto it = step_starts_.find(o.since);
    since = it == step_starts_.end() ? now : it->second;
  }
  Probe t = ThroughProbe(lives, o.through, since, o.port ? "" : base.value);
  if (!t.holds && hs.history->Lost() != 0) {
    t.value += fmt::format(" (the history is incomplete: {} transitions lost)", hs.history->Lost());
  }
  p.holds = is_ok && t.holds;
  p.value = o.states.empty() ? t.value : fmt::format("{}, path {}", p.value, t.value);
  return p;
}

std::optional<std::string> UnmetRequirement(const Case& c) {
  if (!c.requirements) return std::nullopt;
  auto exists = [](const std::string& key) { return ReadSysctl(key).ok(); };
  return faultline::UnmetRequirement(*c.requirements, RunningKernel(), AvailableCongestion(),
                                     exists);
}

void Observer::OnRequest(const CallStep& call, const peer::Request& req) {
  const SocketCall& c = call.call;
  if (c.op == Op::kSocket || (c.op == Op::kConnect && c.fd.empty())) {
    tuples_.erase(call.host + "/" + c.as);
  }
  // A TCP sendto/sendmsg with an address (Fast Open: MSG_FASTOPEN) connects
  // the socket as connect does; the address is all that is known of it.
  const bool connects_by_send = (c.op == Op::kSendto || c.op == Op::kSendmsg) && req.port != 0 &&
                                !tuples_[call.host + "/" + c.fd].Known();
  if (c.op == Op::kConnect || connects_by_send) {
    SockTuple& t = tuples_[call.host + "/" + (c.fd.empty() ? c.as : c.fd)];
    t.raddr = req.addr;
    t.rport = req.port;
    t.listener = false;
  }
}

void Observer::OnReply(const CallStep& call, const peer::Reply& r) {
  const SocketCall& c = call.call;
  std::string name;
  switch (c.op) {
    case Op::kListen:
    case Op::kConnect:
    case Op::kBind: name = c.fd.empty() ? c.as : c.fd; break;
    case Op::kAccept: name = c.as; break;
    case Op::kSendto:
    case Op::kSendmsg: {
      // A connecting send (OnRequest): its reply's local address tells
      // this connection from the host's earlier ones to the same peer.
      auto it = tuples_.find(call.host + "/" + c.fd);
      if (it == tuples_.end() || it->second.listener || it->second.lport != 0 ||
          it->second.rport == 0) {
        return;
      }
      name = c.fd;
      break;
    }
    case Op::kDup:
      name = c.as;
      if (auto it = tuples_.find(call.host + "/" + c.fd); it != tuples_.end()) {
        tuples_[call.host + "/" + name] = it->second;
      }
      break;
    default: return;
  }
  // A connect (or connecting send) that failed with EINPROGRESS connects still.
  if (r.ret < 0 && c.op != Op::kConnect && c.op != Op::kSendto && c.op != Op::kSendmsg) return;
  SockTuple& t = tuples_[call.host + "/" + name];
  if (c.op == Op::kListen) t.listener = true;
  if (r.local_port != 0) {
    t.laddr = r.local_addr;
    t.lport = r.local_port;
  }
  if (r.remote_port != 0) {
    t.raddr = r.remote_addr;
    t.rport = r.remote_port;
  }
}

StatusOr<SockDiag*> Observer::DiagOf(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return Status::Invalid(fmt::format("no host '{}' in the lab", host));
  HostState& hs = it->second;
  if (!hs.diag) {
    StatusOr<SockDiag> d = SockDiag::Open(hs.netns);
    if (!d.ok()) return d.status();
    hs.diag = std::move(d).value();
  }
  return &*hs.diag;
}

StatusOr<std::vector<DiagSocket>> Observer::Dump(const std::string& host) {
  StatusOr<SockDiag*> diag = DiagOf(host);
  if (!diag.ok()) return diag.status();
  return (*diag)->DumpTcp(family_ == Family::kIPv4 ? AF_INET : AF_INET6);
}

StatusOr<std::vector<DiagSocket>> Observer::DumpUdpBoth(const std::string& host) {
  StatusOr<SockDiag*> diag = DiagOf(host);
  if (!diag.ok()) return diag.status();
  StatusOr<std::vector<DiagSocket>> all = (*diag)->DumpUdp(AF_INET);
  if (!all.ok()) return all.status();
  StatusOr<std::vector<DiagSocket>> other = (*diag)->DumpUdp(AF_INET6);
  if (!other.ok()) return other.status();
  all->insert(all->end(), other->begin(), other->end());
  return all;
}

StatusOr<std::vector<DiagSocket>> Observer::DumpBoth(const std::string& host) {
  StatusOr<std::vector<DiagSocket>> all = Dump(host);
  if (!all.ok()) return all.status();
  HostState& hs = hosts_.at(host);
  StatusOr<std::vector<DiagSocket>> other =
      hs.diag->DumpTcp(family_ == Family::kIPv4 ? AF_INET6 : AF_INET);
  if (!other.ok()) return other.status();
  all->insert(all->end(), other->begin(), other->end());
  return all;
}

namespace {

bool PortMatches(const ObserveStep::PortSelector& sel, const DiagSocket& s) {
  using Side = ObserveStep::PortSelector::Side;
  const bool local = s.sport == sel.port;
  const bool remote = s.state != 10 && s.dport == sel.port;  // a listener has no remote
  switch (sel.side) {
    case Side::kLocal: return local;
    case Side::kRemote: return remote;
    case Side::kAny: return local || remote;
  }
  return false;
}

}  // namespace

StatusOr<Probe> Observer::ProbeByPort(const ObserveStep& o) {
  StatusOr<std::vector<DiagSocket>> dump = DumpBoth(o.host);
  if (!dump.ok()) return dump.status();
  std::vector<const DiagSocket*> hits;
  for (const DiagSocket& s : *dump) {
    if (PortMatches(*o.port, s)) hits.push_back(&s);
  }
  Probe p;
  if (o.kind == ObserveKind::kState) {
    std::vector<std::string> states;
    for (const DiagSocket* s : hits) {
      std::string st = TcpStateName(s->state);
      if (std::find(states.begin(), states.end(), st) == states.end()) states.push_back(st);
    }
    std::sort(states.begin(), states.end());
    if (states.empty()) states.emplace_back("gone");
    p.value = Join(states, ", ");
    for (const std::string& st : states) {
      if (std::find(o.states.begin(), o.states.end(), st) != o.states.end()) p.holds = true;
    }
    NoteState(o.host, o.Target(), p.value);
    return p;
  }
  const DiagSocket* s = nullptr;
  size_t candidates = 0;
  for (const DiagSocket* h : hits) {
    const bool listener = h->state == 10;
    if (listener == (o.kind == ObserveKind::kQueue)) {
      s = h;
      ++candidates;
    }
  }
  if (candidates == 0) {
    p.value = o.kind == ObserveKind::kQueue ? "no listener" : "gone";
    return p;
  }
  if (candidates > 1) {
    p.value = fmt::format("{} sockets match {}", candidates, o.Target());
    return p;
  }
  return FieldsProbe(o, *s);
}

std::optional<WaitResult> Observer::Await(const std::function<StatusOr<Probe>()>& probe,
                                          int64_t limit, const std::string& expected,
                                          ObserveOutcome* out) {
  WireSource source(activity_, clock_);
  StatusOr<WaitResult> w = WaitUntil(probe, source, limit, kPollNs);
  out->took_ns = clock_.NowNs() - out->start_ns;
  if (!w.ok()) {
    out->verdict = Verdict::Error(w.status().message(), expected, "not observed");
    return std::nullopt;
  }
  return std::move(w).value();
}

ObserveOutcome Observer::WaitListening(const std::string& host, uint16_t port, int64_t limit,
                                       const std::function<bool()>& exited) {
  return WaitPort(host, port, /*udp=*/false, limit, exited);
}

ObserveOutcome Observer::WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                                      const std::function<bool()>& exited) {
  return WaitPort(host, port, /*udp=*/true, limit, exited);
}

ObserveOutcome Observer::WaitPort(const std::string& host, uint16_t port, bool udp, int64_t limit,
                                  const std::function<bool()>& exited) {
  ObserveOutcome out;
  out.start_ns = clock_.NowNs();
  const std::string expected =
      udp ? fmt::format("bound to UDP port {}", port) : fmt::format("listening on port {}", port);
  const char* yes = udp ? "bound" : "listening";
  bool ended = false;
  auto probe = [&]() -> StatusOr<Probe> {
    StatusOr<std::vector<DiagSocket>> dump = udp ? DumpUdpBoth(host) : DumpBoth(host);
    if (!dump.ok()) return dump.status();
    Probe p;
    for (const DiagSocket& s : *dump) {
      if ((udp || s.state == 10) && s.sport == port) p.holds = true;
    }
    p.value = p.holds ? yes : fmt::format("not {}", yes);
    if (!p.holds && exited()) {
      ended = true;
      p.holds = true;  // ends the wait; not ready
      p.value = "exited";
    }
    return p;
  };
  std::optional<WaitResult> w = Await(probe, limit, expected, &out);
  if (!w) return out;
  std::string actual = ended ? fmt::format("exited before it {}", udp ? "bound" : "listened")
                             : fmt::format("{} after {}", w->last,
                                           FormatDuration(std::chrono::nanoseconds(w->waited_ns)));
  if (w->holds && !ended) {
    out.verdict = Verdict::Pass(expected, std::move(actual));
  } else {
    std::string message = fmt::format("expected {} vs actual {}", expected, actual);
    out.verdict = Verdict::Fail(expected, std::move(actual), std::move(message));
  }
  return out;
}

std::vector<uint16_t> Observer::Claimed(const std::string& host, const std::string& except) const {
  std::vector<uint16_t> out;
  for (const auto& [key, t] : tuples_) {
    if (key.rfind(host + "/", 0) == 0 && key != except && t.lport != 0 && !t.listener) {
      out.push_back(t.lport);
    }
  }
  return out;
}

StatusOr<Probe> Observer::ProbeStep(const ObserveStep& o, const SockTuple& tuple, bool reverse,
                                    const std::vector<uint16_t>& claimed) {
  if (o.port) return ProbeByPort(o);
  StatusOr<std::vector<DiagSocket>> dump = Dump(o.host);
  if (!dump.ok()) return dump.status();
  StatusOr<const DiagSocket*> found = FindSocket(*dump, tuple, reverse, claimed);
  if (!found.ok()) return found.status();
  const DiagSocket* s = *found;
  Probe p;
  std::string state = s ? TcpStateName(s->state) : "gone";
  if (o.kind == ObserveKind::kState) {
    p.value = state;
    p.holds = std::find(o.states.begin(), o.states.end(), state) != o.states.end();
    NoteState(o.host, o.Target(), state);
    return p;
  }
  if (!s) {
    p.value = "gone";
    return p;
  }
  if (o.kind == ObserveKind::kTcpInfo && !s->has_info &&
      std::any_of(o.fields.begin(), o.fields.end(),
                  [](const FieldExpect& f) { return f.name != "recv_q" && f.name != "send_q"; })) {
    p.value = state + " (no tcp_info: the kernel keeps none for this state)";
    return p;
  }
  if (o.kind == ObserveKind::kQueue && s->state != 10) {
    p.value = state + " (not a listener)";
    return p;
  }
  return FieldsProbe(o, *s);
}

namespace {

// "state TIME_WAIT within 2s", "retransmits >= 1".
std::string ObserveExpected(const ObserveStep& o) {
  std::string expected;
  if (o.kind == ObserveKind::kState) {
    expected =
        o.states.size() == 1 ? "state " + o.states[0] : "state one of " + Join(o.states, ", ");
    if (o.states.empty())
      expected = "state path " + PathText(o.through);
    else if (!o.through.empty())
      expected += ", path " + PathText(o.through);
  } else {
    std::vector<std::string> parts;
    for (const FieldExpect& f : o.fields) parts.push_back(f.name + " " + f.expect.text);
    expected = Join(parts, ", ");
  }
  if (o.within) expected += " within " + FormatDuration(*o.within);
  if (o.took) expected += " took " + o.took->ToString();
  if (o.stays) expected += " to stay for " + FormatDuration(*o.stays);
  return expected;
}

}  // namespace

ObserveOutcome Observer::Run(const ObserveStep& o, int64_t case_deadline) {
  ObserveOutcome out;
  out.start_ns = clock_.NowNs();
  const std::string owner = o.peer_host.empty() ? o.host : o.peer_host;
  const std::string key = owner + "/" + o.fd;
  const std::string expected = ObserveExpected(o);
  auto error = [&](const std::string& what) {
    out.verdict = Verdict::Error(what, expected, "not observed");
    out.took_ns = clock_.NowNs() - out.start_ns;
    return out;
  };
  if (o.kind == ObserveKind::kCounters) return RunCounters(o, case_deadline);
  auto it = tuples_.find(key);
  if (!o.port && (it == tuples_.end() || !it->second.Known())) {
    return error(
        fmt::format("no address is known for socket '{}' on host '{}' (it has not "
                    "listened, connected or been accepted)",
                    o.fd, owner));
  }
  const SockTuple tuple = o.port ? SockTuple{} : it->second;
  const bool reverse = !o.peer_host.empty();
  const std::vector<uint16_t> claimed = Claimed(owner, key);
  if (o.kind == ObserveKind::kSnapshot) return Snapshot(o, tuple, claimed, out);
  const bool history = o.kind == ObserveKind::kState && history_reason_.empty() &&
                       hosts_.count(o.host) != 0 && hosts_.at(o.host).history != nullptr;
  if (!o.through.empty() && !history) {
    return error("'through' needs the socket state history: " + history_reason_);
  }
  auto probe = [&]() -> StatusOr<Probe> {
    StatusOr<Probe> p = ProbeStep(o, tuple, reverse, claimed);
    if (!p.ok() || !history) return p;
    return WithHistory(o, tuple, reverse, out.start_ns, *p);
  };

  int64_t limit = out.start_ns;
  if (o.within) limit = std::min(out.start_ns + o.within->count(), case_deadline);
  std::optional<WaitResult> w = Await(probe, limit, expected, &out);
  if (!w) return out;
  if (w->holds && o.stays && !history) {
    return error("'stays' needs the socket state history: " + history_reason_);
  }
  int64_t held_ns = out.start_ns + w->waited_ns;
  if (w->holds && (o.took || (o.stays && o.within)) && history) {
    // The recorded transition into the state, not when the look came.
    std::optional<int64_t> entered =
        EnteredAt(Lives(o, tuple, reverse), o.states, out.start_ns, clock_.NowNs());
    if (entered) held_ns = *entered;
  }
  out.verdict = Conclude(o, expected, *w, held_ns - out.start_ns);
  if (!w->holds || !o.stays || !out.verdict.ok()) return out;
  // `stays` from the step's start, or with `within` from when the socket
  // reached the state: no transition out before `stays` has passed.
  return Stays(o, tuple, reverse, case_deadline, expected, o.within ? held_ns : out.start_ns, out);
}

std::vector<std::vector<StateTransition>> Observer::Lives(const ObserveStep& o,
                                                          const SockTuple& tuple, bool reverse) {
  histories_->Drain();
  return MatchLives(hosts_.at(o.host).history->Transitions(clock_.NowNs()),
                    KeyFor(o, tuple, reverse));
}

Verdict Observer::Conclude(const ObserveStep& o, const std::string& expected, const WaitResult& w,
                           int64_t took_ns) {
  std::string actual = w.last;
  if (o.within && w.seen.size() > 1) actual += " (seen: " + JoinSeen(w.seen) + ")";
  if (o.within) actual += ", after " + FormatDuration(std::chrono::nanoseconds(w.waited_ns));
  bool holds = w.holds;
  if (holds && o.took) {
    const Duration took(took_ns);
    actual += ", took " + FormatDuration(took);
    holds = o.took->Contains(took);
  }
  if (holds) return Verdict::Pass(expected, std::move(actual));
  std::string what =
      o.kind == ObserveKind::kState ? "" : std::string(ObserveKindName(o.kind)) + " ";
  std::string message = fmt::format("expected {}{} vs actual {}", what, expected, actual);
  return Verdict::Fail(expected, std::move(actual), std::move(message));
}

ObserveOutcome Observer::Stays(const ObserveStep& o, const SockTuple& tuple, bool reverse,
                               int64_t case_deadline, const std::string& expected, int64_t from,
                               ObserveOutcome out) {
  // From `from` (the step's start, or when the state was reached: the look
  // that found the socket in the state came after it; a transition out
  // between that look and now must count): every recorded transition out of
  // the listed states until `stays` has passed fails.
  const int64_t until = std::min(from + o.stays->count(), case_deadline);
  std::optional<StateTransition> left;
  auto probe = [&]() -> StatusOr<Probe> {
    left = LeftAt(Lives(o, tuple, reverse), o.states, from, until);
    Probe p;
    p.holds = left.has_value();  // ends the wait early
    return p;
  };
  if (!Await(probe, until, expected, &out)) return out;
  std::string actual;
  if (left) {
    const int64_t ms = (left->at_ns - from + 500'000) / 1'000'000;  // to the millisecond
    actual = fmt::format("left at +{} to {}", FormatDuration(std::chrono::milliseconds(ms)),
                         TcpStateName(left->new_state));
  } else if (until < from + o.stays->count()) {
    actual = "the case's timeout came first";
  } else {
    out.verdict = Verdict::Pass(expected, fmt::format("stayed for {}", FormatDuration(*o.stays)));
    return out;
  }
  std::string message = fmt::format("expected {} vs actual {}", expected, actual);
  out.verdict = Verdict::Fail(expected, actual, std::move(message));
  return out;
}

ObserveOutcome Observer::RunCounters(const ObserveStep& o, int64_t case_deadline) {
  ObserveOutcome out;
  out.start_ns = clock_.NowNs();
  std::string expected = CounterStepExpected(o);
  if (o.within) expected += " within " + FormatDuration(*o.within);
  if (o.took) expected += " took " + o.took->ToString();
  auto error = [&](const std::string& what) {
    out.verdict = Verdict::Error(what, expected, "not observed");
    out.took_ns = clock_.NowNs() - out.start_ns;
    return out;
  };
  auto hs = hosts_.find(o.host);
  if (hs == hosts_.end()) return error(fmt::format("no host '{}' in the lab", o.host));
  const Counters* base = &hs->second.start;
  if (!o.since.empty()) {
    if (auto e = label_counters_error_.find(o.since); e != label_counters_error_.end()) {
      return error(e->second);
    }
    auto l = label_counters_.find(o.since);
    if (l == label_counters_.end() || l->second.count(o.host) == 0) {
      return error(fmt::format("the step labelled '{}' has not started", o.since));
    }
    base = &l->second.at(o.host);
  }
  auto probe = [&]() -> StatusOr<Probe> {
    StatusOr<Counters> now = ReadNetnsCounters(hs->second.netns);
    if (!now.ok()) return now.status().Prefixed(fmt::format("host '{}': counters", o.host));
    return CounterStepProbe(o, *base, *now, family_);
  };
  int64_t limit = out.start_ns;
  if (o.within) limit = std::min(out.start_ns + o.within->count(), case_deadline);
  std::optional<WaitResult> w = Await(probe, limit, expected, &out);
  if (!w) return out;
  out.verdict = Conclude(o, expected, *w, w->waited_ns);
  return out;
}

ObserveOutcome Observer::Snapshot(const ObserveStep& o, const SockTuple& tuple,
                                  const std::vector<uint16_t>& claimed, ObserveOutcome out) {
  const std::string expected = "tcp_info of " + o.fd;
  auto done = [&](Verdict v) {
    out.verdict = std::move(v);
    out.took_ns = clock_.NowNs() - out.start_ns;
    return out;
  };
  StatusOr<std::vector<DiagSocket>> dump = Dump(o.host);
  if (!dump.ok()) return done(Verdict::Error(dump.status().message(), expected, "not observed"));
  StatusOr<const DiagSocket*> found = FindSocket(*dump, tuple, false, claimed);
  if (!found.ok()) return done(Verdict::Error(found.status().message(), expected, "not observed"));
  const DiagSocket* s = *found;
  if (s == nullptr || !s->has_info) {
    // packetdrill fails the script too when getsockopt(TCP_INFO) fails.
    std::string actual = s == nullptr ? "gone" : TcpStateName(s->state) + " (no tcp_info)";
    return done(Verdict::Fail(
        expected, actual,
        fmt::format("%{{ }}% block {}: no tcp_info for socket {}: {}", o.block, o.fd, actual)));
  }
  NoteState(o.host, o.Target(), TcpStateName(s->state));
  for (const TcpInfoValue& v : TcpInfoFields(s->info_raw))
    out.snapshot.emplace_back(v.name, v.value);
  out.snapshot_bytes = s->info_raw.size();
  return done(
      Verdict::Pass(expected, fmt::format("{}, {} fields ({} bytes)", TcpStateName(s->state),
                                          out.snapshot.size(), out.snapshot_bytes)));
}

Verdict Observer::FinishCounters() {
  if (case_.counters.empty()) return Verdict::Pass("", "");
  std::map<std::string, Counters> end;
  for (auto& [name, hs] : hosts_) {
    StatusOr<Counters> c = ReadNetnsCounters(hs.netns);
    if (!c.ok())
      return Verdict::Error(
          c.status().Prefixed(fmt::format("host '{}': counters", name)).message());
    end[name] = std::move(c).value();
  }
  std::string failure;
  std::map<std::string, size_t> checked;  // "host/qualified" -> index in result
  for (const CounterExpect& x : case_.counters) {
    const Counters& e = end[x.host];
    StatusOr<std::string> q = ResolveCaseCounter(e, x.name, family_);
    if (!q.ok()) {
      return Verdict::Error(fmt::format("{}: counters: host '{}': {}", x.loc.ToString(), x.host,
                                        q.status().message()));
    }
    const Counters& s = hosts_[x.host].start;
    int64_t before = s.count(*q) ? s.at(*q) : 0;
    int64_t delta = e.at(*q) - before;
    CounterDelta d{x.host, *q, delta, true, x.expect.text, x.expect.Contains(delta)};
    checked[x.host + "/" + *q] = result_->counters.size();
    result_->counters.push_back(d);
    if (!d.ok && failure.empty()) {
      failure = fmt::format("{}: counters: {} {}: expected delta {} vs actual {} ({})",
                            x.loc.ToString(), x.host, x.name, x.expect.text, delta, *q);
    }
  }
  for (auto& [host, e] : end) {
    const Counters& s = hosts_[host].start;
    for (const auto& [name, v] : e) {
      int64_t before = s.count(name) ? s.at(name) : 0;
      if (v == before || checked.count(host + "/" + name)) continue;
      result_->counters.push_back(CounterDelta{host, name, v - before, false, "", true});
    }
  }
  if (failure.empty()) return Verdict::Pass("", "");
  return Verdict::Fail("", "", failure);
}

void ApplyExpectedFailure(const Case& c, CaseResult* result) {
  if (!c.xfail) return;
  std::string kernel =
      result->environment.kernel.empty() ? RunningKernel() : result->environment.kernel;
  if (!ExpectedFailureApplies(*c.xfail, kernel)) return;
  if (result->outcome == Outcome::kFail) {
    result->outcome = Outcome::kSkip;
    result->message =
        fmt::format("expected failure: {} (failed: {})", c.xfail->reason, result->message);
  } else if (result->outcome == Outcome::kPass) {
    result->outcome = Outcome::kFail;
    result->message_loc = c.xfail->loc;
    result->message = fmt::format("{}: passed but was expected to fail: {}",
                                  c.xfail->loc.ToString(), c.xfail->reason);
  }
}

}  // namespace faultline
