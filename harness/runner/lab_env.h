// LabEnv: the real case environment (case_env.h) -- a lab of network
// namespaces, one peer process per real host (none for a scripted host), the capture, the wire
// (NFQUEUE) and the observer (sock_diag, counters). Needs root.
//
// Teardown order (Teardown, then the destructor): the peers die first, then
// the wire stops (its packet log goes into the result), then the observer,
// the capture and the lab go, and the workdir last (unless kept).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "harness/capture/capture.h"
#include "harness/lab/lab.h"
#include "harness/peer/peer_client.h"
#include "harness/runner/case_env.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/observer.h"
#include "harness/runner/workdir.h"
#include "injectors/wire.h"

namespace faultline {

class LabEnv : public CaseEnv {
 public:
  // `c`, `options` and `clock` must outlive it.
  LabEnv(const Case& c, Family family, const CaseRunOptions& options,
         const Clock& clock = RealClock());
  ~LabEnv() override;
  LabEnv(const LabEnv&) = delete;
  LabEnv& operator=(const LabEnv&) = delete;

  const Clock& clock() const override { return clock_; }
  std::string InterruptReason() const override;
  std::optional<std::string> UnmetRequirement() override;
  Status Setup(int64_t start_ns, CaseResult* result) override;
  void KeepFailed(CaseResult* result) override;
  void Teardown() override;

  std::vector<HostAddrs> Hosts() const override;
  VarLookup Vars() const override;
  std::string Workdir() const override;

  Status Send(const std::string& host, const peer::Request& req) override;
  StatusOr<peer::Reply> Wait(const std::string& host, uint64_t id, int64_t deadline_ns) override;
  bool HasReply(const std::string& host, uint64_t id) override;
  void SignalStep(const std::string& label) override;
  Status ControlFault(const FaultStep& step, int step_index) override;

  void OnRequest(const CallStep& call, const peer::Request& req) override;
  void OnReply(const CallStep& call, const peer::Reply& reply) override;
  ObserveOutcome Observe(const ObserveStep& o, int64_t case_deadline) override;
  ObserveOutcome WaitListening(const std::string& host, uint16_t port, int64_t limit,
                               const std::function<bool()>& exited) override;
  ObserveOutcome WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                              const std::function<bool()>& exited) override;
  Verdict FinishCounters() override;
  Verdict FinishCapture(int64_t start_ns) override;
  // Scripted hosts and `wire:` steps: the wire (Wire::Inject/Take/InjectInto).
  StatusOr<int64_t> SendPacket(const std::string& host, std::vector<uint8_t> bytes) override;
  StatusOr<TakenPacket> NextPacket(const std::string& host, int64_t deadline_ns) override;
  void MarkIgnored(uint64_t seq_no) override;
  StatusOr<TakenPacket> InjectInto(const WireSendStep& step, int step_index) override;

  // Whether `host` has a peer process (after Setup): every real host does,
  // a scripted host never (Send/Wait on it: kInvalidInput).
  bool HasPeer(const std::string& host) const;

 private:
  StatusOr<peer::PeerClient*> PeerOf(const std::string& host) const;
  const Case& case_;
  Family family_;
  const CaseRunOptions& options_;
  const Clock& clock_;
  CaseResult* result_ = nullptr;
  bool torn_down_ = false;
  // Destroyed in reverse: peers first, the workdir last.
  std::unique_ptr<faultline::Workdir> workdir_;  // cases with run steps
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<Capture> capture_;  // before the wire: sees the first SYN
  std::unique_ptr<Wire> wire_;
  std::unique_ptr<Observer> observer_;  // observation steps, counters, environment
  std::map<std::string, std::unique_ptr<peer::PeerClient>> peers_;
};

}  // namespace faultline
