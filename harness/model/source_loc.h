// Where something was written: file:line:column, 1-based.
#pragma once

#include <string>

namespace faultline {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  // "file:line:column", "file:line" without a column, "file" without a line.
  std::string ToString() const;
};

}  // namespace faultline
