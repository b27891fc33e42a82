#include "injectors/netem_models.h"

#include <algorithm>
#include <cmath>

namespace faultline {

double CorrelatedDraw::Next(SplitMix64* prng) {
  const double u = prng->NextUnit();
  if (c_ <= 0) return u;
  if (!started_) {
    started_ = true;
    last_ = prng->NextUnit();
  }
  last_ = (1 - c_) * u + c_ * last_;
  return last_;
}

const char* DelayDistName(DelayDist d) {
  switch (d) {
    case DelayDist::kUniform: return "uniform";
    case DelayDist::kNormal: return "normal";
    case DelayDist::kPareto: return "pareto";
    case DelayDist::kParetoNormal: return "paretonormal";
  }
  return "?";
}

namespace {

constexpr double kMaxJitters = 4.0;  // netem's s16 tables / 8192

// The lower tail's quantile for 0 < u <= 0.5: a rational first guess
// (Abramowitz & Stegun 26.2.23, |error| < 4.5e-4), then two Newton steps
// on Phi(x) = u with Phi from erfc (accurate in the tail): the error
// squares with each step, to ~1e-14.
double LowerNormalQuantile(double u) {
  const double t = std::sqrt(-2.0 * std::log(u));
  double x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                       (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  for (int i = 0; i < 2; ++i) {
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    if (pdf <= 0) break;
    x -= (cdf - u) / pdf;
  }
  return x;
}

// netem's pareto table value at quantile q: Pareto(shape 3, scale 1) minus
// its mean 1.5, times 4/3.
double ParetoQuantile(double q) {
  const double x = std::pow(1.0 - q, -1.0 / 3.0);
  return (x - 1.5) * 4.0 / 3.0;
}

}  // namespace

double NormalQuantile(double u) {
  if (u <= 0) return -HUGE_VAL;
  if (u >= 1) return HUGE_VAL;
  if (u <= 0.5) return LowerNormalQuantile(u);
  return -LowerNormalQuantile(1.0 - u);
}

double DelayQuantile(DelayDist d, double u) {
  double q = 0;
  switch (d) {
    case DelayDist::kUniform: return 2 * u - 1;
    case DelayDist::kNormal: q = NormalQuantile(u); break;
    case DelayDist::kPareto: q = ParetoQuantile(u); break;
    case DelayDist::kParetoNormal:
      q = 0.75 * std::clamp(NormalQuantile(u), -kMaxJitters, kMaxJitters) +
          0.25 * std::min(ParetoQuantile(u), kMaxJitters);
      break;
  }
  return std::clamp(q, -kMaxJitters, kMaxJitters);
}

int64_t DrawDelayNs(int64_t delay_ns, int64_t jitter_ns, DelayDist d, double u) {
  if (jitter_ns <= 0) return delay_ns;
  const double v =
      static_cast<double>(delay_ns) + static_cast<double>(jitter_ns) * DelayQuantile(d, u);
  return v <= 0 ? 0 : static_cast<int64_t>(std::llround(v));
}

bool Gemodel::Lost(SplitMix64* prng, bool* was_bad) {
  const bool bad = bad_;
  if (prng->NextUnit() < (bad ? p_.r : p_.p)) bad_ = !bad_;
  *was_bad = bad;
  return prng->NextUnit() < (bad ? p_.one_h : p_.one_k);
}

bool FourState::Lost(SplitMix64* prng, int* state) {
  const double u = prng->NextUnit();
  switch (state_) {
    case 1:
      if (u < p_.p14) {
        state_ = 4;
      } else if (u < p_.p14 + p_.p13) {
        state_ = 3;
      }
      break;
    case 2:
      if (u < p_.p23) state_ = 3;
      break;
    case 3:
      if (u < p_.p32) {
        state_ = 2;
      } else if (u < p_.p32 + p_.p31) {
        state_ = 1;
      }
      break;
    default: state_ = 1; break;
  }
  *state = state_;
  return state_ == 3 || state_ == 4;
}

bool ReorderGap::SendNow(SplitMix64* prng) {
  if (counter_ < gap_ - 1 || !(draw_.Next(prng) < p_)) {
    ++counter_;
    return false;
  }
  counter_ = 0;
  return true;
}

}  // namespace faultline
