#include "harness/lab/sysctl.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(SysctlPath, DotsBecomeSlashes) {
  StatusOr<std::string> p = SysctlPath("net.ipv4.tcp_syn_retries");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "/proc/sys/net/ipv4/tcp_syn_retries");
  p = SysctlPath("net.ipv6.conf.eth0.accept_dad");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "/proc/sys/net/ipv6/conf/eth0/accept_dad");
}

TEST(SysctlPath, OnlyNetKeys) {
  StatusOr<std::string> p = SysctlPath("kernel.hostname");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(p.status().message().find("only net.* keys"), std::string::npos);
  EXPECT_FALSE(SysctlPath("netx.foo").ok());
  EXPECT_FALSE(SysctlPath("net").ok());
}

TEST(SysctlPath, RejectsTraversalAndEmptyComponents) {
  for (const char* bad : {"net..ipv4", "net.ipv4.", "net./etc", "net.ipv4/../x", "net.a b"}) {
    StatusOr<std::string> p = SysctlPath(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput) << bad;
    }
  }
}

// A key that does not exist: open fails with ENOENT before anything is
// written, so this is safe in the test process's own namespace.
TEST(WriteSysctl, MissingKeyIsInvalidInput) {
  Status st = WriteSysctl("net.ipv4.faultline_no_such_key", "1");
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(),
            "sysctl net.ipv4.faultline_no_such_key does not exist in a network namespace on this "
            "kernel");
}

TEST(ReadSysctl, ReadsWithoutNewline) {
  StatusOr<std::string> v = ReadSysctl("net.ipv4.ip_forward");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(*v == "0" || *v == "1") << *v;
}

}  // namespace
}  // namespace faultline
