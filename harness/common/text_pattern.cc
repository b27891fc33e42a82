#include "harness/common/text_pattern.h"

#include <memory>

#include <re2/re2.h>

namespace faultline {
namespace {

RE2::Options PatternOptions() {
  RE2::Options o;
  o.set_max_mem(kPatternMaxMem);
  o.set_log_errors(false);  // the reason goes into a Status instead
  return o;
}

// (?m): ^ and $ also at line boundaries.
std::unique_ptr<RE2> Compile(const std::string& pattern) {
  return std::make_unique<RE2>("(?m)" + pattern, PatternOptions());
}

}  // namespace

Status CheckPattern(const std::string& pattern) {
  if (Compile(pattern)->ok()) return Status::Ok();
  // The reason as RE2 gives it for the pattern as written (without the
  // (?m) put before it).
  RE2 plain(pattern, PatternOptions());
  return Status::Invalid(plain.ok() ? Compile(pattern)->error() : plain.error());
}

std::string QuoteForPattern(const std::string& literal) { return RE2::QuoteMeta(literal); }

bool PatternFound(const std::string& pattern, const std::string& text) {
  std::unique_ptr<RE2> re = Compile(pattern);
  return re->ok() && RE2::PartialMatch(text, *re);
}

}  // namespace faultline
