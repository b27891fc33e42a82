// CaseEnv: everything the step loop of a case variant (case_runner.cc)
// needs from the world outside it -- the lab and the hosts' peers, the
// wire, the observations, the capture, the ${...} values and the clock.
//
// The step loop decides what to send, when to wait, what a reply means and
// what the case's outcome is; a CaseEnv only carries it out. LabEnv
// (lab_env.h) is the real one: network namespaces, peer processes, NFQUEUE,
// sock_diag and libpcap, root only. FakeCaseEnv (fake_case_env.h) answers
// from a script on a FakeClock, so the step loop is unit-tested without
// privileges (think ninja's CommandRunner, leveldb's Env).
//
// Call order: Setup once; then any of the step calls; then, whatever Setup
// returned, KeepFailed (only for a failed variant) and Teardown. Threads:
// the case's runner thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/verdict.h"
#include "harness/model/case.h"
#include "harness/model/lab_vars.h"
#include "harness/model/result.h"
#include "harness/peer/protocol.h"
#include "harness/runner/observation.h"
#include "harness/runner/request.h"

namespace faultline {

// A packet a scripted host got (or, from InjectInto, the packet sent).
struct TakenPacket {
  std::vector<uint8_t> bytes;  // from the IP header
  int64_t at_ns = 0;           // when the wire took (sent) it, on clock()
  uint64_t seq_no = 0;         // its PacketRecord::seq_no in the wire's log
  std::string line;            // InjectInto: its packet line
  // NextPacket: an `ignore:` entry of the host holds for it (the wire's
  // relative seq/ack). The runner decides what that means (PacketSteps):
  // an expect the packet matches consumes it; otherwise it is skipped.
  bool ignorable = false;
};

class CaseEnv {
 public:
  virtual ~CaseEnv() = default;

  // The case's clock: its start, step deadlines, durations.
  virtual const Clock& clock() const = 0;
  // "" until a stop was requested (harness/common/interrupt.h), then
  // "interrupted by SIGINT".
  virtual std::string InterruptReason() const = 0;
  // The skip message when the case's `requires:` is not met on this machine.
  virtual std::optional<std::string> UnmetRequirement() = 0;

  // Builds the lab, starts one peer per host, the capture, the wire and the
  // observer. `start_ns` is the case start on clock(); `result` receives
  // what setup records (pcap path, environment) and, later, what the
  // observations and the capture record. kUnsupported: skip the case.
  virtual Status Setup(int64_t start_ns, CaseResult* result) = 0;
  // A failed or errored variant: keep what a person may want to look at
  // (the workdir when there is an output directory; the namespaces with
  // --keep), saying how in result->message.
  virtual void KeepFailed(CaseResult* result) = 0;
  // Kills the peers, stops the wire (its packet log goes into the result
  // Setup was given), then removes the lab and the workdir. Idempotent.
  virtual void Teardown() = 0;

  // The lab's hosts and their addresses (after Setup).
  virtual std::vector<HostAddrs> Hosts() const = 0;
  // The variant's ${...} values (after Setup).
  virtual VarLookup Vars() const = 0;
  // The commands' working directory; "" when the case has no run step.
  virtual std::string Workdir() const = 0;

  // Talking to the peer of `host` (harness/peer/peer_client.h): ids are
  // unique per peer; Wait returns kTimeout at `deadline_ns` on clock().
  virtual Status Send(const std::string& host, const peer::Request& req) = 0;
  virtual StatusOr<peer::Reply> Wait(const std::string& host, uint64_t id, int64_t deadline_ns) = 0;
  virtual bool HasReply(const std::string& host, uint64_t id) = 0;

  // The wire: the step label a `wire:` fault may wait for.
  virtual void SignalStep(const std::string& label) = 0;

  // A `- fault:` step: the wire switches the named fault or changes its
  // params (docs/faults.md, "Switching faults") and returns once it has,
  // before the next step starts. `step_index`: the case's step, 1-based.
  virtual Status ControlFault(const FaultStep& step, int step_index) = 0;

  // Observations (harness/runner/observer.h): socket bookkeeping from the
  // peers' traffic, observation steps, readiness, `counters:`.
  virtual void OnRequest(const CallStep& call, const peer::Request& req) = 0;
  virtual void OnReply(const CallStep& call, const peer::Reply& reply) = 0;
  virtual ObserveOutcome Observe(const ObserveStep& o, int64_t case_deadline) = 0;
  virtual ObserveOutcome WaitListening(const std::string& host, uint16_t port, int64_t limit,
                                       const std::function<bool()>& exited) = 0;
  // `ready: {udp: PORT}`: as WaitListening, for a UDP socket bound to `port`.
  virtual ObserveOutcome WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                                      const std::function<bool()>& exited) = 0;
  // Fills result->counters; the message of a failure or error is complete
  // (FILE:LINE:COL: ...).
  virtual Verdict FinishCounters() = 0;
  // Scripted hosts (HostSpec::scripted; harness/packet/script_packet.h).
  // Sends a crafted packet (a whole IP packet from a scripted host's
  // address) into the lab through the wire; returns when it left, on
  // clock(). The wire logs it with PacketFate::kScripted.
  virtual StatusOr<int64_t> SendPacket(const std::string& host, std::vector<uint8_t> bytes) = 0;
  // The next packet toward scripted host `host`, in arrival order, as the
  // wire took it off (every one, parsed or not; those an `ignore:` entry
  // holds for are marked TakenPacket::ignorable); kTimeout at `deadline_ns`
  // (clock()) when none came; an error "interrupted by SIGINT" as soon as
  // a stop is requested while it waits.
  virtual StatusOr<TakenPacket> NextPacket(const std::string& host, int64_t deadline_ns) = 0;
  // The runner skipped the taken packet `seq_no` for an `ignore:` entry:
  // the wire's log shows it as "scripted ignore".
  virtual void MarkIgnored(uint64_t seq_no) = 0;
  // A `wire:` step: the wire crafts the packet into the latest live TCP
  // connection between step.from and step.toward (seq/ack from what it
  // tracked) and sends it. Returns the packet's line (the one dump format)
  // and when it left. kInvalidInput / kNotFound (no such connection yet)
  // with the reason in the case's words. `step_index` (the case's step,
  // 1-based) names the packet in the wire's log: "inject (step 3)".
  virtual StatusOr<TakenPacket> InjectInto(const WireSendStep& step, int step_index) = 0;

  // Stops the capture and checks `packets:` into result->packet_checks; an
  // error's message lacks the case's location (the caller adds it).
  virtual Verdict FinishCapture(int64_t start_ns) = 0;
};

}  // namespace faultline
