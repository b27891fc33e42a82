// Counters steps (`- server: {counters: {...}, since: LABEL, within: D}`,
// docs/cases.md "Counters between two steps") and the family-neutral names
// of `counters:`: the deltas of a host's kernel counters between two reads.
// Pure: unit-tested with made-up counters.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/observe/proc_counters.h"
#include "harness/observe/wait_until.h"

namespace faultline {

// The qualified kernel counter that `name` (as a case writes it: plain,
// qualified or family-neutral "Udp*.NoPorts") means in a `family` variant,
// resolved against `now` (ResolveCounter's errors).
StatusOr<std::string> ResolveCaseCounter(const Counters& now, const std::string& name,
                                         Family family);

// One look of a counters step: holds when every field's delta from `base`
// to `now` is in its range. The value: "ListenOverflows 0
// (TcpExt.ListenOverflows), TCPTimeouts 0 (TcpExt.TCPTimeouts)". A name
// the kernel does not have: an error naming the counter and the host.
StatusOr<Probe> CounterStepProbe(const ObserveStep& o, const Counters& base, const Counters& now,
                                 Family family);

// "ListenOverflows delta >= 1, TCPTimeouts delta 0 since fill" (without
// `within`).
std::string CounterStepExpected(const ObserveStep& o);

}  // namespace faultline
