// The operations of a call step as one table (docs/cases.md, "Steps";
// docs/design.md, "The operation table"). Internal to the loader; the tests
// read it.
//
// One entry per operation a step can name: its YAML key, the keys it takes
// besides the common ones (as, async, id, expect), and the one function that
// parses it. ParseCall checks a step's keys against the entry, and
// AddStepFormatKeys exports the same entries (format_keys.h, compared with
// docs/schema.json by tests/schema/check_schema.py), so a key added to an
// entry is accepted and exported at once.
#pragma once

#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"

namespace faultline {

// What a key's value is, in docs/schema.json's terms.
enum class KeyType {
  kBool,      // true/false
  kInt,       // an integer (the parse function checks its range)
  kText,      // a string (data, stdin, until)
  kWord,      // one of a fixed set of words (how, opt)
  kDuration,  // 100ms, 1s, ...
  kEndpoint,  // HOST:PORT, any:PORT or a lab literal (endpoint_parse.h)
  kList,      // a list (flags, events)
  kMap,       // a map (env, ready)
  kAny,       // depends on another key (setsockopt's value: on opt)
};

struct OpKey {
  const char* name;
  KeyType type;
  // Present in every valid step of the operation. The parse function asks
  // for it in its own order (so that the first error stays the same), with
  // "missing required key 'KEY' for 'OP'".
  bool required;
};

struct OpCall;  // step_parser.cc: the call step being parsed
using OpParseFn = Status (*)(OpCall&);

struct OpSpec {
  const char* name;  // the YAML key, == OpName(op)
  Op op;
  std::vector<OpKey> keys;  // besides the operation's own key and the common ones
  OpParseFn parse;
};

// Every operation a step can name, in docs/cases.md's order. Op::kWaitCommand
// (the runner's join of a background command) is never parsed: no entry.
const std::vector<OpSpec>& StepOps();

// The keys every operation takes: as, async, id, expect.
const std::vector<std::string>& CallCommonKeys();

}  // namespace faultline
