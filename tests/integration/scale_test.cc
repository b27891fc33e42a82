// The runner at CI scale, end to end: --keep on real labs, matrix variants,
// repetition and until-fail. Needs root; skips otherwise. Every kept
// namespace is removed by the test, whatever happens.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"
#include "harness/runner/keep.h"
#include "harness/runner/runner.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  return out;
}

class ScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    options_.faultline_bin = FAULTLINE_BIN;
  }
  void TearDown() override {
    for (const std::string& n : cleanup_) (void)RemoveKeptNetns(n);
  }
  Case Load(const std::string& yaml) {
    StatusOr<Case> c = LoadCaseText(yaml, "t.yaml");
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? c.value() : Case{};
  }
  CaseRunOptions options_;
  std::vector<std::string> cleanup_;
};

constexpr const char* kFails = R"(name: keep-me-)"
                               R"(failing
family: ipv4
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, expect: {ret: error, errno: ECONNREFUSED}}
)";

TEST_F(ScaleTest, KeepNamesAFailedLabsNamespacesAndTheyCanBeEntered) {
  Case c = Load(kFails);
  options_.keep_failed = true;
  options_.variant = "ipv4 " + std::to_string(getpid());  // unique between concurrent runs
  for (const char* h : {"client", "server", "wire"})
    cleanup_.push_back(KeptNetnsName(c.name, options_.variant, h));
  CaseResult r = RunCaseVariant(c, Family::kIPv4, options_);
  ASSERT_EQ(r.outcome, Outcome::kFail) << r.message;
  for (const std::string& n : cleanup_) {
    EXPECT_TRUE(Exists(std::string(kNetnsDir) + "/" + n)) << n;
    EXPECT_THAT(r.message, HasSubstr("ip netns exec " + n + " bash"));
    EXPECT_THAT(r.message, HasSubstr("nsenter --net=/run/netns/" + n));
    EXPECT_THAT(r.message, HasSubstr("ip netns del " + n));
  }
  // The kept client namespace still has its lab address, after the runner
  // closed every fd of the lab.
  EXPECT_THAT(Shell("ip netns exec " + cleanup_[0] + " ip -4 -o addr show dev eth0 2>&1"),
              HasSubstr("198.18.1.2/24"));
  for (const std::string& n : cleanup_) {
    ASSERT_TRUE(RemoveKeptNetns(n).ok());
    EXPECT_FALSE(Exists(std::string(kNetnsDir) + "/" + n));
  }
}

TEST_F(ScaleTest, KeepNamesNothingForAPassingCaseOrWithoutTheFlag) {
  Case pass = Load(R"(name: keep-not-passing
family: ipv4
steps:
  - client: {socket: udp, as: u}
)");
  options_.keep_failed = true;
  options_.variant = "ipv4 " + std::to_string(getpid());
  cleanup_.push_back(KeptNetnsName(pass.name, options_.variant, "client"));
  CaseResult r = RunCaseVariant(pass, Family::kIPv4, options_);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_FALSE(Exists(std::string(kNetnsDir) + "/" + cleanup_.back()));

  Case fail = Load(kFails);
  options_.keep_failed = false;
  cleanup_.push_back(KeptNetnsName(fail.name, options_.variant, "client"));
  r = RunCaseVariant(fail, Family::kIPv4, options_);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_FALSE(Exists(std::string(kNetnsDir) + "/" + cleanup_.back()));
  EXPECT_THAT(r.message, ::testing::Not(HasSubstr("ip netns")));
}

TEST_F(ScaleTest, MatrixVariantsRunWithTheirSysctls) {
  // A fresh TCP socket's SO_RCVBUF is tcp_rmem's middle value: the variant
  // with 16384 meets the expectation, the one with 32768 must not.
  std::vector<Case> cases = {Load(R"(name: matrix-rmem
matrix:
  family: [ipv4]
  sysctl:
    client:
      net.ipv4.tcp_rmem: ["4096 16384 65536", "4096 32768 65536"]
steps:
  - client: {socket: tcp, as: c}
  - client: {getsockopt: c, opt: SO_RCVBUF, expect: {value: 16384}}
)")};
  std::vector<Variant> v = ExpandVariants(cases, std::nullopt);
  ASSERT_EQ(v.size(), 2u);
  RunOptions o;
  o.case_options = options_;
  o.jobs = 2;
  std::vector<CaseResult> rs = RunVariants(v, o);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].FullName(), "matrix-rmem [ipv4,tcp_rmem=4096 16384 65536]");
  EXPECT_EQ(rs[1].FullName(), "matrix-rmem [ipv4,tcp_rmem=4096 32768 65536]");
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[1].outcome, Outcome::kFail) << rs[1].message;
  EXPECT_THAT(rs[1].message, HasSubstr("32768"));
}

TEST_F(ScaleTest, RepeatNamesRoundsAndUntilFailStops) {
  std::vector<Case> cases = {Load(R"(name: rounds
family: ipv4
steps:
  - client: {socket: udp, as: u}
)"),
                             Load(kFails)};
  std::vector<Variant> v = ExpandVariants(cases, std::nullopt);
  RunOptions o;
  o.case_options = options_;
  o.jobs = 1;  // one at a time: the failure is seen before round 2 starts
  o.repeat = 3;
  o.until_fail = true;
  std::vector<CaseResult> rs = RunVariants(v, o);
  ASSERT_EQ(rs.size(), 2u);  // round 1 of both, then stop
  EXPECT_EQ(rs[0].FullName(), "rounds [ipv4 #1]");
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);

  o.until_fail = false;
  o.jobs = 4;
  std::vector<Variant> one(v.begin(), v.begin() + 1);
  rs = RunVariants(one, o);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[2].FullName(), "rounds [ipv4 #3]");
}

}  // namespace
}  // namespace faultline
