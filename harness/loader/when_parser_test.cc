// `when:` (docs/cases.md, "Expectations that vary by variant"): what it
// parses into, and every error with its exact message.
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/loader/when_parser.h"

namespace faultline {
namespace {

// Line 1 name, 2-5 the matrix; steps: on line 6, the first step on line 7.
constexpr const char* kHead =
    "name: a\n"
    "matrix:\n"
    "  sysctl:\n"
    "    server: {net.core.somaxconn: [4, 128]}\n"
    "    client: {net.ipv4.tcp_syn_retries: [2, 3]}\n";

StatusOr<Case> Load(const std::string& rest) { return LoadCaseText(kHead + rest, "a.yaml"); }

TEST(WhenParser, StepConditions) {
  StatusOr<Case> c = Load(
      "steps:\n"
      "  - client: sleep 1ms\n"
      "    when: {somaxconn: 4}\n"
      "  - client: sleep 1ms\n"
      "    when: {family: ipv6, tcp_syn_retries: [2, 3], somaxconn: [128]}\n"
      "  - client: sleep 1ms\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->steps[0].when.has_value());
  const When& w = *c->steps[0].when;
  ASSERT_EQ(w.all.size(), 1u);
  EXPECT_EQ(w.all[0].name, "somaxconn");
  EXPECT_EQ(w.all[0].dimension, 0);
  EXPECT_EQ(w.all[0].values, (std::vector<std::string>{"4"}));
  EXPECT_EQ(w.loc.line, 8);
  EXPECT_TRUE(w.Holds("ipv6", {"4", "2"}));
  EXPECT_FALSE(w.Holds("ipv4", {"128", "2"}));
  const When& w2 = *c->steps[1].when;
  ASSERT_EQ(w2.all.size(), 3u);
  EXPECT_EQ(w2.all[0].dimension, -1);
  EXPECT_EQ(w2.all[1].dimension, 1);
  EXPECT_EQ(w2.ToString(), "family: ipv6, tcp_syn_retries: [2, 3], somaxconn: 128");
  EXPECT_TRUE(w2.Holds("ipv6", {"128", "3"}));
  EXPECT_FALSE(w2.Holds("ipv4", {"128", "3"}));
  EXPECT_FALSE(w2.Holds("ipv6", {"4", "3"}));
  EXPECT_FALSE(c->steps[2].when.has_value());
  EXPECT_TRUE(c->HasWhen());
}

TEST(WhenParser, NoWhenNoChange) {
  StatusOr<Case> c = Load("steps:\n  - client: sleep 1ms\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->HasWhen());
  std::vector<VariantValues> v = c->Variants();
  ASSERT_EQ(v.size(), 8u);
  EXPECT_EQ(v[0].name, "ipv4,somaxconn=4,tcp_syn_retries=2");
  EXPECT_EQ(v[1].name, "ipv4,somaxconn=4,tcp_syn_retries=3");
  EXPECT_EQ(v[7].name, "ipv6,somaxconn=128,tcp_syn_retries=3");
  EXPECT_EQ(v[7].values, (std::vector<std::string>{"128", "3"}));
}

TEST(WhenParser, FamilyOnlyCase) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\n"
      "steps:\n"
      "  - client: sleep 1ms\n"
      "    when: {family: ipv4}\n",
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->steps[0].when->Holds("ipv4", {}));
  EXPECT_FALSE(c->steps[0].when->Holds("ipv6", {}));
}

TEST(WhenParser, FaultStepTimingAndCounters) {
  StatusOr<Case> c = Load(
      "faults:\n"
      "  - {name: f, match: {tcp: SYN}, do: drop, enabled: false}\n"
      "steps:\n"
      "  - fault: f\n"
      "    enable: true\n"
      "    when: {somaxconn: 4}\n"
      "  - client: sleep 1ms\n"
      "    label: a\n"
      "timing:\n"
      "  - {from: {step: a}, to: {step: a, at: return}, took: \"<= 1s\", when: {family: ipv4}}\n"
      "counters:\n"
      "  server: {when: {somaxconn: 4}, ListenOverflows: \">= 1\", ListenDrops: {value: 0, "
      "when: {somaxconn: 128}}}\n"
      "  client: {RetransSegs: 0}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->steps[0].when.has_value());
  EXPECT_EQ(c->steps[0].when->ToString(), "somaxconn: 4");
  ASSERT_TRUE(c->timing[0].when.has_value());
  EXPECT_EQ(c->timing[0].when->ToString(), "family: ipv4");
  ASSERT_EQ(c->counters.size(), 3u);
  EXPECT_EQ(c->counters[0].name, "ListenOverflows");
  EXPECT_EQ(c->counters[0].when->ToString(), "somaxconn: 4");  // the host entry's
  EXPECT_EQ(c->counters[1].name, "ListenDrops");
  EXPECT_EQ(c->counters[1].when->ToString(), "somaxconn: 128");  // its own
  EXPECT_EQ(c->counters[1].expect.text, "0");
  EXPECT_FALSE(c->counters[2].when.has_value());
}

// Steps whose when: never hold together may each make the same socket name;
// steps that may both run in a variant may not.
TEST(WhenParser, SameSocketNameInDisjointSteps) {
  StatusOr<Case> c = Load(
      "steps:\n"
      "  - client: {connect: \"198.18.200.2:80\", as: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {connect: \"[2001:2:0:c8::2]:80\", as: c}\n"
      "    when: {family: ipv6}\n"
      "  - client: {close: c}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  StatusOr<Case> d = Load(
      "steps:\n"
      "  - client: {connect: \"198.18.200.2:80\", as: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {connect: \"[2001:2:0:c8::2]:80\", as: c}\n"
      "    when: {somaxconn: 4}\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "a.yaml:9:50: step 2: 'c' is already an open socket on host 'client' (close it first "
            "or choose another name)");
}

// A name made under several when:s is followed through all of them (the
// third connect may run where the first's socket is still open), and a
// close must run wherever the name is open (review: a close under when:
// made later steps in the other variants look closed).
TEST(WhenParser, SocketNamesFollowEveryMakingStepAndCloseEverywhere) {
  StatusOr<Case> c = Load(
      "steps:\n"
      "  - client: {connect: \"198.18.200.2:80\", as: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {connect: \"[2001:2:0:c8::2]:80\", as: c}\n"
      "    when: {family: ipv6}\n"
      "  - client: {connect: \"198.18.200.2:81\", as: c}\n"
      "    when: {family: ipv4}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:11:46: step 3: 'c' is already an open socket on host 'client' (close it "
            "first or choose another name)");
  StatusOr<Case> d = Load(
      "steps:\n"
      "  - client: {connect: \"198.18.200.2:80\", as: c}\n"
      "  - client: {close: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {send: c, data: x, expect: {errno: EBADF}}\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "a.yaml:8:5: step 2: 'close: c' has a 'when:' that does not hold in every variant "
            "where 'c' is open; close it in all of them (or give the steps that made it the "
            "same 'when:')");
  StatusOr<Case> e = Load(
      "steps:\n"
      "  - client: {connect: \"198.18.200.2:80\", as: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {close: c}\n"
      "    when: {family: ipv4}\n"
      "  - client: {send: c, data: x, expect: {errno: EBADF}}\n"
      "    when: {family: ipv4}\n");
  EXPECT_TRUE(e.ok()) << e.status().message();
}

// A when: that names a value the dimension does not have cannot come from
// a file (the parser refuses it first); CheckWhen still refuses it.
TEST(WhenParser, HoldsInNoVariant) {
  StatusOr<Case> c = Load("steps:\n  - client: sleep 1ms\n    when: {somaxconn: 4}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  c->steps[0].when->all[0].values = {"16"};
  Status st = CheckWhen(*c, c->Variants());
  EXPECT_EQ(st.message(),
            "a.yaml:8:11: step 1: 'when' (somaxconn: 16) holds in no variant of the case; a step "
            "that never runs is a mistake");
}

struct BadWhen {
  const char* name;
  const char* yaml;  // after the matrix (line 6 on)
  const char* message;
};

const BadWhen kBad[] = {
    {"not_a_map", "steps:\n  - client: sleep 1ms\n    when: ipv4\n",
     "a.yaml:8:11: step 1: 'when' must be a map of conditions such as {family: ipv4} "
     "or {somaxconn: [4, 8]}, not 'ipv4'"},
    {"empty", "steps:\n  - client: sleep 1ms\n    when: {}\n",
     "a.yaml:8:11: step 1: 'when' must name at least one condition, such as {family: "
     "ipv4}"},
    {"unknown_dimension", "steps:\n  - client: sleep 1ms\n    when: {somaxcon: 4}\n",
     "a.yaml:8:12: step 1: 'when' names 'somaxcon', which is not a dimension of the "
     "case (did you mean 'somaxconn'?); the dimensions are: family, somaxconn, "
     "tcp_syn_retries"},
    {"unknown_far", "steps:\n  - client: sleep 1ms\n    when: {backlog: 4}\n",
     "a.yaml:8:12: step 1: 'when' names 'backlog', which is not a dimension of the "
     "case; the dimensions are: family, somaxconn, tcp_syn_retries"},
    {"bad_value", "steps:\n  - client: sleep 1ms\n    when: {somaxconn: 16}\n",
     "a.yaml:8:23: step 1: 'when.somaxconn': '16' is not one of the case's values of "
     "somaxconn: 4, 128"},
    {"bad_value_in_list", "steps:\n  - client: sleep 1ms\n    when: {somaxconn: [4, 8]}\n",
     "a.yaml:8:27: step 1: 'when.somaxconn': '8' is not one of the case's values of "
     "somaxconn: 4, 128"},
    {"empty_list", "steps:\n  - client: sleep 1ms\n    when: {somaxconn: []}\n",
     "a.yaml:8:23: step 1: 'when.somaxconn' must list at least one value"},
    {"map_value", "steps:\n  - client: sleep 1ms\n    when: {somaxconn: {a: 1}}\n",
     "a.yaml:8:23: step 1: 'when.somaxconn' values must be numbers or names, not a map"},
    {"bad_family", "steps:\n  - client: sleep 1ms\n    when: {family: ipv5}\n",
     "a.yaml:8:20: step 1: 'when.family': 'ipv5' is not one of the case's families: "
     "ipv4, ipv6"},
    {"inside_operation", "steps:\n  - client: {sleep: 1ms, when: {somaxconn: 4}}\n",
     "a.yaml:7:26: step 1: 'when' belongs beside 'client' in the step, not inside its "
     "operation map"},
    {"since_skipped",
     "steps:\n  - client: {listen: 8080, as: l}\n    label: up\n    when: {somaxconn: 4}\n"
     "  - client: {state: l, is: LISTEN, through: [LISTEN], since: up}\n",
     "a.yaml:10:62: step 2: 'since' names step 1 (label 'up'), which does not run in "
     "variant 'ipv4,somaxconn=128,tcp_syn_retries=2' (its when: somaxconn: 4); give "
     "step 2 a 'when:' that holds only where step 1 runs"},
    {"timing_skipped",
     "steps:\n  - client: sleep 1ms\n    label: a\n    when: {family: ipv6}\n"
     "timing:\n  - {from: {step: a}, to: {step: a, at: return}, took: \"<= 1s\"}\n",
     "a.yaml:11:12: timing 1: 'from' names step 1 (label 'a'), which does not run in "
     "variant 'ipv4,somaxconn=4,tcp_syn_retries=2' (its when: family: ipv6); give "
     "timing 1 a 'when:' that holds only where step 1 runs"},
    {"timing_when_narrower",
     "steps:\n  - client: sleep 1ms\n    label: a\n    when: {family: ipv6, somaxconn: 4}\n"
     "timing:\n  - {from: {step: a}, to: {step: a, at: return}, took: \"<= 1s\", when: {family: "
     "ipv6}}\n",
     "a.yaml:11:12: timing 1: 'from' names step 1 (label 'a'), which does not run in "
     "variant 'ipv6,somaxconn=128,tcp_syn_retries=2' (its when: family: ipv6, "
     "somaxconn: 4); give timing 1 a 'when:' that holds only where step 1 runs"},
    {"fault_until_skipped",
     "faults:\n  - {match: {tcp: SYN}, do: hold, until: {step: go}}\n"
     "steps:\n  - client: sleep 1ms\n    label: go\n    when: {tcp_syn_retries: 3}\n",
     "a.yaml:7:5: fault 1: 'until' names step 1 (label 'go'), which does not run in "
     "variant 'ipv4,somaxconn=4,tcp_syn_retries=2' (its when: tcp_syn_retries: 3); a "
     "fault is in every variant, so the step it names must be too"},
    {"await_skipped",
     "steps:\n  - server: {listen: 8080, as: l}\n"
     "  - server: {accept: l, as: s, async: true}\n    when: {family: ipv4}\n"
     "  - client: {connect: \"server:8080\", as: c}\n"
     "  - await: s\n",
     "a.yaml:11:5: step 4: 'await s' runs in variant "
     "'ipv6,somaxconn=4,tcp_syn_retries=2', but step 2, the async step it joins, does "
     "not; give both the same 'when:'"},
    {"timing_bad_value",
     "steps:\n  - client: sleep 1ms\n    label: a\n"
     "timing:\n  - {from: {step: a}, to: {step: a, at: return}, took: \"<= 1s\", when: {family: "
     "ipv7}}\n",
     "a.yaml:10:80: timing 1: 'when.family': 'ipv7' is not one of the case's "
     "families: ipv4, ipv6"},
    {"counter_no_value",
     "steps:\n  - client: sleep 1ms\ncounters:\n  server: {ListenDrops: {when: "
     "{somaxconn: 4}}}\n",
     "a.yaml:9:25: counters: counter 'ListenDrops' with 'when' needs 'value' (the "
     "expected delta)"},
    {"counter_bad_dimension",
     "steps:\n  - client: sleep 1ms\ncounters:\n  server: {when: {somaxconn: 5}, ListenDrops: 0}\n",
     "a.yaml:9:30: counters: 'when.somaxconn': '5' is not one of the case's values of "
     "somaxconn: 4, 128"},
    {"counter_only_when",
     "steps:\n  - client: sleep 1ms\ncounters:\n  server: {when: {somaxconn: 4}}\n",
     "a.yaml:9:11: counters: 'server' must check at least one counter"},
};

class WhenErrors : public ::testing::TestWithParam<BadWhen> {};

TEST_P(WhenErrors, ExactMessage) {
  const BadWhen& b = GetParam();
  StatusOr<Case> c = Load(b.yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), b.message);
}

INSTANTIATE_TEST_SUITE_P(All, WhenErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WhenErrors, FamilyNotInCase) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nfamily: ipv4\nsteps:\n  - client: sleep 1ms\n    when: {family: ipv6}\n", "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:5:20: step 1: 'when.family': 'ipv6' is not one of the case's families: ipv4");
}

}  // namespace
}  // namespace faultline
