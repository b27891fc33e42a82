#include "harness/loader/did_you_mean.h"

#include <algorithm>

namespace faultline {

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int up = row[j];
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates) {
  // Names in case files are short; bound the work on absurd input.
  if (word.size() > 64) return "";
  int best = 3;
  std::string found;
  for (const std::string& c : candidates) {
    if (c == word) return "";
    int d = EditDistance(word, c);
    if (d < best) {
      best = d;
      found = c;
    }
  }
  return found;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string c = ClosestName(word, candidates);
  if (c.empty()) return "";
  return " (did you mean '" + c + "'?)";
}

std::string HostHint(std::string_view word, const std::vector<std::string>& hosts) {
  std::string hint = DidYouMean(word, hosts);
  if (!hint.empty() || hosts.empty()) return hint;
  std::string list;
  for (const std::string& h : hosts) list += (list.empty() ? "" : ", ") + h;
  return "; the hosts are: " + list;
}

}  // namespace faultline
