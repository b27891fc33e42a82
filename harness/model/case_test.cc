#include "harness/model/case.h"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

TEST(SockOptFromName, EveryNameRoundTrips) {
  ASSERT_FALSE(SockOptNames().empty());
  for (const std::string& name : SockOptNames()) {
    std::optional<SockOpt> o = SockOptFromName(name);
    ASSERT_TRUE(o.has_value()) << name;
    EXPECT_EQ(SockOptName(*o), name);
  }
}

TEST(SockOptFromName, KnowsTheIssue16OptionsAndNothingElse) {
  EXPECT_EQ(SockOptFromName("IP_TOS"), SockOpt::kIpTos);
  EXPECT_EQ(SockOptFromName("SO_SNDTIMEO"), SockOpt::kSoSndtimeo);
  EXPECT_EQ(SockOptFromName("IP_FREEBIND"), SockOpt::kIpFreebind);
  EXPECT_EQ(SockOptFromName("SO_ZEROCOPY"), SockOpt::kSoZerocopy);
  EXPECT_EQ(SockOptFromName("SO_TIMESTAMPING"), SockOpt::kSoTimestamping);
  EXPECT_EQ(SockOptFromName("TCP_INFO"), std::nullopt);
  EXPECT_EQ(SockOptFromName("so_reuseaddr"), std::nullopt);
  EXPECT_EQ(SockOptFromName(""), std::nullopt);
}

}  // namespace
}  // namespace faultline
