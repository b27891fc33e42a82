#include "harness/runner/progress.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace faultline {

Progress::Progress(std::ostream& out, bool live, size_t total, CaseLineFormat line,
                   const Clock& clock)
    : out_(out),
      live_(live),
      total_(total),
      line_(std::move(line)),
      clock_(clock),
      start_ns_(clock.NowNs()) {}

std::string Progress::StatusText() const {
  int64_t s = (clock_.NowNs() - start_ns_) / 1000000000;
  std::string done =
      total_ ? fmt::format("{:>{}}/{}", finished_, std::to_string(total_).size(), total_)
             : fmt::format("{}", finished_);
  return fmt::format("[{}]  {} running  {} failed  {}:{:02}", done, started_ - finished_, failed_,
                     s / 60, s % 60);
}

void Progress::Draw() {
  if (!live_) return;
  out_ << "\r\033[K" << StatusText() << std::flush;
  drawn_ = true;
}

void Progress::Started() {
  ++started_;
  Draw();
}

void Progress::Finished(const CaseResult& r) {
  ++finished_;
  if (r.outcome == Outcome::kFail || r.outcome == Outcome::kError) ++failed_;
  if (drawn_) out_ << "\r\033[K";
  out_ << line_(r);
  drawn_ = false;
  Draw();
  if (!live_) out_ << std::flush;
}

void Progress::Done() {
  if (drawn_) out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

std::string PassCounts(const std::vector<CaseResult>& results) {
  struct Count {
    size_t order = 0;
    int runs = 0;
    int passed = 0;
    std::string first_failure;
  };
  std::map<std::string, Count> counts;
  int rounds = 0;
  for (const CaseResult& r : results) {
    std::string base = r.variant;
    int round = 1;
    size_t hash = base.rfind(" #");
    if (hash != std::string::npos) {
      round = std::atoi(base.c_str() + hash + 2);
      base.resize(hash);
    }
    rounds = std::max(rounds, round);
    std::string key = r.name + " [" + base + "]";
    auto [it, fresh] = counts.try_emplace(key);
    if (fresh) it->second.order = counts.size();
    Count& c = it->second;
    ++c.runs;
    if (r.outcome == Outcome::kPass || r.outcome == Outcome::kSkip) {
      ++c.passed;
    } else if (c.first_failure.empty()) {
      c.first_failure = fmt::format("  first failure: round {}, seed {}", round, r.seed);
    }
  }
  if (counts.empty()) return "";
  std::vector<std::pair<std::string, Count>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    int fa = a.second.runs - a.second.passed, fb = b.second.runs - b.second.passed;
    if (fa != fb) return fa > fb;
    return a.second.order < b.second.order;
  });
  std::string out = fmt::format("pass counts over {} round{}:\n", rounds, rounds == 1 ? "" : "s");
  for (const auto& [name, c] : rows) {
    out += fmt::format("  {:>6}  {}{}\n", fmt::format("{}/{}", c.passed, c.runs), name,
                       c.first_failure);
  }
  return out;
}

}  // namespace faultline
