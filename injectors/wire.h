// Wire: the fault injector of one lab, living in the lab's wire namespace.
//
// Start() installs, inside the wire namespace only, iptables/ip6tables rules
// (one atomic iptables-restore per family, run in that namespace) that send
// every forwarded packet to NFQUEUE 0 of that namespace, binds the queue with
// libnetfilter_queue and starts one thread that gives every packet exactly
// one verdict — on every path, including errors and Stop() — after applying
// the case's faults. Timers for delayed/held packets run on the same thread
// (timerfd), so a delayed packet never blocks others.
//
// Threads: Start/SignalStep/Stop/TakeLog may be called from one controlling
// thread (the case's runner thread); the wire thread is internal.
// Lifetime: Stop() (or destruction) releases the verdicts of everything still
// held (held packets are dropped at stop: the case is over) and joins the
// thread. The namespace's rules die with the namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "injectors/nfq_socket.h"

namespace faultline {

struct WireLink {
  std::string host;         // lab host name
  std::string wire_ifname;  // the wire's interface toward that host
  std::string addr4, addr6; // the host's addresses (to tell direction)
};

struct WireConfig {
  int netns_fd = -1;             // the wire namespace
  std::vector<WireLink> links;
  std::vector<Fault> faults;     // in case order; the first match wins
  uint64_t seed = 0;             // for probability matches
  int64_t case_start_ns = 0;     // CLOCK_MONOTONIC; time windows count from here
};

class Wire {
 public:
  // kUnsupported if the kernel lacks NFQUEUE or iptables is missing, with
  // what was tried; kSystem for other failures.
  static StatusOr<std::unique_ptr<Wire>> Start(const WireConfig& config);
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // Tells the wire that the step with this label is starting: packets held
  // `until: {step: LABEL}` are released (or dropped) now.
  void SignalStep(const std::string& label);
  // Gives a verdict to everything still held and stops the thread. Idempotent.
  Status Stop();
  // Activity: a counter bumped after every round in which the wire handled
  // packets or timers (verdicts already given). Blocks until the counter is
  // not `seen` or until `deadline_ns` (CLOCK_MONOTONIC), and returns it; the
  // runner re-reads socket state on each change (event-based waits). Any
  // thread; WaitActivity(0, 0) just reads the counter.
  uint64_t WaitActivity(uint64_t seen, int64_t deadline_ns) const;
  // The packet log so far, in arrival order (copies follow their original).
  std::vector<PacketRecord> Log() const;
  // The queue socket's counters (packets, GSO packets, verdict messages,
  // batches, errors). Valid after Stop(); zeros before.
  NfqStats queue_stats() const;

 private:
  struct Impl;
  explicit Wire(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
