// Status and StatusOr: the error currency of faultline.
//
// A Status is either OK or carries a code and a message that already holds
// all the context a reader needs ("case.yaml:12:5: step 3 (connect): ...").
// Functions that can fail return Status or StatusOr<T>; they do not throw
// across module boundaries.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace faultline {

enum class StatusCode {
  kOk,
  kInvalidInput,  // the user's input is wrong (YAML, command line)
  kUnsupported,   // this kernel or machine lacks a feature the case needs
  kFailed,        // an expectation did not hold
  kTimeout,       // a bound ran out
  kSystem,        // a system call failed where it must not (harness fault)
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return {}; }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalidInput, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status Failed(std::string msg) { return {StatusCode::kFailed, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status System(std::string msg) { return {StatusCode::kSystem, std::move(msg)}; }
  // A kSystem status for a failed call: "<what>: <strerror(err)> (<ERRNAME>)".
  static Status FromErrno(const std::string& what, int err);

  Status(StatusCode code, std::string msg) : code_(code), msg_(std::move(msg)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return msg_; }
  // "<code>: <message>", or "ok".
  std::string ToString() const;
  // Returns a copy with "<prefix>: " put before the message.
  Status Prefixed(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string msg_;
};

// Holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace faultline

#define FL_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::faultline::Status fl_status_ = (expr); \
    if (!fl_status_.ok()) return fl_status_; \
  } while (0)
