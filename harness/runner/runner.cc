#include "harness/runner/runner.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace faultline {

int DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  return static_cast<int>(std::min(4 * n, 16u));
}

std::vector<Variant> ExpandVariants(const std::vector<Case>& cases,
                                    std::optional<Family> only_family) {
  std::vector<Variant> out;
  for (const Case& c : cases) {
    for (Family f : c.families) {
      if (only_family && *only_family != f) continue;
      out.push_back({&c, f});
    }
  }
  return out;
}

std::vector<CaseResult> RunVariants(const std::vector<Variant>& variants,
                                    const RunOptions& options) {
  std::vector<CaseResult> results(variants.size());
  std::atomic<size_t> next{0};
  std::mutex report_mu;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= variants.size()) return;
      results[i] = RunCaseVariant(*variants[i].c, variants[i].family, options.case_options);
      if (options.on_result) {
        std::lock_guard<std::mutex> lock(report_mu);
        options.on_result(results[i]);
      }
    }
  };
  int jobs = options.jobs > 0 ? options.jobs : DefaultJobs();
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(variants.size())));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(jobs));
  for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  return results;
}

}  // namespace faultline
