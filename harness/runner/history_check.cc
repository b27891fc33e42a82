#include "harness/runner/history_check.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {

bool PassesThrough(const std::vector<std::string>& path, const std::vector<std::string>& want) {
  size_t i = 0;
  for (const std::string& st : path) {
    if (i < want.size() && st == want[i]) ++i;
  }
  return i == want.size();
}

std::string PathText(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& s : path) out += (out.empty() ? "" : " -> ") + s;
  return out;
}

Probe ThroughProbe(const std::vector<std::vector<StateTransition>>& lives,
                   const std::vector<std::string>& through, int64_t since_ns,
                   const std::string& now) {
  Probe p;
  std::vector<std::string> texts;
  for (size_t i = 0; i < lives.size(); ++i) {
    std::vector<std::string> path;
    for (int st : StatePath(lives[i], since_ns)) path.push_back(TcpStateName(st));
    const bool last = i + 1 == lives.size();
    if (last && !now.empty() && now != "gone" && (path.empty() || path.back() != now)) {
      path.push_back(now);
    }
    if (path.empty()) continue;
    if (PassesThrough(path, through)) p.holds = true;
    texts.push_back(PathText(path));
  }
  p.value = texts.empty() ? "no recorded transitions" : texts.front();
  for (size_t i = 1; i < texts.size(); ++i) p.value += " | " + texts[i];
  return p;
}

std::string SeenInWindow(const std::vector<std::vector<StateTransition>>& lives,
                         const std::vector<std::string>& states, int64_t from_ns, int64_t to_ns) {
  for (const std::string& name : states) {
    std::vector<int> nums;
    for (int n = 1; n <= 12; ++n) {
      if (TcpStateName(n) == name) nums.push_back(n);
    }
    for (const std::vector<StateTransition>& l : lives) {
      if (!nums.empty() && InStateDuring(l, nums, from_ns, to_ns)) return name;
    }
  }
  return "";
}

namespace {

bool Listed(const std::vector<std::string>& states, int kernel_state) {
  return std::find(states.begin(), states.end(), TcpStateName(kernel_state)) != states.end();
}

}  // namespace

std::optional<int64_t> EnteredAt(const std::vector<std::vector<StateTransition>>& lives,
                                 const std::vector<std::string>& states, int64_t from_ns,
                                 int64_t to_ns) {
  std::optional<int64_t> best;
  for (const std::vector<StateTransition>& l : lives) {
    int at_start = l.empty() ? 0 : l.front().old_state;
    for (const StateTransition& t : l) {
      if (t.at_ns <= from_ns) at_start = t.new_state;
    }
    std::optional<int64_t> entered;
    if (at_start != 0 && Listed(states, at_start)) entered = from_ns;
    for (const StateTransition& t : l) {
      if (entered || t.at_ns <= from_ns || t.at_ns > to_ns) continue;
      if (Listed(states, t.new_state)) entered = t.at_ns;
    }
    if (entered && (!best || *entered < *best)) best = entered;
  }
  return best;
}

std::optional<StateTransition> LeftAt(const std::vector<std::vector<StateTransition>>& lives,
                                      const std::vector<std::string>& states, int64_t from_ns,
                                      int64_t to_ns) {
  std::optional<StateTransition> first;
  for (const std::vector<StateTransition>& l : lives) {
    for (const StateTransition& t : l) {
      if (t.at_ns <= from_ns || t.at_ns > to_ns) continue;
      if (Listed(states, t.old_state) && !Listed(states, t.new_state) &&
          (!first || t.at_ns < first->at_ns)) {
        first = t;
      }
    }
  }
  return first;
}

std::string ThroughMessage(const std::vector<std::string>& through, const std::string& actual) {
  return fmt::format("expected state path {} vs actual {}", PathText(through), actual);
}

}  // namespace faultline
