// The "live" side: what happened when a case ran. Built by the runner and
// the wire, read by the reports. Times are CLOCK_MONOTONIC nanoseconds unless
// a field says otherwise; `*_offset_ns` fields count from the case start.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/model/case.h"
#include "harness/model/observe_result.h"

namespace faultline {

// One line of the packet log: what crossed the wire and what was done to it.
// What the wire did with a packet (PacketRecord::fate). The reports colour
// the ladder by it, never by the wording of PacketRecord::action.
enum class PacketFate {
  kPass,       // forwarded as it came (no fault, or a fault that let it pass)
  kDrop,       // never forwarded (drop, rate-limit drop, held then dropped)
  kDelay,      // forwarded late by a fixed or drawn delay
  kHold,       // held until a step or for a time
  kReorder,    // released in another order than it came (reorder, swap)
  kDuplicate,  // forwarded, and copies of it made (the copies: is_copy)
  kCorrupt,    // forwarded with a byte changed
  kInject,     // a packet the wire made (inject-rst); is_copy is set too
  kUnparsed,   // the wire could not parse it; forwarded unchanged
  // A scripted host's packet (HostSpec::scripted): one the case crafted
  // and the wire sent, or one toward the scripted host that the wire took
  // off (never forwarded) for the case to check; action "scripted send",
  // "scripted take" or "scripted ignore".
  kScripted,
};
const char* PacketFateName(PacketFate f);  // "pass", "drop", "delay", ...
// The fate named by PacketFateName; nullopt for any other text.
std::optional<PacketFate> PacketFateFromName(std::string_view name);

struct PacketRecord {
  uint64_t seq_no = 0;     // 1-based arrival order at the wire
  int64_t arrival_ns = 0;  // when the queue handed it to the wire
  int64_t release_ns = 0;  // when it was released (== arrival for pass); 0 if dropped
  std::string from, to;    // host names ("" if the address is not a lab host's)
  std::string proto;       // "tcp", "udp", "icmp", "icmpv6", "other"
  std::string flags;       // TCP, tcpdump style: "S", "S.", ".", "F.", "P.", "R", ...
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;  // raw
  uint16_t window = 0;        // TCP, as on the wire (unscaled)
  // TCP option bytes as on the wire (the log line decodes them); a fixed
  // array, so that the wire's records allocate nothing for them.
  std::array<uint8_t, 40> tcp_options{};
  uint8_t tcp_options_len = 0;
  uint8_t icmp_type = 0, icmp_code = 0;  // ICMP / ICMPv6
  uint32_t icmp_mtu = 0;                 // frag-needed / packet-too-big MTU
  // The addresses (network order; IPv4 in the first 4 bytes), for the line
  // of a packet whose address is not a lab host's; has_addrs: filled in.
  std::array<uint8_t, 16> src_addr{}, dst_addr{};
  bool v6 = false;
  bool has_addrs = false;
  bool fragment = false;              // a non-first IP fragment (no transport header)
  uint32_t rel_seq = 0, rel_ack = 0;  // relative to each side's ISN (TCP)
  bool has_rel = false;               // ISNs known for this connection
  uint32_t payload_len = 0;
  uint32_t wire_len = 0;                // IP packet length
  int fault = 0;                        // 1-based index of the fault that matched, 0 none
  PacketFate fate = PacketFate::kPass;  // what was done, as a kind (reports colour by it)
  std::string action;    // "pass", "drop", "delay 200ms", "duplicate", "reorder 2/3", ...
  bool is_copy = false;  // a copy the wire made (duplicate) or a packet it injected
  // Its line in the packet log: PacketRecordLine() in
  // harness/packet/packet_dump.h (the one packet text format).
};

enum class Outcome { kPass, kFail, kError, kSkip };
const char* OutcomeName(Outcome o);  // "pass", "fail", "error", "skip"

// One executed (or attempted) step.
struct StepRecord {
  int step_index = 0;  // Step::index
  SourceLoc loc;
  std::string description;  // Step::Describe()
  std::string host;
  bool ran = false;  // false: never started (an earlier step failed)
  // The step's `when:` does not hold in this variant: it was not run, and
  // that is neither a pass nor a failure (ran stays false).
  bool not_in_variant = false;
  bool finished = false;  // false: still running at the end / hung
  int64_t ret = 0;
  int err = 0;
  int64_t bytes = 0;
  std::string data;  // received bytes (possibly truncated), for display
  int64_t start_offset_ns = 0;
  int64_t took_ns = 0;
  std::string expected;  // "ret 0, took [900ms, 1.6s]", "" when default (success)
  std::string actual;    // "ret -1 ECONNREFUSED, took 1.2ms"
  bool ok = true;        // expectation held
  std::string failure;   // why not, when !ok
  // run steps: the command as run (argv after ${...} expansion), how it
  // ended ("exit 0", "killed by SIGTERM (stopped)"), and its output (the
  // first bytes; *_bytes count all of it). A background command's record is
  // completed when it ends (await, stop, or the end of the case).
  std::vector<std::string> argv;
  std::string command_end;
  std::string stdout_text, stderr_text;
  int64_t stdout_bytes = 0, stderr_bytes = 0;
  bool IsCommand() const { return !argv.empty(); }
  // A %{ }% block's tcp_info snapshot step: the values read (packetdrill's
  // tcpi_* names) and the length of the kernel's tcp_info in bytes.
  std::vector<std::pair<std::string, uint64_t>> snapshot;
  size_t snapshot_bytes = 0;
};

// One `packets:` or `timing:` expectation checked against the capture
// (timing: and the step records). Reports show both kinds in one table.
struct PacketCheckRecord {
  std::string kind = "packets";  // "packets" or "timing": which list `index` counts in
  int index = 0;                 // PacketExpect::index / TimingExpect::index
  SourceLoc loc;
  std::string description;  // PacketExpect::Describe() / TimingExpect::Describe()
  bool ok = true;
  // "expected count 4 vs actual 3"; timing: "expected [2.5s, 3.5s] from
  // step 'connect' start to ... vs actual 1.012s". When !ok.
  std::string failure;
  std::vector<std::string> dump;  // the relevant packets, one line each, when !ok
};

// A TCP state a socket was seen in (observation steps; reports draw it on
// the host's line of the ladder). One record per change, in time order.
struct StateEvent {
  int64_t at_ns = 0;   // CLOCK_MONOTONIC, like PacketRecord::arrival_ns
  std::string host;    // whose end of the connection
  std::string socket;  // the case's name for it ("c", "client/c"); "" unknown
  std::string state;   // "SYN_SENT", "ESTABLISHED", ..., "gone"
};

// A socket's state transition as the kernel made it (the socket state
// history, harness/observe/state_history.h); reports list them per host.
struct TransitionRecord {
  int64_t at_ns = 0;   // CLOCK_MONOTONIC
  std::string host;    // the host whose socket it is
  std::string socket;  // "198.18.1.2:40000 > 198.18.2.2:8080"
  std::string from, to;
};

struct CaseResult {
  std::string name;     // Case::name
  std::string variant;  // "ipv4" / "ipv6"
  std::string file;     // case file path as given
  std::string description;
  std::vector<std::string> tags;
  Outcome outcome = Outcome::kPass;
  // For fail/error/skip: the first unmet expectation or the fault, with
  // file:line and expected vs actual.
  std::string message;
  SourceLoc message_loc;
  int64_t start_unix_ms = 0;  // wall clock, for reports
  int64_t duration_ns = 0;
  uint64_t seed = 0;
  std::vector<StepRecord> steps;
  std::vector<PacketRecord> packets;
  // The pcaps written, one per lab host in host order (what that host's link
  // carried); empty if none.
  struct Pcap {
    std::string host;
    std::string path;
    bool operator==(const Pcap&) const = default;
  };
  std::vector<Pcap> pcaps;
  // One per `packets:` item, in order, then one per `timing:` item (kind "timing").
  std::vector<PacketCheckRecord> packet_checks;
  uint64_t capture_dropped = 0;  // packets the capture lost (kernel ring full); 0 normally
  // Fault::Describe() of the case's faults: faults[i] is PacketRecord::fault
  // i + 1 (reports show it on hover).
  std::vector<std::string> faults;
  std::vector<StateEvent> states;  // socket state changes, in time order
  // Every transition of every lab socket (empty without the state history).
  std::vector<TransitionRecord> transitions;
  // Transitions the recorder lost (its ring buffer was full): `through:`
  // and `timing:` state events cannot be trusted then (notes say so).
  uint64_t transitions_lost = 0;
  // Remarks that are neither failures nor skips ("socket state history
  // unavailable: ...; states are polled").
  std::vector<std::string> notes;
  std::vector<CounterDelta> counters;  // counter deltas (observe_result.h): checked + changed
  Environment environment;             // kernel, sysctls per host, congestion controls
  int64_t start_mono_ns = 0;  // CLOCK_MONOTONIC at the case start (origin of start_offset_ns)
  // The case file did not load: outcome kError, name and file the path as
  // found, no variant, message the loader's "FILE:LINE:COL: ...", nothing ran.
  bool invalid_file = false;
  // "NAME [VARIANT]", or NAME alone when there is no variant (invalid_file).
  std::string FullName() const { return variant.empty() ? name : name + " [" + variant + "]"; }
};

struct RunResult {
  std::vector<CaseResult> cases;
  int64_t start_unix_ms = 0;
  int64_t duration_ns = 0;
  std::string kernel;  // uname -r
  std::string command_line;
  int Count(Outcome o) const;
};

}  // namespace faultline
