#include "harness/common/errno_names.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(ErrnoNames, NamesAndNumbersRoundTrip) {
  for (int e : {EPERM, ENOENT, ENODEV, EAGAIN, EPIPE, EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED,
                ECONNRESET, ETIMEDOUT, EINPROGRESS, EHOSTUNREACH, ENETUNREACH, EMSGSIZE}) {
    std::optional<int> back = ErrnoFromName(ErrnoName(e));
    ASSERT_TRUE(back.has_value()) << ErrnoName(e);
    EXPECT_EQ(*back, e);
  }
}

TEST(ErrnoNames, PrintsTheKernelName) {
  EXPECT_EQ(ErrnoName(ECONNREFUSED), "ECONNREFUSED");
  EXPECT_EQ(ErrnoName(ENODEV), "ENODEV");
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");
}

TEST(ErrnoNames, AliasesAndUnknowns) {
  EXPECT_EQ(ErrnoFromName("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(ErrnoFromName("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(ErrnoFromName("ECONREFUSED"), std::nullopt);
  EXPECT_EQ(ErrnoFromName(""), std::nullopt);
  EXPECT_EQ(ErrnoName(0), "E0");
  EXPECT_EQ(ErrnoName(4000), "E4000");
  EXPECT_EQ(ErrnoName(-3), "E-3");
}

}  // namespace
}  // namespace faultline
