#include "harness/peer/sock_addr.h"

#include <netinet/in.h>

#include <gtest/gtest.h>

namespace faultline::peer {
namespace {

void RoundTrip(const std::string& addr, uint16_t port, int family, const std::string& want_addr,
               int want_family) {
  StatusOr<SockAddr> sa = MakeSockAddr(addr, port, family);
  ASSERT_TRUE(sa.ok()) << sa.status().ToString();
  EXPECT_EQ(sa->family(), want_family);
  std::string text;
  uint16_t p = 1;
  FormatSockAddr(sa->get(), sa->len, &text, &p);
  EXPECT_EQ(text, want_addr);
  EXPECT_EQ(p, port);
}

TEST(SockAddr, LiteralsPickTheirOwnFamily) {
  RoundTrip("198.18.2.2", 8080, AF_INET6, "198.18.2.2", AF_INET);
  RoundTrip("2001:2:0:2::2", 443, AF_INET, "2001:2:0:2::2", AF_INET6);
  RoundTrip("::1", 0, AF_INET, "::1", AF_INET6);
}

TEST(SockAddr, EmptyIsTheWildcardOfTheFamily) {
  RoundTrip("", 8080, AF_INET, "0.0.0.0", AF_INET);
  RoundTrip("", 8080, AF_INET6, "::", AF_INET6);
  StatusOr<SockAddr> none = MakeSockAddr("", 1, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidInput);
}

TEST(SockAddr, NamesAndGarbageAreInvalid) {
  for (const char* bad : {"server", "198.18.2", "[::1]", "1.2.3.4:80", "::g"}) {
    StatusOr<SockAddr> sa = MakeSockAddr(bad, 80, AF_INET);
    ASSERT_FALSE(sa.ok()) << bad;
    EXPECT_NE(sa.status().message().find(bad), std::string::npos);
  }
}

TEST(SockAddr, OtherFamiliesFormatEmpty) {
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  std::string text = "x";
  uint16_t port = 9;
  FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), sizeof ss, &text, &port);
  EXPECT_EQ(text, "");
  EXPECT_EQ(port, 0);
}

}  // namespace
}  // namespace faultline::peer
