// Wire: the fault injector of one lab, living in the lab's wire namespace.
//
// Start() opens the wire's packet queue (PacketQueue, packet_queue.h; by
// default NFQUEUE 0 of the wire namespace, bound first, then the rules that
// send every forwarded packet to it are installed over nf_tables netlink,
// with iptables-restore in that namespace as the fallback:
// injectors/queue_rules.h) and starts one thread that gives every packet
// exactly one verdict — on every path, including errors and Stop() — after
// applying the case's faults (FaultEngine). Timers for delayed/held packets
// run on the same thread (one timerfd), so a delayed packet never blocks
// others. The timerfd is armed a margin before the earliest deadline and the
// thread waits the rest without sleeping, still handling packets
// (ReleaseTimer, release_timer.h; docs/design.md "Delay precision").
//
// Time: the wire reads WireConfig::clock (arrival and release stamps, when
// a delay is due, WaitActivity's deadline). With RealClock() (the product)
// that is CLOCK_MONOTONIC, the timerfd's clock, so the timer is armed at
// an absolute time (deadline - margin). Any other clock (a test's FakeClock) only moves when
// told: the timerfd is then armed relative ("in deadline - now") and merely
// wakes the thread, which releases what the clock says is due; a test that
// moved the clock calls CheckTimers() instead of waiting.
//
// Threads: Start/SignalStep/CheckTimers/Stop may be called from one
// controlling thread (the case's runner thread); WaitActivity, Log and
// queue_stats from any thread; the wire thread is internal.
// Lifetime: Stop() (or destruction) releases the verdicts of everything still
// held (held packets are dropped at stop: the case is over), joins the
// thread and lets go of the queue (the NFQUEUE one unbinds). The namespace's
// rules die with the namespace.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "injectors/packet_queue.h"
#include "injectors/release_timer.h"

namespace faultline {

struct WireLink {
  std::string host;          // lab host name
  std::string wire_ifname;   // the wire's interface toward that host
  std::string addr4, addr6;  // the host's addresses (to tell direction)
};

// A scripted host (HostSpec::scripted): its addresses are in `links`.
struct WireScripted {
  std::string host;
  std::vector<PacketFields> ignore;  // `ignore:`
};

// A packet a scripted host was sent (Take), or one the wire sent (Inject,
// InjectInto).
struct WirePacket {
  std::vector<uint8_t> bytes;  // from the IP header
  int64_t at_ns = 0;           // on the wire's clock
  uint64_t seq_no = 0;         // its PacketRecord::seq_no
  std::string line;            // InjectInto: its packet line
  // Take: an `ignore:` entry of the host holds for it (relative seq/ack
  // from the wire's connection table). The runner decides: the pending
  // expect consumes it if it matches, else it is skipped (MarkIgnored).
  bool ignorable = false;
};

struct WireConfig {
  int netns_fd = -1;  // the wire namespace
  std::vector<WireLink> links;
  // Packets toward these (by the IP header's destination, parsed or not)
  // are taken off (never forwarded, no fault applies): fate kScripted,
  // action "scripted take", every one into the host's inbox (Take), those an
  // `ignore:` entry holds for marked WirePacket::ignorable. The action
  // becomes "scripted ignore" when the runner skips one (MarkIgnored).
  std::vector<WireScripted> scripted;
  std::vector<Fault> faults;          // in case order; the first match wins
  uint64_t seed = 0;                  // for probability matches
  int64_t case_start_ns = 0;          // on `clock`; time windows count from here
  const Clock* clock = &RealClock();  // REQUIRES: outlives the Wire
  // How long a request to the wire thread (SignalStep, CheckTimers, Inject,
  // InjectInto) is waited for. Tests of a late wire thread make it short.
  std::chrono::milliseconds request_bound{1000};
  // The packet queue; null (the product): NFQUEUE in `netns_fd`
  // (OpenNfqPacketQueue). Tests hand in a FakePacketQueue and keep their
  // own reference to inspect it after Stop(); `netns_fd` is then unused.
  std::shared_ptr<PacketQueue> queue;
  // How many bytes of each packet the NFQUEUE queue copies to the wire
  // (WireCopyRange; unused with `queue`).
  uint32_t copy_range = kWireWholePacket;
  // How held packets are released (ReleaseTimer). Unset (the product):
  // adaptive (100-500 us, none on a loaded machine) with RealClock(); no
  // margin with another clock (a FakeClock moves only when told, so a
  // precise wait would poll until a test moves it). Tests of the precise
  // wait set a fixed margin.
  std::optional<ReleaseTimerConfig> release;
};

// The wire's copy range for a case, decided once at wire start:
// kWireWholePacket when something reads or resends payload bytes — a fault
// (or a `- fault:` step's `set:`) that corrupts or duplicates, a fault
// match on `data`, a scripted host (its packets are taken whole into its
// inbox and checked) — else kWireHeaderBytes: the wire reads headers only
// and its verdicts leave the kernel's packet as it is. (`packets:` and the
// pcaps read the capture's own socket, not the wire.)
uint32_t WireCopyRange(const Case& c);

class Wire {
 public:
  // kUnsupported if the kernel lacks NFQUEUE or neither nf_tables nor
  // iptables can install the rules, with what was tried; kSystem for other
  // failures; kInvalidInput for a bad config (no namespace, bad address).
  static StatusOr<std::unique_ptr<Wire>> Start(const WireConfig& config);
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // Tells the wire that the step with this label is starting: packets held
  // `until: {step: LABEL}` are released (or dropped) now.
  void SignalStep(const std::string& label);
  // A `- fault:` step: the wire thread switches the fault on or off or
  // replaces its action (FaultEngine::OnControl); returns once it has, so
  // the next step's packets see the change. kTimeout when the wire thread
  // did not get to it within WireConfig::request_bound (then it still
  // applies it, later); kSystem when the wire has stopped.
  Status ControlFault(const FaultStep& step, int step_index);
  // Makes the wire thread release what is due on its clock now, and waits
  // (bounded, 1 s) until it has. Only needed with a clock that is not
  // RealClock() (see "Time" above); harmless otherwise.
  void CheckTimers();
  // Gives a verdict to everything still held and stops the thread. Idempotent.
  Status Stop();
  // Activity: a counter bumped after every round in which the wire handled
  // packets or timers (verdicts already given). Blocks until the counter is
  // not `seen` or until `deadline_ns` (on the wire's clock), and returns it; the
  // runner re-reads socket state on each change (event-based waits). Any
  // thread; WaitActivity(0, 0) just reads the counter.
  uint64_t WaitActivity(uint64_t seen, int64_t deadline_ns) const;
  // The packet log so far, in arrival order (copies follow their original).
  std::vector<PacketRecord> Log() const;
  // Scripted hosts. Any thread. The next packet taken off toward `host`
  // (arrival order, ignorable ones included); kTimeout when none by
  // `deadline_ns` (wire's clock); kSystem "interrupted by SIGINT" as soon
  // as a stop is requested (harness/common/interrupt.h) while it waits.
  StatusOr<WirePacket> Take(const std::string& host, int64_t deadline_ns);
  // The runner skipped the taken packet `seq_no` for an `ignore:` entry:
  // its record's action becomes "scripted ignore". Any thread.
  void MarkIgnored(uint64_t seq_no);
  // Sends a crafted packet from the wire thread (fate kScripted, action
  // "scripted send"); returns when it was handed to the queue, with its stamp.
  // kTimeout when the wire thread did not get to it within
  // WireConfig::request_bound: the caller may go; the job shares nothing
  // with its stack, and is not sent if it had not run yet.
  StatusOr<WirePacket> Inject(std::vector<uint8_t> bytes);
  // A `wire:` step (FaultEngine::InjectInto), on the wire thread; the
  // packet's action names the case's step (`step_index`, 1-based):
  // "inject (step 3)". Bounded like Inject.
  StatusOr<WirePacket> InjectInto(const WireSendStep& step, int step_index);
  // The queue's counters (packets, GSO packets, verdict messages, batches,
  // sent packets, errors). Valid after Stop(); zeros before.
  QueueStats queue_stats() const;
  // The release timer's counters (timer wake-ups, precise waits and their
  // time, latest wake-up, margin). Valid after Stop(); zeros before.
  ReleaseStats release_stats() const;

 private:
  struct Impl;
  explicit Wire(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline
