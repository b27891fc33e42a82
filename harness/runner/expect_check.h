// Checking a call's live result against the script's expectation. Pure.
#pragma once

#include <string>

#include "harness/common/verdict.h"
#include "harness/model/case.h"
#include "harness/model/lab_vars.h"
#include "harness/peer/protocol.h"
#include "harness/runner/request.h"

namespace faultline {

// The checks return a pass or a fail (never an error): expected
// "errno ECONNREFUSED, took <= 50ms" ("success" by default), actual
// "ret -1 ECONNREFUSED, took 1.2ms", and on a fail every mismatch as the
// message, in the expectation's order, joined by "; ":
// "expected errno ECONNREFUSED vs actual ret 0; expected took <= 50ms vs
// actual took 1.2s". A failed call that fails several fields is named once.
// A data mismatch adds, on the lines after, DataDifference.
//
// A step without `expect:` must succeed (ret >= 0). With `expect:`, every
// field it sets must hold; `errno` implies ret == -1 and a set ret without
// errno says nothing about errno.
Verdict CheckReply(const CallStep& step, const peer::Reply& reply);

// getsockname / getpeername: sets `e->addr->resolved` to the address of
// its host endpoint in `family` (unchanged for any other endpoint, or
// without `addr`). The runner calls it before CheckReply.
void ResolveAddrExpect(Expect* e, Family family, const std::vector<HostAddrs>& hosts);

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

// Where `actual` first differs from `expected` and a hex dump of both
// around it (16 bytes a row: the row before, the row of the difference and
// the row after), expected and actual rows interleaved:
//   first difference at offset 3: expected 0x6c 'l' vs actual 0x78 'x'
//     expected 00000000  68 65 6c 6c 6f ...  |hello|
//     actual   00000000  68 65 6c 78 6f ...  |helxo|
// A side that ends first has "the end of the data (N bytes)" there.
std::string DataDifference(const std::string& expected, const std::string& actual);

// "in,hup" for POLLIN|POLLHUP.
std::string ReventsNames(int revents);

}  // namespace faultline
