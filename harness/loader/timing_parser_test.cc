// `timing:` in case files: what parses into the model, and every error with
// its exact message.
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/loader/format_keys.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

// timing: is line 6.
const char* kHead =
    "name: a\n"
    "steps:\n"
    "  - {client: {connect: \"server:8080\", as: c}, label: connect}\n"
    "  - {client: {close: c}, label: close}\n"
    "  - client: sleep 1s\n"
    "timing:\n";

TEST(TimingParser, ParsesStepAndPacketEvents) {
  std::string text = std::string(kHead) +
                     "  - from: {step: connect}\n"
                     "    to: {packet: {from: client, tcp: SYN}, nth: 2, at: received}\n"
                     "    took: [0.9s, 1.5s]\n"
                     "  - {from: {step: connect, at: return}, to: {step: close, at: start}, "
                     "took: \"<= 50ms\"}\n"
                     "  - {from: {packet: {from: server, tcp: SYN-ACK}}, to: {step: close}, "
                     "took: \">= 1s\"}\n";
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->timing.size(), 3u);
  const TimingExpect& t1 = c->timing[0];
  EXPECT_EQ(t1.index, 1);
  EXPECT_EQ(t1.loc.ToString(), "a.yaml:7:5");
  const auto& from = std::get<TimingEvent::Step>(t1.from.what);
  EXPECT_EQ(from.label, "connect");
  EXPECT_EQ(from.step_index, 1);
  EXPECT_EQ(from.at, TimingEvent::Step::At::kStart);
  const auto& to = std::get<TimingEvent::Packet>(t1.to.what);
  EXPECT_EQ(to.nth, 2);
  EXPECT_EQ(to.at, PacketExpect::At::kReceived);
  EXPECT_EQ(to.match.from, "client");
  EXPECT_EQ(t1.took.lo, 900ms);
  EXPECT_EQ(t1.took.hi, 1500ms);
  EXPECT_EQ(t1.Describe(), "from step 'connect' start to the 2nd client > any tcp SYN (received)");
  EXPECT_EQ(c->timing[1].Describe(), "from step 'connect' return to step 'close' start");
  EXPECT_EQ(std::get<TimingEvent::Step>(c->timing[1].to.what).step_index, 2);
  EXPECT_EQ(c->timing[1].took.hi, 50ms);
  EXPECT_EQ(c->timing[2].Describe(),
            "from the 1st server > any tcp SYN-ACK (sent) to step 'close' start");
}

TEST(TimingParser, ParsesStateEvents) {
  std::string text = std::string(kHead) +
                     "  - from: {packet: {from: client, tcp: FIN}}\n"
                     "    to: {state: TIME_WAIT, host: client, port: 8080}\n"
                     "    took: \"<= 1s\"\n"
                     "  - {from: {step: close}, to: {state: CLOSE, host: server, nth: 2}, "
                     "took: \"<= 1s\"}\n";
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->timing.size(), 2u);
  const auto& to = std::get<TimingEvent::State>(c->timing[0].to.what);
  EXPECT_EQ(to.state, "TIME_WAIT");
  EXPECT_EQ(to.host, "client");
  EXPECT_EQ(to.port, 8080);
  EXPECT_EQ(to.nth, 1);
  EXPECT_EQ(c->timing[0].Describe(),
            "from the 1st client > any tcp FIN (sent) to client (port 8080) entering TIME_WAIT");
  const auto& to2 = std::get<TimingEvent::State>(c->timing[1].to.what);
  EXPECT_EQ(to2.port, 0);
  EXPECT_EQ(to2.nth, 2);
  EXPECT_EQ(c->timing[1].Describe(), "from step 'close' start to the 2nd time server enters CLOSE");
}

TEST(TimingParser, FormatKeysListTheParsersTables) {
  FormatKeys k = LoaderFormatKeys();
  EXPECT_EQ(k.timing_keys, (std::vector<std::string>{"from", "to", "took", "when"}));
  EXPECT_EQ(k.timing_event_keys,
            (std::vector<std::string>{"step", "packet", "state", "at", "nth", "host", "port"}));
}

struct Bad {
  const char* name;
  const char* items;    // after "timing:\n" (line 6)
  const char* message;  // the whole message
};

const Bad kBad[] = {
    {"not_list", " {from: {}}\n", "a.yaml:7:2: 'timing' must be a list, not a map"},
    {"item_not_map", "  - 3\n",
     "a.yaml:7:5: timing 1: a timing item must be a map with 'from', 'to' and 'took', not '3'"},
    {"unknown_key", "  - {from: {step: connect}, to: {step: close}, tokk: 1s}\n",
     "a.yaml:7:48: timing 1: unknown key 'tokk' (did you mean 'took'?)"},
    {"missing_took", "  - {from: {step: connect}, to: {step: close}}\n",
     "a.yaml:7:5: timing 1: missing required key 'took' (a timing item has 'from', 'to' and "
     "'took')"},
    {"missing_from", "  - {to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:5: timing 1: missing required key 'from' (a timing item has 'from', 'to' and "
     "'took')"},
    {"missing_to", "  - {from: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:5: timing 1: missing required key 'to' (a timing item has 'from', 'to' and "
     "'took')"},
    {"unknown_label", "  - {from: {step: conect}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:19: timing 1: no step has the label 'conect' (did you mean 'connect'?); the "
     "labels are: connect, close"},
    {"event_unknown_key", "  - {from: {stpe: connect}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:13: timing 1: unknown key 'stpe' in from (did you mean 'step'?)"},
    {"event_neither", "  - {from: {at: start}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:12: timing 1: 'from' needs 'step', 'packet' or 'state'"},
    {"event_both", "  - {from: {step: close, packet: {}}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:26: timing 1: 'from' is one event: 'step', 'packet' or 'state', not both 'step' "
     "and 'packet'"},
    {"event_step_and_state",
     "  - {from: {step: close, state: CLOSE}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:26: timing 1: 'from' is one event: 'step', 'packet' or 'state', not both 'step' "
     "and 'state'"},
    {"state_unknown",
     "  - {from: {step: close}, to: {state: TIME_WIAT, host: client}, took: \"<= 1s\"}\n",
     "a.yaml:7:39: timing 1: unknown TCP state 'TIME_WIAT' in a state event (did you mean "
     "'TIME_WAIT'?)"},
    {"state_lower_case",
     "  - {from: {step: close}, to: {state: time_wait, host: client}, took: \"<= 1s\"}\n",
     "a.yaml:7:39: timing 1: unknown TCP state 'time_wait' in a state event (state names are "
     "upper case: TIME_WAIT)"},
    {"state_gone", "  - {from: {step: close}, to: {state: gone, host: client}, took: \"<= 1s\"}\n",
     "a.yaml:7:39: timing 1: unknown TCP state 'gone' in a state event (one of ESTABLISHED, "
     "SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, "
     "CLOSING)"},
    {"state_unknown_host",
     "  - {from: {step: close}, to: {state: CLOSE, host: clinet}, took: \"<= 1s\"}\n",
     "a.yaml:7:52: timing 1: 'clinet' is not a declared host (did you mean 'client'?); the hosts "
     "are: client, server"},
    {"state_missing_host", "  - {from: {step: close}, to: {state: CLOSE}, took: \"<= 1s\"}\n",
     "a.yaml:7:31: timing 1: a state event needs 'host' (whose socket: one of client, server)"},
    {"state_at",
     "  - {from: {step: close}, to: {state: CLOSE, host: client, at: start}, "
     "took: \"<= 1s\"}\n",
     "a.yaml:7:60: timing 1: 'at' does not apply to a state event (its time is the "
     "transition's)"},
    {"state_port_range",
     "  - {from: {step: close}, to: {state: CLOSE, host: client, port: 0}, took: \"<= 1s\"}\n",
     "a.yaml:7:66: timing 1: 'port' must be an integer between 1 and 65535, not 0"},
    {"state_nth_zero",
     "  - {from: {step: close}, to: {state: CLOSE, host: client, nth: 0}, took: \"<= 1s\"}\n",
     "a.yaml:7:65: timing 1: 'nth' must be a positive integer, not 0"},
    {"port_on_step", "  - {from: {step: close, port: 80}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:26: timing 1: 'port' applies only to a state event"},
    {"host_on_packet",
     "  - {from: {step: close}, to: {packet: {}, host: client}, took: \"<= 1s\"}\n",
     "a.yaml:7:44: timing 1: 'host' applies only to a state event"},
    {"event_not_map", "  - {from: connect, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:12: timing 1: 'from' must be a map, not 'connect'"},
    {"step_bad_at", "  - {from: {step: connect, at: sent}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:32: timing 1: 'at' of a step event must be start or return, not 'sent'"},
    {"step_nth", "  - {from: {step: connect, nth: 2}, to: {step: close}, took: \"<= 1s\"}\n",
     "a.yaml:7:28: timing 1: 'nth' applies only to a packet or state event"},
    {"packet_bad_at", "  - {from: {step: connect}, to: {packet: {}, at: start}, took: \"<= 1s\"}\n",
     "a.yaml:7:50: timing 1: 'at' of a packet event must be sent or received, not 'start'"},
    {"nth_zero", "  - {from: {step: connect}, to: {packet: {}, nth: 0}, took: \"<= 1s\"}\n",
     "a.yaml:7:51: timing 1: 'nth' must be a positive integer, not 0"},
    {"nth_inside_match",
     "  - {from: {step: connect}, to: {packet: {tcp: SYN, nth: 2}}, took: \"<= 1s\"}\n",
     "a.yaml:7:53: timing 1: 'nth' does not apply inside 'packet:' (an event is one packet: "
     "write 'nth: N' beside 'packet:')"},
    {"every_inside_match",
     "  - {from: {step: connect}, to: {packet: {every: 2}}, took: \"<= 1s\"}\n",
     "a.yaml:7:43: timing 1: 'every' does not apply inside 'packet:' (an event is one packet: "
     "write 'nth: N' beside 'packet:')"},
    {"packet_not_map", "  - {from: {step: connect}, to: {packet: SYN}, took: \"<= 1s\"}\n",
     "a.yaml:7:42: timing 1: 'packet' must be a map (a match, as in packets:), not 'SYN'"},
    {"packet_bad_host",
     "  - {from: {step: connect}, to: {packet: {from: clinet}}, took: \"<= 1s\"}\n",
     "a.yaml:7:49: timing 1: 'clinet' in 'from' is not a declared host (did you mean "
     "'client'?)"},
    {"took_exact", "  - {from: {step: connect}, to: {step: close}, took: 1s}\n",
     "a.yaml:7:54: timing 1: 'took' must be [lo, hi] durations or a bound such as \"<= 50ms\", "
     "not '1s'"},
    {"second_item",
     "  - {from: {step: connect}, to: {step: close}, took: \"<= 1s\"}\n"
     "  - {from: {step: close}, to: {step: closed}, took: \"<= 1s\"}\n",
     "a.yaml:8:38: timing 2: no step has the label 'closed' (did you mean 'close'?); the labels "
     "are: connect, close"},
};

class TimingParserErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(TimingParserErrors, ExactMessage) {
  StatusOr<Case> c = LoadCaseText(std::string(kHead) + GetParam().items, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(All, TimingParserErrors, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<Bad>& i) { return i.param.name; });

TEST(TimingParser, NoLabelsAtAll) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nsteps:\n  - client: sleep 1s\ntiming:\n"
      "  - {from: {step: go}, to: {packet: {}}, took: \"<= 1s\"}\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:5:19: timing 1: no step has the label 'go' (no step has a label: add "
            "'label: go' to the step)");
}

}  // namespace
}  // namespace faultline
