// The observation parts of a case file (docs/cases.md, "Observations"):
// runner-side steps (state:, queue:, tcp_info:), `counters:`, `requires:`
// and `xfail:`. Internal to the loader; errors are "FILE:LINE:COL: ...".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/yaml_value.h"
#include "harness/model/case.h"

namespace faultline {

// N | [lo, hi] | ">= N" / "<= N" / "> N" / "< N" / "== N" (ValueSpec in
// range_parser.h). With `duration_us` the numbers are durations ("200ms")
// and the range is in microseconds (tcp_info rto/rtt; MicrosValueSpec).
StatusOr<ValueExpect> ReadValueExpect(const Val& v, const std::string& what, const Scope& s,
                                      bool duration_us = false);

// `within:` of an observation or a `ready:`: a duration > 0s and <= 10m.
StatusOr<Duration> ReadWithin(const Val& v, const Scope& s);

// Whether the map of a host's step names an observation (state, queue,
// tcp_info) rather than a socket call.
bool IsObserveStep(const Val& host_value);

// Whether socket `name` was created on `host` by an earlier step (it may
// have been closed since: a closed socket's connection can still be looked
// at, e.g. in TIME_WAIT).
using KnownSocket = std::function<bool(const std::string& host, const std::string& name)>;

// The value of `- HOST: {state: ..., ...}` (IsObserveStep held); `when`:
// the step's `when:` (a counter needs an IPv6 counterpart only where it runs
// in an IPv6 variant).
StatusOr<ObserveStep> ParseObserveStep(const std::string& host, const Entry& he,
                                       const CaseContext& cx, const KnownSocket& known,
                                       const Scope& s, const std::optional<When>& when = {});

// `counters: {HOST: {CounterName: EXPECT}}`.
StatusOr<std::vector<CounterExpect>> ParseCounters(const Val& v, const CaseContext& cx,
                                                   const Scope& s);

// `requires: {kernel: "5.15", sysctl: [...], congestion: [...], reason: ...}`.
StatusOr<Requirements> ParseRequires(const Val& v, const Scope& s);

// `xfail: {kernel_below: "6.1", reason: ...}` (reason required).
StatusOr<ExpectedFailure> ParseXfail(const Val& v, const Scope& s);

// "5.15", "6.1.0": one to three dot-separated numbers.
bool IsKernelVersion(const std::string& v);

}  // namespace faultline
