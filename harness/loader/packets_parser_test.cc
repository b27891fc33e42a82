// `packets:` in case files: what parses into the model, and every error with
// its exact message.
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

const char* kHead = "name: a\nsteps:\n  - client: sleep 1s\npackets:\n";  // packets: is line 4

TEST(PacketsParser, ParsesMatchCountGapsAtAndOrder) {
  std::string text = std::string(kHead) +
                     "  - match: {from: client, tcp: SYN}\n"
                     "    at: sent\n"
                     "    count: 4\n"
                     "    gaps: [[0.8s, 1.5s], \"<= 3s\"]\n"
                     "  - {match: {from: client, tcp: SYN}, at: received, count: [0, 1]}\n"
                     "  - {match: {to: server, proto: udp}, count: \">= 2\"}\n"
                     "  - {match: {from: server, tcp: RST}, count: 0}\n"
                     "  - {match: {from: server}}\n"
                     "  - order: [{from: client, tcp: FIN}, {from: server, tcp: FIN}]\n"
                     "  - {match: {}, count: \"< 3\"}\n";
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->packets.size(), 7u);
  const PacketExpect& p1 = c->packets[0];
  EXPECT_EQ(p1.index, 1);
  EXPECT_EQ(p1.loc.ToString(), "a.yaml:5:5");
  EXPECT_EQ(p1.at, PacketExpect::At::kSent);
  EXPECT_EQ(p1.match.from, "client");
  ASSERT_EQ(p1.match.tcp.size(), 1u);
  EXPECT_EQ(p1.match.tcp[0], TcpClass::kSyn);
  ASSERT_TRUE(p1.count);
  EXPECT_EQ(p1.count->lo, 4);
  EXPECT_EQ(p1.count->hi, 4);
  ASSERT_EQ(p1.gaps.size(), 2u);
  EXPECT_EQ(p1.gaps[0].lo, 800ms);
  EXPECT_EQ(p1.gaps[0].hi, 1500ms);
  EXPECT_EQ(p1.gaps[1].hi, 3s);
  EXPECT_EQ(p1.Describe(), "client > any tcp SYN, sent");
  EXPECT_EQ(c->packets[1].at, PacketExpect::At::kReceived);
  EXPECT_EQ(c->packets[1].count->ToString(), "[0, 1]");
  EXPECT_EQ(c->packets[2].count->lo, 2);
  EXPECT_EQ(c->packets[2].count->hi, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(c->packets[2].Describe(), "any > server udp, sent");
  EXPECT_EQ(c->packets[3].count->ToString(), "0");
  // No count and no gaps: at least one.
  EXPECT_EQ(c->packets[4].count->lo, 1);
  EXPECT_EQ(c->packets[4].count->hi, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(c->packets[5].order.size(), 2u);
  EXPECT_FALSE(c->packets[5].count);
  EXPECT_EQ(c->packets[5].Describe(), "order client > any tcp FIN, server > any tcp FIN, sent");
  EXPECT_EQ(c->packets[6].count->ToString(), "[0, 2]");
}

TEST(PacketsParser, ParsesTcpWindowField) {
  std::string text = std::string(kHead) +
                     "  - {match: {from: server, tcp: ACK, win: 0}, count: \">= 3\"}\n"
                     "  - {match: {from: server, win: [1, 65535]}}\n";
  StatusOr<Case> c = LoadCaseText(text, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->packets.size(), 2u);
  ASSERT_TRUE(c->packets[0].match.win);
  EXPECT_EQ(c->packets[0].match.win->ToString(), "0");
  EXPECT_EQ(c->packets[0].Describe(), "server > any tcp ACK win 0, sent");
  EXPECT_EQ(c->packets[1].match.win->lo, 1);
  EXPECT_EQ(c->packets[1].match.win->hi, 65535);
  EXPECT_EQ(c->packets[1].Describe(), "server > any win [1, 65535], sent");
}

struct Bad {
  const char* name;
  const char* items;    // after "packets:\n" (line 4)
  const char* message;  // the whole message
};

const Bad kBad[] = {
    {"not_list", " {match: {}}\n", "a.yaml:5:2: 'packets' must be a list, not a map"},
    {"item_not_map", "  - 3\n",
     "a.yaml:5:5: packets 1: a packets item must be a map with 'match' or 'order', not '3'"},
    {"unknown_key", "  - {match: {}, cuont: 3}\n",
     "a.yaml:5:17: packets 1: unknown key 'cuont' (did you mean 'count'?)"},
    {"neither", "  - {at: sent}\n",
     "a.yaml:5:5: packets 1: a packets item needs 'match' or 'order'"},
    {"both", "  - {match: {}, order: [{}, {}]}\n",
     "a.yaml:5:17: packets 1: 'match' and 'order' cannot be combined (use two items)"},
    {"bad_at", "  - {match: {}, at: both}\n",
     "a.yaml:5:21: packets 1: 'at' must be sent or received, not 'both'"},
    {"bad_count", "  - {match: {}, count: many}\n",
     "a.yaml:5:24: packets 1: 'count' must be an integer, [lo, hi] or a bound such as \">= 1\", "
     "not 'many'"},
    {"bad_count_bound", "  - {match: {}, count: \">= x\"}\n",
     "a.yaml:5:24: packets 1: 'count' must be an integer, [lo, hi] or a bound such as \">= 1\", "
     "not '>= x'"},
    {"count_below_zero", "  - {match: {}, count: \"< 0\"}\n",
     "a.yaml:5:24: packets 1: 'count' \"< 0\" can never hold"},
    {"negative_count", "  - {match: {}, count: -1}\n",
     "a.yaml:5:24: packets 1: 'count' must be a non-negative integer, not -1"},
    {"gaps_not_list", "  - {match: {}, gaps: 1s}\n",
     "a.yaml:5:23: packets 1: 'gaps' must be a list, not '1s'"},
    {"gaps_empty", "  - {match: {}, gaps: []}\n",
     "a.yaml:5:23: packets 1: 'gaps' must list at least one range"},
    {"gap_bad", "  - {match: {}, gaps: [1s]}\n",
     "a.yaml:5:24: packets 1: 'gaps' must be [lo, hi] durations or a bound such as \"<= 50ms\", "
     "not '1s'"},
    {"gaps_vs_count", "  - {match: {}, count: 2, gaps: [[1s, 2s], [2s, 3s]]}\n",
     "a.yaml:5:33: packets 1: 2 gaps need at least 3 packets, but 'count' is 2"},
    {"nth_in_match", "  - {match: {from: client, nth: 1}}\n",
     "a.yaml:5:28: packets 1: 'nth' does not apply to packets: (use 'count' and 'gaps' on all "
     "matching packets)"},
    {"probability_in_order", "  - {order: [{}, {probability: 0.5}]}\n",
     "a.yaml:5:19: packets 1: 'probability' does not apply to packets: (use 'count' and 'gaps' "
     "on all matching packets)"},
    {"match_bad_host", "  - {match: {from: clinet}}\n",
     "a.yaml:5:20: packets 1: 'clinet' in 'from' is not a declared host (did you mean "
     "'client'?)"},
    {"win_too_large", "  - {match: {win: [0, 70000]}}\n",
     "a.yaml:5:19: packets 1: 'win' is the 16-bit TCP window field: values must be 0..65535, "
     "not 70000"},
    {"win_duration", "  - {match: {win: 1s}}\n",
     "a.yaml:5:19: packets 1: 'win' must be an integer or [lo, hi], not '1s'"},
    {"window_given_bytes", "  - {match: {window: 0}}\n",
     "a.yaml:5:22: packets 1: 'window' must be [lo, hi] durations (time since the case "
     "started), not '0'; the TCP window field is 'win'"},
    {"match_unknown_key", "  - {match: {form: client}}\n",
     "a.yaml:5:14: packets 1: unknown key 'form' in match (did you mean 'from'?)"},
    {"match_not_map", "  - {match: SYN}\n",
     "a.yaml:5:13: packets 1: 'match' must be a map, not 'SYN'"},
    {"order_short", "  - {order: [{}]}\n",
     "a.yaml:5:13: packets 1: 'order' must list at least 2 matches, not 1"},
    {"order_count", "  - {order: [{}, {}], count: 1}\n",
     "a.yaml:5:23: packets 1: 'count' does not apply to 'order'"},
    {"second_item", "  - {match: {}}\n  - {match: {tcp: syn}}\n",
     "a.yaml:6:19: packets 2: unknown TCP segment class 'syn' (did you mean 'SYN'? classes are "
     "upper case)"},
};

class PacketsParserErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(PacketsParserErrors, ExactMessage) {
  StatusOr<Case> c = LoadCaseText(std::string(kHead) + GetParam().items, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(All, PacketsParserErrors, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<Bad>& i) { return i.param.name; });

}  // namespace
}  // namespace faultline
