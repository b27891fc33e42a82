// Writing a report file whole, safely (harness/common/safe_file.h): to a
// new temporary file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in the
// report's directory, then renamed over `path` within that directory, so a
// reader never sees a half-written report and nothing is written through a
// symbolic link. An existing `path` that is not a regular file (a symbolic
// link, a device such as /dev/null, a FIFO, a directory) is refused, not
// replaced; a regular file is replaced atomically.
//
// Reports are written as a stream: a writer puts its text into a TextSink
// piece by piece (a case, a packet line), never the whole document at once;
// WriteStreamedFile gives it a sink that buffers kSinkBuffer bytes and
// writes them to the temporary file, so a report of any size takes a
// bounded amount of memory.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "harness/common/status.h"

namespace faultline {

// Where a report's text goes.
class TextSink {
 public:
  virtual ~TextSink() = default;
  virtual void Write(std::string_view text) = 0;
  TextSink& operator<<(std::string_view text) {
    Write(text);
    return *this;
  }
};

// Into a string (the in-memory forms: JunitXml(), ReportJson(), HtmlReport()).
class StringSink : public TextSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void Write(std::string_view text) override { out_->append(text); }

 private:
  std::string* out_;
};

inline constexpr size_t kSinkBuffer = 256 * 1024;

// Errors name the path: kInvalidInput for a refused target ("PATH: not a
// regular file (FIFO); refusing to replace it", "DIR: a symbolic link;
// refusing to write through it"), kSystem when a system call fails (the
// temporary file is removed then).
Status WriteWholeFile(const std::string& path, std::string_view content);

// The same, the content written by `fill` into the sink it is given
// (buffered; the first write error ends the writing and is returned).
Status WriteStreamedFile(const std::string& path, const std::function<void(TextSink&)>& fill);

}  // namespace faultline
