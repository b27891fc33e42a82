// Every error of the observation keys (steps state:/queue:/tcp_info:,
// counters:, requires:, xfail:) with its exact message, and what they parse to.
#include "harness/loader/observe_parser.h"

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;
};

const BadCase kBad[] = {
    {"state_unknown_name",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: TIME_WAI}\n",
     "a.yaml:5:28: step 3: unknown TCP state 'TIME_WAI' (did you mean 'TIME_WAIT'?)"},
    {"state_lowercase",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: established}\n",
     "a.yaml:5:28: step 3: unknown TCP state 'established' (state names are upper case: "
     "ESTABLISHED)"},
    {"state_nonsense",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: banana}\n",
     "a.yaml:5:28: step 3: unknown TCP state 'banana' (one of ESTABLISHED, SYN_SENT, SYN_RECV, "
     "FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, gone)"},
    {"state_twice",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: [TIME_WAIT, TIME_WAIT]}\n",
     "a.yaml:5:40: step 3: state 'TIME_WAIT' is listed twice"},
    {"state_empty_list",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: []}\n",
     "a.yaml:5:28: step 3: 'is' must name at least one state"},
    {"state_missing_is",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c}\n",
     "a.yaml:5:13: step 3: missing required key 'is' for 'state'"},
    {"state_unknown_socket",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: d, is: ESTABLISHED}\n",
     "a.yaml:5:21: step 3: 'd' is not a socket created by an earlier step on host 'client'"},
    {"state_expect_key",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, expect: {queued: 1}}\n",
     "a.yaml:5:24: step 3: unknown key 'expect' for 'state'"},
    {"state_bad_target",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: [c], is: ESTABLISHED}\n",
     "a.yaml:5:21: step 3: 'state' must name a socket (NAME, or HOST/NAME for this host's end of "
     "HOST's socket NAME), not a list"},
    {"state_peer_unknown_host",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {state: clinet/c, is: ESTABLISHED}\n",
     "a.yaml:5:21: step 3: 'clinet' is not a declared host (did you mean 'client'?)"},
    {"state_peer_self",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: client/c, is: ESTABLISHED}\n",
     "a.yaml:5:21: step 3: 'client/c' names a socket of this step's own host: write 'state: c'"},
    {"state_peer_unknown_socket",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {state: client/x, is: ESTABLISHED}\n",
     "a.yaml:5:21: step 3: 'x' is not a socket created by an earlier step on host 'client'"},
    {"through_unknown_state",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, through: [FIN_WAIT1, CLOSNG]}\n",
     "a.yaml:5:45: step 3: unknown TCP state 'CLOSNG' in 'through' (did you mean 'CLOSING'?)"},
    {"through_gone",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, through: [gone]}\n",
     "a.yaml:5:34: step 3: unknown TCP state 'gone' in 'through' (one of ESTABLISHED, SYN_SENT, "
     "SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING)"},
    {"through_empty",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, through: []}\n",
     "a.yaml:5:33: step 3: 'through' must name at least one state"},
    {"since_without_through",
     "name: a\nsteps:\n  - server: listen 8080\n    label: l\n  - client: {connect: "
     "\"server:8080\", as: c}\n  - client: {state: c, is: CLOSING, since: l}\n",
     "a.yaml:6:37: step 3: 'since' belongs to 'through' (the transitions to look at)"},
    {"since_unknown_label",
     "name: a\nsteps:\n  - server: listen 8080\n    label: go\n  - client: {connect: "
     "\"server:8080\", as: c}\n  - client: {state: c, through: [CLOSING], since: og}\n",
     "a.yaml:6:51: step 3: no earlier step has the label 'og' (did you mean 'go'?)"},
    {"within_zero",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: ESTABLISHED, within: 0s}\n",
     "a.yaml:5:49: step 3: 'within' must be longer than 0s and at most 10m, not '0s'"},
    {"within_bad",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: ESTABLISHED, within: soon}\n",
     "a.yaml:5:49: step 3: 'within' must be a duration such as 10s or 500ms, not 'soon'"},
    {"took_without_within",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: ESTABLISHED, took: \"<= 1s\"}\n",
     "a.yaml:5:41: step 3: 'took' needs 'within' (the time until the expectation held)"},
    {"stays_without_is",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, through: [FIN_WAIT1], stays: 1s}\n",
     "a.yaml:5:46: step 3: 'stays' needs 'is' (the states the socket stays in)"},
    {"stays_zero",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, is: ESTABLISHED, stays: 0s}\n",
     "a.yaml:5:48: step 3: 'stays' must be longer than 0s and at most 10m, not '0s'"},
    {"stays_on_queue",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: ls, expect: {queued: 1}, stays: 1s}\n",
     "a.yaml:5:46: step 3: unknown key 'stays' for 'queue'"},
    {"two_observations",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {state: c, tcp_info: c, is: ESTABLISHED}\n",
     "a.yaml:5:24: step 3: 'state' and 'tcp_info' cannot be combined in one step"},
    {"queue_peer",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: client/c, expect: {queued: 1}}\n",
     "a.yaml:5:21: step 3: 'queue' takes a listening socket of this host, not HOST/NAME"},
    {"queue_missing_expect",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: ls}\n",
     "a.yaml:5:13: step 3: missing required key 'expect' for 'queue'"},
    {"queue_unknown_field",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: ls, expect: {queue: 1}}\n",
     "a.yaml:5:34: step 3: unknown queue field 'queue' (did you mean 'queued'?)"},
    {"queue_empty_expect",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: ls, expect: {}}\n",
     "a.yaml:5:33: step 3: 'expect' of 'queue' must check at least one field"},
    {"queue_is",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "server: {queue: ls, is: LISTEN}\n",
     "a.yaml:5:25: step 3: unknown key 'is' for 'queue'"},
    {"tcp_info_unknown_field",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmit: 1}}\n",
     "a.yaml:5:36: step 3: unknown tcp_info field 'retransmit' (did you mean 'retransmits'?)"},
    {"tcp_info_far_field",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {zzz: 1}}\n",
     "a.yaml:5:36: step 3: unknown tcp_info field 'zzz' (one of retransmits, total_retrans, "
     "unacked, lost, retrans, sacked, probes, backoff, rto, rtt, snd_cwnd, ssthresh, recv_q, "
     "send_q)"},
    {"value_bad_string",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmits: \"about 3\"}}\n",
     "a.yaml:5:49: step 3: 'retransmits' must be an integer, [lo, hi] or a comparison such as \">= "
     "1\", not 'about 3'"},
    {"value_quoted_int",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmits: \"3\"}}\n",
     "a.yaml:5:49: step 3: 'retransmits' must be an integer, [lo, hi] or a comparison such as \">= "
     "1\", not '3'"},
    {"value_bad_range",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmits: [3, 1]}}\n",
     "a.yaml:5:49: step 3: 'retransmits' range [3, 1] has its low end above its high end"},
    {"value_range_size",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmits: [1, 2, 3]}}\n",
     "a.yaml:5:49: step 3: 'retransmits' must be an integer, [lo, hi] or a comparison such as \">= "
     "1\", not a list"},
    {"value_map",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {retransmits: {a: 1}}}\n",
     "a.yaml:5:49: step 3: 'retransmits' must be an integer, [lo, hi] or a comparison such as \">= "
     "1\", not a map"},
    {"rto_int",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {rto: 200}}\n",
     "a.yaml:5:41: step 3: 'rto' must be a duration in whole microseconds, [lo, hi] of them or a "
     "comparison such as "
     "\">= 200ms\", not '200'"},
    {"rto_bad_range",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n  - "
     "client: {tcp_info: c, expect: {rto: [1s, 200ms]}}\n",
     "a.yaml:5:41: step 3: 'rto' range [1s, 200ms] has its low end above its high end"},
    {"counters_unknown_host",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {sever: {ListenOverflows: 1}}\n",
     "a.yaml:5:12: counters: 'sever' is not a declared host (did you mean 'server'?)"},
    {"counters_not_map",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: [ListenOverflows]\n",
     "a.yaml:5:11: 'counters' must be a map, not a list"},
    {"counters_empty_host",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {}}\n",
     "a.yaml:5:20: counters: 'server' must check at least one counter"},
    {"counters_bad_name",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {List-Overflows: 1}}\n",
     "a.yaml:5:21: counters: 'List-Overflows' is not a counter name such as ListenOverflows or "
     "Udp.InErrors"},
    {"counters_misspelt",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {ListenOverflow: 1}}\n",
     "a.yaml:5:21: counters: unknown counter 'ListenOverflow' (did you mean 'ListenOverflows'?)"},
    {"counters_misspelt_qualified",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {TcpExt.ListenOverflow: 1}}\n",
     "a.yaml:5:21: counters: unknown counter 'TcpExt.ListenOverflow' (did you mean "
     "'TcpExt.ListenOverflows'?)"},
    {"counters_misspelt_snmp6",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {Udp6NoPort: 1}}\n",
     "a.yaml:5:21: counters: unknown counter 'Udp6NoPort' (did you mean 'Udp6NoPorts'?)"},
    {"counters_bad_value",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\ncounters: {server: {ListenOverflows: lots}}\n",
     "a.yaml:5:38: counters: 'ListenOverflows' must be an integer, [lo, hi] or a comparison such "
     "as \">= 1\", not 'lots'"},
    {"requires_unknown_key",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: {kernal: \"5.15\"}\n",
     "a.yaml:5:12: requires: unknown key 'kernal' (did you mean 'kernel'?)"},
    {"requires_empty",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: {reason: x}\n",
     "a.yaml:5:11: requires: name at least one of kernel, sysctl, congestion"},
    {"requires_bad_kernel",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: {kernel: \"5.x\"}\n",
     "a.yaml:5:20: requires: 'kernel' must be a version such as \"5.15\", not '5.x'"},
    {"requires_bad_sysctl",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: {sysctl: [kernel.pid_max]}\n",
     "a.yaml:5:20: requires: sysctl 'kernel.pid_max' must be a net.* key"},
    {"requires_bad_congestion",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: {congestion: [\"b b r\"]}\n",
     "a.yaml:5:24: requires: congestion 'b b r' must be an algorithm name such as bbr"},
    {"requires_not_map",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nrequires: 5.15\n",
     "a.yaml:5:11: 'requires' must be a map, not '5.15'"},
    {"xfail_no_reason",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nxfail: {kernel_below: \"6.1\"}\n",
     "a.yaml:5:8: xfail: missing required key 'reason' (say why the case fails)"},
    {"xfail_empty_reason",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nxfail: {reason: \"\"}\n",
     "a.yaml:5:17: xfail: 'reason' must not be empty"},
    {"xfail_bad_kernel",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nxfail: {kernel_below: 6, reason: x, extra: 1}\n",
     "a.yaml:5:37: xfail: unknown key 'extra'"},
    {"xfail_bad_version",
     "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: "
     "c}\nxfail: {kernel_below: \"6..1\", reason: x}\n",
     "a.yaml:5:23: xfail: 'kernel_below' must be a version such as \"6.1\", not '6..1'"},
};

class ObserveErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ObserveErrors, ExactMessage) {
  StatusOr<Case> c = LoadCaseText(GetParam().yaml, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(All, ObserveErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ObserveParse, StepsCountersRequiresXfail) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
requires: {kernel: 5.15, sysctl: net.ipv4.tcp_plb_enabled, congestion: [bbr], reason: PLB}
xfail: {kernel_below: "6.1", reason: fixed in 6.1}
counters:
  server: {ListenOverflows: ">= 1", Udp.InErrors: [0, 2]}
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: close c
  - client: {state: c, is: [FIN_WAIT2, TIME_WAIT], within: 2s}
  - server: {state: client/c, is: gone}
  - server: {queue: ls, expect: {queued: 1, backlog: "<= 128"}}
  - client: {tcp_info: c, expect: {retransmits: "> 0", rto: [200ms, 1s], send_q: "== 0"}}
)",
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->steps.size(), 7u);
  const auto& st = std::get<ObserveStep>(c->steps[3].body);
  EXPECT_EQ(st.kind, ObserveKind::kState);
  EXPECT_EQ(st.fd, "c");
  EXPECT_EQ(st.states, (std::vector<std::string>{"FIN_WAIT2", "TIME_WAIT"}));
  EXPECT_EQ(st.within, Duration(std::chrono::seconds(2)));
  EXPECT_EQ(c->steps[3].Describe(), "client: state c is FIN_WAIT2|TIME_WAIT within 2s");
  const auto& peer = std::get<ObserveStep>(c->steps[4].body);
  EXPECT_EQ(peer.host, "server");
  EXPECT_EQ(peer.peer_host, "client");
  EXPECT_EQ(peer.Target(), "client/c");
  EXPECT_FALSE(peer.within.has_value());
  const auto& q = std::get<ObserveStep>(c->steps[5].body);
  ASSERT_EQ(q.fields.size(), 2u);
  EXPECT_EQ(q.fields[1].name, "backlog");
  EXPECT_TRUE(q.fields[1].expect.Contains(128));
  EXPECT_FALSE(q.fields[1].expect.Contains(129));
  const auto& ti = std::get<ObserveStep>(c->steps[6].body);
  ASSERT_EQ(ti.fields.size(), 3u);
  EXPECT_EQ(ti.fields[0].expect.lo, 1);
  EXPECT_EQ(ti.fields[1].expect.lo, 200000);  // microseconds
  EXPECT_EQ(ti.fields[1].expect.hi, 1000000);
  EXPECT_EQ(ti.fields[1].expect.text, "[200ms, 1s]");
  EXPECT_EQ(ti.fields[2].expect.text, "== 0");
  ASSERT_EQ(c->counters.size(), 2u);
  EXPECT_EQ(c->counters[0].host, "server");
  EXPECT_EQ(c->counters[0].name, "ListenOverflows");
  EXPECT_EQ(c->counters[0].expect.text, ">= 1");
  EXPECT_EQ(c->counters[1].name, "Udp.InErrors");
  ASSERT_TRUE(c->requirements.has_value());
  EXPECT_EQ(c->requirements->kernel, "5.15");
  EXPECT_EQ(c->requirements->sysctls, (std::vector<std::string>{"net.ipv4.tcp_plb_enabled"}));
  EXPECT_EQ(c->requirements->congestion, (std::vector<std::string>{"bbr"}));
  EXPECT_EQ(c->requirements->reason, "PLB");
  ASSERT_TRUE(c->xfail.has_value());
  EXPECT_EQ(c->xfail->kernel_below, "6.1");
  EXPECT_EQ(c->xfail->reason, "fixed in 6.1");
}

TEST(ObserveParse, ThroughAndSince) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nsteps:\n  - server: listen 8080\n  - client: {connect: \"server:8080\", as: c}\n"
      "  - client: close c\n    label: closing\n"
      "  - client: {state: c, through: [FIN_WAIT1, CLOSING, TIME_WAIT], since: closing}\n"
      "  - client: {state: c, is: TIME_WAIT, through: [FIN_WAIT1], within: 1s}\n",
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& o = std::get<ObserveStep>(c->steps[3].body);
  EXPECT_EQ(o.through, (std::vector<std::string>{"FIN_WAIT1", "CLOSING", "TIME_WAIT"}));
  EXPECT_EQ(o.since, "closing");
  EXPECT_TRUE(o.states.empty());
  EXPECT_EQ(c->steps[3].Describe(),
            "client: state c through FIN_WAIT1 -> CLOSING -> TIME_WAIT since closing");
  const auto& both = std::get<ObserveStep>(c->steps[4].body);
  EXPECT_EQ(both.states, (std::vector<std::string>{"TIME_WAIT"}));
  EXPECT_EQ(both.through, (std::vector<std::string>{"FIN_WAIT1"}));
}

TEST(ObserveParse, CountersStepsAndFamilyNeutralNames) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
counters:
  client: {Udp*.NoPorts: 1, Icmp*.OutDestUnreachs: 0}
steps:
  - server: listen 8080
    label: fill
  - server: {counters: {ListenOverflows: ">= 1", TCPTimeouts: 0}, since: fill, within: 2s}
  - client: {counters: {"Ip*.InReceives": "> 0"}}
)",
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& o = std::get<ObserveStep>(c->steps[1].body);
  EXPECT_EQ(o.kind, ObserveKind::kCounters);
  ASSERT_EQ(o.fields.size(), 2u);
  EXPECT_EQ(o.fields[0].name, "ListenOverflows");
  EXPECT_EQ(o.fields[0].expect.text, ">= 1");
  EXPECT_EQ(o.since, "fill");
  EXPECT_EQ(o.within, Duration(std::chrono::seconds(2)));
  EXPECT_EQ(c->steps[1].Describe(),
            "server: counters ListenOverflows >= 1 TCPTimeouts 0 since fill within 2s");
  const auto& n = std::get<ObserveStep>(c->steps[2].body);
  EXPECT_EQ(n.fields[0].name, "Ip*.InReceives");
  EXPECT_TRUE(n.since.empty());
  EXPECT_EQ(c->counters[0].name, "Udp*.NoPorts");
  // A name without an IPv6 counterpart is fine in a case that runs IPv4 only.
  c = LoadCaseText(
      "name: a\nfamily: ipv4\nsteps:\n  - client: sleep 1s\ncounters: {client: "
      "{Icmp*.InSrcQuenchs: 0}}\n",
      "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  // ... and in a two-family case under a when: that holds only for IPv4
  // (on the counter or on its host entry).
  c = LoadCaseText(
      "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: "
      "{Icmp*.InSrcQuenchs: {value: 0, when: {family: ipv4}}}}\n",
      "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  c = LoadCaseText(
      "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: "
      "{when: {family: ipv4}, Icmp*.InSrcQuenchs: 0}}\n",
      "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  c = LoadCaseText(
      "name: a\nsteps:\n  - client: sleep 1s\ncounters: {client: "
      "{Icmp*.InSrcQuenchs: {value: 0, when: {family: ipv6}}}}\n",
      "a.yaml");
  EXPECT_FALSE(c.ok());
  // A counters step under its own when: that holds only for IPv4 (the
  // IPv6-only step: case_loader_errors_test's counters_step_no_ipv6_under_when).
  c = LoadCaseText(
      "name: a\nsteps:\n  - server: {counters: {Icmp*.InSrcQuenchs: 0}}\n"
      "    when: {family: ipv4}\n",
      "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  // ... also where a matrix multiplies the variants.
  c = LoadCaseText(
      "name: a\nmatrix: {sysctl: {server: {net.core.somaxconn: [4, 128]}}}\nsteps:\n"
      "  - server: {counters: {Icmp*.InSrcQuenchs: 0}}\n"
      "    when: {family: ipv4, somaxconn: 128}\n",
      "a.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
}

TEST(ObserveParse, TookAndStays) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: {state: c, is: ESTABLISHED, within: 1s, took: "<= 500ms"}
  - client: {state: c, is: ESTABLISHED, stays: 300ms}
  - server: {counters: {PassiveOpens: 1}, within: 1s, took: [0s, 1s]}
  - client: {state: c, is: ESTABLISHED, within: 1s, took: "<= 500ms", stays: 200ms}
)",
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& t = std::get<ObserveStep>(c->steps[2].body);
  ASSERT_TRUE(t.took.has_value());
  EXPECT_EQ(t.took->hi, Duration(std::chrono::milliseconds(500)));
  EXPECT_EQ(c->steps[2].Describe(), "client: state c is ESTABLISHED within 1s took <= 500ms");
  const auto& st = std::get<ObserveStep>(c->steps[3].body);
  EXPECT_EQ(st.stays, Duration(std::chrono::milliseconds(300)));
  EXPECT_EQ(c->steps[3].Describe(), "client: state c is ESTABLISHED stays 300ms");
  EXPECT_TRUE(std::get<ObserveStep>(c->steps[4].body).took.has_value());
  // within and stays together (a load error before): stays counts from
  // when the state was reached.
  const auto& ws = std::get<ObserveStep>(c->steps[5].body);
  EXPECT_EQ(ws.within, Duration(std::chrono::seconds(1)));
  EXPECT_EQ(ws.stays, Duration(std::chrono::milliseconds(200)));
  EXPECT_EQ(c->steps[5].Describe(),
            "client: state c is ESTABLISHED within 1s took <= 500ms stays 200ms");
}

TEST(FamilyNeutralCounters, KernelNamePerFamily) {
  EXPECT_EQ(CounterForFamily("Udp*.NoPorts", false), "Udp.NoPorts");
  EXPECT_EQ(CounterForFamily("Udp*.NoPorts", true), "Udp6NoPorts");
  EXPECT_EQ(CounterForFamily("Ip*.InReceives", true), "Ip6InReceives");
  EXPECT_EQ(CounterForFamily("Icmp*.InErrors", true), "Icmp6InErrors");
  EXPECT_EQ(CounterForFamily("Icmp*.InParmProbs", true), "Icmp6InParmProblems");
  EXPECT_EQ(CounterForFamily("Icmp*.OutEchoReps", true), "Icmp6OutEchoReplies");
  EXPECT_EQ(CounterForFamily("Ip*.ForwDatagrams", true), "Ip6OutForwDatagrams");
  EXPECT_EQ(CounterForFamily("UdpLite*.InErrors", true), "UdpLite6InErrors");
  EXPECT_EQ(CounterForFamily("Tcp*.ActiveOpens", true), "");
  EXPECT_EQ(CounterForFamily("ListenOverflows", true), "ListenOverflows");
  EXPECT_EQ(CounterForFamily("Udp.NoPorts", true), "Udp.NoPorts");
}

TEST(ObserveParse, ClosedSocketCanStillBeObservedButNotUsed) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: close c
  - client: {state: c, is: TIME_WAIT, within: 1s}
  - client: {send: c, data: x}
)",
                                  "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:7:20: step 5: 'c' on host 'client' was closed by step 3 (a.yaml:5:5): a call "
            "on a closed name must expect errno: EBADF");
}

TEST(ValueExpect, Forms) {
  Scope s{"a.yaml", ""};
  auto read = [&](const char* y) {
    YAML::Node n = YAML::Load(y);
    return ReadValueExpect(Val{n["v"], SourceLoc{"a.yaml", 1, 1}}, "v", s);
  };
  EXPECT_EQ(read("v: 3")->text, "3");
  EXPECT_EQ(read("v: \"<= 5\"")->hi, 5);
  EXPECT_EQ(read("v: \"< 5\"")->hi, 4);
  EXPECT_EQ(read("v: \"> 5\"")->lo, 6);
  EXPECT_EQ(read("v: \">=1\"")->text, ">= 1");
  EXPECT_EQ(read("v: -1")->lo, -1);
  EXPECT_FALSE(read("v: \"!= 1\"").ok());
  EXPECT_TRUE(IsKernelVersion("6"));
  EXPECT_TRUE(IsKernelVersion("6.1.12"));
  EXPECT_FALSE(IsKernelVersion("6.1.12.1"));
  EXPECT_FALSE(IsKernelVersion("6."));
}

}  // namespace
}  // namespace faultline
