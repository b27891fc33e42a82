// Checking a call's live result against the script's expectation. Pure.
#pragma once

#include <string>

#include "harness/common/verdict.h"
#include "harness/model/case.h"
#include "harness/model/lab_vars.h"
#include "harness/peer/protocol.h"

namespace faultline {

// The checks return a pass or a fail (never an error): expected
// "errno ECONNREFUSED, took <= 50ms" ("success" by default), actual
// "ret -1 ECONNREFUSED, took 1.2ms", and on a fail the first mismatch as the
// message: "expected errno ECONNREFUSED vs actual ret 0".
//
// A step without `expect:` must succeed (ret >= 0). With `expect:`, every
// field it sets must hold; `errno` implies ret == -1 and a set ret without
// errno says nothing about errno.
Verdict CheckReply(const CallStep& step, const peer::Reply& reply);

// A command's result (run, stop, await of a background command) against
// its step's expectation; text expectations are expanded with `vars`
// first. Without `expect:` a command must exit 0, except for `stop`,
// which accepts any end. `stop` is the stop step when the command was
// ended by one (then `step` is still the run step whose expectation holds).
Verdict CheckCommand(const CallStep& step, const peer::Reply& reply, const VarLookup& vars,
                     bool by_stop_step = false);

// "exit 0", "killed by SIGTERM", "could not start: ENOENT" -- for logs.
std::string CommandEnd(const peer::Reply& reply);

// Printable, quoted, truncated to `max` bytes: "\"ab\\n\\x00\"...".
std::string QuoteBytes(const std::string& bytes, size_t max = 64);

// "in,hup" for POLLIN|POLLHUP.
std::string ReventsNames(int revents);

}  // namespace faultline
