#include "harness/runner/selection.h"

#include <gtest/gtest.h>

#include "harness/runner/precedence.h"

namespace faultline {
namespace {

Case MakeCase(const std::string& name, const std::string& file, std::vector<std::string> tags) {
  Case c;
  c.name = name;
  c.loc = SourceLoc{file, 1, 1};
  c.tags = std::move(tags);
  return c;
}

std::vector<std::string> Names(const std::vector<Variant>& v) {
  std::vector<std::string> out;
  for (const Variant& x : v) out.push_back(x.FullName());
  return out;
}

TEST(ParseShard, ValidAndInvalid) {
  StatusOr<Shard> s = ParseShard("2/4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
  EXPECT_EQ(ParseShard("2-4").status().message(), "--shard must be K/N such as 2/4, not '2-4'");
  EXPECT_EQ(ParseShard("x/4").status().message(), "--shard must be K/N such as 2/4, not 'x/4'");
  EXPECT_EQ(ParseShard("5/4").status().message(),
            "--shard 5/4: K must be in 1..N and N in 1..10000");
  EXPECT_EQ(ParseShard("0/4").status().message(),
            "--shard 0/4: K must be in 1..N and N in 1..10000");
}

TEST(Shard, StablePartition) {
  std::vector<Case> cases;
  for (int i = 0; i < 40; ++i) cases.push_back(MakeCase("c" + std::to_string(i), "a.yaml", {}));
  std::vector<Variant> all = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(all.size(), 80u);
  size_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    Selection s;
    s.shard = {k, 3};
    std::vector<Variant> part = Select(all, s);
    EXPECT_GT(part.size(), 10u);  // FNV spreads 80 names roughly evenly
    total += part.size();
    for (const Variant& v : part) EXPECT_EQ(ShardOf(v.FullName(), 3), k);
  }
  EXPECT_EQ(total, all.size());  // every variant on exactly one shard
  // Stable: a fixed name's shard does not depend on the other cases.
  EXPECT_EQ(ShardOf("tcp-echo [ipv4]", 4), ShardOf("tcp-echo [ipv4]", 4));
  std::vector<Case> fewer(cases.begin(), cases.begin() + 5);
  Selection s;
  s.shard = {ShardOf("c3 [ipv6]", 3), 3};
  EXPECT_TRUE(Selected(ExpandVariants(fewer, std::nullopt)[7], s));  // c3 [ipv6]
}

TEST(Select, FilterGlobsTagsAndFamily) {
  std::vector<Case> cases = {MakeCase("first-syn-dropped", "cases/faults/a.yaml", {"faults"}),
                             MakeCase("tcp-echo", "cases/transfer/echo.yaml", {"transfer"})};
  std::vector<Variant> all = ExpandVariants(cases, std::nullopt);
  Selection s;
  s.filters = {"*syn*"};
  EXPECT_EQ(Names(Select(all, s)),
            (std::vector<std::string>{"first-syn-dropped [ipv4]", "first-syn-dropped [ipv6]"}));
  s.filters = {"cases/transfer/*"};  // a path, '*' crossing nothing here
  EXPECT_EQ(Select(all, s).size(), 2u);
  s.filters = {"* [ipv6]"};  // the full name
  EXPECT_EQ(Names(Select(all, s)),
            (std::vector<std::string>{"first-syn-dropped [ipv6]", "tcp-echo [ipv6]"}));
  s.filters = {"nothing", "tcp-echo"};  // any of several
  EXPECT_EQ(Select(all, s).size(), 2u);
  s.filters.clear();
  s.tags = {"faults"};
  EXPECT_EQ(Select(all, s).size(), 2u);
  s.tags = {"nope"};
  EXPECT_TRUE(Select(all, s).empty());
  EXPECT_EQ(Names(ExpandVariants(cases, Family::kIPv6)),
            (std::vector<std::string>{"first-syn-dropped [ipv6]", "tcp-echo [ipv6]"}));
}

TEST(Precedence, SeedConflictIsAnError) {
  std::vector<Case> cases = {MakeCase("seeded", "s.yaml", {}), MakeCase("free", "f.yaml", {})};
  cases[0].seed = 42;
  std::vector<Variant> all = ExpandVariants(cases, std::nullopt);
  CommandLineValues cli;
  cli.seed = 42;  // same value: no conflict
  EXPECT_TRUE(CheckPrecedence(cases, all, cli).ok());
  cli.seed = 7;
  Status st = CheckPrecedence(cases, all, cli);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(),
            "--seed 7 conflicts with 'seed: 42' of case 'seeded' (s.yaml); a case's own seed "
            "wins, so drop --seed or leave that case out (--filter)");
  // Not selected: no conflict.
  Selection only_free;
  only_free.filters = {"free"};
  EXPECT_TRUE(CheckPrecedence(cases, Select(all, only_free), cli).ok());
}

// --family excluding a named file is no conflict (issue 20): the case is
// skipped (PlanSuite's family_skips), so that faultline_add_cases(... ARGS
// --family ipv6) skips a case limited to IPv4 instead of failing it.
TEST(Precedence, FamilyExcludingANamedFileIsNoConflict) {
  std::vector<Case> cases = {MakeCase("v4only", "cases/v4.yaml", {})};
  cases[0].families = {Family::kIPv4};
  CommandLineValues cli;
  cli.family = Family::kIPv6;
  EXPECT_TRUE(CheckPrecedence(cases, ExpandVariants(cases, cli.family), cli).ok());
  cli.named_files = {"cases/v4.yaml"};
  EXPECT_TRUE(CheckPrecedence(cases, ExpandVariants(cases, cli.family), cli).ok());
}

TEST(ExpandVariants, MatrixOdometerAndNames) {
  Case c = MakeCase("backlog", "b.yaml", {});
  for (const char* h : {"client", "server"}) {
    HostSpec hs;
    hs.name = h;
    c.hosts.push_back(hs);
  }
  c.matrix.push_back({SourceLoc{}, "server", "net.core.somaxconn", {"4", "128"}});
  c.matrix.push_back({SourceLoc{}, "server", "net.ipv4.tcp_syncookies", {"0", "1"}});
  std::vector<Case> cases = {c};
  std::vector<Variant> v = ExpandVariants(cases, Family::kIPv4);
  EXPECT_EQ(Names(v), (std::vector<std::string>{
                          "backlog [ipv4,somaxconn=4,tcp_syncookies=0]",
                          "backlog [ipv4,somaxconn=4,tcp_syncookies=1]",
                          "backlog [ipv4,somaxconn=128,tcp_syncookies=0]",
                          "backlog [ipv4,somaxconn=128,tcp_syncookies=1]",
                      }));
  EXPECT_EQ(ExpandVariants(cases, std::nullopt).size(), 8u);
  Case vc = VariantCase(v[2]);
  const HostSpec* server = vc.FindHost("server");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->sysctls, (std::vector<std::pair<std::string, std::string>>{
                                 {"net.core.somaxconn", "128"}, {"net.ipv4.tcp_syncookies", "0"}}));
  EXPECT_TRUE(vc.FindHost("client")->sysctls.empty());

  // Two dimensions with the same last part are told apart by host.
  Case d = MakeCase("two", "t.yaml", {});
  d.families = {Family::kIPv6};
  d.matrix.push_back({SourceLoc{}, "client", "net.ipv4.tcp_rmem", {"a"}});
  d.matrix.push_back({SourceLoc{}, "server", "net.ipv4.tcp_rmem", {"b"}});
  std::vector<Case> ds = {d};
  EXPECT_EQ(Names(ExpandVariants(ds, std::nullopt)),
            (std::vector<std::string>{"two [ipv6,client.tcp_rmem=a,server.tcp_rmem=b]"}));
}

}  // namespace
}  // namespace faultline
