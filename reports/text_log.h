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
// finish". Received data is appended as ` | data "..."` with C escapes
// (ShownData(): long data cut, with its length).
std::string StepLogText(const CaseResult& c);

// One line per packet, times relative to the case's earliest packet:
//   "#3 +0.200ms client > server tcp S. seq 0 ack 1 len 0 | fault 2: delay
//    200ms, released +200.2ms"
// Dropped packets say "dropped", copies "copy".
std::string PacketLogText(const CaseResult& c);

// One line of it (with its "\n"), times relative to t0 (FirstPacketNs()).
std::string PacketLogLine(const PacketRecord& p, int64_t t0);

// The earliest arrival_ns among the case's packets (0 if none).
int64_t FirstPacketNs(const CaseResult& c);

// Bytes with C-style escapes for non-printables, in double quotes.
std::string QuotedBytes(const std::string& bytes);

// Received data as the step log and the HTML step table show it: up to
// kShownDataBytes bytes QuotedBytes(), longer data cut there and followed
// by its length: "\"abc...\" (65536 bytes, the first 512 shown)". The JSON
// report keeps all of it.
inline constexpr size_t kShownDataBytes = 512;
std::string ShownData(const std::string& bytes);

}  // namespace faultline
