// FaultEngine: the wire's decisions, as pure code.
//
// The engine is fed the queue's packets (id + bytes + arrival time), timer
// ticks, step signals and the stop, and answers with Effects the caller must
// carry out in the order given: a verdict (accept, possibly with replaced
// bytes, or drop) for a queued packet id, or a packet to inject (the Wire
// turns them into PacketQueue::SetVerdict / Send calls). It owns the
// packet log; every record carries its PacketFate (pass, drop, delay, hold,
// reorder, duplicate, corrupt, inject, unparsed) beside the action text. It never touches a socket
// or a clock, so every fault can be tested on golden bytes with made-up times.
//
// Contract: every id passed to OnPacket gets exactly one kAccept or
// kDrop effect, either in the same call or from a later OnTimer / OnStep /
// OnPacket (of a later packet) / OnStop. After OnStop, held() == 0.
//
// Semantics of every match key and action: docs/faults.md.
// Not thread-safe: one thread drives it (the Wire guards it with a mutex so
// Log() can read the log).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "harness/common/duration.h"
#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/model/result.h"
#include "harness/packet/conn_track.h"
#include "harness/packet/packet_view.h"
#include "injectors/bottleneck.h"
#include "injectors/netem_models.h"
#include "injectors/prng.h"
#include "injectors/timer_queue.h"

namespace faultline {

struct EngineHost {
  std::string name;
  IpAddr addr4, addr6;
};

// A scripted host (HostSpec::scripted): packets toward it are taken off.
struct EngineScripted {
  std::string name;
  // `ignore:`: a packet one of these holds for (relative seq/ack from the
  // wire's connection table) is still taken into the inbox, marked
  // `ignorable`; the runner decides (an expect it matches consumes it).
  std::vector<PacketFields> ignore;
};

struct EngineConfig {
  std::vector<EngineHost> hosts;
  std::vector<EngineScripted> scripted;
  std::vector<Fault> faults;  // case order; first match wins
  uint64_t seed = 0;
  int64_t case_start_ns = 0;
  // A reorder group that has not filled, or a swapped packet with no next
  // packet, is released after this long (counted from its first packet).
  Duration group_timeout = std::chrono::milliseconds(250);
};

struct Effect {
  // kTake: a packet toward a scripted host, for its inbox (its kDrop verdict
  // is a separate effect).
  enum class Kind { kAccept, kDrop, kInject, kTake };
  Kind kind = Kind::kAccept;
  uint32_t id = 0;  // kAccept / kDrop: the queued packet
  std::vector<uint8_t>
      bytes;               // kAccept: replacement packet if not empty; kInject/kTake: the packet
  std::string host;        // kTake: the scripted host
  uint64_t seq_no = 0;     // kTake: its record's seq_no
  int64_t at_ns = 0;       // kTake: when it arrived
  bool ignorable = false;  // kTake: an `ignore:` entry of the host holds
};

// A packet crafted by InjectInto: its record's seq_no and packet line.
struct Crafted {
  uint64_t seq_no = 0;
  std::string line;
};

class FaultEngine {
 public:
  explicit FaultEngine(EngineConfig config);

  // A packet from the queue. `bytes` is read during the call only (a held
  // packet stays in the kernel's queue; its verdict releases it). `len`:
  // the packet's length when `bytes` is only its first bytes (the queue's
  // headers-only copy range, WireCopyRange: then no fault needs the
  // payload); 0 or bytes.size(): `bytes` is the whole packet.
  void OnPacket(uint32_t id, std::span<const uint8_t> bytes, int64_t now_ns,
                std::vector<Effect>* out, size_t len = 0);
  // A queue id that never reached us: the kernel could not deliver its message
  // (our socket buffer was full, ENOBUFS) and dropped the packet itself. It
  // needs no verdict; it is logged so that the loss is visible.
  void OnLost(uint32_t id, int64_t now_ns);
  // Releases what is due at `now_ns`.
  void OnTimer(int64_t now_ns, std::vector<Effect>* out);
  // The step with this label starts: packets held until it are released (or
  // dropped); packets matching such a hold later are not held.
  void OnStep(const std::string& label, int64_t now_ns, std::vector<Effect>* out);
  // A `- fault:` step (`step_index`: its 1-based place in the case): the
  // fault is switched on or off, or its action replaced (`set:`); a marker
  // record (proto "other", fate kPass) in the log says so. Packets the
  // fault already holds keep their schedule (netem keeps its queue when its
  // parameters change); the change applies to packets arriving from now on.
  void OnControl(const FaultStep& step, int step_index, int64_t now_ns);
  // The case is over: everything held is dropped.
  void OnStop(int64_t now_ns, std::vector<Effect>* out);
  // A scripted host's crafted packet (Wire::Inject): logged with fate
  // kScripted, action "scripted send", tracked, sent (kInject); no fault
  // applies. Returns its record's seq_no.
  uint64_t OnScriptedSend(std::vector<uint8_t> bytes, int64_t now_ns, std::vector<Effect>* out);
  // A `wire:` step: crafts step.packet into the latest TCP connection
  // between step.from and step.toward (on step.port of toward when set);
  // logged with fate kInject, action "inject (step N)" (N: `step_index`, the
  // case's step), sent (kInject).
  // kNotFound when the wire has seen no such connection.
  StatusOr<Crafted> InjectInto(const WireSendStep& step, int step_index, int64_t now_ns,
                               std::vector<Effect>* out);

  // The runner skipped a taken packet for an `ignore:` entry: its record's
  // action becomes "scripted ignore". Unknown seq_no (not logged): nothing.
  void MarkIgnored(uint64_t seq_no);

  // A bottleneck's or slots' queue (one per fault and direction) and its
  // counters so far.
  struct LinkReport {
    int fault = 0;  // 1-based
    ActionKind kind = ActionKind::kBottleneck;
    std::string from, to;
    LinkStats stats;
    std::string Line() const;  // the packet log's summary line
  };
  std::vector<LinkReport> Links() const;
  // Replaces fault `fault`'s (0-based) action params (same kind): its
  // queues keep their packets; new rate, delay, queue limit and slot
  // params apply to the packets that arrive from now on; its netem state
  // (correlated draws, loss-model state, reorder gap) starts afresh.
  void SetFaultAction(size_t fault, const FaultAction& action);

  std::optional<int64_t> NextDeadline() const { return timers_.NextDeadline(); }
  size_t held() const { return held_.size(); }
  // The packet log: the first kMaxLogRecords records (the memory a case's
  // log takes is bounded: ~330 bytes a record, ~33 MB at most). Packets
  // after that are handled exactly the same, only not recorded; they are
  // counted in not_logged().
  const std::vector<PacketRecord>& log() const { return log_; }
  uint64_t not_logged() const { return not_logged_; }
  static constexpr size_t kMaxLogRecords = 100'000;
  // The log as reported: log(), plus one closing record (proto "other") per
  // bottleneck or slots queue with its counters (LinkReport::Line), plus,
  // when packets were not logged, one closing record whose action says how
  // many.
  std::vector<PacketRecord> ReportedLog() const;

 private:
  enum class Why { kDelay, kHold, kGroup, kSwap };
  struct Held {
    uint32_t id = 0;
    size_t record = 0;  // index in log_
    Why why = Why::kDelay;
    std::string label;  // kHold until a step
    bool then_drop = false;
  };
  // (fault index 0-based, connection id, direction)
  using GroupKey = std::tuple<int, uint64_t, int>;
  struct Group {
    std::vector<uint64_t> tokens;  // held packets in arrival order
    uint64_t timer = 0;
  };
  struct Bucket {
    double tokens = 0;
    int64_t last_ns = 0;
    bool init = false;
  };

  // The record at `index`, or a scratch record for packets past the log's
  // bound (kNotLogged), so callers need no special case.
  static constexpr size_t kNotLogged = static_cast<size_t>(-1);
  PacketRecord& At(size_t index) { return index == kNotLogged ? scratch_ : log_[index]; }
  // Appends within the bound; returns the index or kNotLogged.
  size_t Append(PacketRecord r);
  std::string HostOf(const IpAddr& a) const;
  const EngineHost* FindHost(const std::string& name) const;
  // Appends the record of an arriving packet: its header fields from the
  // view, action "pass" (or "unparsed: ..."). The only place a record is
  // filled from a packet (copies: AddCopy).
  size_t Record(const PacketView& v, const ConnRef& ref, int64_t now_ns,
                std::span<const uint8_t> bytes, size_t len = 0);
  uint64_t Hold(uint32_t id, size_t record, Why why);
  void Release(uint64_t token, bool drop, int64_t now_ns, const std::string& note,
               std::vector<Effect>* out);
  void ReleaseGroup(const GroupKey& key, int64_t now_ns, bool timeout, std::vector<Effect>* out);
  void Accept(uint32_t id, size_t record, int64_t now_ns, std::vector<Effect>* out,
              std::vector<uint8_t> replaced = {});
  void Drop(uint32_t id, std::vector<Effect>* out);
  void AddCopy(size_t original, std::vector<uint8_t> bytes, const std::string& action,
               PacketFate fate, int64_t now_ns, std::vector<Effect>* out);
  // One packet on its way through OnPacket (a view of the caller's data).
  struct Arrival {
    uint32_t id;
    std::span<const uint8_t> bytes;
    const PacketView& view;
    const ConnRef& ref;
    size_t rec;  // its record (At)
    int64_t now_ns;
    bool swap_partner;  // a swapped packet of its connection and direction waits for it
  };
  // The first fault that takes this packet (counting it for every fault
  // whose predicates hold), or -1.
  int PickFault(const PacketView& v, std::span<const uint8_t> bytes, const ConnRef& ref, size_t rec,
                int64_t now_ns);
  // What fault `win` does to the packet: one function per action kind. Each
  // sets the record's action text and fate, and gives (or schedules) the
  // packet's one verdict.
  void ApplyFault(int win, const Arrival& a, std::vector<Effect>* out);
  void DoDelay(int win, const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  // netem's models (fault_engine_netem.cc): one state per fault and
  // direction (sending host -> receiving host), drawn from the fault's PRNG.
  struct NetemState {
    CorrelatedDraw match;  // probability with correlation
    CorrelatedDraw delay;  // the jitter's draws
    std::optional<ReorderGap> reorder;
    CorrelatedDraw loss;  // loss random
    std::optional<Gemodel> gemodel;
    std::optional<FourState> four;
    std::string delay_note;  // " (50ms±60ms normal)", made once
  };
  NetemState& NetemOf(int fault, const PacketRecord& r);
  // probability's draw for fault `f` (correlated when the match says so).
  double MatchDraw(int f, size_t rec);
  // delay with jitter and/or reorder.
  void DoNetemDelay(int win, const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  // drop with a loss model: the model's draw for fault `f` on record `rec`.
  // Lost: true, the log action kept in loss_action_ for ApplyFault. Passed:
  // false, the record says "pass (loss ...)" with the fault's number, and the
  // packet is free for the faults after `f` (PickFault goes on).
  bool LossDraw(int f, const LossModel& loss, size_t rec);
  void DoReorder(int win, const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  void DoSwap(const Arrival& a, std::vector<Effect>* out);
  void DoDuplicate(const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  void DoHold(const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  void DoCorrupt(const Arrival& a, std::vector<Effect>* out);
  void DoInjectRst(const FaultAction& act, const Arrival& a, std::vector<Effect>* out);
  void DoRateLimit(int win, const Arrival& a, std::vector<Effect>* out);
  // bottleneck and slots: the link of (fault, direction) decides when the
  // packet leaves (held until then) or that it is dropped.
  void DoLink(int win, const Arrival& a, std::vector<Effect>* out);
  LinkDecision OfferLink(int win, const Arrival& a);
  std::optional<std::vector<uint8_t>> BuildRst(const PacketView& v, const ConnRef& ref,
                                               const std::string& toward) const;
  bool RateAllows(int f, int64_t now_ns);
  // Whether fault `i` (0-based) is switched on and inside its `active:`
  // window at `now_ns`. An inactive fault neither counts nor acts.
  bool Active(size_t i, int64_t now_ns) const;
  bool Reached(const FaultEvent& e, int64_t now_ns) const;
  // A packet toward a scripted host: taken off (true) or not scripted.
  bool TakeScripted(uint32_t id, const PacketView& v, const ConnRef& ref, size_t rec,
                    std::span<const uint8_t> bytes, int64_t now_ns, std::vector<Effect>* out);
  const EngineScripted* ScriptedOf(const std::string& host) const;
  // The scripted host whose address is the packet's destination, read from
  // the IP header alone (the packet need not parse further), or null.
  const EngineScripted* ScriptedDest(std::span<const uint8_t> bytes) const;
  // Takes packet `id` (log record `rec`) off the wire into `s`'s inbox:
  // the record's fate is kScripted, the packet dropped, a kTake effect out.
  void Take(uint32_t id, size_t rec, const EngineScripted& s, std::span<const uint8_t> bytes,
            int64_t now_ns, bool ignorable, std::vector<Effect>* out);
  // An unparsed packet toward a scripted host: taken off into its inbox.
  bool TakeUnparsed(uint32_t id, size_t rec, std::span<const uint8_t> bytes, int64_t now_ns,
                    std::vector<Effect>* out);
  // The latest TCP connection between two hosts (optionally on `port` of
  // `toward`); its side index of `from` in *from_side.
  Conn* LatestConn(const WireSendStep& step, int* from_side) const;

  EngineConfig cfg_;
  ConnTable conns_;
  std::vector<SplitMix64> prng_;
  // (fault, from, to); looked up without copying the names (std::less<>).
  std::map<std::tuple<int, std::string, std::string>, NetemState, std::less<>> netem_;
  std::vector<Bucket> buckets_;
  // (fault index 0-based, from host, to host) -> its queue
  using LinkKey = std::tuple<int, std::string, std::string>;
  std::map<LinkKey, BottleneckLink> bottlenecks_;
  std::map<LinkKey, SlotLink> slot_links_;
  std::vector<bool> enabled_;         // per fault: `enabled:`, then `- fault:` steps
  std::vector<int64_t> pick_counts_;  // PickFault's per-fault counts (scratch)
  std::string loss_action_;           // the winning loss model's "drop (...)" (PickFault)
  std::vector<PacketRecord> log_;
  PacketRecord scratch_;     // what At(kNotLogged) returns
  uint64_t not_logged_ = 0;  // records past kMaxLogRecords
  TimerQueue timers_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Held> held_;
  std::map<GroupKey, Group> groups_;
  std::map<uint64_t, GroupKey> group_timers_;  // timer token -> reorder group
  // swap: (connection id, direction) -> (held token, timer token)
  std::map<std::pair<uint64_t, int>, std::pair<uint64_t, uint64_t>> swaps_;
  std::map<uint64_t, std::pair<uint64_t, int>> swap_timers_;
  std::set<std::string> steps_seen_;
  std::vector<Conn*> tcp_conns_;  // every TCP connection seen (InjectInto)
  std::set<Conn*> tcp_seen_;
};

}  // namespace faultline
