#include "harness/runner/counter_check.h"

#include <fmt/format.h>

namespace faultline {

StatusOr<std::string> ResolveCaseCounter(const Counters& now, const std::string& name,
                                         Family family) {
  std::string kernel = CounterForFamily(name, family == Family::kIPv6);
  if (kernel.empty()) {
    return Status::Invalid(fmt::format("counter '{}' has no name in {}", name, FamilyName(family)));
  }
  return ResolveCounter(now, kernel);
}

StatusOr<Probe> CounterStepProbe(const ObserveStep& o, const Counters& base, const Counters& now,
                                 Family family) {
  Probe p;
  p.holds = true;
  for (const FieldExpect& f : o.fields) {
    StatusOr<std::string> q = ResolveCaseCounter(now, f.name, family);
    if (!q.ok()) {
      return Status::Invalid(fmt::format("counters: host '{}': {}", o.host, q.status().message()));
    }
    auto b = base.find(*q);
    const int64_t delta = now.at(*q) - (b == base.end() ? 0 : b->second);
    if (!f.expect.Contains(delta)) p.holds = false;
    p.value += fmt::format("{}{} {} ({})", p.value.empty() ? "" : ", ", f.name, delta, *q);
  }
  return p;
}

std::string CounterStepExpected(const ObserveStep& o) {
  std::string out;
  for (const FieldExpect& f : o.fields) {
    out += fmt::format("{}{} delta {}", out.empty() ? "" : ", ", f.name, f.expect.text);
  }
  if (!o.since.empty()) out += " since " + o.since;
  return out;
}

}  // namespace faultline
