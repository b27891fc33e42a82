// `when:` of a step, a `timing:` entry or a `counters:` host entry or
// counter: the variants it belongs to (docs/cases.md, "Expectations that
// vary by variant"). Plain data; the loader checks the names and values,
// the runner's VariantCase evaluates it for one variant.
#pragma once

#include <string>
#include <vector>

#include "harness/model/source_loc.h"

namespace faultline {

// One condition: the variant's family, or the value of one `matrix:`
// dimension, is one of `values` (as the variant name shows them).
struct WhenCondition {
  SourceLoc loc;                    // of the key
  std::string name;                 // "family", or the dimension's name ("somaxconn")
  int dimension = -1;               // -1: the family; else an index into Case::matrix
  std::vector<std::string> values;  // "ipv4"/"ipv6", or the dimension's values; at least one
};

// All conditions must hold.
struct When {
  SourceLoc loc;  // of the `when:` value
  std::vector<WhenCondition> all;
  // `family`: "ipv4"/"ipv6"; `matrix_values`: the variant's value of every
  // matrix dimension, in matrix order.
  bool Holds(const std::string& family, const std::vector<std::string>& matrix_values) const;
  // "family: ipv4, somaxconn: [4, 8]"
  std::string ToString() const;
};

}  // namespace faultline
