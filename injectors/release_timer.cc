#include "injectors/release_timer.h"

#include <algorithm>

namespace faultline {

ReleaseTimer::ReleaseTimer(const ReleaseTimerConfig& config)
    : config_(config),
      margin_(std::max<int64_t>(config.margin_ns, 0)),
      spin_tokens_ns_(config.spin_burst_ns) {
  if (config_.adaptive) margin_ = std::clamp(margin_, config_.min_margin_ns, config_.max_margin_ns);
}

ReleaseTimer::Plan ReleaseTimer::Next(int64_t now_ns, std::optional<int64_t> deadline) {
  const bool within = deadline && *deadline - now_ns <= margin_;
  if (spin_start_) EndSpin(now_ns);  // account the precise wait so far
  if (!deadline) {
    armed_at_.reset();
    spinning_ = false;
    return Plan{Mode::kIdle, 0};
  }
  if (within && SpinBudgetLeft(now_ns)) {
    armed_at_.reset();
    if (!spinning_) ++stats_.spins;
    spinning_ = true;
    spin_start_ = now_ns;
    return Plan{Mode::kSpin, 0};
  }
  spinning_ = false;
  if (within) {  // over the duty-cycle cap: sleep until the deadline itself
    if (armed_at_ != *deadline) ++stats_.spins_capped;
    armed_at_ = *deadline;
    return Plan{Mode::kArmed, *deadline};
  }
  armed_at_ = *deadline - margin_;
  return Plan{Mode::kArmed, *armed_at_};
}

void ReleaseTimer::EndSpin(int64_t now_ns) {
  const int64_t spun = now_ns - *spin_start_;
  stats_.spin_ns += spun;
  spin_tokens_ns_ -= spun;
  spin_start_.reset();
}

bool ReleaseTimer::SpinBudgetLeft(int64_t now_ns) {
  if (config_.max_spin_share_pct >= 100) return true;
  if (earned_until_) {
    const int64_t earned = (now_ns - *earned_until_) * config_.max_spin_share_pct / 100;
    spin_tokens_ns_ = std::min(spin_tokens_ns_ + earned, config_.spin_burst_ns);
  }
  earned_until_ = now_ns;
  return spin_tokens_ns_ > 0;
}

void ReleaseTimer::OnTimerWake(int64_t now_ns) {
  ++stats_.timer_wakes;
  if (!armed_at_) return;  // a stale expiry (re-armed or disarmed since)
  const int64_t late = std::max<int64_t>(now_ns - *armed_at_, 0);
  armed_at_.reset();
  stats_.max_lateness_ns = std::max(stats_.max_lateness_ns, late);
  lateness_[samples_ % kWindow] = late;
  ++samples_;
  if (config_.adaptive) Adapt();
}

void ReleaseTimer::Adapt() {
  const size_t n = std::min(samples_, kWindow);
  std::array<int64_t, kWindow> sorted = lateness_;
  const auto pct = static_cast<size_t>(std::clamp(config_.quantile_pct, 0, 100));
  const size_t k = std::min(n - 1, n * pct / 100);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(k),
                   sorted.begin() + static_cast<ptrdiff_t>(n));
  // A wake-up later than the largest margin is a loaded machine: a spin
  // cannot absorb it and takes CPU time the other threads (and the wire
  // thread's own fair share) need; measured, spinning then made the tail
  // worse. Arm at the deadline until the window holds no such wake-up.
  const int64_t latest =
      *std::max_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(n));
  if (latest > config_.max_margin_ns) {
    margin_ = 0;
    return;
  }
  margin_ =
      std::clamp(sorted[k] + config_.headroom_ns, config_.min_margin_ns, config_.max_margin_ns);
}

ReleaseStats ReleaseTimer::stats() const {
  ReleaseStats s = stats_;
  s.margin_ns = margin_;
  return s;
}

}  // namespace faultline
