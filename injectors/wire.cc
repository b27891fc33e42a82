#include "injectors/wire.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "harness/common/interrupt.h"
#include "harness/common/unique_fd.h"
#include "injectors/fault_engine.h"

namespace faultline {
namespace {

constexpr int kWireNice = -10;

StatusOr<EngineConfig> MakeEngineConfig(const WireConfig& c) {
  EngineConfig e;
  for (const WireLink& l : c.links) {
    EngineHost h;
    h.name = l.host;
    if (!l.addr4.empty() && !IpAddr::Parse(l.addr4, &h.addr4)) {
      return Status::Invalid(
          fmt::format("wire: host '{}': bad IPv4 address '{}'", l.host, l.addr4));
    }
    if (!l.addr6.empty() && !IpAddr::Parse(l.addr6, &h.addr6)) {
      return Status::Invalid(
          fmt::format("wire: host '{}': bad IPv6 address '{}'", l.host, l.addr6));
    }
    e.hosts.push_back(std::move(h));
  }
  for (const WireScripted& s : c.scripted) e.scripted.push_back({s.host, s.ignore});
  e.faults = c.faults;
  e.seed = c.seed;
  e.case_start_ns = c.case_start_ns;
  return e;
}

bool NeedsPayload(const FaultAction& a) {
  return a.kind == ActionKind::kCorrupt || a.kind == ActionKind::kDuplicate;
}

// The product's release timer (WireConfig::release unset, RealClock): 200 us
// to start, then the 90th percentile of the timer's recent wake-up lateness
// plus 100 us, at least 100 us; none while that is above 500 us (a loaded
// machine). Chosen by measurement: docs/design.md, "Delay precision".
ReleaseTimerConfig ReleaseConfig(const WireConfig& c) {
  if (c.release) return *c.release;
  ReleaseTimerConfig r;
  if (c.clock != &RealClock()) return r;  // margin 0: armed at the deadline
  r.adaptive = true;
  r.margin_ns = 200'000;
  r.min_margin_ns = 100'000;
  r.max_margin_ns = 500'000;
  r.headroom_ns = 100'000;
  r.quantile_pct = 90;
  return r;
}

void WakeUp(int event_fd) {
  const uint64_t one = 1;
  (void)!write(event_fd, &one, sizeof one);
}

}  // namespace

struct Wire::Impl {
  Impl(EngineConfig ec, const Clock& c, std::shared_ptr<PacketQueue> q,
       std::chrono::milliseconds bound, const ReleaseTimerConfig& rc)
      : clock(c), queue(std::move(q)), request_bound(bound), engine(std::move(ec)), release(rc) {}

  const Clock& clock;
  std::shared_ptr<PacketQueue> queue;       // reset by Stop (after the thread ended)
  std::chrono::milliseconds request_bound;  // WireConfig::request_bound
  UniqueFd timer_fd, event_fd;
  std::thread thread;

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  FaultEngine engine;
  std::vector<std::string> pending_steps;
  // Work for the wire thread (Inject, InjectInto), run under `mu`.
  std::vector<std::function<void(std::vector<Effect>&)>> jobs;
  std::map<std::string, std::deque<WirePacket>> inbox;  // scripted hosts
  // Requests from the controlling thread (SignalStep, CheckTimers, Stop):
  // made, and handled by the wire thread (verdicts flushed).
  uint64_t requests = 0, requests_done = 0;
  bool stop_requested = false;
  bool thread_done = false;
  uint64_t activity = 0;  // rounds with packets or timers handled (WaitActivity)

  // Wire thread only (read by Stop after join).
  uint32_t last_id = 0;
  uint64_t lost = 0;
  int64_t last_arrival_ns = 0;  // ArrivalOf
  Status first_error;
  bool stopped = false;
  Status stop_status;
  int interrupt_listener = -1;  // wakes Take on SIGINT/SIGTERM
  QueueStats final_stats;       // copied by Stop before the queue is let go
  // The release timer (see ArmTimer): the plan after the last round, the
  // earliest held deadline then, and what the timerfd is armed at (RealClock
  // only; nullopt: disarmed or fired).
  ReleaseTimer release;
  bool spinning = false;
  std::optional<int64_t> next_deadline, timer_set_at;
  ReleaseStats final_release;  // copied by Stop after the join

  void Note(const Status& st) {
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  void Apply(std::vector<Effect>& effects);
  int64_t ArrivalOf(const QueuedPacket& p, int64_t now);
  void OnPacket(const QueuedPacket& p, std::vector<Effect>& fx);
  bool OnRequests(std::vector<Effect>& fx, uint64_t* handled);
  void RequestsDone(uint64_t handled);
  void Round(bool packets, bool timer, bool due, bool stop, std::vector<Effect>& fx);
  void Run();
  void ArmTimer();
  // kDone; kStopped when the wire thread has ended; kLate when it did not
  // answer within `request_bound` (then *abandoned, if given, is set under
  // `mu`: a job not run yet sees it and does nothing).
  enum class Answer { kDone, kStopped, kLate };
  Answer Request(const std::string* label, std::function<void(std::vector<Effect>&)> job = nullptr,
                 bool* abandoned = nullptr);
  Status Problems(const QueueStats& s) const;
};

void Wire::Impl::Apply(std::vector<Effect>& effects) {
  for (Effect& e : effects) {
    switch (e.kind) {
      case Effect::Kind::kAccept:
        Note(queue->SetVerdict(e.id, PacketVerdict::kAccept, e.bytes));
        break;
      case Effect::Kind::kDrop: Note(queue->SetVerdict(e.id, PacketVerdict::kDrop)); break;
      case Effect::Kind::kInject:
        Note(queue->Flush());  // the copy follows its original
        Note(queue->Send(e.bytes));
        break;
      case Effect::Kind::kTake: {
        std::lock_guard<std::mutex> lock(mu);
        inbox[e.host].push_back(WirePacket{std::move(e.bytes), e.at_ns, e.seq_no, "", e.ignorable});
        cv.notify_all();
        break;
      }
    }
  }
  effects.clear();
}

// When a packet reached the wire: the queue's kernel stamp (the time the
// kernel queued it) when it has a plausible one, else now (when this thread
// read it). A thread that ran late, under load, would otherwise make every
// packet it read look late by as much. Never later than now, never before
// the previous packet's (the log stays in arrival order), and a stamp older
// than kMaxStampAge (a clock step) is not believed.
int64_t Wire::Impl::ArrivalOf(const QueuedPacket& p, int64_t now) {
  constexpr int64_t kMaxStampAge = 10'000'000'000;
  int64_t at = now;
  if (p.kernel_ns > 0 && now - p.kernel_ns < kMaxStampAge) {
    at = std::clamp(p.kernel_ns, std::min(last_arrival_ns, now), now);
  }
  last_arrival_ns = at;
  return at;
}

void Wire::Impl::OnPacket(const QueuedPacket& p, std::vector<Effect>& fx) {
  const int64_t now = ArrivalOf(p, clock.NowNs());
  std::lock_guard<std::mutex> lock(mu);
  // Queue ids are consecutive from 1 (the queue is bound before any packet
  // is steered to it): a gap is packets whose messages the kernel could not
  // deliver (ENOBUFS); the kernel dropped those itself.
  if (p.id > last_id + 1 && p.id - last_id < 1'000'000) {
    for (uint32_t lost_id = last_id + 1; lost_id < p.id; ++lost_id) {
      engine.OnLost(lost_id, now);
      ++lost;
    }
  }
  if (p.id > last_id) last_id = p.id;
  engine.OnPacket(p.id, p.bytes, now, &fx, p.len);
}

// Plans the wait for the earliest held deadline (ReleaseTimer): the timerfd
// armed a margin before it, or disarmed while the thread waits the rest
// without sleeping (Run polls with a zero timeout while `spinning`), or
// disarmed when nothing is held.
void Wire::Impl::ArmTimer() {
  {
    std::lock_guard<std::mutex> lock(mu);
    next_deadline = engine.NextDeadline();
  }
  const int64_t now = clock.NowNs();
  const ReleaseTimer::Plan plan = release.Next(now, next_deadline);
  spinning = plan.mode == ReleaseTimer::Mode::kSpin;
  std::optional<int64_t> want;
  if (plan.mode == ReleaseTimer::Mode::kArmed) want = plan.arm_at;
  // RealClock is CLOCK_MONOTONIC, the timerfd's own clock: arm at the
  // absolute time (no drift between reading the clock and arming), and only
  // when it changes (most rounds keep the same earliest deadline). Another
  // clock moves only when told: arm for the time left, which only wakes us;
  // the round reads the clock.
  const bool absolute = &clock == &RealClock();
  if (absolute && want == timer_set_at) return;
  itimerspec its{};
  int flags = 0;
  if (want) {
    int64_t at = *want;
    if (absolute) {
      flags = TFD_TIMER_ABSTIME;
    } else {
      at -= now;
    }
    at = std::max<int64_t>(at, 1);
    its.it_value.tv_sec = at / 1'000'000'000;
    its.it_value.tv_nsec = at % 1'000'000'000;
  }
  const bool ok = timerfd_settime(timer_fd.get(), flags, &its, nullptr) == 0;
  Note(ok ? Status::Ok() : Status::FromErrno("wire: timerfd_settime", errno));
  timer_set_at = ok ? want : std::nullopt;
}

// The controlling thread asked for something (the event fd): start steps,
// release what is due, note a stop. Returns whether to stop; `handled`: the
// requests made so far, answered (RequestsDone) after the round that follows,
// so that a requester also sees the wire's next wait planned (a test moving
// a FakeClock next knows the round has read the clock before it moved).
bool Wire::Impl::OnRequests(std::vector<Effect>& fx, uint64_t* handled) {
  uint64_t v;
  (void)!read(event_fd.get(), &v, sizeof v);
  std::unique_lock<std::mutex> lock(mu);
  std::vector<std::string> steps = std::move(pending_steps);
  pending_steps.clear();
  auto todo = std::move(jobs);
  jobs.clear();
  *handled = requests;
  for (auto& job : todo) job(fx);
  for (const std::string& label : steps) engine.OnStep(label, clock.NowNs(), &fx);
  engine.OnTimer(clock.NowNs(), &fx);
  const bool stop = stop_requested;
  lock.unlock();
  Apply(fx);
  Note(queue->Flush());
  return stop;
}

void Wire::Impl::RequestsDone(uint64_t handled) {
  std::lock_guard<std::mutex> lock(mu);
  requests_done = std::max(requests_done, handled);
  cv.notify_all();
}

// One round after poll: packets, timers (the timerfd fired, or a precise
// wait reached the earliest deadline: `due`), the stop; verdicts flushed.
void Wire::Impl::Round(bool packets, bool timer, bool due, bool stop, std::vector<Effect>& fx) {
  if (timer) {
    uint64_t v;
    (void)!read(timer_fd.get(), &v, sizeof v);
    timer_set_at.reset();
    release.OnTimerWake(clock.NowNs());  // its lateness: read before this round's packets
  }
  if (packets || stop) {
    Note(queue->ReceiveBatch([&](const QueuedPacket& p) {
      OnPacket(p, fx);
      Apply(fx);
    }));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    engine.OnTimer(clock.NowNs(), &fx);
    if (stop) engine.OnStop(clock.NowNs(), &fx);
  }
  Apply(fx);
  Note(queue->Flush());
  if (!stop) ArmTimer();
  if (packets || timer || due) {
    std::lock_guard<std::mutex> lock(mu);
    ++activity;
    cv.notify_all();
  }
}

void Wire::Impl::Run() {
  // Timer precision: no timer slack (the default 50 us would be added to
  // every delay), and a higher CPU priority so that, on a busy machine, a
  // due packet is released promptly instead of after other threads' slices.
  // Both apply to this thread only; failure (no CAP_SYS_NICE) is harmless.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kWireNice);
  std::vector<Effect> fx;
  bool stop = false;
  while (!stop) {
    pollfd fds[3] = {
        {event_fd.get(), POLLIN, 0}, {queue->fd(), POLLIN, 0}, {timer_fd.get(), POLLIN, 0}};
    // A precise wait (the earliest deadline is within the release margin)
    // polls without blocking until the deadline; otherwise block.
    const int ready = poll(fds, 3, spinning ? 0 : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      // A lasting poll failure would spin and never see the stop request:
      // give everything still held its verdict now and end the thread.
      Note(Status::FromErrno("wire: poll", errno));
      stop = true;
      Round(false, false, false, stop, fx);
      break;
    }
    const bool due = next_deadline && clock.NowNs() >= *next_deadline;
    if (ready == 0 && !due) continue;  // a precise wait, not there yet
    uint64_t handled = 0;
    if (fds[0].revents != 0) stop = OnRequests(fx, &handled);
    Round(fds[1].revents != 0, fds[2].revents != 0, due, stop, fx);
    if (handled != 0) RequestsDone(handled);
  }
  std::lock_guard<std::mutex> lock(mu);
  thread_done = true;
  cv.notify_all();
}

Wire::Impl::Answer Wire::Impl::Request(const std::string* label,
                                       std::function<void(std::vector<Effect>&)> job,
                                       bool* abandoned) {
  std::unique_lock<std::mutex> lock(mu);
  if (stop_requested || thread_done) return Answer::kStopped;
  if (label != nullptr) pending_steps.push_back(*label);
  if (job) jobs.push_back(std::move(job));
  const uint64_t target = ++requests;
  WakeUp(event_fd.get());
  // Wait (bounded) until the wire thread has released what the request
  // frees, so the step's own traffic comes after it.
  cv.wait_for(lock, request_bound, [&] { return requests_done >= target || thread_done; });
  if (requests_done >= target) return Answer::kDone;
  if (abandoned != nullptr) *abandoned = true;
  return thread_done ? Answer::kStopped : Answer::kLate;
}

Status Wire::Impl::Problems(const QueueStats& s) const {
  std::vector<std::string> problems;
  if (!first_error.ok()) problems.push_back(first_error.message());
  if (s.enobufs > 0 || lost > 0) {
    problems.push_back(fmt::format(
        "{} queue receive(s) failed with ENOBUFS; {} packet(s) were dropped by the kernel "
        "unseen (the packet log marks them 'lost')",
        s.enobufs, lost));
  }
  if (s.verdict_errors > 0) {
    problems.push_back(fmt::format("{} verdict(s) refused by the kernel (last: {})",
                                   s.verdict_errors, std::strerror(s.last_verdict_error)));
  }
  if (s.unknown_verdicts > 0) {
    problems.push_back(
        fmt::format("{} verdict(s) for packets not waiting for one", s.unknown_verdicts));
  }
  if (s.truncated > 0)
    problems.push_back(fmt::format("{} packet(s) truncated by the queue", s.truncated));
  if (problems.empty()) return Status::Ok();
  std::string msg = "wire:";
  for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : " ") + problems[i];
  return Status::System(msg);
}

uint32_t WireCopyRange(const Case& c) {
  for (const HostSpec& h : c.hosts) {
    if (h.scripted) return kWireWholePacket;
  }
  for (const Fault& f : c.faults) {
    if (NeedsPayload(f.action) || f.match.fields.data) return kWireWholePacket;
  }
  for (const Step& s : c.steps) {
    const auto* fs = std::get_if<FaultStep>(&s.body);
    if (fs != nullptr && fs->action != nullptr && NeedsPayload(*fs->action))
      return kWireWholePacket;
  }
  return kWireHeaderBytes;
}

Wire::Wire(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wire::~Wire() { (void)Stop(); }

StatusOr<std::unique_ptr<Wire>> Wire::Start(const WireConfig& config) {
  if (!config.queue && config.netns_fd < 0) return Status::Invalid("wire: no wire namespace fd");
  StatusOr<EngineConfig> ec = MakeEngineConfig(config);
  if (!ec.ok()) return ec.status();
  std::shared_ptr<PacketQueue> queue = config.queue;
  if (!queue) {
    StatusOr<std::unique_ptr<PacketQueue>> q =
        OpenNfqPacketQueue(config.netns_fd, config.copy_range);
    if (!q.ok()) return q.status().Prefixed("wire");
    queue = std::move(q).value();
  }
  auto impl = std::make_unique<Impl>(std::move(*ec), *config.clock, std::move(queue),
                                     config.request_bound, ReleaseConfig(config));
  impl->timer_fd.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!impl->timer_fd) return Status::FromErrno("wire: timerfd_create", errno);
  impl->event_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->event_fd) return Status::FromErrno("wire: eventfd", errno);

  Impl* p = impl.get();
  impl->interrupt_listener = AddInterruptListener([p] {
    std::lock_guard<std::mutex> lock(p->mu);
    p->cv.notify_all();
  });
  impl->thread = std::thread([p] { p->Run(); });
  std::unique_ptr<Wire> wire(new Wire(std::move(impl)));
  // Only now may packets come (the NFQUEUE queue installs its rules).
  Status st = p->queue->Attach();
  if (!st.ok()) {
    (void)wire->Stop();
    return st.Prefixed("wire");
  }
  return wire;
}

void Wire::SignalStep(const std::string& label) { (void)impl_->Request(&label); }

void Wire::CheckTimers() { (void)impl_->Request(nullptr); }

Status Wire::Stop() {
  Impl& w = *impl_;
  if (w.stopped) return w.stop_status;
  w.stopped = true;
  if (w.interrupt_listener >= 0) RemoveInterruptListener(w.interrupt_listener);
  w.interrupt_listener = -1;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    w.stop_requested = true;
  }
  WakeUp(w.event_fd.get());
  if (w.thread.joinable()) w.thread.join();
  w.final_stats = w.queue->stats();
  w.final_release = w.release.stats();
  w.stop_status = w.Problems(w.final_stats);
  w.queue.reset();  // the NFQUEUE queue unbinds
  return w.stop_status;
}

uint64_t Wire::WaitActivity(uint64_t seen, int64_t deadline_ns) const {
  Impl& w = *impl_;
  std::unique_lock<std::mutex> lock(w.mu);
  const int64_t left = deadline_ns - w.clock.NowNs();
  if (left > 0 && w.activity == seen && !w.thread_done) {
    w.cv.wait_for(lock, std::chrono::nanoseconds(left),
                  [&] { return w.activity != seen || w.thread_done; });
  }
  return w.activity;
}

StatusOr<WirePacket> Wire::Take(const std::string& host, int64_t deadline_ns) {
  Impl& w = *impl_;
  std::unique_lock<std::mutex> lock(w.mu);
  auto ready = [&] { return !w.inbox[host].empty() || w.thread_done || InterruptSignal() != 0; };
  while (!ready()) {
    const int64_t left = deadline_ns - w.clock.NowNs();
    if (left <= 0) break;
    w.cv.wait_for(lock, std::chrono::nanoseconds(left), ready);
  }
  std::deque<WirePacket>& q = w.inbox[host];
  if (q.empty() && InterruptSignal() != 0) return Status::System(InterruptReason());
  if (q.empty()) return Status::Timeout(fmt::format("no packet toward {}", host));
  WirePacket p = std::move(q.front());
  q.pop_front();
  return p;
}

namespace {

// What an Inject/InjectInto job hands back. Owned by the caller and the job
// together: a caller that gave up after the request bound leaves nothing on
// its stack for the wire thread to write into, and marks it abandoned (under
// the wire's mutex) so that a job not run yet sends nothing.
struct InjectJob {
  bool abandoned = false;  // guarded by Impl::mu
  WirePacket out;
  StatusOr<Crafted> crafted = Status::System("wire: not running (wire step)");
};

Status NotAnswered(const char* what, std::chrono::milliseconds bound) {
  return Status::Timeout(fmt::format(
      "wire: the wire thread did not handle the {} within {}ms (nothing more is sent for it)", what,
      bound.count()));
}

}  // namespace

StatusOr<WirePacket> Wire::Inject(std::vector<uint8_t> bytes) {
  Impl& w = *impl_;
  auto shared = std::make_shared<InjectJob>();
  auto job = [&w, shared, b = std::move(bytes)](std::vector<Effect>& fx) mutable {
    if (shared->abandoned) return;
    shared->out.at_ns = w.clock.NowNs();
    shared->out.bytes = b;
    shared->out.seq_no = w.engine.OnScriptedSend(std::move(b), shared->out.at_ns, &fx);
  };
  switch (w.Request(nullptr, std::move(job), &shared->abandoned)) {
    case Impl::Answer::kDone: break;
    case Impl::Answer::kStopped: return Status::System("wire: not running (inject)");
    case Impl::Answer::kLate: return NotAnswered("inject", w.request_bound);
  }
  std::lock_guard<std::mutex> lock(w.mu);
  return shared->out;
}

StatusOr<WirePacket> Wire::InjectInto(const WireSendStep& step, int step_index) {
  Impl& w = *impl_;
  auto shared = std::make_shared<InjectJob>();
  auto job = [&w, shared, step, step_index](std::vector<Effect>& fx) {
    if (shared->abandoned) return;
    shared->out.at_ns = w.clock.NowNs();
    shared->crafted = w.engine.InjectInto(step, step_index, shared->out.at_ns, &fx);
    if (shared->crafted.ok() && !fx.empty()) shared->out.bytes = fx.back().bytes;
  };
  switch (w.Request(nullptr, std::move(job), &shared->abandoned)) {
    case Impl::Answer::kDone: break;
    case Impl::Answer::kStopped: return Status::System("wire: not running (wire step)");
    case Impl::Answer::kLate: return NotAnswered("wire step", w.request_bound);
  }
  std::lock_guard<std::mutex> lock(w.mu);
  if (!shared->crafted.ok()) return shared->crafted.status();
  WirePacket out = shared->out;
  out.seq_no = shared->crafted->seq_no;
  out.line = shared->crafted->line;
  return out;
}

Status Wire::ControlFault(const FaultStep& step, int step_index) {
  Impl& w = *impl_;
  auto job = [&w, step, step_index](std::vector<Effect>&) {
    w.engine.OnControl(step, step_index, w.clock.NowNs());
  };
  switch (w.Request(nullptr, std::move(job))) {
    case Impl::Answer::kDone: return Status::Ok();
    case Impl::Answer::kStopped: return Status::System("wire: not running (fault step)");
    case Impl::Answer::kLate: return NotAnswered("fault step", w.request_bound);
  }
  return Status::Ok();
}

void Wire::MarkIgnored(uint64_t seq_no) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->engine.MarkIgnored(seq_no);
}

QueueStats Wire::queue_stats() const { return impl_->final_stats; }

ReleaseStats Wire::release_stats() const { return impl_->final_release; }

std::vector<PacketRecord> Wire::Log() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->engine.ReportedLog();
}

}  // namespace faultline
