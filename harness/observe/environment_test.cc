#include "harness/observe/environment.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(KernelVersions, Compare) {
  EXPECT_LT(CompareKernelVersions("5.10.0-28-amd64", "5.15"), 0);
  EXPECT_EQ(CompareKernelVersions("5.15.0", "5.15"), 0);
  EXPECT_GT(CompareKernelVersions("6.1.0-18-amd64", "5.15"), 0);
  EXPECT_GT(CompareKernelVersions("6.10", "6.9"), 0);
  EXPECT_FALSE(RunningKernel().empty());
}

TEST(Requirements, MessagesNameWhatIsMissing) {
  Requirements r;
  r.kernel = "5.15";
  r.reason = "PLB";
  auto none = [](const std::string&) { return false; };
  auto all = [](const std::string&) { return true; };
  EXPECT_EQ(UnmetRequirement(r, "5.10.0", "reno cubic", all).value(),
            "requires kernel >= 5.15 (running 5.10.0): PLB");
  EXPECT_FALSE(UnmetRequirement(r, "6.1.0", "reno cubic", all).has_value());
  r.sysctls = {"net.ipv4.tcp_plb_enabled"};
  EXPECT_EQ(UnmetRequirement(r, "6.1.0", "reno cubic", none).value(),
            "requires sysctl net.ipv4.tcp_plb_enabled (missing on kernel 6.1.0): PLB");
  r.sysctls.clear();
  r.congestion = {"bbr", "cubic"};
  r.reason.clear();
  EXPECT_EQ(UnmetRequirement(r, "6.1.0", "reno cubic", all).value(),
            "requires congestion control bbr (available: reno cubic)");
  EXPECT_FALSE(UnmetRequirement(r, "6.1.0", "reno cubic bbr", all).has_value());
}

TEST(ExpectedFailure, AppliesBelowTheVersionOrAlways) {
  ExpectedFailure x;
  x.reason = "r";
  EXPECT_TRUE(ExpectedFailureApplies(x, "6.1.0"));
  x.kernel_below = "6.1";
  EXPECT_TRUE(ExpectedFailureApplies(x, "5.10.0"));
  EXPECT_FALSE(ExpectedFailureApplies(x, "6.1.0"));
}

}  // namespace
}  // namespace faultline
