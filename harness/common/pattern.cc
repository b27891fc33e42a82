#include "harness/common/pattern.h"

namespace faultline {

std::string PatternBytes(int64_t n) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  constexpr int64_t kLen = sizeof(kAlphabet) - 1;
  std::string s(static_cast<size_t>(n < 0 ? 0 : n), '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = kAlphabet[i % kLen];
  return s;
}

}  // namespace faultline
