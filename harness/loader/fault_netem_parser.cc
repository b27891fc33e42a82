#include "harness/loader/fault_netem_parser.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/loader/did_you_mean.h"

namespace faultline {
namespace {

const std::vector<std::pair<std::string, DelayDistribution>> kDistributions = {
    {"uniform", DelayDistribution::kUniform},
    {"normal", DelayDistribution::kNormal},
    {"pareto", DelayDistribution::kPareto},
    {"paretonormal", DelayDistribution::kParetoNormal}};

const std::vector<std::string> kReorderKeys = {"probability", "correlation", "gap"};
const std::vector<std::string> kLossKeys = {"random", "correlation", "gemodel", "state"};
const std::vector<std::string> kGemodelKeys = {"p", "r", "1-h", "1-k"};
const std::vector<std::string> kStateKeys = {"p13", "p31", "p32", "p23", "p14"};

// A fraction > 0 (probability-like keys where 0 would never act).
StatusOr<double> ReadPositiveFraction(const Val& v, const std::string& what, const Scope& s) {
  StatusOr<double> p = ReadFraction(v, what, s);
  if (!p.ok()) return p.status();
  if (*p <= 0) {
    return s.Fail(v.loc, fmt::format("'{}' must be more than 0 (0 would never act), not {}", what,
                                     Describe(v.node)));
  }
  return p;
}

Status ReadDistribution(const Entry& e, const Scope& s, FaultAction* out) {
  std::vector<std::string> names;
  for (const auto& [n, d] : kDistributions) {
    names.push_back(n);
    if (e.val.node.IsScalar() && e.val.node.Scalar() == n) {
      out->distribution = d;
      return Status::Ok();
    }
  }
  std::string hint = e.val.node.IsScalar() ? DidYouMean(e.val.node.Scalar(), names) : "";
  if (hint.empty()) hint = " (one of uniform, normal, pareto, paretonormal)";
  return s.Fail(e.val.loc, fmt::format("unknown distribution {}{}", Describe(e.val.node), hint));
}

Status ReadReorder(const Entry& e, const Scope& s, FaultAction* out) {
  if (!e.val.node.IsMap()) {
    return s.Fail(e.val.loc, fmt::format("'reorder' must be a map {{probability: P, correlation: "
                                         "P, gap: N}}, not {}",
                                         Describe(e.val.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, "reorder", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kReorderKeys, " in reorder", s));
  const Entry* p = FindKey(*m, "probability");
  if (p == nullptr) return s.Fail(e.val.loc, "'reorder' needs 'probability'");
  DelayReorder r;
  StatusOr<double> pv = ReadPositiveFraction(p->val, "probability", s);
  if (!pv.ok()) return pv.status();
  r.probability = *pv;
  if (const Entry* c = FindKey(*m, "correlation")) {
    StatusOr<double> cv = ReadFraction(c->val, "correlation", s);
    if (!cv.ok()) return cv.status();
    r.correlation = *cv;
  }
  if (const Entry* g = FindKey(*m, "gap")) {
    StatusOr<int64_t> n = ReadInt(g->val, "gap", s, 1, 1000000);
    if (!n.ok()) return n.status();
    r.gap = static_cast<int>(*n);
  }
  out->reorder = r;
  return Status::Ok();
}

// A map of named fractions (gemodel's, state's): each key into its field.
Status ReadFractions(const Entry& e, const std::vector<std::string>& keys,
                     const std::vector<double*>& fields, const Scope& s, std::vector<bool>* given) {
  if (!e.val.node.IsMap()) {
    return s.Fail(e.val.loc, fmt::format("'{}' must be a map of probabilities ({}), not {}", e.key,
                                         fmt::join(keys, ", "), Describe(e.val.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, e.key, s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, keys, " in " + e.key, s));
  given->assign(keys.size(), false);
  for (size_t i = 0; i < keys.size(); ++i) {
    const Entry* k = FindKey(*m, keys[i]);
    if (k == nullptr) continue;
    StatusOr<double> v = ReadFraction(k->val, keys[i], s);
    if (!v.ok()) return v.status();
    *fields[i] = *v;
    (*given)[i] = true;
  }
  if (!(*given)[0]) {
    return s.Fail(e.val.loc, fmt::format("'{}' needs '{}'", e.key, keys[0]));
  }
  return Status::Ok();
}

// gemodel: {p, r, 1-h, 1-k}; r defaults to 1 - p (netem's).
Status ReadGemodel(const Entry& e, const Scope& s, LossModel* l) {
  std::vector<bool> given;
  FL_RETURN_IF_ERROR(
      ReadFractions(e, kGemodelKeys, {&l->p, &l->r, &l->one_h, &l->one_k}, s, &given));
  if (!given[1]) l->r = 1 - l->p;
  return Status::Ok();
}

// state: {p13, p31, p32, p23, p14}; p31 defaults to 1 - p13 (netem's).
Status ReadState(const Entry& e, const Scope& s, LossModel* l) {
  std::vector<bool> given;
  FL_RETURN_IF_ERROR(
      ReadFractions(e, kStateKeys, {&l->p13, &l->p31, &l->p32, &l->p23, &l->p14}, s, &given));
  if (!given[1]) l->p31 = 1 - l->p13;
  if (l->p13 + l->p14 > 1) {
    return s.Fail(e.val.loc, fmt::format("'p13' + 'p14' must be at most 1 (the chances of "
                                         "leaving state 1), not {:g}",
                                         l->p13 + l->p14));
  }
  if (l->p31 + l->p32 > 1) {
    return s.Fail(e.val.loc, fmt::format("'p31' + 'p32' must be at most 1 (the chances of "
                                         "leaving state 3), not {:g}",
                                         l->p31 + l->p32));
  }
  return Status::Ok();
}

}  // namespace

Status ReadDelayNetem(const std::vector<Entry>& m, const Scope& s, FaultAction* out) {
  const Entry* jitter = FindKey(m, "jitter");
  if (jitter != nullptr) {
    StatusOr<Duration> d = ReadDuration(jitter->val, "jitter", s);
    if (!d.ok()) return d.status();
    if (*d < Duration(0) || *d > std::chrono::seconds(60)) {
      return s.Fail(jitter->val.loc, fmt::format("'jitter' must be at least 0s and at most 60s, "
                                                 "not {}",
                                                 Describe(jitter->val.node)));
    }
    out->jitter = *d;
  }
  for (const char* k : {"distribution", "correlation"}) {
    const Entry* e = FindKey(m, k);
    if (e == nullptr) continue;
    if (jitter == nullptr) {
      return s.Fail(e->key_loc, fmt::format("'{}' needs 'jitter' (it shapes the jitter's draws, "
                                            "as netem's delay D J C distribution NAME){}",
                                            k,
                                            std::string(k) == "correlation"
                                                ? "; a match's draws take 'correlation' in match"
                                                : ""));
    }
    if (std::string(k) == "distribution") {
      FL_RETURN_IF_ERROR(ReadDistribution(*e, s, out));
    } else {
      StatusOr<double> c = ReadFraction(e->val, "correlation", s);
      if (!c.ok()) return c.status();
      out->delay_correlation = *c;
    }
  }
  if (const Entry* r = FindKey(m, "reorder")) return ReadReorder(*r, s, out);
  return Status::Ok();
}

Status ReadLoss(const Entry& e, const Scope& s, FaultAction* out) {
  if (!e.val.node.IsMap()) {
    return s.Fail(e.val.loc, fmt::format("'loss' must be a map with one of random, gemodel, "
                                         "state, not {}",
                                         Describe(e.val.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, "loss", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kLossKeys, " in loss", s));
  const Entry* model = nullptr;
  for (const Entry& k : *m) {
    if (k.key == "correlation") continue;
    if (model != nullptr) {
      return s.Fail(k.key_loc, fmt::format("'{}' and '{}' cannot be combined in 'loss' (one "
                                           "model)",
                                           model->key, k.key));
    }
    model = &k;
  }
  if (model == nullptr) return s.Fail(e.val.loc, "'loss' needs one of random, gemodel, state");
  LossModel l;
  const Entry* corr = FindKey(*m, "correlation");
  if (corr != nullptr && model->key != "random") {
    return s.Fail(corr->key_loc, "'correlation' in 'loss' applies to 'random' only");
  }
  if (model->key == "random") {
    l.kind = LossModel::Kind::kRandom;
    StatusOr<double> p = ReadPositiveFraction(model->val, "random", s);
    if (!p.ok()) return p.status();
    l.random = *p;
    if (corr != nullptr) {
      StatusOr<double> c = ReadFraction(corr->val, "correlation", s);
      if (!c.ok()) return c.status();
      l.correlation = *c;
    }
  } else if (model->key == "gemodel") {
    l.kind = LossModel::Kind::kGemodel;
    FL_RETURN_IF_ERROR(ReadGemodel(*model, s, &l));
  } else {
    l.kind = LossModel::Kind::kState;
    FL_RETURN_IF_ERROR(ReadState(*model, s, &l));
  }
  out->loss = l;
  return Status::Ok();
}

}  // namespace faultline
