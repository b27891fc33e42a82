// Packet steps of scripted hosts and `wire:` steps (docs/cases.md,
// "Scripted hosts"), for the step loop (case_runner.cc). One per running
// variant: it keeps a ScriptConn per (scripted host, `conn:`) built from
// the lab addresses of the variant's family.
//
// Waiting: a send waits until it is due by asking the environment for the
// host's next packet with the due time as deadline (a packet arriving
// before is unexpected: the stack sent something the script did not
// expect); an expect waits for the next packet until its window's end. No
// sleeps: all waits are the environment's, on its clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "harness/common/verdict.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/packet/script_packet.h"
#include "harness/runner/case_env.h"

namespace faultline {

class PacketSteps {
 public:
  PacketSteps(const Case& c, Family family, CaseEnv& env) : case_(c), family_(family), env_(env) {}

  // One packet step. `anchor_ns` is the anchor event's time on the env's
  // clock, `anchor_step` its step index (0: the case's start). Fills `rec`
  // and *event_ns (the packet's time at the wire). The verdict's message is
  // the failure's text without the step prefix.
  Verdict Run(const PacketStep& p, int64_t anchor_ns, int anchor_step, int64_t deadline_ns,
              StepRecord& rec, int64_t* event_ns);
  // A `wire:` step, the case's step `step_index` (1-based).
  Verdict RunWire(const WireSendStep& w, int step_index, StepRecord& rec, int64_t* event_ns);
  // After the last step: the line of a packet still waiting for a scripted
  // host ("toward peer ...: <line>"), if any.
  std::optional<std::string> Leftover();

 private:
  StatusOr<ScriptConn*> ConnOf(const PacketStep& p);
  std::string AddrOf(const std::string& host) const;
  Verdict Send(const PacketStep& p, ScriptConn& c, int64_t due_ns, StepRecord& rec,
               int64_t* event_ns);
  Verdict Expect(const PacketStep& p, ScriptConn& c, int64_t anchor_ns, int anchor_step,
                 int64_t deadline_ns, StepRecord& rec, int64_t* event_ns);

  const Case& case_;
  Family family_;
  CaseEnv& env_;
  std::map<std::pair<std::string, std::string>, ScriptConn> conns_;  // (host, conn)
};

}  // namespace faultline
