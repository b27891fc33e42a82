#include "harness/observe/socket_match.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

namespace faultline {
namespace {

DiagSocket S(int state, std::string src, uint16_t sp, std::string dst, uint16_t dp) {
  DiagSocket s;
  s.family = AF_INET;
  s.state = state;
  s.src = std::move(src);
  s.sport = sp;
  s.dst = std::move(dst);
  s.dport = dp;
  return s;
}

// The server's namespace: a listener, an accepted connection, a request
// socket and a time-wait socket of an earlier connection.
const std::vector<DiagSocket> kServer = {
    S(10, "0.0.0.0", 8080, "0.0.0.0", 0),
    S(1, "198.18.2.2", 8080, "198.18.1.2", 40001),
    S(12, "198.18.2.2", 8080, "198.18.1.2", 40002),
    S(6, "198.18.2.2", 8080, "198.18.1.2", 40000),
};

TEST(FindSocket, ListenerByPort) {
  SockTuple t{"0.0.0.0", 8080, "", 0, true};
  StatusOr<const DiagSocket*> s = FindSocket(kServer, t, false);
  ASSERT_TRUE(s.ok());
  ASSERT_NE(*s, nullptr);
  EXPECT_EQ((*s)->state, 10);
}

TEST(FindSocket, OtherEndOfAClientSocket) {
  SockTuple client{"198.18.1.2", 40002, "198.18.2.2", 8080, false};
  StatusOr<const DiagSocket*> s = FindSocket(kServer, client, true);
  ASSERT_TRUE(s.ok());
  ASSERT_NE(*s, nullptr);
  EXPECT_EQ((*s)->state, 12);
  client.lport = 40000;
  s = FindSocket(kServer, client, true);
  EXPECT_EQ((*s)->state, 6);
  client.lport = 49999;
  s = FindSocket(kServer, client, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, nullptr);  // gone
  client.lport = 0;
  EXPECT_FALSE(FindSocket(kServer, client, true).ok());
}

TEST(FindSocket, ConnectingSocketByRemoteOnlyUsesClaimedPorts) {
  const std::vector<DiagSocket> client = {
      S(1, "198.18.1.2", 40001, "198.18.2.2", 8080),
      S(2, "198.18.1.2", 40002, "198.18.2.2", 8080),
  };
  SockTuple c3{"", 0, "198.18.2.2", 8080, false};
  StatusOr<const DiagSocket*> s = FindSocket(client, c3, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("2 sockets match"), std::string::npos);
  s = FindSocket(client, c3, false, {40001});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->state, 2);
}

TEST(FindSocket, UnconnectedSocketIsAnError) {
  SockTuple t;
  EXPECT_FALSE(FindSocket(kServer, t, false).ok());
}

}  // namespace
}  // namespace faultline
