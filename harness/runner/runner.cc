#include "harness/runner/runner.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "harness/common/interrupt.h"
#include "harness/runner/setup_gate.h"

namespace faultline {
int SetupSlots() {
  unsigned n = std::thread::hardware_concurrency();
  return static_cast<int>(n == 0 ? 1 : n);
}

int DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  return static_cast<int>(std::min(16 * n, 64u));
}

std::vector<Variant> ExpandVariants(const std::vector<Case>& cases,
                                    std::optional<Family> only_family) {
  std::vector<Variant> out;
  for (const Case& c : cases) {
    for (VariantValues& vv : c.Variants()) {
      if (only_family && *only_family != vv.family) continue;
      Variant v;
      v.c = &c;
      v.family = vv.family;
      v.name = std::move(vv.name);
      for (size_t d = 0; d < c.matrix.size(); ++d) {
        v.sysctls.push_back({c.matrix[d].host, c.matrix[d].key, vv.values[d]});
      }
      out.push_back(std::move(v));
    }
  }
  return out;
}

Case VariantCase(const Variant& v) {
  Case c = *v.c;
  std::vector<std::string> values;
  for (const VariantSysctl& s : v.sysctls) {
    values.push_back(s.value);
    for (HostSpec& h : c.hosts) {
      if (h.name == s.host) h.sysctls.emplace_back(s.key, s.value);
    }
  }
  // `when:` (docs/cases.md, "Expectations that vary by variant").
  const std::string family = FamilyName(v.family);
  for (Step& s : c.steps) {
    if (s.when && !s.when->Holds(family, values)) s.not_in_variant = true;
  }
  std::erase_if(c.timing,
                [&](const TimingExpect& t) { return t.when && !t.when->Holds(family, values); });
  std::erase_if(c.counters,
                [&](const CounterExpect& x) { return x.when && !x.when->Holds(family, values); });
  return c;
}

std::vector<CaseResult> RunVariants(const std::vector<Variant>& variants,
                                    const RunOptions& options) {
  const size_t n = variants.size();
  const bool rounds_named = options.repeat > 1 || options.until_fail;
  const size_t repeat = options.repeat > 0 ? static_cast<size_t>(options.repeat) : 0;
  const size_t total = repeat == 0 ? SIZE_MAX : n * repeat;  // repeat 0: until a failure
  std::map<size_t, CaseResult> done;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;  // done, and the callbacks
  SetupGate gate(SetupSlots());
  auto worker = [&] {
    for (;;) {
      if (stop.load() || InterruptSignal() != 0) return;  // SIGINT/SIGTERM: no new case
      size_t i = next.fetch_add(1);
      if (i >= total || n == 0) return;
      const Variant& v = variants[i % n];
      const size_t round = i / n + 1;
      if (options.on_start) {
        std::lock_guard<std::mutex> lock(mu);
        options.on_start(v);
      }
      CaseRunOptions co = options.case_options;
      if (co.setup_gate == nullptr) co.setup_gate = &gate;
      co.variant = rounds_named ? fmt::format("{} #{}", v.name, round) : v.name;
      CaseResult r;
      if (v.sysctls.empty() && !v.c->HasWhen()) {
        r = RunCaseVariant(*v.c, v.family, co);
      } else {
        Case vc = VariantCase(v);
        r = RunCaseVariant(vc, v.family, co);
      }
      bool failed = r.outcome == Outcome::kFail || r.outcome == Outcome::kError;
      if (failed && options.until_fail) stop.store(true);
      std::lock_guard<std::mutex> lock(mu);
      if (options.on_result) options.on_result(r);
      done.emplace(i, std::move(r));
    }
  };
  int jobs = options.jobs > 0 ? options.jobs : DefaultJobs();
  if (total != SIZE_MAX)
    jobs = std::min<int>(jobs, static_cast<int>(std::min<size_t>(total, 1 << 20)));
  jobs = std::max(1, jobs);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(jobs));
  for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  std::vector<CaseResult> results;
  results.reserve(done.size());
  for (auto& [i, r] : done) results.push_back(std::move(r));
  return results;
}

}  // namespace faultline
