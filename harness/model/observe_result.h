// The live side of observations: counter deltas and the environment a case
// ran in. Included by result.h (CaseResult::counters, CaseResult::environment).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

// The change of one kernel counter of one host over the case.
struct CounterDelta {
  std::string host;
  std::string name;  // qualified, "TcpExt.ListenOverflows"
  int64_t delta = 0;
  bool checked = false;  // a `counters:` expectation names it
  std::string expected;  // its expectation, ">= 1" ("" unchecked)
  bool ok = true;
};

// What a failure on another kernel needs to be read.
struct Environment {
  std::string kernel;                // uname -r
  std::string congestion_available;  // tcp_available_congestion_control
  struct Host {
    std::string name;
    std::vector<std::pair<std::string, std::string>> sysctls;  // key -> value, as read in its netns
    // HostSpec::scripted: no stack the case uses, so no sysctls are read.
    bool scripted = false;
  };
  std::vector<Host> hosts;
};

}  // namespace faultline
