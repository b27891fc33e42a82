// FakeCaseEnv: a case environment (case_env.h) that answers from a script,
// on a FakeClock, for unit tests of the step loop. No lab, no processes, no
// privileges.
//
// Time moves only when the step loop waits: a reply scripted `after_ns`
// arrives that long after its request was sent; Wait for it returns it at
// that moment (the clock is set there), or, if it arrives after the
// deadline or never, the timeout status at the deadline. An observation or
// a readiness wait advances the clock by its scripted `took_ns`.
//
// A batch (peer::Request::batch) is one request in sent(); its members are
// answered as the peer answers them: each starts when the one before it
// returned, and none runs after one that does not go on (peer::GoesOn).
//
// Requests nobody scripted are answered at once: a call with ret 0; a
// command run with exit 0 (a background one: started, and its end never
// comes); a stop with "killed by SIGTERM (stopped)"; a getsockopt(TCP_INFO)
// (a %{ }% snapshot) with "no fd named ..." (not open: the snapshot is then
// the scripted observation, ScriptSnapshot).
//
// Threads: one thread at a time.
#pragma once

#include <deque>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "harness/runner/case_env.h"

namespace faultline {

class FakeCaseEnv : public CaseEnv {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  static constexpr int kPid = 4242;  // every command's pid

  // What was sent to a peer, and when.
  struct Sent {
    std::string host;
    peer::Request req;
    int64_t at_ns = 0;
  };

  // Hosts "client" (10.0.1.1, fd00:1::1) and "server" (10.0.2.1, fd00:2::1).
  FakeCaseEnv();

  // The next request of `op` to `host` gets `reply` after `after_ns`
  // (kNever: no reply). Its id is filled in; zero start/end stamps become
  // the send and the arrival time.
  void Script(const std::string& host, Op op, peer::Reply reply, int64_t after_ns = 0);
  // ... or the peer fails it with `error` (a dead peer) after `after_ns`.
  void ScriptError(const std::string& host, Op op, Status error, int64_t after_ns = 0);
  // The next observation step / readiness wait, taking `took_ns`.
  void ScriptObservation(Verdict v, int64_t took_ns = 0);
  void ScriptReady(Verdict v, int64_t took_ns = 0);
  // The next observation is a tcp_info snapshot with these values (passes).
  void ScriptSnapshot(std::vector<std::pair<std::string, uint64_t>> values, int64_t took_ns = 0);
  // Setup's status, the counters' and the capture's verdicts (with the
  // packet checks the capture records).
  void SetSetup(Status st) { setup_ = std::move(st); }
  void SetUnmet(std::string why) { unmet_ = std::move(why); }
  void SetCounters(Verdict v) { counters_ = std::move(v); }
  void SetCapture(Verdict v, std::vector<PacketCheckRecord> checks = {});
  // A stop request (SIGINT) arrives at `at_ns` on the clock.
  void InterruptAt(int64_t at_ns) { interrupt_at_ = at_ns; }

  FakeClock& fake_clock() { return clock_; }
  const std::vector<Sent>& sent() const { return sent_; }
  const std::vector<std::string>& labels() const { return labels_; }
  int setups() const { return setups_; }
  int teardowns() const { return teardowns_; }
  bool kept() const { return kept_; }
  int observations() const { return observations_; }

  // CaseEnv.
  const Clock& clock() const override { return clock_; }
  std::string InterruptReason() const override;
  std::optional<std::string> UnmetRequirement() override { return unmet_; }
  Status Setup(int64_t start_ns, CaseResult* result) override;
  void KeepFailed(CaseResult*) override { kept_ = true; }
  void Teardown() override { ++teardowns_; }
  std::vector<HostAddrs> Hosts() const override { return hosts_; }
  VarLookup Vars() const override;
  std::string Workdir() const override { return "/tmp/faultline-fake-workdir"; }
  Status Send(const std::string& host, const peer::Request& req) override;
  StatusOr<peer::Reply> Wait(const std::string& host, uint64_t id, int64_t deadline_ns) override;
  bool HasReply(const std::string& host, uint64_t id) override;
  void SignalStep(const std::string& label) override { labels_.push_back(label); }
  // Records "STEP_INDEX DESCRIPTION after N requests" and answers
  // SetControlFault's status (default ok).
  Status ControlFault(const FaultStep& step, int step_index) override {
    controls_.push_back(
        fmt::format("{} {} after {} requests", step_index, step.Describe(), sent_.size()));
    return control_;
  }
  const std::vector<std::string>& controls() const { return controls_; }
  void SetControlFault(Status st) { control_ = std::move(st); }
  void OnRequest(const CallStep&, const peer::Request&) override {}
  void OnReply(const CallStep&, const peer::Reply&) override {}
  ObserveOutcome Observe(const ObserveStep& o, int64_t case_deadline) override;
  ObserveOutcome WaitListening(const std::string& host, uint16_t port, int64_t limit,
                               const std::function<bool()>& exited) override;
  // Takes ScriptReady's verdicts too.
  ObserveOutcome WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                              const std::function<bool()>& exited) override;
  Verdict FinishCounters() override { return counters_; }
  Verdict FinishCapture(int64_t start_ns) override;
  // Scripted hosts. SendPacket records the packet at the clock's time.
  // NextPacket returns the host's next scripted packet (ScriptPacket) when
  // it arrives by the deadline (the clock is set to its arrival), else
  // kTimeout with the clock at the deadline.
  StatusOr<int64_t> SendPacket(const std::string& host, std::vector<uint8_t> bytes) override;
  // A stop request (InterruptAt) before the deadline ends the wait then.
  StatusOr<TakenPacket> NextPacket(const std::string& host, int64_t deadline_ns) override;
  void MarkIgnored(uint64_t seq_no) override { ignored_.push_back(seq_no); }
  StatusOr<TakenPacket> InjectInto(const WireSendStep& step, int step_index) override;

  // A host more (a scripted one, say "peer" 10.0.3.1, fd00:3::1).
  void AddHost(HostAddrs h) { hosts_.push_back(std::move(h)); }
  // A packet toward scripted host `host` arriving `after_ns` after the
  // last packet the script sent before it is due (SendPacket), or after
  // the first NextPacket that looks for it when none was sent since.
  // `ignorable`: as the wire marks one an `ignore:` entry holds for.
  void ScriptPacket(const std::string& host, std::vector<uint8_t> bytes, int64_t after_ns = 0,
                    bool ignorable = false);
  // The next ScriptPacket's reaches NextPacket `lag_ns` after its time (its
  // TakenPacket::at_ns, the kernel's stamp): the wire's thread read it from
  // the queue that much later.
  void SetHandoverLag(int64_t lag_ns) { lag_ns_ = lag_ns; }
  // The seq_nos MarkIgnored was given (NextPacket numbers packets from 1
  // in the order they are taken, SendPacket's counting too).
  const std::vector<uint64_t>& ignored() const { return ignored_; }
  // What the step loop sent: SendPacket's packets, InjectInto's steps.
  struct SentPacket {
    std::string host;
    std::vector<uint8_t> bytes;
    int64_t at_ns = 0;
  };
  const std::vector<SentPacket>& sent_packets() const { return sent_packets_; }
  const std::vector<WireSendStep>& wire_steps() const { return wire_steps_; }
  // The case's step index each InjectInto was given, in order.
  const std::vector<int>& wire_step_indices() const { return wire_step_indices_; }
  // InjectInto's answer (default: sent, line "crafted").
  void SetInjectInto(StatusOr<TakenPacket> r) { inject_into_ = std::move(r); }

 private:
  struct Answer {
    StatusOr<peer::Reply> reply;
    int64_t after_ns = 0;
  };
  struct InFlight {
    StatusOr<peer::Reply> reply;
    int64_t arrives_ns = 0;  // kNever: never
  };
  struct Timed {
    Verdict verdict;
    int64_t took_ns = 0;
    std::vector<std::pair<std::string, uint64_t>> snapshot;
  };
  // The reply of an unscripted request.
  static peer::Reply Default(const peer::Request& req);
  // Answers `req` (not a batch) as sent at `now`: its reply in flight.
  const InFlight& Deliver(const std::string& host, const peer::Request& req, int64_t now);
  ObserveOutcome Take(std::deque<Timed>& queue, const char* what);

  FakeClock clock_;
  std::vector<HostAddrs> hosts_;
  std::map<std::pair<std::string, Op>, std::deque<Answer>> script_;
  std::map<std::pair<std::string, uint64_t>, InFlight> in_flight_;
  // The join (Op::kWaitCommand) of each background command, by host and
  // name: a stop of the command answers it too, as a real peer does.
  std::map<std::pair<std::string, std::string>, uint64_t> joins_;
  std::deque<Timed> observations_script_, ready_script_;
  Status setup_;
  std::optional<std::string> unmet_;
  Verdict counters_ = Verdict::Pass("", "");
  Verdict capture_ = Verdict::Pass("", "");
  std::vector<PacketCheckRecord> packet_checks_;
  int64_t interrupt_at_ = kNever;
  CaseResult* result_ = nullptr;
  std::vector<Sent> sent_;
  std::vector<std::string> labels_;
  std::vector<std::string> controls_;
  Status control_;
  int setups_ = 0, teardowns_ = 0, observations_ = 0;
  bool kept_ = false;
  struct Scripted {
    std::string host;
    std::vector<uint8_t> bytes;
    int64_t after_ns = 0;
    std::optional<int64_t> arrives_ns;  // set once anchored
    bool ignorable = false;
    int64_t lag_ns = 0;  // handed over this long after arrives_ns
  };
  int64_t lag_ns_ = 0;
  std::vector<uint64_t> ignored_;
  void Anchor(const std::string& host);
  std::deque<Scripted> packets_;
  std::vector<SentPacket> sent_packets_;
  std::vector<WireSendStep> wire_steps_;
  std::vector<int> wire_step_indices_;
  StatusOr<TakenPacket> inject_into_ = TakenPacket{{}, 0, 0, "crafted"};
  uint64_t packet_seq_ = 0;
};

}  // namespace faultline
