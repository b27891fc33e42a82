// Packet steps of scripted hosts and `wire:` steps (docs/cases.md,
// "Scripted hosts"), for the step loop (case_runner.cc). One per running
// variant: it keeps a ScriptConn per (scripted host, `conn:`) built from
// the lab addresses of the variant's family.
//
// `ignore:` (HostSpec::ignore): the wire hands over every packet toward a
// scripted host, marked ignorable when an entry holds. A pending expect the
// packet matches consumes it (the first SYN that `ignore: [{flags: S}]`
// would otherwise hide); any other ignorable packet is skipped, noted in
// the step's record ("ignored: <line>") and the wire's log ("scripted
// ignore"), never silently.
//
// Waiting: a send waits until it is due by asking the environment for the
// host's next packet with the due time as deadline (a packet arriving
// before is unexpected: the stack sent something the script did not
// expect; with Case::keep_early_packets it is kept for the host's next
// expect instead); an expect waits for the next packet until its window's
// end. No sleeps: all waits are the environment's, on its clock.
#pragma once

#include <chrono>
#include <deque>
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

// An event that happened, with its time in the script (Step::script_at):
// a step's event, or a call's start stamp. Case::keep_early_packets times a
// packet that came before its expect's anchor from the latest one before it.
struct EventMark {
  int step = 0;  // 0: the case's start
  int64_t at_ns = 0;
  Duration script_at{0};
};

// Where a packet step is in the timeline (PacketSteps::Run).
struct StepTiming {
  int64_t anchor_ns = 0;  // the anchor event's time on the env's clock
  int anchor_step = 0;    // its step index (0: the case's start)
  int64_t deadline_ns = 0;
  std::optional<Duration> script_at;  // this step's (Step::script_at)
  std::vector<EventMark> marks;       // the events so far (keep_early_packets)
};

class PacketSteps {
 public:
  PacketSteps(const Case& c, Family family, CaseEnv& env) : case_(c), family_(family), env_(env) {}

  // One packet step at `t`. Fills `rec` and *event_ns (the packet's time at
  // the wire). The verdict's message is the failure's text without the
  // step prefix.
  Verdict Run(const PacketStep& p, const StepTiming& t, StepRecord& rec, int64_t* event_ns);
  // A `wire:` step, the case's step `step_index` (1-based).
  Verdict RunWire(const WireSendStep& w, int step_index, StepRecord& rec, int64_t* event_ns);
  // After the last step: the line of a packet still waiting for a scripted
  // host ("toward peer ...: <line>"), if any; never without
  // Case::check_after_last_step (.pkt scripts). It first waits the case's
  // tolerance (a case ends tolerance after its last step), so that a late
  // packet decides nothing by chance. Ignorable packets are skipped; their
  // "ignored: <line>" lines go to `rec` (the last step's record) if given.
  std::optional<std::string> Leftover(StepRecord* rec);

 private:
  StatusOr<ScriptConn*> ConnOf(const PacketStep& p);
  std::string AddrOf(const std::string& host) const;
  // Every lab host's name by address (ScriptConn::host_names).
  std::map<IpAddr, std::string> HostNames() const;
  // The next packet toward `host`: a kept one first (keep_early_packets),
  // else Fresh's; packets of an earlier connection skipped
  // (SkipEarlierConnection).
  StatusOr<TakenPacket> Next(const std::string& host, int64_t deadline_ns, const ScriptConn& c,
                             const PacketFields* expect, StepRecord* rec);
  // keep_early_packets (.pkt scripts): whether `p` belongs to an earlier
  // connection of c's host that the script has left for `c` (its ports are
  // another ScriptConn's, not c's). Such a packet is skipped, marked ignored
  // at the wire and noted in `rec`, as packetdrill skips an outbound packet
  // that is not its socket under test's while it waits for the next one (an
  // old connection's FIN after the script opened the next connection).
  bool SkipEarlierConnection(const TakenPacket& p, const ScriptConn& c, StepRecord* rec);
  // After an expect's window ended with no packet: one the wire's thread
  // hands over within kWireHandover but stamped within the window (.pkt).
  StatusOr<TakenPacket> HandedLate(const PacketStep& p, ScriptConn& c, int64_t until_ns,
                                   StepRecord* rec);
  static constexpr std::chrono::milliseconds kWireHandover{50};
  // The next packet toward `host` by `deadline_ns` from the wire that is
  // not skipped: an ignorable one (an `ignore:` entry holds) is skipped
  // unless `expect` is given and it matches it; a skipped one is marked
  // ignored at the wire and noted as "ignored: <line>" in `rec`.
  StatusOr<TakenPacket> Fresh(const std::string& host, int64_t deadline_ns, const ScriptConn& c,
                              const PacketFields* expect, StepRecord* rec);
  Verdict Send(const PacketStep& p, ScriptConn& c, int64_t due_ns, StepRecord& rec,
               int64_t* event_ns);
  Verdict Expect(const PacketStep& p, ScriptConn& c, const StepTiming& t, StepRecord& rec,
                 int64_t* event_ns);
  // PacketStep::gather: joins the segments after `got` into it while they
  // continue it and it is shorter than the expected length; returns how
  // many segments it holds. A packet that does not continue it ends the
  // gathering (its line in `then`); skipped ones are noted in `rec`.
  int Gather(const PacketStep& p, const ScriptConn& c, int64_t until_ns, TakenPacket& got,
             StepRecord& rec, std::string* then);

  // keep_early_packets: a packet at `at_ns`, before the anchor's event, is
  // timed from the latest event before it (t.marks) against the script's
  // time between them, as packetdrill times it against the script's clock.
  // Moves the anchor and `window` accordingly; else leaves them.
  void Reanchor(const PacketStep& p, const StepTiming& t, int64_t at_ns, int64_t* anchor_ns,
                int* anchor_step, DurationRange* window) const;
  // `p.packet` with its TS val windows shifted by the drift between the
  // wire's and the script's time at the anchor (PacketStep::ts_tick), or
  // as it is.
  PacketFields TsAnchored(const PacketStep& p, int64_t anchor_ns) const;

  const Case& case_;
  Family family_;
  CaseEnv& env_;
  std::map<std::pair<std::string, std::string>, ScriptConn> conns_;  // (host, conn)
  // When each connection's first TS packet from the stack was on the wire.
  std::map<std::pair<std::string, std::string>, int64_t> first_ts_ns_;
  // Packets that came while a send was due, by host (keep_early_packets).
  std::map<std::string, std::deque<TakenPacket>> kept_;
};

}  // namespace faultline
