#include "reports/write_file.h"

#include <unistd.h>

#include <cerrno>

#include "harness/common/safe_file.h"

namespace faultline {
namespace {

// Buffers kSinkBuffer bytes, then writes them to `fd`; after the first
// failure it only remembers it.
class FdSink : public TextSink {
 public:
  explicit FdSink(int fd) : fd_(fd) { buf_.reserve(kSinkBuffer); }

  void Write(std::string_view text) override {
    if (!status_.ok()) return;
    if (buf_.size() + text.size() > kSinkBuffer) {
      Flush();
      if (text.size() >= kSinkBuffer) return WriteOut(text);
    }
    buf_.append(text);
  }

  Status Finish() {
    Flush();
    return status_;
  }

 private:
  void Flush() {
    WriteOut(buf_);
    buf_.clear();
  }

  void WriteOut(std::string_view text) {
    while (status_.ok() && !text.empty()) {
      ssize_t n = write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = Status::FromErrno("write", errno);
        return;
      }
      text.remove_prefix(static_cast<size_t>(n));
    }
  }

  int fd_;
  std::string buf_;
  Status status_;
};

}  // namespace

Status WriteWholeFile(const std::string& path, std::string_view content) {
  return ReplaceFile(path, content);
}

Status WriteStreamedFile(const std::string& path, const std::function<void(TextSink&)>& fill) {
  return ReplaceFileWith(path, [&fill](int fd) {
    FdSink sink(fd);
    fill(sink);
    return sink.Finish();
  });
}

}  // namespace faultline
