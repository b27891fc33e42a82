#include "harness/runner/fake_case_env.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>

#include <fmt/format.h>

namespace faultline {

FakeCaseEnv::FakeCaseEnv()
    : hosts_{{"client", "10.0.1.1", "fd00:1::1"}, {"server", "10.0.2.1", "fd00:2::1"}} {}

void FakeCaseEnv::Script(const std::string& host, Op op, peer::Reply reply, int64_t after_ns) {
  script_[{host, op}].push_back(Answer{std::move(reply), after_ns});
}

void FakeCaseEnv::ScriptError(const std::string& host, Op op, Status error, int64_t after_ns) {
  script_[{host, op}].push_back(Answer{std::move(error), after_ns});
}

void FakeCaseEnv::ScriptObservation(Verdict v, int64_t took_ns) {
  observations_script_.push_back(Timed{std::move(v), took_ns, {}});
}

void FakeCaseEnv::ScriptSnapshot(std::vector<std::pair<std::string, uint64_t>> values,
                                 int64_t took_ns) {
  const size_t n = values.size();
  observations_script_.push_back(
      Timed{Verdict::Pass("tcp_info", fmt::format("{} fields", n)), took_ns, std::move(values)});
}

void FakeCaseEnv::ScriptReady(Verdict v, int64_t took_ns) {
  ready_script_.push_back(Timed{std::move(v), took_ns, {}});
}

void FakeCaseEnv::SetCapture(Verdict v, std::vector<PacketCheckRecord> checks) {
  capture_ = std::move(v);
  packet_checks_ = std::move(checks);
}

std::string FakeCaseEnv::InterruptReason() const {
  return clock_.NowNs() >= interrupt_at_ ? "interrupted by SIGINT" : "";
}

Status FakeCaseEnv::Setup(int64_t, CaseResult* result) {
  ++setups_;
  result_ = result;
  return setup_;
}

VarLookup FakeCaseEnv::Vars() const {
  LabVarValues values;
  values.workdir = Workdir();
  std::vector<HostAddrs> hosts = hosts_;
  values.address = [hosts](const std::string& host, bool six) -> std::optional<std::string> {
    for (const HostAddrs& h : hosts) {
      if (h.name == host) return six ? h.addr6 : h.addr4;
    }
    return std::nullopt;
  };
  return LabVarLookup(values);
}

peer::Reply FakeCaseEnv::Default(const peer::Request& req) {
  peer::Reply r;
  switch (req.op) {
    case Op::kRun:
      r.pid = kPid;
      r.exited = !req.background;
      break;
    case Op::kWaitCommand:
      r.pid = kPid;
      r.exited = true;
      break;
    case Op::kStop:
      r.pid = kPid;
      r.exited = true;
      r.stopped = true;
      r.term_signal = SIGTERM;
      break;
    case Op::kGetsockopt:
      // A %{ }% snapshot's getsockopt(TCP_INFO): the fd is not open, so the
      // snapshot comes from the scripted observation (ScriptSnapshot).
      if (req.level == IPPROTO_TCP && req.optname == TCP_INFO)
        r.harness_error = fmt::format("no fd named '{}'", req.fd);
      break;
    default: break;
  }
  return r;
}

Status FakeCaseEnv::Send(const std::string& host, const peer::Request& req) {
  const int64_t now = clock_.NowNs();
  sent_.push_back(Sent{host, req, now});
  if (req.batch.empty()) {
    Deliver(host, req, now);
    return Status::Ok();
  }
  // A batch: each member starts when the one before it returned; none
  // after one that does not go on (peer::RunBatch).
  int64_t at = now;
  for (const peer::Request& m : req.batch) {
    const InFlight& f = Deliver(host, m, at);
    if (f.arrives_ns == kNever || !f.reply.ok() || !peer::GoesOn(m, *f.reply)) break;
    at = f.arrives_ns;
  }
  return Status::Ok();
}

const FakeCaseEnv::InFlight& FakeCaseEnv::Deliver(const std::string& host, const peer::Request& req,
                                                  int64_t now) {
  Answer a{Default(req), 0};
  auto it = script_.find({host, req.op});
  if (it != script_.end() && !it->second.empty()) {
    a = std::move(it->second.front());
    it->second.pop_front();
  } else if (req.op == Op::kWaitCommand) {
    a.after_ns = kNever;  // an unscripted background command runs until stopped
  }
  const int64_t arrives = a.after_ns == kNever ? kNever : now + a.after_ns;
  if (a.reply.ok()) {
    a.reply->id = req.id;
    if (a.reply->start_ns == 0 && a.reply->end_ns == 0) {
      a.reply->start_ns = now;
      a.reply->end_ns = arrives == kNever ? now : arrives;
    }
  }
  if (req.op == Op::kWaitCommand) joins_[{host, req.fd}] = req.id;
  if (req.op == Op::kStop && a.reply.ok()) {
    // The stopped command's join answers when the stop does, with its end.
    auto j = joins_.find({host, req.fd});
    auto w = j == joins_.end() ? in_flight_.end() : in_flight_.find({host, j->second});
    if (w != in_flight_.end() && w->second.arrives_ns > arrives) {
      peer::Reply end = *a.reply;
      end.id = j->second;
      w->second = InFlight{std::move(end), arrives};
    }
  }
  return in_flight_.insert_or_assign({host, req.id}, InFlight{std::move(a.reply), arrives})
      .first->second;
}

StatusOr<peer::Reply> FakeCaseEnv::Wait(const std::string& host, uint64_t id, int64_t deadline_ns) {
  auto it = in_flight_.find({host, id});
  if (it == in_flight_.end() || it->second.arrives_ns > deadline_ns) {
    clock_.Set(std::max(clock_.NowNs(), deadline_ns));
    return Status::Timeout(
        fmt::format("no reply from peer '{}' to request {} by the deadline", host, id));
  }
  clock_.Set(std::max(clock_.NowNs(), it->second.arrives_ns));
  StatusOr<peer::Reply> r = std::move(it->second.reply);
  in_flight_.erase(it);
  return r;
}

bool FakeCaseEnv::HasReply(const std::string& host, uint64_t id) {
  auto it = in_flight_.find({host, id});
  return it != in_flight_.end() && it->second.arrives_ns <= clock_.NowNs();
}

ObserveOutcome FakeCaseEnv::Take(std::deque<Timed>& queue, const char* what) {
  ObserveOutcome out;
  out.start_ns = clock_.NowNs();
  if (queue.empty()) {
    out.verdict = Verdict::Error(fmt::format("FakeCaseEnv: no {} scripted", what));
    return out;
  }
  Timed t = std::move(queue.front());
  queue.pop_front();
  clock_.Advance(t.took_ns);
  out.took_ns = t.took_ns;
  out.verdict = std::move(t.verdict);
  out.snapshot = std::move(t.snapshot);
  out.snapshot_bytes = out.snapshot.empty() ? 0 : 248;
  return out;
}

ObserveOutcome FakeCaseEnv::Observe(const ObserveStep&, int64_t) {
  ++observations_;
  return Take(observations_script_, "observation");
}

ObserveOutcome FakeCaseEnv::WaitListening(const std::string&, uint16_t, int64_t,
                                          const std::function<bool()>&) {
  return Take(ready_script_, "readiness");
}

ObserveOutcome FakeCaseEnv::WaitUdpBound(const std::string&, uint16_t, int64_t,
                                         const std::function<bool()>&) {
  return Take(ready_script_, "readiness");
}

Verdict FakeCaseEnv::FinishCapture(int64_t) {
  if (result_ != nullptr) result_->packet_checks = packet_checks_;
  return capture_;
}

void FakeCaseEnv::ScriptPacket(const std::string& host, std::vector<uint8_t> bytes,
                               int64_t after_ns, bool ignorable) {
  packets_.push_back(Scripted{host, std::move(bytes), after_ns, std::nullopt, ignorable, lag_ns_});
  lag_ns_ = 0;
}

void FakeCaseEnv::Anchor(const std::string& host) {
  for (Scripted& p : packets_) {
    if (host.empty() || p.host == host) {
      if (!p.arrives_ns) p.arrives_ns = clock_.NowNs() + p.after_ns;
    }
  }
}

StatusOr<int64_t> FakeCaseEnv::SendPacket(const std::string& host, std::vector<uint8_t> bytes) {
  sent_packets_.push_back(SentPacket{host, std::move(bytes), clock_.NowNs()});
  ++packet_seq_;
  Anchor(host);
  return clock_.NowNs();
}

StatusOr<TakenPacket> FakeCaseEnv::NextPacket(const std::string& host, int64_t deadline_ns) {
  Anchor(host);
  for (auto it = packets_.begin(); it != packets_.end(); ++it) {
    if (it->host != host) continue;
    const int64_t handed = *it->arrives_ns + it->lag_ns;
    if (handed > deadline_ns || handed >= interrupt_at_) break;
    clock_.Set(std::max(clock_.NowNs(), handed));
    TakenPacket p{std::move(it->bytes), clock_.NowNs() - it->lag_ns, ++packet_seq_, "",
                  it->ignorable};
    packets_.erase(it);
    return p;
  }
  if (interrupt_at_ <= deadline_ns) {
    clock_.Set(std::max(clock_.NowNs(), interrupt_at_));
    return Status::System(InterruptReason());
  }
  clock_.Set(std::max(clock_.NowNs(), deadline_ns));
  return Status::Timeout(fmt::format("no packet toward {}", host));
}

StatusOr<TakenPacket> FakeCaseEnv::InjectInto(const WireSendStep& step, int step_index) {
  wire_steps_.push_back(step);
  wire_step_indices_.push_back(step_index);
  if (!inject_into_.ok()) return inject_into_.status();
  TakenPacket p = inject_into_.value();
  p.at_ns = clock_.NowNs();
  return p;
}

}  // namespace faultline
