#include "injectors/queue_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline {
namespace {

using ::testing::HasSubstr;

TEST(QueueRulesText, QueuesEveryForwardedPacketWithoutBypass) {
  const std::string t = QueueRulesText(0);
  EXPECT_THAT(t, HasSubstr("*filter\n"));
  EXPECT_THAT(t, HasSubstr("-A FORWARD -j NFQUEUE --queue-num 0\n"));
  EXPECT_THAT(t, HasSubstr("COMMIT\n"));
  EXPECT_EQ(t.find("bypass"), std::string::npos);
}

// RunInNetns with netns -1 stays in the caller's namespace: it is the plain
// fork/exec/pipe plumbing.
TEST(RunInNetns, FeedsStdinAndCollectsOutput) {
  std::string out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/cat", {}, "rules\n", &out);
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(*rc, 0);
  EXPECT_EQ(out, "rules\n");
}

TEST(RunInNetns, LargeInputDoesNotDeadlock) {
  std::string in(1 << 20, 'x'), out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/cat", {}, in, &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(out.size(), in.size());
}

TEST(RunInNetns, ReportsExitStatusAndMissingBinary) {
  std::string out;
  StatusOr<int> rc = RunInNetns(-1, "/bin/sh", {"-c", "echo oops >&2; exit 3"}, "", &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 3);
  EXPECT_EQ(out, "oops\n");
  rc = RunInNetns(-1, "/nonexistent/iptables-restore", {}, "x", &out);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 127);
}

}  // namespace
}  // namespace faultline
