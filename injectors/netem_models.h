// netem's stochastic models, as pure functions of a SplitMix64 stream (no
// clock, no socket): the correlated draw, the delay distributions and the
// loss models of Linux's sch_netem (tc-netem(8)). The FaultEngine keeps one
// of each per fault and direction (sending host -> receiving host), as
// netem keeps one per qdisc, and draws from the fault's own stream.
//
// What is implemented, from netem's definitions (kernel net/sched/
// sch_netem.c get_crandom(), tabledist(), loss_gilb_ell(), loss_4state();
// iproute2 netem/{normal,pareto,paretonormal}.c and tc/q_netem.c), and where
// it differs:
//
// - Correlated draw: next = (1 - c) * U + c * last, U uniform in [0, 1),
//   `last` the previous result (the first `last` is itself a draw: netem
//   seeds it at random). As in netem, c > 0 narrows the spread of the draws
//   around 0.5, so a correlated `probability: P` does not hit a share P of
//   the packets unless P = 0.5 (netem's known flaw, kept on purpose: the
//   same settings give the same behaviour as tc).
// - Delay: delay + jitter * Q(u) with u the (correlated) draw, clamped at 0
//   (a negative delay is sent at once, as netem's time_to_send in the past).
//   uniform: Q(u) = 2u - 1 (netem: rnd % 2J - J). normal: the standard
//   normal quantile. pareto: netem's table is ((1 - q)^(-1/3) - 1.5) * 4/3,
//   a Pareto of shape 3 and scale 1 shifted to mean 0 (its spread is then
//   sqrt(3)/2 * 4/3 = 1.155 jitters, not 1). paretonormal: netem's table is
//   (3 * normal(q) + pareto(q)) / 4 at the same quantile q (the two are
//   comonotone). netem stores 4096 quantiles as s16 / 8192, so its values
//   lie in [-4, 4) jitters and its normal stops near +-3.5; here Q is
//   computed in double from the continuous u and clamped to [-4, 4] (the
//   same bound), so the tails are not cut at 1/4096.
// - Loss random P with correlation C: lost when the correlated draw < P.
// - Gilbert-Elliott (loss gemodel p r 1-h 1-k; defaults r = 1 - p, 1-h = 1,
//   1-k = 0, start in good): per packet one draw for the transition (good ->
//   bad with p, bad -> good with r), then one draw for the loss with the
//   loss probability of the state the packet found (1-k in good, 1-h in bad),
//   as loss_gilb_ell does. Here `1-h` and `1-k` are the loss probabilities
//   as tc-netem(8) documents them (netem's kernel compares against h itself).
// - 4-state (loss state p13 p31 p32 p23 p14; defaults p31 = 1 - p13, p32 = 0,
//   p23 = 1, p14 = 0, start in state 1): states 1 good reception in a gap,
//   2 good reception in a burst, 3 loss in a burst, 4 isolated loss; one
//   draw a packet picks the next state from the current one (1 -> 4 with
//   p14, 1 -> 3 with p13; 2 -> 3 with p23; 3 -> 2 with p32, 3 -> 1 with
//   p31; 4 -> 1 always) and the packet is lost when that state is 3 or 4,
//   as loss_4state does (netem's strict comparisons leave a draw exactly on
//   a boundary in the old state; here the intervals are half-open).
#pragma once

#include <cstdint>
#include <string>

#include "injectors/prng.h"

namespace faultline {

// netem's correlated uniform draw in [0, 1).
class CorrelatedDraw {
 public:
  explicit CorrelatedDraw(double correlation = 0) : c_(correlation) {}
  double Next(SplitMix64* prng);

 private:
  double c_;
  double last_ = 0;
  bool started_ = false;
};

enum class DelayDist { kUniform, kNormal, kPareto, kParetoNormal };
const char* DelayDistName(DelayDist d);  // "uniform", ...

// The distribution's value at quantile u in [0, 1), in jitters, in [-4, 4].
double DelayQuantile(DelayDist d, double u);
// The standard normal quantile (double precision; u in (0, 1)).
double NormalQuantile(double u);
// delay + jitter * DelayQuantile(d, u), in ns, never negative.
int64_t DrawDelayNs(int64_t delay_ns, int64_t jitter_ns, DelayDist d, double u);

// Gilbert-Elliott (netem `loss gemodel`).
struct GemodelParams {
  double p = 0;      // good -> bad
  double r = 1;      // bad -> good
  double one_h = 1;  // loss probability in bad
  double one_k = 0;  // loss probability in good
};
class Gemodel {
 public:
  explicit Gemodel(GemodelParams p) : p_(p) {}
  // Whether this packet is lost; *was_bad: the state it was decided in.
  bool Lost(SplitMix64* prng, bool* was_bad);

 private:
  GemodelParams p_;
  bool bad_ = false;
};

// The 4-state Markov model (netem `loss state`).
struct FourStateParams {
  double p13 = 0, p31 = 1, p32 = 0, p23 = 1, p14 = 0;
};
class FourState {
 public:
  explicit FourState(FourStateParams p) : p_(p) {}
  // Whether this packet is lost; *state: the state it moved to (1..4).
  bool Lost(SplitMix64* prng, int* state);

 private:
  FourStateParams p_;
  int state_ = 1;
};

// netem's reorder (reorder P C with gap G) on a delayed stream: whether
// this packet is sent at once (true) or delayed.
class ReorderGap {
 public:
  ReorderGap(double probability, double correlation, int gap)
      : p_(probability), draw_(correlation), gap_(gap) {}
  bool SendNow(SplitMix64* prng);

 private:
  double p_;
  CorrelatedDraw draw_;
  int gap_;
  int64_t counter_ = 0;
};

}  // namespace faultline
