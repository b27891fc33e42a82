// "Did you mean" suggestions for misspelt names in case files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// Levenshtein distance (insertions, deletions, substitutions; bytes).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if its edit distance is at most 2 (the
// first of equally close ones, in the order given); "" when none is close or
// `word` is itself a candidate.
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'X'?)" for ClosestName, or "" when there is no suggestion.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// After "'X' is not a declared host": DidYouMean among `hosts`, or when none
// is close "; the hosts are: client, server" (in the order given).
std::string HostHint(std::string_view word, const std::vector<std::string>& hosts);

}  // namespace faultline
