// Checks a case's `packets:` expectations against its capture.
//
// Each captured packet is classified by the wire interface it crossed:
// coming in on "w-H" means host H sent it ("sent"), going out of "w-H"
// means the wire delivered it towards H ("received"). A dropped packet is
// only "sent"; a packet the wire made (duplicate copy, injected RST) is
// only "received". From/to are the hosts owning the source/destination
// addresses, as for faults. Relative seq/ack come from the ISNs seen in the
// capture's SYN/SYN-ACK (harness/packet/conn_track.h); matching reuses the
// faults' predicates (harness/packet/matcher.h). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/capture/pcap_format.h"
#include "harness/model/case.h"
#include "harness/model/result.h"

namespace faultline {

struct CaptureHost {
  std::string name;
  uint32_t ifindex = 0;      // of its wire-side interface, in the wire netns
  std::string addr4, addr6;  // its lab addresses ("" if none)
};

struct CaptureContext {
  std::vector<CaptureHost> hosts;
  int64_t start_ns = 0;  // the case start, on the packets' clock (ts_ns)
};

// One check per expectation, in order. A failed check has `failure`
// ("expected count 4 vs actual 3") and `dump`: every packet that matches
// the expectation's match(es) on either side, one line each (at most 40).
std::vector<PacketCheckRecord> CheckPackets(const std::vector<PacketExpect>& expects,
                                            const std::vector<CapturedPacket>& packets,
                                            const CaptureContext& cx);

// What places `timing:` events besides the capture: the step records and
// the socket state history (CaseResult::transitions, CLOCK_MONOTONIC, and
// the case's start on that clock).
struct TimelineInputs {
  const std::vector<StepRecord>& steps;
  const std::vector<TransitionRecord>& transitions;
  int64_t start_mono_ns = 0;
  uint64_t transitions_lost = 0;  // the history is incomplete: state events are not placed
};

// One check per `timing:` expectation, in order (kind "timing"): each
// event placed on the case's timeline (ns since its start) from the step
// records (start stamps, start + took for a return), from the capture (the
// Nth packet matching on the side `at` names) or from the transitions (the
// Nth of the host's sockets, with the port if given, into the state), and the time
// from `from` to `to` compared with `took`. A failure says "expected TOOK
// from A to B vs actual D", "... vs actual: no such packet (1 of 2 seen)",
// "... vs actual: step 'x' never ran" / "did not return", "... vs actual:
// client never entered TIME_WAIT (transitions: A -> B | C -> D)", or, when `to`
// came first, "... vs actual -D: the B (+T) came before the A (+T)"; its
// dump lists the packets matching the packet events.
std::vector<PacketCheckRecord> CheckTiming(const std::vector<TimingExpect>& expects,
                                           const std::vector<CapturedPacket>& packets,
                                           const CaptureContext& cx, const TimelineInputs& in);

// "t.yaml:12:5: packets 1 (client > any tcp SYN, sent): expected count 4 vs
// actual 3" (timing: "t.yaml:20:5: timing 1: expected ...") followed by
// the dump lines, indented: the case's message.
std::string PacketCheckMessage(const PacketCheckRecord& r);

}  // namespace faultline
