#include "injectors/wire.h"

#include <linux/netfilter.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/common/unique_fd.h"
#include "injectors/fault_engine.h"
#include "injectors/nfq_socket.h"
#include "injectors/queue_rules.h"
#include "injectors/raw_sender.h"

namespace faultline {
namespace {

constexpr uint16_t kQueue = 0;
constexpr uint32_t kQueueMaxLen = 16384;
constexpr auto kSignalBound = std::chrono::seconds(1);
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
  e.faults = c.faults;
  e.seed = c.seed;
  e.case_start_ns = c.case_start_ns;
  return e;
}

}  // namespace

struct Wire::Impl {
  explicit Impl(EngineConfig ec) : engine(std::move(ec)) {}

  std::unique_ptr<NfqSocket> nfq;
  std::optional<RawSender> raw;
  UniqueFd timer_fd, event_fd;
  std::thread thread;

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  FaultEngine engine;
  std::vector<std::string> pending_steps;
  uint64_t steps_requested = 0, steps_done = 0;
  bool stop_requested = false;
  bool thread_done = false;
  uint64_t activity = 0;  // rounds with packets or timers handled (WaitActivity)

  // Wire thread only (read by Stop after join).
  uint32_t last_id = 0;
  uint64_t lost = 0;
  uint64_t raw_errors = 0;
  Status first_error;
  bool stopped = false;
  Status stop_status;
  NfqStats final_stats;  // copied by Stop before the socket closes

  void Note(const Status& st) {
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  void Apply(std::vector<Effect>& effects) {
    for (Effect& e : effects) {
      switch (e.kind) {
        case Effect::Kind::kAccept: Note(nfq->QueueVerdict(e.id, NF_ACCEPT, e.bytes)); break;
        case Effect::Kind::kDrop: Note(nfq->QueueVerdict(e.id, NF_DROP)); break;
        case Effect::Kind::kInject: {
          Note(nfq->Flush());  // the copy follows its original
          Status st = raw->Send(e.bytes);
          if (!st.ok()) {
            ++raw_errors;
            Note(st);
          }
          break;
        }
      }
    }
    effects.clear();
  }
  void OnPacket(uint32_t id, std::span<const uint8_t> pkt, std::vector<Effect>& fx) {
    const int64_t now = MonotonicNs();
    std::lock_guard<std::mutex> lock(mu);
    // Queue ids are consecutive from 1 (we bind before any rule exists): a
    // gap is packets whose messages the kernel could not deliver (ENOBUFS);
    // the kernel dropped those itself.
    if (id > last_id + 1 && id - last_id < 1'000'000) {
      for (uint32_t lost_id = last_id + 1; lost_id < id; ++lost_id) {
        engine.OnLost(lost_id, now);
        ++lost;
      }
    }
    if (id > last_id) last_id = id;
    engine.OnPacket(id, pkt, now, &fx);
  }
  void Run();
  void ArmTimer();
};

void Wire::Impl::ArmTimer() {
  std::optional<int64_t> next;
  {
    std::lock_guard<std::mutex> lock(mu);
    next = engine.NextDeadline();
  }
  itimerspec its{};
  if (next) {
    const int64_t at = std::max<int64_t>(*next, 1);
    its.it_value.tv_sec = at / 1'000'000'000;
    its.it_value.tv_nsec = at % 1'000'000'000;
  }
  Note(timerfd_settime(timer_fd.get(), TFD_TIMER_ABSTIME, &its, nullptr) == 0
           ? Status::Ok()
           : Status::FromErrno("wire: timerfd_settime", errno));
}

void Wire::Impl::Run() {
  // Timer precision: no timer slack (the default 50 us would be added to
  // every delay), and a higher CPU priority so that, on a busy machine, a
  // due packet is released promptly instead of after other threads' slices.
  // Both apply to this thread only; failure (no CAP_SYS_NICE) is harmless.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kWireNice);
  std::vector<Effect> fx;
  auto on_packet = [&](uint32_t id, std::span<const uint8_t> pkt) {
    OnPacket(id, pkt, fx);
    Apply(fx);
  };
  bool stop = false;
  while (!stop) {
    pollfd fds[3] = {
        {event_fd.get(), POLLIN, 0}, {nfq->fd(), POLLIN, 0}, {timer_fd.get(), POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno != EINTR) Note(Status::FromErrno("wire: poll", errno));
      continue;
    }
    if (fds[0].revents != 0) {
      uint64_t v;
      (void)!read(event_fd.get(), &v, sizeof v);
      std::unique_lock<std::mutex> lock(mu);
      std::vector<std::string> steps = std::move(pending_steps);
      pending_steps.clear();
      for (const std::string& label : steps) engine.OnStep(label, MonotonicNs(), &fx);
      stop = stop_requested;
      lock.unlock();
      Apply(fx);
      Note(nfq->Flush());
      lock.lock();
      steps_done += steps.size();
      cv.notify_all();
    }
    if (fds[1].revents != 0 || stop) Note(nfq->Drain(on_packet));
    if (fds[2].revents != 0) {
      uint64_t v;
      (void)!read(timer_fd.get(), &v, sizeof v);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      engine.OnTimer(MonotonicNs(), &fx);
      if (stop) engine.OnStop(MonotonicNs(), &fx);
    }
    Apply(fx);
    Note(nfq->Flush());
    if (!stop) ArmTimer();
    if (fds[1].revents != 0 || fds[2].revents != 0) {
      std::lock_guard<std::mutex> lock(mu);
      ++activity;
      cv.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  thread_done = true;
  cv.notify_all();
}

Wire::Wire(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wire::~Wire() { (void)Stop(); }

StatusOr<std::unique_ptr<Wire>> Wire::Start(const WireConfig& config) {
  if (config.netns_fd < 0) return Status::Invalid("wire: no wire namespace fd");
  StatusOr<EngineConfig> ec = MakeEngineConfig(config);
  if (!ec.ok()) return ec.status();
  auto impl = std::make_unique<Impl>(std::move(*ec));
  // Bind the queue before the rule exists: a queued packet with no listener
  // would be dropped silently.
  StatusOr<std::unique_ptr<NfqSocket>> nfq = NfqSocket::Open(config.netns_fd, kQueue, kQueueMaxLen);
  if (!nfq.ok()) return nfq.status().Prefixed("wire");
  impl->nfq = std::move(*nfq);
  StatusOr<RawSender> raw = RawSender::Open(config.netns_fd);
  if (!raw.ok()) return raw.status().Prefixed("wire");
  impl->raw.emplace(std::move(*raw));
  impl->timer_fd.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!impl->timer_fd) return Status::FromErrno("wire: timerfd_create", errno);
  impl->event_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->event_fd) return Status::FromErrno("wire: eventfd", errno);

  Impl* p = impl.get();
  impl->thread = std::thread([p] { p->Run(); });
  std::unique_ptr<Wire> wire(new Wire(std::move(impl)));
  Status st = InstallQueueRules(config.netns_fd, kQueue);
  if (!st.ok()) {
    (void)wire->Stop();
    return st.Prefixed("wire");
  }
  return wire;
}

void Wire::SignalStep(const std::string& label) {
  Impl& w = *impl_;
  std::unique_lock<std::mutex> lock(w.mu);
  if (w.stop_requested || w.thread_done) return;
  w.pending_steps.push_back(label);
  const uint64_t target = ++w.steps_requested;
  const uint64_t one = 1;
  (void)!write(w.event_fd.get(), &one, sizeof one);
  // Wait (bounded) until the wire thread has released what the step frees,
  // so the step's own traffic comes after it.
  w.cv.wait_for(lock, kSignalBound, [&] { return w.steps_done >= target || w.thread_done; });
}

Status Wire::Stop() {
  Impl& w = *impl_;
  if (w.stopped) return w.stop_status;
  w.stopped = true;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    w.stop_requested = true;
  }
  const uint64_t one = 1;
  (void)!write(w.event_fd.get(), &one, sizeof one);
  if (w.thread.joinable()) w.thread.join();
  const NfqStats& s = w.nfq->stats();
  std::vector<std::string> problems;
  if (!w.first_error.ok()) problems.push_back(w.first_error.message());
  if (s.enobufs > 0 || w.lost > 0) {
    problems.push_back(fmt::format(
        "{} queue receive(s) failed with ENOBUFS; {} packet(s) were dropped by the kernel "
        "unseen (the packet log marks them 'lost')",
        s.enobufs, w.lost));
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
  w.final_stats = s;
  w.nfq.reset();  // unbinds the queue
  if (!problems.empty()) {
    std::string msg = "wire:";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : " ") + problems[i];
    w.stop_status = Status::System(msg);
  }
  return w.stop_status;
}

uint64_t Wire::WaitActivity(uint64_t seen, int64_t deadline_ns) const {
  Impl& w = *impl_;
  std::unique_lock<std::mutex> lock(w.mu);
  const int64_t left = deadline_ns - MonotonicNs();
  if (left > 0 && w.activity == seen && !w.thread_done) {
    w.cv.wait_for(lock, std::chrono::nanoseconds(left),
                  [&] { return w.activity != seen || w.thread_done; });
  }
  return w.activity;
}

NfqStats Wire::queue_stats() const { return impl_->final_stats; }

std::vector<PacketRecord> Wire::Log() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->engine.ReportedLog();
}

}  // namespace faultline
