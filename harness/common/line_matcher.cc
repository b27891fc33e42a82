#include "harness/common/line_matcher.h"

#include <re2/re2.h>

#include "harness/common/text_pattern.h"

namespace faultline {

LineMatcher::LineMatcher(Test test, std::string text, size_t max_line)
    : test_(test), text_(std::move(text)), max_line_(max_line == 0 ? 1 : max_line) {
  if (test_ == Test::kMatches) {
    RE2::Options o;
    o.set_max_mem(kPatternMaxMem);
    o.set_log_errors(false);
    re_ = std::make_unique<RE2>(text_, o);
  }
}

LineMatcher::~LineMatcher() = default;

bool LineMatcher::Holds(const std::string& line) const {
  switch (test_) {
    case Test::kEquals: return line == text_;
    case Test::kContains: return line.find(text_) != std::string::npos;
    case Test::kMatches: return re_->ok() && RE2::PartialMatch(line, *re_);
  }
  return false;
}

// The line in line_ is complete (its newline, or max_line_ bytes): tests it.
std::optional<std::string> LineMatcher::EndLine() {
  std::string line;
  line.swap(line_);
  if (!Holds(line)) return std::nullopt;
  matched_ = true;
  return line;
}

std::optional<std::string> LineMatcher::Feed(std::string_view bytes) {
  while (!matched_ && !bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
    if (!skipping_ && line_.size() + part.size() > max_line_) {
      // Longer than max_line_: tested on its first max_line_ bytes now; the
      // rest, up to its newline, is skipped.
      line_.append(part.substr(0, max_line_ - line_.size()));
      skipping_ = true;
      if (std::optional<std::string> m = EndLine()) return m;
    } else if (!skipping_) {
      line_.append(part);
    }
    if (nl == std::string_view::npos) return std::nullopt;  // waits for its newline
    if (skipping_) {
      skipping_ = false;  // the cut line's newline: the next line starts
      continue;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (std::optional<std::string> m = EndLine()) return m;
  }
  return std::nullopt;
}

}  // namespace faultline
