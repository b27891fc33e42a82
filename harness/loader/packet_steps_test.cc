// Scripted hosts, the packet vocabulary, packet steps and wire: steps:
// every error word for word (docs/cases.md, "Scripted hosts").
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

// A case with a real `server` and a scripted `peer`; `steps` follow.
std::string Scripted(const std::string& steps, const std::string& peer_extra = "") {
  return "name: a\nhosts:\n  server:\n  peer: {scripted: true" + peer_extra + "}\nsteps:\n" + steps;
}

std::string Err(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "a.yaml");
  return c.ok() ? "" : c.status().message();
}

const std::string kOpen =
    "  - server: listen 8080\n"
    "  - peer: {send: {flags: S}, to: \"server:8080\", port: 40000}\n";

struct Bad {
  const char* name;
  std::string yaml;
  const char* message;
};

TEST(PacketSteps, Errors) {
  const Bad cases[] = {
      {"socket_call_on_scripted", Scripted("  - peer: listen 80\n"),
       "a.yaml:6:11: step 1: host 'peer' is scripted: its steps are packets (send: / expect:), not "
       "socket calls"},
      {"packet_on_real_host", Scripted("  - server: {send: {flags: S}}\n"),
       "a.yaml:6:14: step 1: 'send:' with a packet needs a scripted host; 'server' is not scripted "
       "(hosts: scripted: true)"},
      {"unknown_flag", Scripted("  - peer: {send: {flags: SX}, to: \"server:80\"}\n"),
       "a.yaml:6:26: step 1: flags: unknown flag 'X' in \"SX\" (use F S R P . U E W)"},
      {"repeated_flag", Scripted("  - peer: {send: {flags: SS}, to: \"server:80\"}\n"),
       "a.yaml:6:26: step 1: flags: 'S' appears twice in \"SS\""},
      {"ack_without_ack_flag",
       Scripted("  - peer: {send: {flags: S, ack: 1}, to: \"server:80\"}\n"),
       "a.yaml:6:29: step 1: ack: set, but flags \"S\" have no ACK (add '.' to flags, or leave ack "
       "out)"},
      {"relative_seq_too_big",
       Scripted("  - peer: {send: {flags: S, seq: 4294967296}, to: \"server:80\"}\n"),
       "a.yaml:6:34: step 1: seq: 4294967296 is not a relative number (at most 2147483647); use "
       "raw-seq for absolute numbers; seq is relative to the sender's ISN"},
      {"range_in_crafted",
       Scripted("  - peer: {send: {flags: S, seq: [0, 5]}, to: \"server:80\"}\n"),
       "a.yaml:6:34: step 1: seq: a crafted packet's value is one number, not a range"},
      {"seq_and_raw_seq",
       Scripted("  - peer: {send: {flags: S, seq: 0, raw-seq: 5}, to: \"server:80\"}\n"),
       "a.yaml:6:37: step 1: 'seq' and 'raw-seq' cannot be combined (seq is relative to the ISN, "
       "raw-seq absolute)"},
      {"length_vs_data",
       Scripted("  - peer: {send: {flags: P., data: hello, length: 3}, to: \"server:80\"}\n"),
       "a.yaml:6:51: step 1: length: 3 disagrees with data (5 bytes); leave length out or make "
       "them agree"},
      {"unknown_packet_key", Scripted("  - peer: {send: {flgs: S}, to: \"server:80\"}\n"),
       "a.yaml:6:19: step 1: unknown key 'flgs' in packet (did you mean 'flags'?)"},
      {"misspelt_option",
       Scripted(kOpen +
                "  - peer: {expect: {options: [{mss: 1460}, sackOK, nop, nop, {wscal: 7}]}}\n"),

       "a.yaml:8:63: step 3: options[4]: unknown option 'wscal' (did you mean 'wscale'?)"},
      {"misshaped_option", Scripted(kOpen + "  - peer: {expect: {options: [nop, mss]}}\n"),
       "a.yaml:8:36: step 3: options[1]: 'mss' needs a value, as in {mss: ...}"},
      {"ts_list_shape", Scripted(kOpen + "  - peer: {expect: {options: [{ts: [1]}]}}\n"),
       "a.yaml:8:36: step 3: options[0]: ts must be [VAL, ECR] or {val: V, ecr: E}, not a list of "
       "1"},
      {"icmp_type", Scripted(kOpen + "  - peer: {send: {icmp: {type: unreachabel}}}\n"),
       "a.yaml:8:32: step 3: icmp: unknown type 'unreachabel' (did you mean 'unreachable'?) "
       "(unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, echo-reply)"},
      {"icmp_mtu",
       Scripted(kOpen + "  - peer: {send: {icmp: {type: unreachable, code: port, mtu: 1280}}}\n"),
       "a.yaml:8:57: step 3: icmp: 'mtu' applies to type packet-too-big or to type unreachable "
       "with code frag-needed"},
      {"ecn_name", Scripted(kOpen + "  - peer: {expect: {ecn: ect}}\n"),
       "a.yaml:8:26: step 3: ecn: must be 0..3 or one of not-ect, ect1, ect0, ce, not 'ect' (did "
       "you mean 'ect1'?)"},
      {"ttl_range", Scripted(kOpen + "  - peer: {expect: {ttl: [1, 300]}}\n"),
       "a.yaml:8:26: step 3: ttl: values must be 0..255, not 300"},
      {"urg_range", Scripted(kOpen + "  - peer: {expect: {urg: 70000}}\n"),
       "a.yaml:8:26: step 3: urg: values must be 0..65535, not 70000"},
      {"urg_crafted_range", Scripted(kOpen + "  - peer: {send: {flags: U., urg: [1, 2]}}\n"),
       "a.yaml:8:35: step 3: urg: a crafted packet's value is one number, not a range"},
      {"urg_udp", Scripted(kOpen + "  - peer: {expect: {proto: udp, urg: 1}}\n"),
       "a.yaml:8:33: step 3: 'urg' (a TCP field) cannot be combined with 'proto: udp'"},
      {"send_needs_to", Scripted("  - peer: {send: {flags: S}}\n"),
       "a.yaml:6:11: step 1: the first step of conn '' sends: it needs 'to: HOST:PORT' (the real "
       "host the packet goes to)"},
      {"expect_needs_port", Scripted("  - peer: {expect: {flags: S}}\n"),
       "a.yaml:6:11: step 1: the first step of conn '' expects: it needs 'port: N' (the port the "
       "stack connects to on 'peer')"},
      {"to_on_later_step", Scripted(kOpen + "  - peer: {send: {flags: .}, to: \"server:8080\"}\n"),
       "a.yaml:8:30: step 3: 'to' only opens a connection; conn '' is already open (step 2)"},
      {"to_any", Scripted("  - peer: {send: {flags: S}, to: \"any:80\"}\n"),
       "a.yaml:6:34: step 1: 'to' must name a real host and its port such as server:8080, not "
       "'any:80'"},
      {"since_unknown", Scripted(kOpen + "  - peer: {expect: {flags: S.}, since: strat}\n"),
       "a.yaml:8:40: step 3: 'since' must name the label of an earlier step, not 'strat'"},
      {"since_later",
       Scripted(kOpen +
                "  - peer: {expect: {flags: S.}, since: x}\n  - label: x\n    server: sleep 1ms\n"),

       "a.yaml:8:40: step 3: 'since' must name the label of an earlier step, not 'x'"},
      {"after_range_on_send", Scripted(kOpen + "  - peer: {send: {flags: .}, after: [1ms, 2ms]}\n"),
       "a.yaml:8:37: step 3: 'after' on a send is one duration (when to send), not a list"},
      {"tolerance_with_range",
       Scripted(kOpen + "  - peer: {expect: {flags: S.}, after: [1ms, 2ms], tolerance: 1ms}\n"),
       "a.yaml:8:52: step 3: 'tolerance' does not apply to a range 'after' (the range is the "
       "window)"},
      {"tolerance_zero",
       Scripted(kOpen + "  - peer: {expect: {flags: S.}, after: 1ms, tolerance: 0s}\n"),
       "a.yaml:8:56: step 3: 'tolerance' must be longer than 0s, not '0s'"},
      {"tolerance_without_after",
       Scripted(kOpen + "  - peer: {expect: {flags: S.}, tolerance: 10ms}\n"),
       "a.yaml:8:33: step 3: 'tolerance' only applies with a single 'after' value; this step has "
       "no 'after' (it is checked in order only, up to the case's timeout)"},
      {"tolerance_on_send",
       Scripted(kOpen + "  - peer: {send: {flags: .}, after: 1ms, tolerance: 1ms}\n"),
       "a.yaml:8:42: step 3: 'tolerance' applies to an expect's 'after'; a send goes out at its "
       "'after'"},
      {"matrix_sysctl_scripted",
       "matrix:\n  sysctl:\n    peer: {net.ipv4.tcp_sack: [0, 1]}\n" + Scripted(kOpen),
       "a.yaml:3:12: 'matrix.sysctl' names host 'peer', a scripted host (it has no stack whose "
       "sysctls could vary)"},
      {"counters_scripted", Scripted(kOpen) + "counters:\n  peer: {ListenOverflows: 0}\n",
       "a.yaml:9:3: counters: 'peer' is a scripted host: it has no stack, so no counters to check"},
      {"observe_on_scripted", Scripted(kOpen + "  - peer: {tcp_info: s, expect: {rto: 1s}}\n"),
       "a.yaml:8:11: step 3: host 'peer' is scripted: it has no sockets to observe (state, queue "
       "and tcp_info need a real host)"},
      {"state_on_scripted", Scripted(kOpen + "  - peer: {state: s, is: ESTABLISHED}\n"),
       "a.yaml:8:11: step 3: host 'peer' is scripted: it has no sockets to observe (state, queue "
       "and tcp_info need a real host)"},
      {"observe_scripted_socket",
       Scripted(kOpen + "  - server: {state: peer/s, is: ESTABLISHED}\n"),
       "a.yaml:8:21: step 3: 'peer' is a scripted host: it has no sockets to observe (its side is "
       "the case's packets)"},
      {"case_tolerance_zero", "tolerance: 0s\n" + Scripted(kOpen),
       "a.yaml:1:12: 'tolerance' must be longer than 0s, not '0s'"},
      {"sysctl_on_scripted", Scripted(kOpen, ", sysctl: {net.ipv4.tcp_sack: 0}"),
       "a.yaml:4:26: host 'peer': 'sysctl' does not apply to a scripted host (it has no stack that "
       "would use it)"},
      {"ignore_on_real",
       "name: a\nhosts:\n  server: {ignore: [{flags: .}]}\nsteps:\n  - server: listen 80\n",
       "a.yaml:3:12: host 'server': 'ignore' applies only to a scripted host (add scripted: true)"},
      {"host_named_wire", "name: a\nhosts:\n  wire:\nsteps:\n  - wire: listen 80\n",
       "a.yaml:3:3: host name 'wire' is reserved (any and wire cannot be hosts)"},
      {"wire_seq_and_seq_next",
       "name: a\nsteps:\n  - wire: {send: {flags: R, seq: 0}, from: client, toward: server, "
       "seq-next: 0}\n",

       "a.yaml:3:68: step 1: 'seq-next' and a seq in 'send' cannot be combined (seq-next is an "
       "offset from the next seq; write one)"},
      {"wire_same_hosts",
       "name: a\nsteps:\n  - wire: {send: {flags: R}, from: client, toward: client}\n",
       "a.yaml:3:52: step 1: 'from' and 'toward' are both 'client'"},
      {"wire_scripted", Scripted("  - wire: {send: {flags: R}, from: peer, toward: server}\n"),
       "a.yaml:6:36: step 1: 'from' names 'peer', a scripted host; wire: steps craft packets "
       "between two real hosts"},
      {"match_flags",
       "name: a\nfaults:\n  - {match: {flags: SX}, do: drop}\nsteps:\n  - client: sleep 1ms\n",
       "a.yaml:3:21: fault 1: flags: unknown flag 'X' in \"SX\" (use F S R P . U E W)"},
      {"match_options_proto",
       "name: a\nfaults:\n  - {match: {proto: udp, options: []}, do: drop}\nsteps:\n  - client: "
       "sleep 1ms\n",

       "a.yaml:3:26: fault 1: 'options' cannot be combined with 'proto: udp'"},
  };
  for (const Bad& b : cases) {
    EXPECT_EQ(Err(b.yaml), b.message) << b.name;
  }
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// The loader's review fixes: mistakes it used to accept silently.
TEST(PacketSteps, ErrorsItUsedToAccept) {
  const std::string ten_ts = "{ts: [1, 0]}, {ts: [1, 0]}, {ts: [1, 0]}, {ts: [1, 0]}, nop, nop";
  const Bad cases[] = {
      {"options_over_40",
       Scripted(kOpen + "  - peer: {send: {options: [" + ten_ts + ", nop, nop]}}\n"),
       "a.yaml:8:28: step 3: options: 44 bytes, a TCP header holds at most 40"},
      {"options_over_40_expected",
       Scripted(kOpen + "  - peer: {expect: {options: [{sack: [[1, 2], [3, 4], [5, 6], [7, 8]]}, "
                        "{mss: 1}, {wscale: 1}]}}\n"),
       "a.yaml:8:30: step 3: options: 41 bytes, a TCP header holds at most 40"},
      {"kind_with_typed_form",
       Scripted(kOpen + "  - peer: {send: {options: [{kind: 2, data: \"05b4\"}]}}\n"),
       "a.yaml:8:36: step 3: options[0]: kind 2 has a typed form: use {mss: N} ({kind: N, data: "
       "HEX} is for kinds without one)"},
      {"kind_ts", Scripted(kOpen + "  - peer: {expect: {options: [{kind: 8}]}}\n"),
       "a.yaml:8:38: step 3: options[0]: kind 8 has a typed form: use {ts: [VAL, ECR]} ({kind: N, "
       "data: HEX} is for kinds without one)"},
      {"sack_left_after_right",
       Scripted(kOpen + "  - peer: {send: {options: [{sack: [[1, 100], [300, 200]]}]}}\n"),
       "a.yaml:8:47: step 3: options[0]: sack block 2: left 300 is not before right 200 (a block "
       "is [LEFT, RIGHT): LEFT the first byte, RIGHT the one after the last)"},
      {"sack_empty_block", Scripted(kOpen + "  - peer: {expect: {options: [{sack: [[5, 5]]}]}}\n"),
       "a.yaml:8:39: step 3: options[0]: sack block 1: left 5 is not before right 5 (a block is "
       "[LEFT, RIGHT): LEFT the first byte, RIGHT the one after the last)"},
      {"to_port_0", Scripted("  - peer: {send: {flags: S}, to: \"server:0\"}\n"),
       "a.yaml:6:34: step 1: 'to' must name a real host and its port such as server:8080; port 0 "
       "is no port a connection can go to, not 'server:0'"},
      {"expect_empty", Scripted(kOpen + "  - peer: {expect: {}}\n"),
       "a.yaml:8:20: step 3: expect: {} matches any packet; name at least one field (flags: ...), "
       "or proto: tcp for any TCP packet"},
      {"icmp_code_name_on_other_type",
       Scripted(kOpen + "  - peer: {send: {icmp: {type: time-exceeded, code: port}}}\n"),
       "a.yaml:8:53: step 3: icmp code: 'port' names an unreachable code; with type time-exceeded "
       "write the code as a number"},
      {"icmp_protocol_ipv6_only",
       "family: ipv6\n" +
           Scripted(kOpen + "  - peer: {send: {icmp: {type: unreachable, code: protocol}}}\n"),
       "a.yaml:9:25: step 3: icmp: unreachable code protocol (2) has no ICMPv6 form (RFC 4443: an "
       "unrecognised next header is parameter-problem code 1); this case is ipv6 only"},
  };
  for (const Bad& b : cases) {
    EXPECT_EQ(Err(b.yaml), b.message) << b.name;
  }
  // Still fine: protocol with IPv4 in the case, a kind without a typed form,
  // proto: tcp as "any TCP packet".
  EXPECT_EQ(Err(Scripted(kOpen + "  - peer: {send: {icmp: {type: unreachable, code: protocol}}}\n"
                                 "  - peer: {expect: {options: [{kind: 253, data: \"beef\"}]}}\n"
                                 "  - peer: {expect: {proto: tcp}}\n")),
            "");
}

// `urg:` (the urgent pointer) in a scripted host's packets.
TEST(PacketSteps, UrgentPointerLoads) {
  StatusOr<Case> c =
      LoadCaseText(Scripted(kOpen + "  - peer: {send: {flags: U., length: 10, urg: 10}}\n"
                                    "  - peer: {expect: {urg: [0, 5]}}\n"),
                   "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->steps[2].Describe(), "peer: send tcp U. urg 10 len 10");
  EXPECT_EQ(c->steps[3].Describe(), "peer: expect tcp urg [0, 5]");
}

TEST(PacketSteps, SpecExampleLoads) {
  const std::string yaml =
      "name: a\ntolerance: 20ms\nhosts:\n  server:\n  client:\n  peer:\n    scripted: true\n"
      "    ignore:\n      - {flags: ., length: 0, win: [1, 65535]}\nsteps:\n"
      "  - server: listen 8080\n"
      "  - peer: {send: {flags: S, seq: 0, win: 65535, options: [{mss: 1460}, sackOK, {ts: [100, "
      "0]}, nop, {wscale: 7}]}, to: \"server:8080\", port: 40000}\n"
      "  - label: synack\n"
      "    peer: {expect: {flags: S., seq: 0, ack: 1, options: [{mss: 1460}, sackOK, {ts: {val: 0, "
      "ecr: 100}}, nop, {wscale: 7}]}, after: 0ms}\n"
      "  - peer: {send: {flags: ., seq: 1, ack: 1, options: [nop, nop, {ts: [110, echo]}]}, since: "
      "synack, after: 5ms}\n"
      "  - wire: {send: {flags: R}, from: server, toward: client, seq-next: -1}\n";
  StatusOr<Case> c = LoadCaseText(yaml, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->tolerance, std::chrono::milliseconds(20));
  ASSERT_TRUE(c->hosts[2].scripted);
  ASSERT_EQ(c->hosts[2].ignore.size(), 1u);
  EXPECT_EQ(c->hosts[2].ignore[0].ToString(), "tcp . win [1, 65535] len 0");
  EXPECT_EQ(c->steps[1].Describe(),
            "peer: send tcp S seq 0 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
  EXPECT_EQ(c->steps[2].Describe(),
            "peer: expect tcp S. seq 0 ack 1 <mss 1460,sackOK,TS val 0 ecr 100,nop,wscale 7>");
  EXPECT_EQ(c->steps[3].Describe(), "peer: send tcp . seq 1 ack 1 <nop,nop,TS val 110 ecr echo>");
  const auto& p = std::get<PacketStep>(c->steps[3].body);
  EXPECT_EQ(p.since, "synack");
  EXPECT_EQ(p.after->lo, std::chrono::milliseconds(5));
  const auto& w = std::get<WireSendStep>(c->steps[4].body);
  EXPECT_EQ(*w.seq_next, -1);
  EXPECT_EQ(c->steps[4].Describe(), "wire: send tcp R as server to client");
}

}  // namespace
}  // namespace faultline
