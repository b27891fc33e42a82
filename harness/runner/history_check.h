// The state history side of `state:` observation steps (docs/cases.md,
// "Observations"): `through:` paths and `is:` over a time window, decided
// from a socket's recorded transitions (harness/observe/state_history.h).
// Pure: unit-tested with made-up transitions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/observe.h"
#include "harness/observe/state_history.h"
#include "harness/observe/wait_until.h"

namespace faultline {

// Whether `want` occurs in `path` in this order (others may come between).
bool PassesThrough(const std::vector<std::string>& path, const std::vector<std::string>& want);

// "FIN_WAIT1 -> CLOSING -> TIME_WAIT".
std::string PathText(const std::vector<std::string>& path);

// `through:` over `lives` (MatchLives: one entry per matching socket): holds
// when one socket's path from `since_ns` passes through o.through. `now`
// is the state sock_diag shows now ("" unknown or several sockets; "gone"):
// appended when the history has not recorded it (a time-wait socket's
// TIME_WAIT after an orphan's FIN_WAIT2 has no tracepoint). The value is the
// path ("no recorded transitions" when there is none; " | " between sockets).
Probe ThroughProbe(const std::vector<std::vector<StateTransition>>& lives,
                   const std::vector<std::string>& through, int64_t since_ns,
                   const std::string& now);

// `is:` from the history: the first of `states` some socket of `lives` was
// in at an instant of [from_ns, to_ns], "" when none.
std::string SeenInWindow(const std::vector<std::vector<StateTransition>>& lives,
                         const std::vector<std::string>& states, int64_t from_ns, int64_t to_ns);

// `took:`: when some socket of `lives` entered one of `states` in
// [from_ns, to_ns] -- from_ns when it was in one already then; unset when
// the history shows none (the caller falls back to when the look held).
std::optional<int64_t> EnteredAt(const std::vector<std::vector<StateTransition>>& lives,
                                 const std::vector<std::string>& states, int64_t from_ns,
                                 int64_t to_ns);

// `stays:`: the first recorded transition of a socket of `lives` out of
// `states` (to a state not listed) in (from_ns, to_ns]; unset when none.
std::optional<StateTransition> LeftAt(const std::vector<std::vector<StateTransition>>& lives,
                                      const std::vector<std::string>& states, int64_t from_ns,
                                      int64_t to_ns);

// "expected state path A -> B vs actual C -> D".
std::string ThroughMessage(const std::vector<std::string>& through, const std::string& actual);

}  // namespace faultline
