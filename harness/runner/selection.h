// Which variants a run executes: --filter, --tag, --shard (and --family,
// applied by ExpandVariants). Pure functions; see docs/cases.md
// ("Command line and case").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/runner/runner.h"

namespace faultline {

// --shard K/N: this machine runs shard K of N (1 <= K <= N).
struct Shard {
  int index = 1;  // K
  int count = 1;  // N
};
// "K/N" with 1 <= K <= N <= 10000; errors say what was wrong.
StatusOr<Shard> ParseShard(const std::string& text);

// The shard (1-based) a variant belongs to: FNV-1a 64 of its full name
// "NAME [VARIANT]" modulo N. Depends on nothing but that name, so the
// assignment is the same on every machine and stays put when other cases are
// added or removed.
int ShardOf(const std::string& full_name, int count);

struct Selection {
  // Globs (fnmatch, '*' also crosses '/'); a variant is selected when any
  // glob matches its case name, its full name "NAME [VARIANT]" or its case
  // file path. A glob with [...] is also tried with the brackets literal, so
  // "tcp-echo [ipv4]" selects that variant. Empty: every variant.
  std::vector<std::string> filters;
  // A variant is selected when its case has any of these tags. Empty: all.
  std::vector<std::string> tags;
  Shard shard;
};

bool Selected(const Variant& v, const Selection& s);
// The selected variants, in the given order.
std::vector<Variant> Select(const std::vector<Variant>& all, const Selection& s);

}  // namespace faultline
