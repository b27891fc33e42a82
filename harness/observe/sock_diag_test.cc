#include "harness/observe/sock_diag.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "harness/model/observe.h"

namespace faultline {
namespace {

// A golden SOCK_DIAG_BY_FAMILY reply built byte by byte: what the kernel
// sends for 198.18.1.2:40000 > 198.18.2.2:8080 with an INET_DIAG_INFO.
std::vector<char> Reply(int family, uint8_t state, bool with_info, size_t info_len) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  auto* m = static_cast<inet_diag_msg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_msg)));
  m->idiag_family = static_cast<uint8_t>(family);
  m->idiag_state = state;
  m->id.idiag_sport = htons(40000);
  m->id.idiag_dport = htons(8080);
  if (family == AF_INET) {
    inet_pton(AF_INET, "198.18.1.2", m->id.idiag_src);
    inet_pton(AF_INET, "198.18.2.2", m->id.idiag_dst);
  } else {
    inet_pton(AF_INET6, "2001:2:0:1::2", m->id.idiag_src);
    inet_pton(AF_INET6, "2001:2:0:2::2", m->id.idiag_dst);
  }
  m->idiag_rqueue = 3;
  m->idiag_wqueue = 7;
  m->idiag_inode = 1234;
  m->id.idiag_cookie[0] = 0x89abcdef;
  m->id.idiag_cookie[1] = 0x01234567;
  if (with_info) {
    tcp_info info{};
    info.tcpi_retransmits = 2;
    info.tcpi_total_retrans = 5;
    info.tcpi_rto = 1'000'000;
    std::vector<char> payload(info_len, 0);
    std::memcpy(payload.data(), &info, std::min(info_len, sizeof info));
    mnl_attr_put(nlh, INET_DIAG_INFO, payload.size(), payload.data());
  }
  buf.resize(nlh->nlmsg_len);
  return buf;
}

TEST(SockDiagParse, Ipv4WithInfo) {
  std::vector<char> b = Reply(AF_INET, 1, true, sizeof(tcp_info));
  StatusOr<DiagSocket> s = ParseDiagMessage(reinterpret_cast<nlmsghdr*>(b.data()));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->family, AF_INET);
  EXPECT_EQ(s->src, "198.18.1.2");
  EXPECT_EQ(s->dst, "198.18.2.2");
  EXPECT_EQ(s->sport, 40000);
  EXPECT_EQ(s->dport, 8080);
  EXPECT_EQ(s->rqueue, 3u);
  EXPECT_EQ(s->wqueue, 7u);
  EXPECT_EQ(s->inode, 1234u);
  EXPECT_EQ(s->cookie, 0x0123456789abcdefULL);
  ASSERT_TRUE(s->has_info);
  EXPECT_EQ(s->info.tcpi_retransmits, 2);
  EXPECT_EQ(s->info.tcpi_total_retrans, 5u);
  EXPECT_EQ(s->info.tcpi_rto, 1'000'000u);
  EXPECT_EQ(s->ToString(), "198.18.1.2:40000 > 198.18.2.2:8080 ESTABLISHED");
}

TEST(SockDiagParse, Ipv6TimeWaitWithoutInfo) {
  std::vector<char> b = Reply(AF_INET6, 6, false, 0);
  StatusOr<DiagSocket> s = ParseDiagMessage(reinterpret_cast<nlmsghdr*>(b.data()));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->src, "2001:2:0:1::2");
  EXPECT_FALSE(s->has_info);
  EXPECT_EQ(s->ToString(), "[2001:2:0:1::2]:40000 > [2001:2:0:2::2]:8080 TIME_WAIT");
}

TEST(SockDiagParse, ShorterInfoFromAnOlderKernelIsZeroFilled) {
  std::vector<char> b = Reply(AF_INET, 1, true, 104);  // tcp_info of kernel 4.x size
  StatusOr<DiagSocket> s = ParseDiagMessage(reinterpret_cast<nlmsghdr*>(b.data()));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->info.tcpi_retransmits, 2);
  EXPECT_EQ(s->info.tcpi_bytes_acked, 0u);
}

TEST(SockDiagParse, RejectsShortAndForeignMessages) {
  std::vector<char> b = Reply(AF_INET, 1, false, 0);
  auto* nlh = reinterpret_cast<nlmsghdr*>(b.data());
  nlh->nlmsg_len = mnl_nlmsg_size(8);
  StatusOr<DiagSocket> s = ParseDiagMessage(nlh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("shorter than an inet_diag_msg"), std::string::npos);
  b = Reply(AF_INET, 1, false, 0);
  nlh = reinterpret_cast<nlmsghdr*>(b.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  EXPECT_FALSE(ParseDiagMessage(nlh).ok());
  b = Reply(AF_INET, 1, false, 0);
  static_cast<inet_diag_msg*>(mnl_nlmsg_get_payload(reinterpret_cast<nlmsghdr*>(b.data())))
      ->idiag_family = AF_UNIX;
  EXPECT_FALSE(ParseDiagMessage(reinterpret_cast<nlmsghdr*>(b.data())).ok());
}

DiagSocket Sock(uint64_t cookie, int state, uint16_t sport) {
  DiagSocket s;
  s.family = AF_INET;
  s.cookie = cookie;
  s.state = state;
  s.src = "198.18.1.2";
  s.dst = "198.18.2.2";
  s.sport = sport;
  s.dport = 5002;
  return s;
}

// A socket connecting during the dump: first seen by the bound-socket walk
// in CLOSE (its peer's address already set), then in SYN_SENT.
TEST(DropDuplicateSockets, KeepsTheLastEntryOfEachSocketInDumpOrder) {
  std::vector<DiagSocket> d = {Sock(7, 7, 5001), Sock(9, 10, 80), Sock(7, 2, 5001),
                               Sock(0, 6, 4000), Sock(0, 6, 4001)};
  DropDuplicateSockets(d);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].ToString(), "198.18.1.2:80 > 198.18.2.2:5002 LISTEN");
  EXPECT_EQ(d[1].ToString(), "198.18.1.2:5001 > 198.18.2.2:5002 SYN_SENT");
  // Entries without a cookie are all kept.
  EXPECT_EQ(d[2].sport, 4000);
  EXPECT_EQ(d[3].sport, 4001);
}

TEST(DropDuplicateSockets, NoCookieMarkerIsNotASocket) {
  const uint64_t none = (uint64_t{INET_DIAG_NOCOOKIE} << 32) | INET_DIAG_NOCOOKIE;
  std::vector<DiagSocket> d = {Sock(none, 6, 1), Sock(none, 6, 2)};
  DropDuplicateSockets(d);
  EXPECT_EQ(d.size(), 2u);
}

TEST(TcpStateNames, KernelNumbering) {
  EXPECT_EQ(TcpStateName(1), "ESTABLISHED");
  EXPECT_EQ(TcpStateName(2), "SYN_SENT");
  EXPECT_EQ(TcpStateName(4), "FIN_WAIT1");
  EXPECT_EQ(TcpStateName(6), "TIME_WAIT");
  EXPECT_EQ(TcpStateName(9), "LAST_ACK");
  EXPECT_EQ(TcpStateName(10), "LISTEN");
  EXPECT_EQ(TcpStateName(11), "CLOSING");
  EXPECT_EQ(TcpStateName(12), "SYN_RECV");  // TCP_NEW_SYN_RECV
  EXPECT_EQ(TcpStateName(0), "UNKNOWN(0)");
  EXPECT_EQ(TcpStateNames().back(), "gone");
}

// Live: a listener and a connection over loopback in a fresh network
// namespace of this thread would need root; the calling thread's own
// namespace is enough to see our own sockets (read-only).
TEST(SockDiagLive, SeesOwnListenerAndConnection) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(l, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 3), 0);
  socklen_t len = sizeof a;
  getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  StatusOr<SockDiag> d = SockDiag::Open(-1);
  ASSERT_TRUE(d.ok()) << d.status().message();
  StatusOr<std::vector<DiagSocket>> dump = d->DumpTcp(AF_INET);
  ASSERT_TRUE(dump.ok()) << dump.status().message();
  bool listener = false, conn = false;
  for (const DiagSocket& s : *dump) {
    if (s.state == 10 && s.sport == ntohs(a.sin_port)) {
      listener = true;
      EXPECT_EQ(s.rqueue, 1u);  // the connection waits in the accept queue
      EXPECT_EQ(s.wqueue, 3u);  // backlog
    }
    if (s.state == 1 && s.dport == ntohs(a.sin_port)) {
      conn = true;
      EXPECT_TRUE(s.has_info);
    }
  }
  EXPECT_TRUE(listener);
  EXPECT_TRUE(conn);
  close(c);
  close(l);
}

}  // namespace
}  // namespace faultline
