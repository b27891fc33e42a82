// The netem keys of faults (correlation, jitter, distribution, reorder,
// loss): what they load to, and every error word for word.
#include <gtest/gtest.h>

#include <string>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

std::string CaseWith(const std::string& faults) {
  return "name: a\ntimeout: 10s\nsteps:\n  - client: sleep 1s\nfaults:\n" + faults;
}

TEST(FaultNetem, LoadsEveryForm) {
  StatusOr<Case> c = LoadCaseText(
      CaseWith("  - match: {from: client, probability: 10%, correlation: 0.25}\n"
               "    do: duplicate\n"
               "  - match: {from: server}\n"
               "    do: delay\n"
               "    delay: 50ms\n"
               "    jitter: 60ms\n"
               "    distribution: paretonormal\n"
               "    correlation: \"25%\"\n"
               "    reorder: {probability: 0.5%, correlation: 0.1, gap: 5}\n"
               "  - match: {}\n    do: drop\n    loss: {random: 0.02, correlation: 0.5}\n"
               "  - match: {}\n    do: drop\n    loss: {gemodel: {p: 1%}}\n"
               "  - match: {}\n    do: drop\n    loss: {gemodel: {p: 0.1, r: 0.2, 1-h: 0.8, "
               "1-k: 0.01}}\n"
               "  - match: {}\n    do: drop\n    loss: {state: {p13: 0.05, p23: 0.5}}\n"),
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& f = c->faults;
  ASSERT_EQ(f.size(), 6u);
  EXPECT_DOUBLE_EQ(*f[0].match.probability, 0.1);
  EXPECT_DOUBLE_EQ(*f[0].match.correlation, 0.25);
  const FaultAction& d = f[1].action;
  EXPECT_EQ(d.jitter, std::chrono::milliseconds(60));
  EXPECT_EQ(d.distribution, DelayDistribution::kParetoNormal);
  EXPECT_DOUBLE_EQ(d.delay_correlation, 0.25);
  ASSERT_TRUE(d.reorder);
  EXPECT_DOUBLE_EQ(d.reorder->probability, 0.005);
  EXPECT_DOUBLE_EQ(d.reorder->correlation, 0.1);
  EXPECT_EQ(d.reorder->gap, 5);
  ASSERT_TRUE(f[2].action.loss);
  EXPECT_EQ(f[2].action.loss->kind, LossModel::Kind::kRandom);
  EXPECT_DOUBLE_EQ(f[2].action.loss->random, 0.02);
  EXPECT_DOUBLE_EQ(f[2].action.loss->correlation, 0.5);
  // netem's defaults: r = 1 - p, 1-h = 1, 1-k = 0.
  const LossModel& ge = *f[3].action.loss;
  EXPECT_EQ(ge.kind, LossModel::Kind::kGemodel);
  EXPECT_DOUBLE_EQ(ge.p, 0.01);
  EXPECT_DOUBLE_EQ(ge.r, 0.99);
  EXPECT_DOUBLE_EQ(ge.one_h, 1);
  EXPECT_DOUBLE_EQ(ge.one_k, 0);
  const LossModel& ge2 = *f[4].action.loss;
  EXPECT_DOUBLE_EQ(ge2.r, 0.2);
  EXPECT_DOUBLE_EQ(ge2.one_h, 0.8);
  EXPECT_DOUBLE_EQ(ge2.one_k, 0.01);
  // p31 = 1 - p13, p32 = 0, p14 = 0; p23 as given.
  const LossModel& st = *f[5].action.loss;
  EXPECT_EQ(st.kind, LossModel::Kind::kState);
  EXPECT_DOUBLE_EQ(st.p13, 0.05);
  EXPECT_DOUBLE_EQ(st.p31, 0.95);
  EXPECT_DOUBLE_EQ(st.p32, 0);
  EXPECT_DOUBLE_EQ(st.p23, 0.5);
  EXPECT_DOUBLE_EQ(st.p14, 0);
}

struct Bad {
  const char* name;
  const char* faults;
  const char* message;
};

const Bad kBad[] = {
    {"jitter_without_delay", "  - match: {}\n    do: delay\n    jitter: 10ms\n",
     "a.yaml:8:5: fault 1: 'jitter' needs 'delay' (the delay it varies: delay: D, jitter: J)"},
    {"jitter_misspelt", "  - match: {}\n    do: delay\n    delay: 10ms\n    jiter: 10ms\n",
     "a.yaml:9:5: fault 1: unknown key 'jiter' (did you mean 'jitter'?)"},
    {"jitter_on_drop", "  - match: {}\n    do: drop\n    jitter: 10ms\n",
     "a.yaml:8:5: fault 1: 'jitter' does not apply to 'drop'"},
    {"jitter_negative", "  - match: {}\n    do: delay\n    delay: 10ms\n    jitter: 61s\n",
     "a.yaml:9:13: fault 1: 'jitter' must be at least 0s and at most 60s, not '61s'"},
    {"distribution_without_jitter",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    distribution: normal\n",
     "a.yaml:9:5: fault 1: 'distribution' needs 'jitter' (it shapes the jitter's draws, as "
     "netem's delay D J C distribution NAME)"},
    {"distribution_unknown",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    jitter: 1ms\n    distribution: normall\n",
     "a.yaml:10:19: fault 1: unknown distribution 'normall' (did you mean 'normal'?)"},
    {"distribution_far",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    jitter: 1ms\n    distribution: gauss\n",
     "a.yaml:10:19: fault 1: unknown distribution 'gauss' (one of uniform, normal, pareto, "
     "paretonormal)"},
    {"delay_correlation_without_jitter",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    correlation: 0.5\n",
     "a.yaml:9:5: fault 1: 'correlation' needs 'jitter' (it shapes the jitter's draws, as "
     "netem's delay D J C distribution NAME); a match's draws take 'correlation' in match"},
    {"delay_correlation_range",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    jitter: 1ms\n    correlation: 150%\n",
     "a.yaml:10:18: fault 1: 'correlation' must be a number in [0, 1] or a percent such as "
     "\"10%\", not '150%'"},
    {"match_correlation_without_probability", "  - match: {correlation: 0.5}\n    do: drop\n",
     "a.yaml:6:13: fault 1: 'correlation' needs 'probability' (it correlates the probability's "
     "draws, as netem's PERCENT CORRELATION)"},
    {"match_correlation_text", "  - match: {probability: 0.1, correlation: high}\n    do: drop\n",
     "a.yaml:6:44: fault 1: 'correlation' must be a number in [0, 1] or a percent such as "
     "\"10%\", not 'high'"},
    {"probability_percent_range", "  - match: {probability: 101%}\n    do: drop\n",
     "a.yaml:6:26: fault 1: 'probability' must be a number in (0, 1] or a percent such as "
     "\"10%\", not '101%'"},
    {"reorder_not_map", "  - match: {}\n    do: delay\n    delay: 10ms\n    reorder: 0.5\n",
     "a.yaml:9:14: fault 1: 'reorder' must be a map {probability: P, correlation: P, gap: N}, "
     "not '0.5'"},
    {"reorder_no_probability",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    reorder: {gap: 3}\n",
     "a.yaml:9:14: fault 1: 'reorder' needs 'probability'"},
    {"reorder_unknown_key",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    reorder: {probability: 0.1, gaps: 3}\n",
     "a.yaml:9:33: fault 1: unknown key 'gaps' in reorder (did you mean 'gap'?)"},
    {"reorder_gap_zero",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    reorder: {probability: 0.1, gap: 0}\n",
     "a.yaml:9:38: fault 1: 'gap' must be an integer between 1 and 1000000, not 0"},
    {"reorder_without_delay", "  - match: {}\n    do: delay\n    reorder: {probability: 0.1}\n",
     "a.yaml:6:5: fault 1: missing required key 'delay' for 'delay'"},
    {"reorder_probability_zero",
     "  - match: {}\n    do: delay\n    delay: 10ms\n    reorder: {probability: 0}\n",
     "a.yaml:9:28: fault 1: 'probability' must be more than 0 (0 would never act), not '0'"},
    {"loss_on_delay", "  - match: {}\n    do: delay\n    delay: 1ms\n    loss: {random: 0.1}\n",
     "a.yaml:9:5: fault 1: 'loss' does not apply to 'delay'"},
    {"loss_not_map", "  - match: {}\n    do: drop\n    loss: 0.1\n",
     "a.yaml:8:11: fault 1: 'loss' must be a map with one of random, gemodel, state, not '0.1'"},
    {"loss_empty", "  - match: {}\n    do: drop\n    loss: {}\n",
     "a.yaml:8:11: fault 1: 'loss' needs one of random, gemodel, state"},
    {"loss_two_models", "  - match: {}\n    do: drop\n    loss: {random: 0.1, gemodel: {p: 0.1}}\n",
     "a.yaml:8:25: fault 1: 'random' and 'gemodel' cannot be combined in 'loss' (one model)"},
    {"loss_unknown_model", "  - match: {}\n    do: drop\n    loss: {gemodell: {p: 0.1}}\n",
     "a.yaml:8:12: fault 1: unknown key 'gemodell' in loss (did you mean 'gemodel'?)"},
    {"loss_correlation_gemodel",
     "  - match: {}\n    do: drop\n    loss: {gemodel: {p: 0.1}, correlation: 0.2}\n",
     "a.yaml:8:31: fault 1: 'correlation' in 'loss' applies to 'random' only"},
    {"loss_random_range", "  - match: {}\n    do: drop\n    loss: {random: 1.5}\n",
     "a.yaml:8:20: fault 1: 'random' must be a number in [0, 1] or a percent such as \"10%\", "
     "not '1.5'"},
    {"gemodel_no_p", "  - match: {}\n    do: drop\n    loss: {gemodel: {r: 0.1}}\n",
     "a.yaml:8:21: fault 1: 'gemodel' needs 'p'"},
    {"gemodel_range", "  - match: {}\n    do: drop\n    loss: {gemodel: {p: 0.1, 1-h: 2}}\n",
     "a.yaml:8:35: fault 1: '1-h' must be a number in [0, 1] or a percent such as \"10%\", not "
     "'2'"},
    {"gemodel_unknown", "  - match: {}\n    do: drop\n    loss: {gemodel: {p: 0.1, h: 0.5}}\n",
     "a.yaml:8:30: fault 1: unknown key 'h' in gemodel (did you mean 'p'?)"},
    {"gemodel_not_map", "  - match: {}\n    do: drop\n    loss: {gemodel: 0.1}\n",
     "a.yaml:8:21: fault 1: 'gemodel' must be a map of probabilities (p, r, 1-h, 1-k), not "
     "'0.1'"},
    {"state_no_p13", "  - match: {}\n    do: drop\n    loss: {state: {p31: 0.1}}\n",
     "a.yaml:8:19: fault 1: 'state' needs 'p13'"},
    {"state_sum", "  - match: {}\n    do: drop\n    loss: {state: {p13: 0.7, p14: 0.5}}\n",
     "a.yaml:8:19: fault 1: 'p13' + 'p14' must be at most 1 (the chances of leaving state 1), "
     "not 1.2"},
    {"state_sum3",
     "  - match: {}\n    do: drop\n    loss: {state: {p13: 0.1, p31: 0.7, p32: 0.5}}\n",
     "a.yaml:8:19: fault 1: 'p31' + 'p32' must be at most 1 (the chances of leaving state 3), "
     "not 1.2"},
};

class FaultNetemBad : public ::testing::TestWithParam<Bad> {};

TEST_P(FaultNetemBad, FailsWithExactMessage) {
  StatusOr<Case> c = LoadCaseText(CaseWith(GetParam().faults), "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Errors, FaultNetemBad, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(FaultNetem, CorrelationDoesNotApplyToPackets) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\ntimeout: 10s\nsteps:\n  - client: sleep 1s\npackets:\n"
      "  - {match: {correlation: 0.5}, count: 1}\n",
      "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "a.yaml:6:14: packets 1: 'correlation' does not apply to packets: (use 'count' and "
            "'gaps' on all matching packets)");
}

}  // namespace
}  // namespace faultline
