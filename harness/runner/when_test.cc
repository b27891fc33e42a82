// `when:` in the runner: VariantCase marks the steps a variant does not
// run and drops its timing entries and counters; the step loop skips those
// steps and records them as not in this variant (docs/cases.md,
// "Expectations that vary by variant").
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/fake_case_env.h"
#include "harness/runner/runner.h"

namespace faultline {
namespace {

Case Load(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "t.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : Case{};
}

constexpr const char* kCase = R"(name: w
matrix:
  sysctl:
    server: {net.core.somaxconn: [4, 128]}
steps:
  - client: {socket: udp, as: u}
  - client: {socket: tcp, as: t}
    when: {somaxconn: 4}
  - client: {socket: tcp, as: t6}
    when: {family: ipv6, somaxconn: [4, 128]}
  - client: {close: u}
    label: end
)";

TEST(When, StepsRunOnlyInTheirVariants) {
  std::vector<Case> cases = {Load(kCase)};
  std::vector<Variant> variants = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(variants.size(), 4u);
  // Variant names are as without when:.
  EXPECT_EQ(variants[0].name, "ipv4,somaxconn=4");
  EXPECT_EQ(variants[3].name, "ipv6,somaxconn=128");
  // Which of steps 2 and 3 each variant runs.
  const bool runs2[] = {true, false, true, false};
  const bool runs3[] = {false, false, true, true};
  for (size_t i = 0; i < variants.size(); ++i) {
    SCOPED_TRACE(variants[i].name);
    Case vc = VariantCase(variants[i]);
    FakeCaseEnv env;
    CaseRunOptions o;
    o.seed = 1;
    CaseResult r = RunCaseVariant(vc, variants[i].family, o, env);
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
    ASSERT_EQ(r.steps.size(), 4u);
    size_t sockets = 0;
    for (const FakeCaseEnv::Sent& s : env.sent()) sockets += s.req.op == Op::kSocket;
    EXPECT_EQ(sockets, 1u + runs2[i] + runs3[i]);
    EXPECT_EQ(r.steps[1].ran, runs2[i]);
    EXPECT_EQ(r.steps[1].not_in_variant, !runs2[i]);
    EXPECT_EQ(r.steps[2].ran, runs3[i]);
    EXPECT_EQ(r.steps[2].not_in_variant, !runs3[i]);
    EXPECT_TRUE(r.steps[3].ran);
    EXPECT_FALSE(r.steps[0].not_in_variant);
    EXPECT_FALSE(r.steps[3].not_in_variant);
  }
}

TEST(When, VariantCaseDropsTimingAndCounters) {
  std::vector<Case> cases = {Load(std::string(kCase) + R"(timing:
  - {from: {step: end}, to: {step: end, at: return}, took: "<= 1s", when: {somaxconn: 128}}
  - {from: {step: end}, to: {step: end, at: return}, took: "<= 2s"}
counters:
  server: {when: {family: ipv6}, ListenDrops: 0, ListenOverflows: {value: 0, when: {somaxconn: 4}}}
  client: {RetransSegs: 0}
)")};
  std::vector<Variant> v = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(v.size(), 4u);
  Case a = VariantCase(v[0]);  // ipv4,somaxconn=4
  ASSERT_EQ(a.timing.size(), 1u);
  EXPECT_EQ(a.timing[0].index, 2);
  ASSERT_EQ(a.counters.size(), 2u);  // the counter's own when: replaces the host entry's
  EXPECT_EQ(a.counters[0].name, "ListenOverflows");
  EXPECT_EQ(a.counters[1].name, "RetransSegs");
  Case b = VariantCase(v[3]);  // ipv6,somaxconn=128
  EXPECT_EQ(b.timing.size(), 2u);
  ASSERT_EQ(b.counters.size(), 2u);
  EXPECT_EQ(b.counters[0].name, "ListenDrops");
  EXPECT_EQ(b.counters[1].name, "RetransSegs");
}

// Without when: (and without a matrix) nothing changes: no step is marked.
TEST(When, NoWhenNoMarks) {
  std::vector<Case> cases = {Load("name: n\nsteps:\n  - client: {socket: udp, as: u}\n")};
  std::vector<Variant> v = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].name, "ipv6");
  Case vc = VariantCase(v[1]);
  EXPECT_FALSE(vc.steps[0].not_in_variant);
}

}  // namespace
}  // namespace faultline
