// Plain-text step and packet logs of one case, as shown in JUnit
// <system-out> and failure bodies. Raw text: callers make it safe for their
// format (SafeText / XML escaping). Pure and thread-safe.
#pragma once

#include <string>

#include "harness/model/result.h"

namespace faultline {

// One line per step:
//   "step 2 [client] client: connect c to server:8080 (file:line)
//      | expected ret 0 | actual ret -1 ECONNREFUSED, took 1.2ms | FAIL: why"
// (on one line); steps that never ran say "not run", hung ones "did not
// finish". Received data is appended as ` | data "..."` with C escapes.
std::string StepLogText(const CaseResult& c);

// One line per packet, times relative to the case's earliest packet:
//   "#3 +0.200ms client > server tcp S. seq 0 ack 1 len 0 | fault 2: delay
//    200ms, released +200.2ms"
// Dropped packets say "dropped", copies "copy".
std::string PacketLogText(const CaseResult& c);

// The earliest arrival_ns among the case's packets (0 if none).
int64_t FirstPacketNs(const CaseResult& c);

// Bytes with C-style escapes for non-printables, in double quotes.
std::string QuotedBytes(const std::string& bytes);

}  // namespace faultline
