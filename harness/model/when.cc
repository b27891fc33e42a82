#include "harness/model/when.h"

#include <algorithm>

namespace faultline {

bool When::Holds(const std::string& family, const std::vector<std::string>& matrix_values) const {
  for (const WhenCondition& c : all) {
    const std::string* v = nullptr;
    if (c.dimension < 0) {
      v = &family;
    } else if (static_cast<size_t>(c.dimension) < matrix_values.size()) {
      v = &matrix_values[static_cast<size_t>(c.dimension)];
    } else {
      return false;
    }
    if (std::find(c.values.begin(), c.values.end(), *v) == c.values.end()) return false;
  }
  return true;
}

std::string When::ToString() const {
  std::string out;
  for (const WhenCondition& c : all) {
    if (!out.empty()) out += ", ";
    out += c.name + ": ";
    if (c.values.size() == 1) {
      out += c.values[0];
      continue;
    }
    out += "[";
    for (size_t i = 0; i < c.values.size(); ++i) out += (i == 0 ? "" : ", ") + c.values[i];
    out += "]";
  }
  return out;
}

}  // namespace faultline
