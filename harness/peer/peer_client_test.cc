#include "harness/peer/peer_client.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"

namespace faultline::peer {
namespace {

namespace fs = std::filesystem;

class PeerExecutableTest : public faultline::testing::ScratchDirTest {
 protected:
  void MakeFile(const std::string& rel, fs::perms perms) {
    std::ofstream(P(rel)) << "#!/bin/sh\n";
    fs::permissions(P(rel), perms);
  }
};

TEST_F(PeerExecutableTest, TheSmallPeerBesideFaultlineIsPreferred) {
  MakeFile("faultline", fs::perms::owner_all);
  MakeFile("faultline-peer", fs::perms::owner_all);
  EXPECT_EQ(PeerExecutable(P("faultline")), P("faultline-peer"));
}

TEST_F(PeerExecutableTest, WithoutItFaultlineItselfIsThePeer) {
  MakeFile("faultline", fs::perms::owner_all);
  EXPECT_EQ(PeerExecutable(P("faultline")), P("faultline"));
  // Not executable: not a peer either.
  MakeFile("faultline-peer", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(PeerExecutable(P("faultline")), P("faultline"));
  // A name without a directory is left as it is.
  EXPECT_EQ(PeerExecutable("faultline"), "faultline");
}

}  // namespace
}  // namespace faultline::peer
