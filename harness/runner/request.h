// Turning a step of the script into a peer Request: names resolved to
// numeric addresses of the lab, sizes expanded into pattern bytes, option
// and flag names into numbers. Pure: no I/O. A send of `size: N` travels as
// the size alone; the peer expands it with PatternBytes.
#pragma once

#include <functional>
#include <string>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/model/lab_vars.h"
#include "harness/peer/protocol.h"

namespace faultline {

// Address of a lab host in a family, or nullopt if there is no such host.
using HostResolver = std::function<std::optional<std::string>(const std::string& host, Family f)>;

// kInvalidInput if an endpoint names an unknown host (the loader normally
// catches that first).
StatusOr<peer::Request> BuildRequest(const CallStep& step, Family family,
                                     const HostResolver& resolve);

// A call of a run sent as one request (Case::batch_calls): sets `req`'s
// go_on fields so that the peer goes on to the run's next call exactly when
// the step's check (CheckReply) passes. False when that check needs more
// than the return value and errno (bytes, data, a value, a time...): such
// a call can only be the last of its run, and `req` is left as it was.
bool SetGoOn(const CallStep& step, peer::Request* req);

// epoll event names (in, out, pri, rdhup, err, hup, et, oneshot) -> EPOLL*
// bit; 0 for another name.
uint32_t EpollEventBit(const std::string& name);
inline const std::vector<std::string> kEpollEventNames = {"in",  "pri",   "out", "err",
                                                          "hup", "rdhup", "et",  "oneshot"};

// What a command of a variant runs with besides its step.
struct CommandContext {
  VarLookup vars;       // ${...} values of the variant
  std::string workdir;  // working directory (also TMPDIR and ${workdir})
  std::string host;     // the host it runs on (FAULTLINE_HOST)
  // name=value of FAULTLINE_<HOST>_ADDR etc. (CommandVariables).
  std::vector<std::string> lab_env;
  // The runner's own environment ("NAME=value"), of which only
  // kInheritedVariables pass.
  std::vector<std::string> runner_env;
};

// The variables a command inherits from the runner: the rest (proxies
// above all) would make a case behave differently from machine to machine.
extern const std::vector<std::string> kInheritedVariables;  // PATH, HOME, USER, LANG, LC_*, TZ...

// FAULTLINE_FAMILY, FAULTLINE_<HOST>_ADDR (the variant's family),
// FAULTLINE_<HOST>_ADDR4 / _ADDR6 for every host (names upper-cased, '-'
// as '_'), for a lab whose hosts have these addresses.
struct HostAddrs {
  std::string name, addr4, addr6;
};
std::vector<std::string> CommandVariables(const std::vector<HostAddrs>& hosts, Family family);

// run / stop: the Request for `step` (argv, env and stdin expanded). `name`
// is the command's name on its host (the step's `as`, or one the runner
// chose). kInvalidInput for a ${...} that does not expand (the loader
// normally catches that first).
StatusOr<peer::Request> BuildCommandRequest(const CallStep& step, const std::string& name,
                                            const CommandContext& cx);

}  // namespace faultline
