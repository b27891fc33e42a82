// netem's models over 100,000 draws at fixed seeds: each delay distribution
// against its intended CDF (Kolmogorov-Smirnov) and its mean and spread, the
// loss models against their closed-form loss rate and burst length, the
// correlated draw's lag-1 autocorrelation. The reference CDFs here are
// written from the math, independently of netem_models.cc.
#include "injectors/netem_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <vector>

namespace faultline {
namespace {

constexpr int kDraws = 100'000;
// KS critical value for n = 100,000 at alpha = 0.001: 1.95 / sqrt(n).
constexpr double kKsMax = 0.0062;

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// The normal quantile by bisection on Phi (slow, independent).
double ZByBisection(double q) {
  double lo = -12, hi = 12;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    (Phi(mid) < q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

// sup |F_n - F| over the sorted sample, ties and jumps of F included.
double KsStatistic(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (size_t i = 0; i < x.size();) {
    size_t j = i;
    while (j + 1 < x.size() && x[j + 1] == x[i]) ++j;
    const double below = cdf(std::nextafter(x[i], -HUGE_VAL));
    d = std::max(d, std::fabs(below - static_cast<double>(i) / n));
    d = std::max(d, std::fabs(cdf(x[i]) - static_cast<double>(j + 1) / n));
    i = j + 1;
  }
  return d;
}

struct Moments {
  double mean = 0, sd = 0;
};
Moments Of(const std::vector<double>& x) {
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (double v : x) m.sd += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(m.sd / static_cast<double>(x.size() - 1));
  return m;
}

std::vector<double> Sample(DelayDist d, uint64_t seed) {
  SplitMix64 prng(seed);
  CorrelatedDraw draw(0);
  std::vector<double> x;
  for (int i = 0; i < kDraws; ++i) x.push_back(DelayQuantile(d, draw.Next(&prng)));
  return x;
}

// The intended distributions in jitters (netem's tables' definitions,
// clamped to [-4, 4] as netem's s16 tables are).
double ParetoRef(double q) { return std::min((std::pow(1 - q, -1.0 / 3) - 1.5) * 4 / 3, 4.0); }
double ParetoCdf(double y) {
  if (y >= 4) return 1;
  const double x = 1.5 + 0.75 * y;
  return x < 1 ? 0 : 1 - std::pow(x, -3.0);
}
double ParetoNormalRef(double q) {
  return std::clamp(0.75 * std::clamp(ZByBisection(q), -4.0, 4.0) + 0.25 * ParetoRef(q), -4.0, 4.0);
}

// Mean and sd of a quantile function (midpoint rule over 200,000 points).
Moments OfQuantile(const std::function<double(double)>& q) {
  constexpr int kN = 200'000;
  double s = 0, s2 = 0;
  for (int i = 0; i < kN; ++i) {
    const double v = q((i + 0.5) / kN);
    s += v;
    s2 += v * v;
  }
  Moments m;
  m.mean = s / kN;
  m.sd = std::sqrt(s2 / kN - m.mean * m.mean);
  return m;
}

TEST(NetemModels, NormalQuantileIsAccurate) {
  for (double q : {1e-9, 1e-4, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-6}) {
    EXPECT_NEAR(NormalQuantile(q), ZByBisection(q), 1e-9) << q;
  }
}

TEST(NetemModels, UniformDelay) {
  const auto x = Sample(DelayDist::kUniform, 1);
  const Moments m = Of(x);
  EXPECT_NEAR(m.mean, 0, 0.01);
  EXPECT_NEAR(m.sd, 1 / std::sqrt(3.0), 0.005);
  EXPECT_LT(KsStatistic(x, [](double y) { return std::clamp((y + 1) / 2, 0.0, 1.0); }), kKsMax);
}

TEST(NetemModels, NormalDelay) {
  const auto x = Sample(DelayDist::kNormal, 2);
  const Moments m = Of(x);
  EXPECT_NEAR(m.mean, 0, 0.015);
  EXPECT_NEAR(m.sd, 1, 0.01);
  EXPECT_LT(KsStatistic(x, [](double y) { return y >= 4 ? 1.0 : y < -4 ? 0.0 : Phi(y); }), kKsMax);
}

TEST(NetemModels, ParetoDelay) {
  const auto x = Sample(DelayDist::kPareto, 3);
  const Moments want = OfQuantile(ParetoRef);
  // Closed form of Y = (min(X, 4.5) - 1.5) * 4/3, X Pareto(3, 1):
  // E[min(X, c)] = 1.5 - 1 / (2 c^2), E[min(X, c)^2] = 3 - 2 / c.
  const double c = 4.5, ex = 1.5 - 1 / (2 * c * c), ex2 = 3 - 2 / c;
  EXPECT_NEAR(want.mean, (ex - 1.5) * 4 / 3, 1e-4);
  EXPECT_NEAR(want.sd, std::sqrt(ex2 - ex * ex) * 4 / 3, 1e-4);
  const Moments m = Of(x);
  EXPECT_NEAR(m.mean, want.mean, 0.015);
  EXPECT_NEAR(m.sd, want.sd, 0.02);
  EXPECT_GE(*std::min_element(x.begin(), x.end()), -2.0 / 3);
  EXPECT_LT(KsStatistic(x, ParetoCdf), kKsMax);
}

TEST(NetemModels, ParetoNormalDelay) {
  const auto x = Sample(DelayDist::kParetoNormal, 4);
  // The CDF: the reference quantile on a grid, inverted by interpolation.
  constexpr int kGrid = 20'000;
  std::vector<double> grid;
  for (int i = 0; i < kGrid; ++i) grid.push_back(ParetoNormalRef(i / 1.0 / kGrid));
  auto cdf = [&](double y) {
    if (y < grid.front()) return 0.0;
    if (y >= 4) return 1.0;
    auto it = std::upper_bound(grid.begin(), grid.end(), y);
    if (it == grid.end()) return 1.0;
    const size_t k = static_cast<size_t>(it - grid.begin());
    const double a = grid[k - 1], b = grid[k];
    return (static_cast<double>(k - 1) + (b > a ? (y - a) / (b - a) : 0)) / kGrid;
  };
  EXPECT_LT(KsStatistic(x, cdf), kKsMax);
  const Moments want = OfQuantile(ParetoNormalRef);
  const Moments m = Of(x);
  EXPECT_NEAR(m.mean, want.mean, 0.015);
  EXPECT_NEAR(m.sd, want.sd, 0.015);
}

TEST(NetemModels, DelayIsClampedAtZero) {
  EXPECT_EQ(DrawDelayNs(10, 30, DelayDist::kUniform, 0.0), 0);
  EXPECT_EQ(DrawDelayNs(10, 30, DelayDist::kUniform, 0.5), 10);
  EXPECT_EQ(DrawDelayNs(10, 0, DelayDist::kNormal, 0.1), 10);
}

double Lag1(const std::vector<double>& x) {
  const Moments m = Of(x);
  double c = 0;
  for (size_t i = 1; i < x.size(); ++i) c += (x[i] - m.mean) * (x[i - 1] - m.mean);
  return c / static_cast<double>(x.size() - 1) / (m.sd * m.sd);
}

TEST(NetemModels, CorrelatedDrawHasItsLag1Autocorrelation) {
  for (double c : {0.0, 0.25, 0.75}) {
    SplitMix64 prng(5);
    CorrelatedDraw draw(c);
    std::vector<double> x;
    for (int i = 0; i < kDraws; ++i) x.push_back(draw.Next(&prng));
    EXPECT_NEAR(Lag1(x), c, 0.015) << c;
    // An AR(1) of uniforms: mean 1/2, variance (1 - c) / (12 (1 + c)).
    const Moments m = Of(x);
    EXPECT_NEAR(m.mean, 0.5, 0.01) << c;
    EXPECT_NEAR(m.sd, std::sqrt((1 - c) / (12 * (1 + c))), 0.005) << c;
  }
}

struct LossStats {
  double rate = 0, burst = 0;
};
LossStats Measure(const std::function<bool()>& lost) {
  int losses = 0, bursts = 0;
  bool prev = false;
  for (int i = 0; i < kDraws; ++i) {
    const bool l = lost();
    losses += l;
    bursts += l && !prev;
    prev = l;
  }
  return {static_cast<double>(losses) / kDraws, static_cast<double>(losses) / bursts};
}

TEST(NetemModels, GilbertElliottLossRateAndBurstLength) {
  // Simple Gilbert (1-h = 1, 1-k = 0): loss rate p / (p + r), bursts 1 / r.
  SplitMix64 prng(6);
  Gemodel ge({0.05, 0.3, 1, 0});
  bool bad = false;
  const LossStats s = Measure([&] { return ge.Lost(&prng, &bad); });
  EXPECT_NEAR(s.rate, 0.05 / 0.35, 0.01);
  EXPECT_NEAR(s.burst, 1 / 0.3, 0.15);
  // With 1-h = 0.5 and 1-k = 0.01: pi_good * 0.01 + pi_bad * 0.5.
  SplitMix64 prng2(7);
  Gemodel ge2({0.05, 0.3, 0.5, 0.01});
  const LossStats s2 = Measure([&] { return ge2.Lost(&prng2, &bad); });
  EXPECT_NEAR(s2.rate, 0.3 / 0.35 * 0.01 + 0.05 / 0.35 * 0.5, 0.008);
}

TEST(NetemModels, FourStateLossRateAndBurstLength) {
  const FourStateParams p{0.02, 0.4, 0.1, 0.3, 0.01};
  // Stationary distribution of the chain (states 1..4), by power iteration.
  const std::array<std::array<double, 4>, 4> t = {{
      {1 - p.p13 - p.p14, 0, p.p13, p.p14},
      {0, 1 - p.p23, p.p23, 0},
      {p.p31, p.p32, 1 - p.p31 - p.p32, 0},
      {1, 0, 0, 0},
  }};
  std::array<double, 4> pi = {1, 0, 0, 0};
  for (int it = 0; it < 20000; ++it) {
    std::array<double, 4> nx = {0, 0, 0, 0};
    for (int a = 0; a < 4; ++a) {
      for (int b = 0; b < 4; ++b) nx[b] += pi[a] * t[a][b];
    }
    pi = nx;
  }
  const double rate = pi[2] + pi[3];
  const double burst = rate / (pi[0] * (p.p13 + p.p14) + pi[1] * p.p23);
  SplitMix64 prng(8);
  FourState m(p);
  int state = 0;
  const LossStats s = Measure([&] { return m.Lost(&prng, &state); });
  EXPECT_NEAR(s.rate, rate, 0.1 * rate);
  EXPECT_NEAR(s.burst, burst, 0.08 * burst);
  // netem's defaults (p31 = 1 - p13, ...) give independent loss at p13.
  SplitMix64 prng2(9);
  FourState d({0.1, 0.9, 0, 1, 0});
  const LossStats s2 = Measure([&] { return d.Lost(&prng2, &state); });
  EXPECT_NEAR(s2.rate, 0.1, 0.005);
  EXPECT_NEAR(s2.burst, 1 / 0.9, 0.02);
}

TEST(NetemModels, ReorderGapSendsEveryNthAtMost) {
  // probability 1, gap 3: two delayed, the third sent at once, again.
  SplitMix64 prng(10);
  ReorderGap r(1.0, 0, 3);
  std::string s;
  for (int i = 0; i < 9; ++i) s += r.SendNow(&prng) ? 'N' : 'd';
  EXPECT_EQ(s, "ddNddNddN");
  // gap 1 (netem's default): the draw alone decides.
  SplitMix64 prng2(11);
  ReorderGap r2(0.25, 0, 1);
  int now = 0;
  for (int i = 0; i < kDraws; ++i) now += r2.SendNow(&prng2);
  EXPECT_NEAR(now / 1.0 / kDraws, 0.25, 0.006);
}

}  // namespace
}  // namespace faultline
