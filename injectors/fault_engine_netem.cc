// The FaultEngine's netem models: correlated probability, delay with jitter
// and reorder, drop with a loss model (injectors/netem_models.h).
#include <string_view>

#include <fmt/format.h>

#include "injectors/fault_engine.h"

namespace faultline {
namespace {

DelayDist DistOf(DelayDistribution d) {
  switch (d) {
    case DelayDistribution::kUniform: return DelayDist::kUniform;
    case DelayDistribution::kNormal: return DelayDist::kNormal;
    case DelayDistribution::kPareto: return DelayDist::kPareto;
    case DelayDistribution::kParetoNormal: return DelayDist::kParetoNormal;
  }
  return DelayDist::kUniform;
}

}  // namespace

FaultEngine::NetemState& FaultEngine::NetemOf(int fault, const PacketRecord& r) {
  auto it = netem_.find(std::make_tuple(fault, std::string_view(r.from), std::string_view(r.to)));
  if (it != netem_.end()) return it->second;
  const Fault& f = cfg_.faults[static_cast<size_t>(fault)];
  const FaultAction& act = f.action;
  NetemState st;
  st.match = CorrelatedDraw(f.match.correlation.value_or(0));
  st.delay = CorrelatedDraw(act.delay_correlation);
  st.delay_note = fmt::format(" ({}±{} {})", FormatDuration(act.delay), FormatDuration(act.jitter),
                              DelayDistributionName(act.distribution));
  if (act.reorder) {
    st.reorder.emplace(act.reorder->probability, act.reorder->correlation, act.reorder->gap);
  }
  if (act.loss) {
    const LossModel& l = *act.loss;
    st.loss = CorrelatedDraw(l.correlation);
    st.gemodel.emplace(GemodelParams{l.p, l.r, l.one_h, l.one_k});
    st.four.emplace(FourStateParams{l.p13, l.p31, l.p32, l.p23, l.p14});
  }
  return netem_.emplace(std::make_tuple(fault, r.from, r.to), std::move(st)).first->second;
}

double FaultEngine::MatchDraw(int f, size_t rec) {
  SplitMix64* prng = &prng_[static_cast<size_t>(f)];
  if (!cfg_.faults[static_cast<size_t>(f)].match.correlation) return prng->NextUnit();
  return NetemOf(f, At(rec)).match.Next(prng);
}

void FaultEngine::DoNetemDelay(int win, const FaultAction& act, const Arrival& a,
                               std::vector<Effect>* out) {
  PacketRecord& r = At(a.rec);
  NetemState& st = NetemOf(win, r);
  SplitMix64* prng = &prng_[static_cast<size_t>(win)];
  // netem: the reorder draw first; a packet it picks is not delayed.
  if (st.reorder && st.reorder->SendNow(prng)) {
    r.action = "reorder: sent at once (not delayed)";
    r.fate = PacketFate::kReorder;
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  int64_t d = act.delay.count();
  r.action = "delay " + FormatDuration(act.delay);
  if (act.jitter > Duration(0)) {
    d = DrawDelayNs(d, act.jitter.count(), DistOf(act.distribution), st.delay.Next(prng));
    r.action = fmt::format("delay {:.1f}ms{}", static_cast<double>(d) / 1e6, st.delay_note);
  }
  r.fate = PacketFate::kDelay;
  if (d <= 0) {  // netem: a time to send in the past goes at once
    Accept(a.id, a.rec, a.now_ns, out);
    return;
  }
  const uint64_t t = Hold(a.id, a.rec, Why::kDelay);
  timers_.Add(a.now_ns + d, t);
}

bool FaultEngine::LossDraw(int f, const LossModel& loss, size_t rec) {
  PacketRecord& r = At(rec);
  NetemState& st = NetemOf(f, r);
  SplitMix64* prng = &prng_[static_cast<size_t>(f)];
  bool lost = false;
  std::string why;
  switch (loss.kind) {
    case LossModel::Kind::kRandom:
      lost = st.loss.Next(prng) < loss.random;
      why = "loss random";
      break;
    case LossModel::Kind::kGemodel: {
      bool bad = false;
      lost = st.gemodel->Lost(prng, &bad);
      why = bad ? "loss gemodel: bad" : "loss gemodel: good";
      break;
    }
    case LossModel::Kind::kState: {
      int state = 0;
      lost = st.four->Lost(prng, &state);
      why = fmt::format("loss state {}", state);
      break;
    }
  }
  if (lost) {
    loss_action_ = fmt::format("drop ({})", why);
    return true;
  }
  // Passed: logged so unless a later fault takes the packet.
  r.fault = cfg_.faults[static_cast<size_t>(f)].index;
  r.action = fmt::format("pass ({})", why);
  r.fate = PacketFate::kPass;
  return false;
}

}  // namespace faultline
