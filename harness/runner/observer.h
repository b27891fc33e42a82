// Observer: the runner's side of observations for one case variant --
// observation steps (state:, queue:, tcp_info: through sock_diag in the
// host's namespace), kernel counter deltas (`counters:`), the environment
// record, and `requires:`.
//
// It remembers, per host and socket name, the last known 4-tuple from the
// peers' requests and replies (kept after close). Threads: the case's runner
// thread only. Lifetime: `lab`, `clock` and whatever `activity` refers to
// must outlive it; `activity` may be empty (then waits poll every 2 ms).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/common/verdict.h"
#include "harness/lab/lab.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/observe/proc_counters.h"
#include "harness/observe/sock_diag.h"
#include "harness/observe/socket_match.h"
#include "harness/observe/state_history.h"
#include "harness/observe/wait_until.h"
#include "harness/peer/protocol.h"
#include "harness/runner/case_requirements.h"
#include "harness/runner/observation.h"

namespace faultline {

// The wire's activity (injectors/wire.h, Wire::WaitActivity): the number of
// rounds with packets or timers the wire has handled, after waiting until
// it differs from `seen` or `deadline_ns` (on the observer's clock) passes;
// (0, 0) just reads it. An observation re-reads the sockets when it moves.
using ActivitySource = std::function<uint64_t(uint64_t seen, int64_t deadline_ns)>;

class Observer {
 public:
  // `histories` (may be null: states are only polled) records the socket
  // state history of the lab's hosts; it must outlive the observer.
  Observer(const Case& c, Family family, const Lab& lab, ActivitySource activity,
           CaseResult* result, const Clock& clock = RealClock(),
           StateHistorySource* histories = nullptr);

  // Opens sock_diag per host, snapshots the counters (when the case has
  // `counters:`), records the environment and starts the state history
  // (unavailable: one note in the result when the case has state steps).
  // Call after the lab is built, before the first step.
  Status Start();

  // "" when the state history records this lab's sockets; else why not.
  const std::string& HistoryUnavailable() const { return history_reason_; }
  // The step labelled `label` starts now (`since:` of `through:`; a
  // counters step's `since:` reads every host's counters now).
  void OnStepStart(const std::string& label);
  // Copies the recorded transitions into CaseResult::transitions, replacing
  // what an earlier call copied: before `timing:` is checked, and again at
  // the end of the variant.
  void RecordHistory();

  // Socket bookkeeping from the peers' traffic.
  void OnRequest(const CallStep& call, const peer::Request& req);
  void OnReply(const CallStep& call, const peer::Reply& reply);

  // Runs an observation step; `case_deadline` bounds `within`. The
  // verdict's failure message: "expected state TIME_WAIT within 2s vs
  // actual ..."; an error when the sockets could not be read.
  ObserveOutcome Run(const ObserveStep& o, int64_t case_deadline);

  // A background command's readiness (`ready: {listening: PORT}`): waits
  // until a TCP socket of `host` listens on `port` (either family), until
  // `limit` at the latest; stops early, not ok, once `exited()` is true.
  ObserveOutcome WaitListening(const std::string& host, uint16_t port, int64_t limit,
                               const std::function<bool()>& exited);
  // `ready: {udp: PORT}`: the same, until a UDP socket of `host` is bound
  // to `port` (either family).
  ObserveOutcome WaitUdpBound(const std::string& host, uint16_t port, int64_t limit,
                              const std::function<bool()>& exited);

  // Reads the counters again and checks `counters:`; fills
  // CaseResult::counters. A fail's message is the first mismatch
  // (FILE:LINE:COL: counters: ...); an error when the counters could not be
  // read or a counter name is unknown.
  Verdict FinishCounters();

 private:
  struct HostState {
    int netns = -1;
    std::optional<SockDiag> diag;
    Counters start;
    std::shared_ptr<StateHistory> history;  // null: no state history
  };
  void StartHistory();
  // Run's probe of a state step with the state history: `base` (sock_diag
  // now) completed by the socket's recorded transitions.
  Probe WithHistory(const ObserveStep& o, const SockTuple& tuple, bool reverse, int64_t start_ns,
                    Probe base);
  // The host's sock_diag socket, opened on first use.
  StatusOr<SockDiag*> DiagOf(const std::string& host);
  StatusOr<std::vector<DiagSocket>> Dump(const std::string& host);
  // Both families: a program's sockets need not be of the variant's family
  // (an IPv6 listener on :: takes IPv4 connections too).
  StatusOr<std::vector<DiagSocket>> DumpBoth(const std::string& host);
  StatusOr<std::vector<DiagSocket>> DumpUdpBoth(const std::string& host);  // UDP, both families
  // Waits on the wire's activity until `probe` holds or `limit` passes, and
  // sets out->took_ns. A look that failed: out->verdict is the error
  // (expected `expected`, actual "not observed") and the result nullopt.
  std::optional<WaitResult> Await(const std::function<StatusOr<Probe>()>& probe, int64_t limit,
                                  const std::string& expected, ObserveOutcome* out);
  ObserveOutcome WaitPort(const std::string& host, uint16_t port, bool udp, int64_t limit,
                          const std::function<bool()>& exited);
  // The probe of an observation that selects sockets by port.
  StatusOr<Probe> ProbeByPort(const ObserveStep& o);
  std::vector<uint16_t> Claimed(const std::string& host, const std::string& except) const;
  // One look at the sockets for observation step `o` (Run's probe).
  StatusOr<Probe> ProbeStep(const ObserveStep& o, const SockTuple& tuple, bool reverse,
                            const std::vector<uint16_t>& claimed);
  // The verdict of a look that ended (held or timed out): `took_ns` from
  // the step's start until it held, checked against `took:`.
  Verdict Conclude(const ObserveStep& o, const std::string& expected, const WaitResult& w,
                   int64_t took_ns);
  // The recorded transitions of the sockets `o` looks at (one list each).
  std::vector<std::vector<StateTransition>> Lives(const ObserveStep& o, const SockTuple& tuple,
                                                  bool reverse);
  // `stays:` once the socket was found in the state: fails at the first
  // recorded transition out of the states after `from` before `stays` has
  // passed.
  ObserveOutcome Stays(const ObserveStep& o, const SockTuple& tuple, bool reverse,
                       int64_t case_deadline, const std::string& expected, int64_t from,
                       ObserveOutcome out);
  // A kCounters step: waits for the deltas from `since` (or the lab's
  // start) to hold.
  ObserveOutcome RunCounters(const ObserveStep& o, int64_t case_deadline);
  // Reads every host's counters into `into` (hosts with a stack).
  Status ReadAllCounters(std::map<std::string, Counters>* into);
  // A kSnapshot step: the socket's whole tcp_info, read once, into `out`.
  ObserveOutcome Snapshot(const ObserveStep& o, const SockTuple& tuple,
                          const std::vector<uint16_t>& claimed, ObserveOutcome out);
  // Records a socket's state when it changed since the last look.
  void NoteState(const std::string& host, const std::string& target, const std::string& state);

  const Case& case_;
  Family family_;
  const Lab& lab_;
  ActivitySource activity_;
  const Clock& clock_;
  CaseResult* result_;
  std::map<std::string, HostState> hosts_;
  std::map<std::string, SockTuple> tuples_;        // "host/name"
  std::map<std::string, std::string> last_state_;  // "host/target" -> last state recorded
  StateHistorySource* histories_;
  std::string history_reason_;
  std::map<std::string, int64_t> step_starts_;  // label -> start
  // Labels a counters step's `since:` names (from the case, at
  // construction): their steps' starts read the counters, host -> values.
  std::map<std::string, std::map<std::string, Counters>> label_counters_;
  std::map<std::string, std::string> label_counters_error_;  // label -> why not read
  bool wants_counters_ = false;                              // `counters:` or a counters step
};

}  // namespace faultline
