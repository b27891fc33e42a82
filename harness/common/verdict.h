// Verdict: the one result type of every check faultline makes (a step's
// reply, an observation, a command's end, counters, `packets:` checks).
//
// A check either passes, fails (the thing under test did not do what the
// case expects: `expected` vs `actual`), or could not be made at all (a
// harness error: a netlink socket failed, a peer died). Only the last is the
// harness's fault; reports show it as an error, not a failure.
//
// `expected` and `actual` are filled on every verdict, a pass included: the
// reports show both for every step. `message` is the one-line explanation of
// a failure or error ("expected errno ECONNREFUSED vs actual ret 0"); it is
// empty on a pass.
#pragma once

#include <string>
#include <utility>

namespace faultline {

struct Verdict {
  enum class Kind { kPass, kFail, kError };

  Kind kind = Kind::kPass;
  std::string expected;  // "errno ECONNREFUSED, took <= 50ms"
  std::string actual;    // "ret -1 ECONNREFUSED, took 1.2ms"
  std::string message;   // fail/error: "expected ... vs actual ..."; pass: ""

  static Verdict Pass(std::string expected, std::string actual) {
    return {Kind::kPass, std::move(expected), std::move(actual), {}};
  }
  static Verdict Fail(std::string expected, std::string actual, std::string message) {
    return {Kind::kFail, std::move(expected), std::move(actual), std::move(message)};
  }
  // The check could not be made; `message` says why.
  static Verdict Error(std::string message, std::string expected = {}, std::string actual = {}) {
    return {Kind::kError, std::move(expected), std::move(actual), std::move(message)};
  }

  bool ok() const { return kind == Kind::kPass; }
  bool failed() const { return kind == Kind::kFail; }
  bool error() const { return kind == Kind::kError; }
};

}  // namespace faultline
