#include "harness/loader/when_parser.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"

namespace faultline {
namespace {

std::string JoinNames(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The values one condition may name: the case's families, or a dimension's.
std::vector<std::string> AllowedValues(const CaseContext& cx, int dimension) {
  if (dimension >= 0) return cx.matrix[static_cast<size_t>(dimension)].values;
  std::vector<std::string> out;
  for (Family f : cx.families) out.push_back(FamilyName(f));
  return out;
}

StatusOr<WhenCondition> ParseCondition(const Entry& e, const CaseContext& cx, const Scope& s) {
  const std::vector<std::string> dims = MatrixDimensionNames(cx.matrix);
  WhenCondition c;
  c.loc = e.key_loc;
  c.name = e.key;
  if (e.key != "family") {
    auto it = std::find(dims.begin(), dims.end(), e.key);
    if (it == dims.end()) {
      std::vector<std::string> names = {"family"};
      names.insert(names.end(), dims.begin(), dims.end());
      return s.Fail(e.key_loc, fmt::format("'when' names '{}', which is not a dimension of the "
                                           "case{}; the dimensions are: {}",
                                           e.key, DidYouMean(e.key, names), JoinNames(names)));
    }
    c.dimension = static_cast<int>(it - dims.begin());
  }
  const std::string what = "when." + e.key;
  std::vector<Val> items = {e.val};
  if (e.val.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(e.val, what, s);
    if (!l.ok()) return l.status();
    if (l->empty()) {
      return s.Fail(e.val.loc, fmt::format("'{}' must list at least one value", what));
    }
    items = *l;
  }
  const std::vector<std::string> allowed = AllowedValues(cx, c.dimension);
  for (const Val& it : items) {
    if (!it.node.IsScalar()) {
      return s.Fail(it.loc, fmt::format("'{}' values must be numbers or names, not {}", what,
                                        Describe(it.node)));
    }
    const std::string& val = it.node.Scalar();
    if (std::find(allowed.begin(), allowed.end(), val) == allowed.end()) {
      return s.Fail(
          it.loc,
          fmt::format("'{}': {} is not one of the case's {}: {}", what, Describe(it.node),
                      c.dimension < 0 ? "families" : "values of " + e.key, JoinNames(allowed)));
    }
    if (std::find(c.values.begin(), c.values.end(), val) == c.values.end()) {
      c.values.push_back(val);
    }
  }
  return c;
}

bool Runs(const std::optional<When>& w, const VariantValues& v) {
  return !w || w->Holds(FamilyName(v.family), v.values);
}

// The first variant where `referrer` holds and `target` does not.
const VariantValues* Missing(const std::vector<VariantValues>& variants,
                             const std::optional<When>& referrer,
                             const std::optional<When>& target) {
  for (const VariantValues& v : variants) {
    if (Runs(referrer, v) && !Runs(target, v)) return &v;
  }
  return nullptr;
}

struct Checker {
  const Case& c;
  const std::vector<VariantValues>& variants;
  std::map<std::string, const Step*> labels = [this] {
    std::map<std::string, const Step*> m;
    for (const Step& s : c.steps) {
      if (!s.label.empty()) m[s.label] = &s;
    }
    return m;
  }();

  // `who` ("step 5", "timing 1", "fault 1") names the label `label` in `key`.
  Status Ref(const std::string& who, const SourceLoc& loc, const std::optional<When>& when,
             const std::string& key, const std::string& label, bool fault) const {
    auto it = labels.find(label);
    if (it == labels.end()) return Status::Ok();  // the parsers said so already
    const Step& t = *it->second;
    const VariantValues* v = Missing(variants, when, t.when);
    if (v == nullptr) return Status::Ok();
    std::string fix =
        fault ? "a fault is in every variant, so the step it names must be too"
              : fmt::format("give {} a 'when:' that holds only where step {} runs", who, t.index);
    return Fail(who, loc,
                fmt::format("'{}' names step {} (label '{}'), which does not run in variant '{}' "
                            "(its when: {}); {}",
                            key, t.index, label, v->name, t.when->ToString(), fix));
  }

  Status Fail(const std::string& who, const SourceLoc& loc, const std::string& text) const {
    return Scope{c.loc.file, who + ": "}.Fail(loc, text);
  }

  Status Holds(const std::string& who, const std::optional<When>& w,
               const std::string& never) const {
    if (!w) return Status::Ok();
    for (const VariantValues& v : variants) {
      if (Runs(w, v)) return Status::Ok();
    }
    return Fail(who, w->loc,
                fmt::format("'when' ({}) holds in no variant of the case; {} is a mistake",
                            w->ToString(), never));
  }

  Status Await(const Step& s, const AwaitStep& a) const;
  Status StepRefs(const Step& s) const;
  Status Run() const;
};

// The async step an await joins: the latest earlier one with its id.
Status Checker::Await(const Step& s, const AwaitStep& a) const {
  const Step* target = nullptr;
  for (const Step& t : c.steps) {
    if (t.index >= s.index) break;
    const auto* cs = std::get_if<CallStep>(&t.body);
    if (cs == nullptr) continue;
    if ((cs->async && cs->id == a.id) || (cs->call.command.background && cs->call.as == a.id)) {
      target = &t;
    }
  }
  if (target == nullptr) return Status::Ok();
  const VariantValues* v = Missing(variants, s.when, target->when);
  const VariantValues* w = Missing(variants, target->when, s.when);
  if (v == nullptr && w == nullptr) return Status::Ok();
  return Fail(fmt::format("step {}", s.index), s.loc,
              fmt::format("'await {}' {} in variant '{}', but step {}, the async step it joins, "
                          "{}; give both the same 'when:'",
                          a.id, v ? "runs" : "does not run", (v ? v : w)->name, target->index,
                          v ? "does not" : "does"));
}

Status Checker::StepRefs(const Step& s) const {
  const std::string who = fmt::format("step {}", s.index);
  FL_RETURN_IF_ERROR(Holds(who, s.when, "a step that never runs"));
  if (const auto* o = std::get_if<ObserveStep>(&s.body); o != nullptr && !o->since.empty()) {
    FL_RETURN_IF_ERROR(Ref(who, o->since_loc, s.when, "since", o->since, false));
  }
  if (const auto* p = std::get_if<PacketStep>(&s.body); p != nullptr && !p->since.empty()) {
    FL_RETURN_IF_ERROR(Ref(who, s.loc, s.when, "since", p->since, false));
  }
  if (const auto* a = std::get_if<AwaitStep>(&s.body)) FL_RETURN_IF_ERROR(Await(s, *a));
  return Status::Ok();
}

Status Checker::Run() const {
  for (const Step& s : c.steps) FL_RETURN_IF_ERROR(StepRefs(s));
  for (const Fault& f : c.faults) {
    const std::string who = fmt::format("fault {}", f.index);
    if (!f.action.until_step.empty()) {
      FL_RETURN_IF_ERROR(Ref(who, f.loc, std::nullopt, "until", f.action.until_step, true));
    }
    if (f.active_from && !f.active_from->step.empty()) {
      FL_RETURN_IF_ERROR(Ref(who, f.loc, std::nullopt, "active.from", f.active_from->step, true));
    }
    if (f.active_until && !f.active_until->step.empty()) {
      FL_RETURN_IF_ERROR(Ref(who, f.loc, std::nullopt, "active.until", f.active_until->step, true));
    }
  }
  for (const TimingExpect& t : c.timing) {
    const std::string who = fmt::format("timing {}", t.index);
    FL_RETURN_IF_ERROR(Holds(who, t.when, "a timing entry never checked"));
    for (const auto& [key, ev] : {std::pair{"from", &t.from}, std::pair{"to", &t.to}}) {
      if (const auto* st = std::get_if<TimingStepEvent>(&ev->what)) {
        FL_RETURN_IF_ERROR(Ref(who, ev->loc, t.when, key, st->label, false));
      }
    }
  }
  for (const CounterExpect& x : c.counters) {
    FL_RETURN_IF_ERROR(Holds("counters", x.when, "a counter never checked"));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<When> ParseWhen(const Val& v, const CaseContext& cx, const Scope& s) {
  if (!v.node.IsMap()) {
    return s.Fail(v.loc, fmt::format("'when' must be a map of conditions such as {{family: ipv4}} "
                                     "or {{somaxconn: [4, 8]}}, not {}",
                                     Describe(v.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(v, "when", s);
  if (!m.ok()) return m.status();
  if (m->empty()) {
    return s.Fail(v.loc, "'when' must name at least one condition, such as {family: ipv4}");
  }
  When w;
  w.loc = v.loc;
  for (const Entry& e : *m) {
    StatusOr<WhenCondition> c = ParseCondition(e, cx, s);
    if (!c.ok()) return c.status();
    w.all.push_back(std::move(c).value());
  }
  return w;
}

Status CheckWhen(const Case& c, const std::vector<VariantValues>& variants) {
  if (!c.HasWhen()) return Status::Ok();
  return Checker{c, variants}.Run();
}

}  // namespace faultline
