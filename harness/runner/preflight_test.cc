#include "harness/runner/preflight.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(RootlessWireError, NamesWhoWhyAndWhatToDo) {
  Status st = RootlessWireError("uid 1000 (gid 1000)", Status::Failed("iptables-restore: exit 4"));
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_EQ(st.message(),
            "running rootless (as uid 1000 (gid 1000)), the wire's NFQUEUE rule cannot be "
            "installed from the user namespace: iptables-restore: exit 4\n(iptables-legacy needs "
            "/run/xtables.lock, which only root may create: use iptables-nft, Debian's default; "
            "the xt_NFQUEUE and nf_tables modules must already be loaded, since a user namespace "
            "cannot load modules) -- or run as root");
}

// The probe hands the installer a fresh namespace and turns its failure into
// RootlessWireError. Making a network namespace needs CAP_SYS_ADMIN: without
// it the test has nothing to check.
TEST(CheckRootlessWire, InstallerGetsANamespaceAndItsErrorIsExplained) {
  int seen_fd = -1;
  Status ok = CheckRootlessWire([&](int fd) {
    seen_fd = fd;
    return Status();
  });
  if (!ok.ok() && seen_fd < 0) GTEST_SKIP() << "no network namespace here: " << ok.message();
  EXPECT_TRUE(ok.ok()) << ok.message();
  EXPECT_GE(seen_fd, 0);
  Status bad = CheckRootlessWire([](int) { return Status::Failed("no nf_tables"); });
  EXPECT_EQ(bad.code(), StatusCode::kUnsupported);
  EXPECT_NE(bad.message().find("user namespace: no nf_tables\n"), std::string::npos)
      << bad.message();
}

}  // namespace
}  // namespace faultline
