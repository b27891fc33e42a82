// The issue-16 calls of the peer (writev/readv, sendmsg/recvmsg, fcntl,
// ioctl, epoll, timeval and per-family options) on local socket pairs and
// unconnected sockets: no network traffic, no privileges.
#include "harness/peer/socket_calls.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness/common/pattern.h"

namespace faultline::peer {
namespace {

class SocketCallsTest : public ::testing::Test {
 protected:
  void Pair(int type) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_TRUE(fds_.Reserve("a").ok());
    ASSERT_TRUE(fds_.Reserve("b").ok());
    fds_.Fill("a", sv[0]);
    fds_.Fill("b", sv[1]);
  }
  void TearDown() override {
    for (const char* n : {"a", "b", "ep", "s"}) {
      if (StatusOr<int> fd = fds_.Take(n); fd.ok()) close(*fd);
    }
  }
  Reply Run(Request r) {
    r.id = ++id_;
    return Execute(r, &fds_);
  }
  static std::string Data(const Reply& r) { return std::string(r.data.begin(), r.data.end()); }

  FdTable fds_;
  uint64_t id_ = 0;
};

TEST_F(SocketCallsTest, WritevSendsPatternBytesInIovSizesAndReadvFillsEach) {
  Pair(SOCK_STREAM);
  Request w;
  w.op = Op::kWritev;
  w.fd = "a";
  w.iov = {3, 0, 5};
  Reply wr = Run(w);
  ASSERT_EQ(wr.harness_error, "");
  EXPECT_EQ(wr.ret, 8);
  EXPECT_EQ(wr.bytes, 8);
  Request rd;
  rd.op = Op::kReadv;
  rd.fd = "b";
  rd.iov = {4, 10};
  Reply rr = Run(rd);
  EXPECT_EQ(rr.ret, 8);
  EXPECT_EQ(rr.bytes, 8);
  EXPECT_EQ(Data(rr), PatternBytes(8));
}

TEST_F(SocketCallsTest, WritevSplitsDataAndRefusesIovLongerThanIt) {
  Pair(SOCK_STREAM);
  Request w;
  w.op = Op::kWritev;
  w.fd = "a";
  w.data = {'a', 'b', 'c'};
  w.iov = {1, 1, 1};
  EXPECT_EQ(Run(w).ret, 3);
  w.iov = {2, 2};
  Reply bad = Run(w);
  EXPECT_EQ(bad.ret, -1);
  EXPECT_EQ(bad.harness_error, "iov sizes add up to more than the 3 bytes to send");
}

// Each iov element of a writev/sendmsg is a buffer of its own, as in
// packetdrill: no element ends where the next begins (MSG_ZEROCOPY would
// coalesce them into one page fragment), and the bytes are the payload's.
TEST(SplitIovTest, ElementsAreSeparateBuffersHoldingThePayloadInOrder) {
  std::string spaced;
  StatusOr<std::vector<iovec>> iov = SplitIov({1, 1, 0, 3}, "abcde", &spaced);
  ASSERT_TRUE(iov.ok()) << iov.status().message();
  ASSERT_EQ(iov->size(), 4u);
  std::string joined;
  for (size_t i = 0; i < iov->size(); ++i) {
    joined.append(static_cast<const char*>((*iov)[i].iov_base), (*iov)[i].iov_len);
    if (i == 0) continue;
    const char* prev_end = static_cast<const char*>((*iov)[i - 1].iov_base) + (*iov)[i - 1].iov_len;
    EXPECT_NE(prev_end, (*iov)[i].iov_base) << "element " << i << " continues the one before";
  }
  EXPECT_EQ(joined, "abcde");
  StatusOr<std::vector<iovec>> whole = SplitIov({}, "abc", &spaced);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->size(), 1u);
  EXPECT_EQ((*whole)[0].iov_len, 3u);
  EXPECT_EQ(SplitIov({2, 2}, "abc", &spaced).status().message(),
            "iov sizes add up to more than the 3 bytes to send");
}

TEST_F(SocketCallsTest, RecvmsgReportsMsgTrunc) {
  Pair(SOCK_DGRAM);
  Request s;
  s.op = Op::kSendmsg;
  s.fd = "a";
  s.data = {'h', 'e', 'l', 'l', 'o'};
  Reply sr = Run(s);
  EXPECT_EQ(sr.ret, 5);
  EXPECT_EQ(sr.bytes, 5);
  Request r;
  r.op = Op::kRecvmsg;
  r.fd = "b";
  r.size = 2;
  Reply rr = Run(r);
  EXPECT_EQ(rr.ret, 2);
  EXPECT_EQ(Data(rr), "he");
  EXPECT_EQ(rr.msg_flags & MSG_TRUNC, MSG_TRUNC);
}

TEST_F(SocketCallsTest, FcntlGetflAndSetflNonblock) {
  Pair(SOCK_STREAM);
  Request g;
  g.op = Op::kFcntl;
  g.fd = "a";
  g.fcntl_cmd = F_GETFL;
  Reply before = Run(g);
  EXPECT_EQ(before.value & O_NONBLOCK, 0);
  EXPECT_EQ(before.value & O_ACCMODE, O_RDWR);
  Request set = g;
  set.fcntl_cmd = F_SETFL;
  set.nonblock = true;
  EXPECT_EQ(Run(set).ret, 0);
  EXPECT_EQ(Run(g).value, before.value | O_NONBLOCK);
  set.nonblock = false;
  EXPECT_EQ(Run(set).ret, 0);
  EXPECT_EQ(Run(g).value, before.value);
  Request other = g;
  other.fcntl_cmd = F_GETFD;
  EXPECT_EQ(Run(other).harness_error, "fcntl command 1 is not supported (F_GETFL, F_SETFL)");
}

TEST_F(SocketCallsTest, IoctlReadsQueuedBytes) {
  Pair(SOCK_STREAM);
  Request w;
  w.op = Op::kWrite;
  w.fd = "a";
  w.size = 7;
  ASSERT_EQ(Run(w).ret, 7);
  Request q;
  q.op = Op::kIoctl;
  q.fd = "b";
  for (int req : {SIOCINQ, FIONREAD}) {
    q.ioctl_request = req;
    Reply r = Run(q);
    EXPECT_EQ(r.ret, 0);
    EXPECT_EQ(r.value, 7);
  }
  q.ioctl_request = 0x8912;  // SIOCGIFCONF: not an int-reading request
  EXPECT_EQ(Run(q).harness_error,
            "ioctl request 0x8912 is not supported (SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONREAD)");
}

TEST_F(SocketCallsTest, EpollReadyListNamesTheFds) {
  Pair(SOCK_STREAM);
  Request c;
  c.op = Op::kEpollCreate;
  c.as = "ep";
  ASSERT_GE(Run(c).ret, 0);
  Request add;
  add.op = Op::kEpollCtl;
  add.fd = "ep";
  add.epoll_op = EPOLL_CTL_ADD;
  add.target = "b";
  add.epoll_events = EPOLLIN | EPOLLET;
  ASSERT_EQ(Run(add).ret, 0);
  Request wait;
  wait.op = Op::kEpollWait;
  wait.fd = "ep";
  wait.epoll_max = 4;
  wait.timeout_ns = 0;
  EXPECT_EQ(Run(wait).ret, 0);
  Request w;
  w.op = Op::kWrite;
  w.fd = "a";
  w.size = 1;
  ASSERT_EQ(Run(w).ret, 1);
  wait.timeout_ns = 5'000'000'000;
  Reply r = Run(wait);
  EXPECT_EQ(r.ret, 1);
  EXPECT_EQ(r.epoll_fds, std::vector<std::string>{"b"});
  EXPECT_EQ(r.epoll_events, std::vector<uint32_t>{EPOLLIN});
  Request del = add;
  del.epoll_op = EPOLL_CTL_DEL;
  EXPECT_EQ(Run(del).ret, 0);
  Request again = del;
  Reply gone = Run(again);
  EXPECT_EQ(gone.ret, -1);
  EXPECT_EQ(gone.err, ENOENT);
  add.target = "nosuch";
  EXPECT_EQ(Run(add).harness_error, "no socket named 'nosuch' on this host");
}

TEST_F(SocketCallsTest, TimeoutOptionsAreMicroseconds) {
  Pair(SOCK_STREAM);
  Request s;
  s.op = Op::kSetsockopt;
  s.fd = "a";
  s.level = SOL_SOCKET;
  s.optname = SO_RCVTIMEO;
  s.opt_value = 1'500'000;
  EXPECT_EQ(Run(s).ret, 0);
  Request g = s;
  g.op = Op::kGetsockopt;
  Reply r = Run(g);
  EXPECT_EQ(r.ret, 0);
  EXPECT_EQ(r.value, 1'500'000);
}

// getsockopt(TCP_INFO) answers for a socket sock_diag does not list (never
// bound or connected): the whole struct, as the kernel filled it.
TEST_F(SocketCallsTest, TcpInfoOfAnUnconnectedSocketIsTheWholeStruct) {
  Request sock;
  sock.op = Op::kSocket;
  sock.as = "s";
  sock.family = AF_INET;
  ASSERT_GE(Run(sock).ret, 0);
  Request g;
  g.op = Op::kGetsockopt;
  g.fd = "s";
  g.level = IPPROTO_TCP;
  g.optname = TCP_INFO;
  Reply r = Run(g);
  ASSERT_EQ(r.ret, 0) << r.err;
  tcp_info want{};
  socklen_t len = sizeof want;
  ASSERT_EQ(getsockopt(*fds_.Lookup("s"), IPPROTO_TCP, TCP_INFO, &want, &len), 0);
  EXPECT_GE(r.data.size(), std::min<size_t>(len, sizeof want));
  ASSERT_GE(r.data.size(), 1u);
  EXPECT_EQ(r.data[0], TCP_CLOSE);  // tcpi_state
  g.fd = "nope";
  EXPECT_NE(Run(g).harness_error, "");
}

TEST_F(SocketCallsTest, IpTosOnAnIpv6SocketIsTheTrafficClass) {
  Request sock;
  sock.op = Op::kSocket;
  sock.as = "s";
  sock.family = AF_INET6;
  ASSERT_GE(Run(sock).ret, 0);
  Request s;
  s.op = Op::kSetsockopt;
  s.fd = "s";
  s.level = IPPROTO_IP;
  s.optname = IP_TOS;
  s.opt_value = 0x28;
  EXPECT_EQ(Run(s).ret, 0);
  int tclass = 0;
  socklen_t len = sizeof tclass;
  ASSERT_EQ(getsockopt(*fds_.Lookup("s"), IPPROTO_IPV6, IPV6_TCLASS, &tclass, &len), 0);
  EXPECT_EQ(tclass, 0x28);
  Request g = s;
  g.op = Op::kGetsockopt;
  EXPECT_EQ(Run(g).value, 0x28);
}

TEST_F(SocketCallsTest, InvalidBufferFailsWithEfaultAndLeavesQueuedBytes) {
  Pair(SOCK_STREAM);
  for (Op op : {Op::kWrite, Op::kSend, Op::kSendto}) {
    Request w;
    w.op = op;
    w.fd = "a";
    w.size = 1000;
    w.bad_buffer = true;
    Reply r = Run(w);
    EXPECT_EQ(r.harness_error, "") << OpName(op);
    EXPECT_EQ(r.ret, -1) << OpName(op);
    EXPECT_EQ(r.err, EFAULT) << OpName(op);
  }
  Request w;
  w.op = Op::kSend;
  w.fd = "a";
  w.data = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_EQ(Run(w).ret, 5);
  for (Op op : {Op::kRead, Op::kRecv, Op::kRecvfrom}) {
    Request rd;
    rd.op = op;
    rd.fd = "b";
    rd.size = 100;
    rd.bad_buffer = true;
    Reply r = Run(rd);
    EXPECT_EQ(r.ret, -1) << OpName(op);
    EXPECT_EQ(r.err, EFAULT) << OpName(op);
  }
  Request rd;
  rd.op = Op::kRecv;
  rd.fd = "b";
  rd.size = 100;
  Reply r = Run(rd);
  EXPECT_EQ(r.ret, 5);
  EXPECT_EQ(Data(r), "hello");
}

TEST_F(SocketCallsTest, SendtoAfUnspecFastOpenIsNotSupported) {
  for (int family : {AF_INET, AF_INET6}) {
    Request sock;
    sock.op = Op::kSocket;
    sock.as = "s";
    sock.family = family;
    sock.nonblock = true;
    ASSERT_GE(Run(sock).ret, 0);
    Request t;
    t.op = Op::kSendto;
    t.fd = "s";
    t.family = family;
    t.size = 1;
    t.flags = MSG_FASTOPEN;
    t.to_unspec = true;
    Reply r = Run(t);
    EXPECT_EQ(r.harness_error, "");
    EXPECT_EQ(r.ret, -1) << family;
    EXPECT_EQ(r.err, EOPNOTSUPP) << family;
    close(*fds_.Take("s"));
  }
}

// Issue 20: getsockname / getpeername fill the reply's address; no packet
// is sent (a UDP connect only sets the default destination).
TEST_F(SocketCallsTest, GetsocknameAndGetpeernameReturnTheAddresses) {
  Request sock;
  sock.op = Op::kSocket;
  sock.as = "s";
  sock.family = AF_INET;
  sock.udp = true;
  ASSERT_GE(Run(sock).ret, 0);
  Request peer;
  peer.op = Op::kGetpeername;
  peer.fd = "s";
  Reply unconnected = Run(peer);
  EXPECT_EQ(unconnected.harness_error, "");
  EXPECT_EQ(unconnected.ret, -1);
  EXPECT_EQ(unconnected.err, ENOTCONN);
  Request bind;
  bind.op = Op::kBind;
  bind.fd = "s";
  bind.addr = "127.0.0.1";
  ASSERT_EQ(Run(bind).ret, 0);
  Request conn;
  conn.op = Op::kConnect;
  conn.fd = "s";
  conn.addr = "127.0.0.1";
  conn.port = 9;
  ASSERT_EQ(Run(conn).ret, 0);
  Request name;
  name.op = Op::kGetsockname;
  name.fd = "s";
  Reply own = Run(name);
  EXPECT_EQ(own.ret, 0);
  EXPECT_EQ(own.local_addr, "127.0.0.1");
  EXPECT_NE(own.local_port, 0);
  EXPECT_EQ(own.remote_addr, "");
  Reply other = Run(peer);
  EXPECT_EQ(other.ret, 0);
  EXPECT_EQ(other.remote_addr, "127.0.0.1");
  EXPECT_EQ(other.remote_port, 9);
  EXPECT_EQ(other.local_addr, "");
}

// A closed name is kNeverOpenFd: EBADF (poll: POLLNVAL), and the sockets
// the peer holds, whatever their numbers, are left alone.
TEST_F(SocketCallsTest, ClosedNameFailsWithEbadfAndTouchesNoOpenFd) {
  Pair(SOCK_STREAM);
  for (Op op : {Op::kClose, Op::kSend, Op::kRecv, Op::kGetsockname, Op::kGetpeername, Op::kShutdown,
                Op::kAccept}) {
    Request r;
    r.op = op;
    r.fd = "a";  // a name the table holds: fd_closed wins
    r.as = op == Op::kAccept ? "s" : "";
    r.fd_closed = true;
    r.size = 1;
    r.data = {'x'};
    r.how = SHUT_RDWR;
    Reply rep = Run(r);
    EXPECT_EQ(rep.harness_error, "") << OpName(op);
    EXPECT_EQ(rep.ret, -1) << OpName(op);
    EXPECT_EQ(rep.err, EBADF) << OpName(op);
  }
  Request p;
  p.op = Op::kPoll;
  p.fd = "gone";
  p.fd_closed = true;
  p.events = POLLIN;
  Reply pr = Run(p);
  EXPECT_EQ(pr.ret, 1);
  EXPECT_EQ(pr.revents, POLLNVAL);
  // "a" is still open and still connected to "b".
  Request send;
  send.op = Op::kSend;
  send.fd = "a";
  send.data = {'o', 'k'};
  send.size = 2;
  EXPECT_EQ(Run(send).ret, 2);
  Request recv;
  recv.op = Op::kRecv;
  recv.fd = "b";
  recv.size = 10;
  Reply got = Run(recv);
  EXPECT_EQ(Data(got), "ok");
  StatusOr<int> s = fds_.Lookup("s");
  EXPECT_FALSE(s.ok());  // the failed accept released its name
}

}  // namespace
}  // namespace faultline::peer
