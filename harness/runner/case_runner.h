// Runs one variant (family) of one case: builds its lab, starts the wire and
// one peer per host, walks the timeline, checks every expectation, and tears
// everything down. Never throws; every outcome, including harness faults, is
// a CaseResult.
//
// Threads: any number of RunCaseVariant calls may run at once on different
// threads; each uses only its own lab, wire and peers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/model/case.h"
#include "harness/model/result.h"

namespace faultline {

class CaseEnv;
class SetupGate;

struct CaseRunOptions {
  // The faultline program; each host's peer is peer::PeerExecutable of it
  // (`faultline-peer` beside it, else `faultline __peer`).
  std::string faultline_bin;
  std::string out_dir;           // per-case artifacts; "" for none
  std::optional<uint64_t> seed;  // overrides a case without its own seed
  // The reported variant name (CaseResult::variant): "ipv4,somaxconn=4",
  // "ipv6 #3"; "" means FamilyName(family). Also names per-variant artifacts.
  std::string variant;
  // --keep: when the variant fails or errors, name its namespaces under
  // /run/netns (harness/runner/keep.h) and say how to enter them in the
  // result's message. Never anything named otherwise.
  bool keep_failed = false;
  // At most this many labs set up at once (harness/runner/setup_gate.h);
  // null: no limit. Not owned; outlives the call.
  SetupGate* setup_gate = nullptr;
};

// In a lab of its own (LabEnv, harness/runner/lab_env.h; defined in lab_env.cc).
CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options);

// The same with the world outside the step loop given (case_env.h): `env`
// is set up, used and torn down by the call, and its clock times the case.
// Tests pass a FakeCaseEnv (fake_case_env.h).
CaseResult RunCaseVariant(const Case& c, Family family, const CaseRunOptions& options,
                          CaseEnv& env);

}  // namespace faultline
