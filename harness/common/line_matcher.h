// Readiness on a line of a program's output (`ready: {stdout: ...}`): splits
// a stream, fed in pieces as they are read, into lines and tests each
// complete line against one text test.
//
// A line ends at '\n'; one '\r' before it is dropped (CRLF). A line that has
// no newline yet waits for it: a last line without a newline (at EOF) is
// never tested. A line longer than `max_line` bytes is tested on its first
// `max_line` bytes once that many arrived; the rest of it, up to its
// newline, is skipped. Lines are tested over the whole stream, not only the
// part a command's reply keeps (kMaxCommandOutput).
//
// Threads: one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace faultline {

class LineMatcher {
 public:
  enum class Test {
    kEquals,    // the whole line is the text
    kContains,  // the text occurs in the line
    kMatches,   // the RE2 pattern (text_pattern.h's dialect) matches part of the line
  };
  // An invalid pattern matches no line.
  LineMatcher(Test test, std::string text, size_t max_line);
  ~LineMatcher();
  LineMatcher(const LineMatcher&) = delete;
  LineMatcher& operator=(const LineMatcher&) = delete;

  // Takes the next bytes of the stream. Returns the first line that
  // matches, once (later calls return nullopt: it is matched).
  std::optional<std::string> Feed(std::string_view bytes);
  bool matched() const { return matched_; }

 private:
  bool Holds(const std::string& line) const;
  std::optional<std::string> EndLine();

  Test test_;
  std::string text_;
  size_t max_line_;
  std::unique_ptr<re2::RE2> re_;
  std::string line_;       // the line so far (at most max_line_ bytes)
  bool skipping_ = false;  // past max_line_: skipping to the newline
  bool matched_ = false;
};

}  // namespace faultline
