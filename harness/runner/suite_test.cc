#include "harness/runner/suite.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace faultline {
namespace {

Case MakeCase(const std::string& name, std::vector<std::string> tags) {
  Case c;
  c.name = name;
  c.loc = SourceLoc{"cases/" + name + ".yaml", 1, 1};
  c.tags = std::move(tags);
  return c;
}

std::vector<std::string> Names(const std::vector<Variant>& v) {
  std::vector<std::string> out;
  for (const Variant& x : v) out.push_back(x.FullName());
  return out;
}

TEST(PlanSuite, EveryVariantByDefaultOnce) {
  std::vector<Case> cases = {MakeCase("a", {}), MakeCase("b", {})};
  StatusOr<SuitePlan> p = PlanSuite(cases, SuiteRequest{});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(Names(p->variants),
            (std::vector<std::string>{"a [ipv4]", "a [ipv6]", "b [ipv4]", "b [ipv6]"}));
  EXPECT_EQ(p->repeat, 1);
  EXPECT_EQ(p->TotalRuns(), 4u);
}

TEST(PlanSuite, TagsSplitAtCommasAndFamily) {
  std::vector<Case> cases = {MakeCase("a", {"x"}), MakeCase("b", {"y"}), MakeCase("c", {"z"})};
  SuiteRequest r;
  r.tags = {"x,z", ""};
  r.family = Family::kIPv6;
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->selection.tags, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(Names(p->variants), (std::vector<std::string>{"a [ipv6]", "c [ipv6]"}));
}

TEST(PlanSuite, UnknownTagIsAnErrorWithDidYouMean) {
  std::vector<Case> cases = {MakeCase("a", {"fast", "tcp"}), MakeCase("b", {"udp"})};
  SuiteRequest r;
  r.tags = {"tcp,fsat"};
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "--tag 'fsat': no case has this tag (did you mean 'fast'?)");
  r.tags = {"zzz"};
  p = PlanSuite(cases, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "--tag 'zzz': no case has this tag; the cases' tags are: fast, tcp, udp");
  cases = {MakeCase("a", {})};
  p = PlanSuite(cases, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "--tag 'zzz': no case has this tag (the cases have no tags)");
}

TEST(PlanSuite, RepeatAndUntilFail) {
  std::vector<Case> cases = {MakeCase("a", {})};
  SuiteRequest r;
  r.repeat = 3;
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->TotalRuns(), 6u);
  r.repeat = -1;
  r.until_fail = true;
  p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repeat, 0);
  EXPECT_EQ(p->TotalRuns(), 0u);  // unbounded
}

TEST(PlanSuite, RepeatZeroNeedsUntilFail) {
  std::vector<Case> cases = {MakeCase("a", {})};
  SuiteRequest r;
  r.repeat = 0;
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(p.status().message(), "--repeat 0 (no bound) needs --until-fail");
}

TEST(PlanSuite, BadShardIsTheShardParsersMessage) {
  std::vector<Case> cases = {MakeCase("a", {})};
  SuiteRequest r;
  r.shard = "5/4";
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "--shard 5/4: K must be in 1..N and N in 1..10000");
  r.shard = "2/4";
  p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->selection.shard.index, 2);
  EXPECT_EQ(p->selection.shard.count, 4);
}

// A file named on the command line whose case --family leaves without a
// variant is skipped, with the reason; one found in a directory is just not
// selected.
TEST(PlanSuite, FamilyExcludingANamedFileSkipsItsCase) {
  std::vector<Case> cases = {MakeCase("a", {"t"}), MakeCase("b", {"other"})};
  cases[0].families = {Family::kIPv4};
  cases[1].families = {Family::kIPv4};
  cases[1].loc.file = "cases/b.yaml";
  SuiteRequest r;
  r.family = Family::kIPv6;
  r.paths = {"cases/./a.yaml"};  // normalised like Case::loc.file
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->variants.empty());
  ASSERT_EQ(p->family_skips.size(), 1u);
  const CaseResult& s = p->family_skips[0];
  EXPECT_EQ(s.FullName(), "a [ipv6]");
  EXPECT_EQ(s.file, "cases/a.yaml");
  EXPECT_EQ(s.outcome, Outcome::kSkip);
  EXPECT_EQ(s.message, "--family ipv6: case 'a' runs only on ipv4 (cases/a.yaml)");
  // Not selected by the filters or tags (only b has the tag): no skip either.
  r.tags = {"other"};
  p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->family_skips.empty());
  // Without --family: nothing skipped.
  r.tags.clear();
  r.family.reset();
  p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->family_skips.empty());
  EXPECT_EQ(p->variants.size(), 2u);
}

TEST(PlanSuite, SeedConflictOnlyForSelectedCases) {
  std::vector<Case> cases = {MakeCase("seeded", {"s"}), MakeCase("free", {"f"})};
  cases[0].seed = 42;
  SuiteRequest r;
  r.seed = 7;
  EXPECT_FALSE(PlanSuite(cases, r).ok());
  r.tags = {"f"};
  StatusOr<SuitePlan> p = PlanSuite(cases, r);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(Names(p->variants), (std::vector<std::string>{"free [ipv4]", "free [ipv6]"}));
}

TEST(RunSuite, TimesTheRunWithTheGivenClock) {
  FakeClock clock(5'000'000'000, 1'700'000'000'000);
  RunOptions opts;
  RunResult run = RunSuite({}, opts, "6.1.0-test", "faultline run cases/", clock);
  EXPECT_EQ(run.kernel, "6.1.0-test");
  EXPECT_EQ(run.command_line, "faultline run cases/");
  EXPECT_EQ(run.start_unix_ms, 1'700'000'000'000);
  EXPECT_EQ(run.duration_ns, 0);
  EXPECT_TRUE(run.cases.empty());
}

// Issue 17, finding 6: every file that did not load becomes an error
// result for the reports, named after the file.
TEST(LoadCases, InvalidFilesBecomeErrorResults) {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "faultline-suite-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/good.yaml") << "name: good\nsteps:\n  - client: sleep 1ms\n";
  std::ofstream(dir + "/bad.yaml") << "name: bad\ntimeot: 1s\nsteps:\n  - client: sleep 1ms\n";
  LoadedCases l = LoadCases({dir});
  ASSERT_EQ(l.cases.size(), 1u);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.error_files, std::vector<std::string>{dir + "/bad.yaml"});
  std::vector<CaseResult> r = InvalidFileResults(l, 1234);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].invalid_file);
  EXPECT_EQ(r[0].outcome, Outcome::kError);
  EXPECT_EQ(r[0].name, dir + "/bad.yaml");
  EXPECT_EQ(r[0].file, dir + "/bad.yaml");
  EXPECT_EQ(r[0].FullName(), dir + "/bad.yaml");
  EXPECT_EQ(r[0].start_unix_ms, 1234);
  EXPECT_EQ(r[0].message,
            dir + "/bad.yaml:2:1: unknown key 'timeot' in case (did you mean 'timeout'?)");
  // A path that cannot be expanded is named as the file at fault.
  l = LoadCases({dir, dir + "/nope"});
  EXPECT_EQ(l.error_files, std::vector<std::string>{dir + "/nope"});
  fs::remove_all(dir);
}

// Issue 16: a directory holding YAML cases and packetdrill scripts loads
// both kinds in one list; a script that does not load is an error result
// like an invalid YAML file, and the loaded cases are planned as any.
TEST(LoadCases, YamlAndPacketdrillScriptsMix) {
  namespace fs = std::filesystem;
  std::string dir = (fs::temp_directory_path() / "faultline-suite-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  fs::create_directories(dir + "/tcp");
  std::ofstream(dir + "/good.yaml") << "name: good\nsteps:\n  - client: sleep 1ms\n";
  std::ofstream(dir + "/tcp/broken.pkt") << "this is not packetdrill\n";
  PktRunOptions pkt;
  pkt.defines = {{"A", "1"}};
  pkt.ip_version = "ipv4";
  LoadedCases l = LoadCases({dir}, pkt);
  ASSERT_EQ(l.cases.size(), 1u);
  EXPECT_EQ(l.cases[0].name, "good");
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.error_files, std::vector<std::string>{dir + "/tcp/broken.pkt"});
  EXPECT_EQ(l.errors[0].rfind(dir + "/tcp/broken.pkt:", 0), 0u) << l.errors[0];
  std::vector<CaseResult> r = InvalidFileResults(l, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].invalid_file);
  EXPECT_EQ(r[0].outcome, Outcome::kError);
  EXPECT_EQ(r[0].FullName(), dir + "/tcp/broken.pkt");
  // A file filter that names the script's directory selects none of the
  // YAML case's variants.
  SuiteRequest req;
  req.filters = {dir + "/tcp/*"};
  StatusOr<SuitePlan> p = PlanSuite(l.cases, req);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->variants.empty());
  fs::remove_all(dir);
}

TEST(SuiteExitStatus, Precedence) {
  RunResult pass;
  pass.cases.resize(2);
  RunResult fail = pass;
  fail.cases[1].outcome = Outcome::kFail;
  RunResult error = pass;
  error.cases[0].outcome = Outcome::kError;
  RunResult skip = pass;
  skip.cases[0].outcome = Outcome::kSkip;
  EXPECT_EQ(SuiteExitStatus(pass, false, true, 0), 0);
  EXPECT_EQ(SuiteExitStatus(skip, false, true, 0), 0);  // one skip among passes
  RunResult all_skipped = skip;
  all_skipped.cases[1].outcome = Outcome::kSkip;
  EXPECT_EQ(SuiteExitStatus(all_skipped, false, true, 0), 77);  // nothing tested
  EXPECT_EQ(SuiteExitStatus(RunResult{}, false, true, 0), 0);   // an empty shard
  EXPECT_EQ(SuiteExitStatus(all_skipped, false, false, 0), 1);
  EXPECT_EQ(SuiteExitStatus(fail, false, true, 0), 1);
  EXPECT_EQ(SuiteExitStatus(error, false, true, 0), 1);
  EXPECT_EQ(SuiteExitStatus(pass, false, false, 0), 1);   // a report not written
  EXPECT_EQ(SuiteExitStatus(fail, true, true, 0), 2);     // invalid case files
  EXPECT_EQ(SuiteExitStatus(fail, true, false, 2), 130);  // SIGINT first
  EXPECT_EQ(SuiteExitStatus(pass, false, true, 15), 143);
}

}  // namespace
}  // namespace faultline
