// Socket state history: every TCP state transition of the sockets of one
// lab host's network namespace, with its time, as the kernel made it
// (recorded by StateTracer, state_trace.h, without polling). The seam the
// Observer asks; FakeStateHistory-style tests fill a MemoryStateHistory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/common/status.h"

namespace faultline {

// One transition of one socket.
struct StateTransition {
  int64_t at_ns = 0;  // CLOCK_MONOTONIC (the runner's RealClock)
  uint64_t sk = 0;    // the kernel's socket identity (groups a socket's transitions)
  int family = 0;     // AF_INET / AF_INET6
  std::string laddr, raddr;
  uint16_t lport = 0, rport = 0;
  int old_state = 0, new_state = 0;  // kernel TCP state numbers (TcpStateName)
  // "198.18.1.2:40000 > 198.18.2.2:8080 FIN_WAIT1 -> CLOSING"
  std::string ToString() const;
};

// The transitions of one lab host's namespace.
class StateHistory {
 public:
  virtual ~StateHistory() = default;
  // Every transition recorded so far with at_ns <= `until_ns`, in the order
  // the kernel made them.
  virtual std::vector<StateTransition> Transitions(int64_t until_ns) const = 0;
  // Transitions the recorder could not keep (its buffer was full): when
  // not 0, Transitions() lacks some and a path or an Nth event read from it
  // may be wrong.
  virtual uint64_t Lost() const { return 0; }
};

// Where a lab's histories come from: StateTracer (state_trace.h), or a fake.
class StateHistorySource {
 public:
  virtual ~StateHistorySource() = default;
  // Makes recording possible (once; later calls return the first result).
  // The error names what is missing.
  virtual Status Start() = 0;
  // Records the transitions of network namespace `netns_fd` until the
  // returned history is released.
  virtual StatusOr<std::shared_ptr<StateHistory>> Watch(int netns_fd) = 0;
  // Brings every history up to now.
  virtual void Drain() = 0;
};

// A StateHistory that is given its transitions: the tracer's per-namespace
// store, and the fake of unit tests. Threads: any.
class MemoryStateHistory : public StateHistory {
 public:
  void Add(StateTransition t);
  std::vector<StateTransition> Transitions(int64_t until_ns) const override;
  uint64_t Lost() const override { return lost_.load(); }
  void SetLost(uint64_t n) { lost_.store(n); }

 private:
  std::atomic<uint64_t> lost_{0};
  mutable std::mutex mu_;
  std::vector<StateTransition> all_;
};

// The transitions of the sockets that match (see socket_match.h for the
// tuple): a socket's identity is its kernel pointer; its addresses are
// those of its latest transition that knew its local port (a connect's
// first transition, CLOSE -> SYN_SENT, has none yet). `laddr`/`raddr` ""
// or a wildcard address are unknown; ports 0 are unknown. With `reverse`
// the socket sought is the other end of the connection. Returns the
// transitions of every matching socket, in time order.
struct HistoryKey {
  std::string laddr, raddr;
  uint16_t lport = 0, rport = 0;
  bool listener = false;
  bool reverse = false;
  // {port:} selectors instead: any socket with this local (side 1), remote
  // (side 2) or either (side 0) port.
  bool by_port = false;
  int port_side = 0;
  uint16_t port = 0;
};
std::vector<StateTransition> MatchHistory(const std::vector<StateTransition>& all,
                                          const HistoryKey& key);
// The same, one list per matching socket (in order of their first transition).
std::vector<std::vector<StateTransition>> MatchLives(const std::vector<StateTransition>& all,
                                                     const HistoryKey& key);

// The states a socket passed through according to `ts` (one socket's
// transitions, in time order) from `since_ns` on: its state at since_ns
// (the first transition's old state unless CLOSE, when none came before),
// then every new state.
std::vector<int> StatePath(const std::vector<StateTransition>& ts, int64_t since_ns = 0);

// Whether `ts` show a socket in one of `states` (kernel numbers) at any
// instant of [from_ns, to_ns]: in it at from_ns, or entering it in between.
bool InStateDuring(const std::vector<StateTransition>& ts, const std::vector<int>& states,
                   int64_t from_ns, int64_t to_ns);

}  // namespace faultline
