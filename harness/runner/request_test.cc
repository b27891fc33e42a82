#include "harness/runner/request.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "harness/common/pattern.h"
#include "harness/runner/expect_check.h"

namespace faultline {
namespace {

std::optional<std::string> Resolve(const std::string& host, Family f) {
  if (host != "server") return std::nullopt;
  return f == Family::kIPv4 ? "198.18.2.2" : "2001:2:0:2::2";
}

TEST(BuildRequest, ResolvesHostEndpointPerFamily) {
  CallStep s;
  s.host = "client";
  s.call.op = Op::kConnect;
  s.call.as = "c";
  s.call.endpoint = Endpoint{Endpoint::Kind::kHost, "server", "", 8080};
  auto v4 = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->addr, "198.18.2.2");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_EQ(v4->family, AF_INET);
  auto v6 = BuildRequest(s, Family::kIPv6, Resolve);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->addr, "2001:2:0:2::2");
  EXPECT_EQ(v6->family, AF_INET6);
}

TEST(BuildRequest, UnknownHostIsAnError) {
  CallStep s;
  s.call.op = Op::kConnect;
  s.call.endpoint = Endpoint{Endpoint::Kind::kHost, "nowhere", "", 1};
  auto r = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "'nowhere' is not a host of this lab");
}

TEST(BuildRequest, MapsNamesToNumbers) {
  CallStep s;
  s.call.op = Op::kSetsockopt;
  s.call.opt = SockOpt::kTcpNodelay;
  s.call.opt_value = 1;
  auto r = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->level, IPPROTO_TCP);
  EXPECT_EQ(r->optname, TCP_NODELAY);

  CallStep p;
  p.call.op = Op::kPoll;
  p.call.events = {"in", "rdhup"};
  p.call.timeout = std::chrono::milliseconds(5);
  auto pr = BuildRequest(p, Family::kIPv4, Resolve);
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->events, POLLIN | POLLRDHUP);
  EXPECT_EQ(pr->timeout_ns, 5'000'000);

  CallStep r2;
  r2.call.op = Op::kRecv;
  r2.call.flags = {"MSG_PEEK", "MSG_DONTWAIT"};
  auto rr = BuildRequest(r2, Family::kIPv4, Resolve);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->flags, MSG_PEEK | MSG_DONTWAIT);

  CallStep s2;  // packetdrill scripts' send flags (issue 16)
  s2.call.op = Op::kSend;
  s2.call.flags = {"MSG_FASTOPEN", "MSG_EOR"};
  auto sr = BuildRequest(s2, Family::kIPv4, Resolve);
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr->flags, MSG_FASTOPEN | MSG_EOR);
  r2.call.flags = {"MSG_TRUNC"};
  rr = BuildRequest(r2, Family::kIPv4, Resolve);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->flags, MSG_TRUNC);
  s2.call.flags = {"MSG_ZEROCOPY"};
  sr = BuildRequest(s2, Family::kIPv4, Resolve);
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr->flags, MSG_ZEROCOPY);
}

TEST(BuildRequest, Issue16SocketOptionsLevelAndName) {
  struct Want {
    SockOpt opt;
    int level, name;
  };
  for (const Want& w : {Want{SockOpt::kIpFreebind, IPPROTO_IP, IP_FREEBIND},
                        Want{SockOpt::kSoZerocopy, SOL_SOCKET, SO_ZEROCOPY},
                        Want{SockOpt::kSoTimestamping, SOL_SOCKET, SO_TIMESTAMPING}}) {
    CallStep s;
    s.call.op = Op::kSetsockopt;
    s.call.opt = w.opt;
    s.call.opt_value = 1;
    auto r = BuildRequest(s, Family::kIPv4, Resolve);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->level, w.level) << SockOptName(w.opt);
    EXPECT_EQ(r->optname, w.name) << SockOptName(w.opt);
  }
}

TEST(BuildRequest, Issue20ClosedNameOobFlagAndOobinline) {
  CallStep s;
  s.call.op = Op::kRecv;
  s.call.fd = "c";
  s.call.fd_closed = true;
  s.call.flags = {"MSG_OOB"};
  auto r = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fd_closed);
  EXPECT_EQ(r->fd, "c");
  EXPECT_EQ(r->flags, MSG_OOB);
  CallStep o;
  o.call.op = Op::kSetsockopt;
  o.call.opt = SockOpt::kSoOobinline;
  o.call.opt_value = 1;
  auto ro = BuildRequest(o, Family::kIPv6, Resolve);
  ASSERT_TRUE(ro.ok());
  EXPECT_FALSE(ro->fd_closed);
  EXPECT_EQ(ro->level, SOL_SOCKET);
  EXPECT_EQ(ro->optname, SO_OOBINLINE);
}

TEST(BuildRequest, DataTravelsSizeDoesNot) {
  CallStep s;
  s.call.op = Op::kSend;
  s.call.data = std::string("hi\0there", 8);
  auto r = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data.size(), 8u);
  EXPECT_EQ(r->size, 8);

  CallStep big;
  big.call.op = Op::kWrite;
  big.call.size = 10'000'000;
  auto b = BuildRequest(big, Family::kIPv4, Resolve);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->data.empty());
  EXPECT_EQ(b->size, 10'000'000);
}

TEST(PatternBytes, Repeats) {
  EXPECT_EQ(PatternBytes(3), "abc");
  EXPECT_EQ(PatternBytes(38).substr(34), "89ab");
  EXPECT_EQ(PatternBytes(0), "");
}

TEST(BuildRequest, SyscallFieldsOfIssue16) {
  CallStep s;
  s.host = "client";
  s.call.op = Op::kEpollCtl;
  s.call.fd = "ep";
  s.call.epoll_op = "mod";
  s.call.epoll_target = "c";
  s.call.events = {"in", "rdhup", "et", "oneshot"};
  auto ctl = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(ctl.ok());
  EXPECT_EQ(ctl->epoll_op, EPOLL_CTL_MOD);
  EXPECT_EQ(ctl->target, "c");
  EXPECT_EQ(ctl->epoll_events, uint32_t{EPOLLIN | EPOLLRDHUP | EPOLLET | EPOLLONESHOT});
  EXPECT_EQ(ctl->events, 0);  // not poll's

  s.call = SocketCall{};
  s.call.op = Op::kFcntl;
  s.call.fd = "c";
  s.call.fcntl_cmd = "setfl";
  s.call.fcntl_flags = {"nonblock"};
  auto setfl = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(setfl.ok());
  EXPECT_EQ(setfl->fcntl_cmd, F_SETFL);
  EXPECT_TRUE(setfl->nonblock);
  s.call.fcntl_cmd = "getfl";
  s.call.fcntl_flags.clear();
  EXPECT_EQ(BuildRequest(s, Family::kIPv4, Resolve)->fcntl_cmd, F_GETFL);

  s.call = SocketCall{};
  s.call.op = Op::kIoctl;
  s.call.ioctl_request = "SIOCOUTQ";
  EXPECT_EQ(BuildRequest(s, Family::kIPv6, Resolve)->ioctl_request, SIOCOUTQ);
  s.call.ioctl_request = "FIONREAD";
  EXPECT_EQ(BuildRequest(s, Family::kIPv6, Resolve)->ioctl_request, FIONREAD);

  s.call = SocketCall{};
  s.call.op = Op::kWritev;
  s.call.iov = {10, 20};
  s.call.size = 30;
  auto wv = BuildRequest(s, Family::kIPv4, Resolve);
  EXPECT_EQ(wv->iov, (std::vector<int64_t>{10, 20}));
  EXPECT_TRUE(wv->data.empty());

  s.call = SocketCall{};
  s.call.op = Op::kEpollWait;
  s.call.epoll_max = 8;
  s.call.timeout = std::chrono::milliseconds(100);
  auto w = BuildRequest(s, Family::kIPv4, Resolve);
  EXPECT_EQ(w->epoll_max, 8);
  EXPECT_EQ(w->timeout_ns, 100'000'000);

  s.call = SocketCall{};
  s.call.op = Op::kSetsockopt;
  s.call.opt = SockOpt::kSoRcvtimeo;
  s.call.opt_value = 250000;
  auto o = BuildRequest(s, Family::kIPv6, Resolve);
  EXPECT_EQ(o->level, SOL_SOCKET);
  EXPECT_EQ(o->optname, SO_RCVTIMEO);
  EXPECT_EQ(o->opt_value, 250000);
}

// recvmsg passes a control buffer only when the step expects cmsgs;
// MSG_ERRQUEUE and SO_MARK map to their numbers.
TEST(BuildRequest, ControlBufferOnlyWithCmsgs) {
  CallStep s;
  s.call.op = Op::kRecvmsg;
  s.call.flags = {"MSG_ERRQUEUE"};
  auto plain = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->control);
  EXPECT_EQ(plain->flags, MSG_ERRQUEUE);
  s.expect.cmsgs = std::vector<CmsgFields>{};
  auto with = BuildRequest(s, Family::kIPv4, Resolve);
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE(with->control);
  CallStep m;
  m.call.op = Op::kSetsockopt;
  m.call.opt = SockOpt::kSoMark;
  auto mark = BuildRequest(m, Family::kIPv4, Resolve);
  ASSERT_TRUE(mark.ok());
  EXPECT_EQ(mark->level, SOL_SOCKET);
  EXPECT_EQ(mark->optname, SO_MARK);
}

// Case::batch_calls: the peer goes on after a call of a run exactly when
// the step's own check passes, for every return-value expectation.
TEST(SetGoOn, GoesOnExactlyWhenTheStepsCheckPasses) {
  std::vector<Expect> expects(6);
  expects[1].ret_kind = Expect::RetKind::kValue;
  expects[1].ret_value = 1000;
  expects[2].ret_kind = Expect::RetKind::kOk;
  expects[3].ret_kind = Expect::RetKind::kError;
  expects[4].ret_kind = Expect::RetKind::kError;
  expects[4].errnos = {EINPROGRESS};
  expects[5].errnos = {EAGAIN, EWOULDBLOCK};
  std::vector<peer::Reply> replies(5);
  replies[0].ret = 0;
  replies[1].ret = 1000;
  replies[2].ret = 999;
  replies[3].ret = -1;
  replies[3].err = EINPROGRESS;
  replies[4].ret = -1;
  replies[4].err = EAGAIN;
  for (size_t i = 0; i < expects.size(); ++i) {
    for (bool has_expect : {false, true}) {
      CallStep step;
      step.call.op = Op::kWrite;
      step.expect = expects[i];
      step.has_expect = has_expect;
      peer::Request req;
      ASSERT_TRUE(SetGoOn(step, &req));
      for (const peer::Reply& r : replies) {
        EXPECT_EQ(peer::GoesOn(req, r), CheckReply(step, r).ok())
            << "expect " << i << " has_expect " << has_expect << " ret " << r.ret;
      }
    }
  }
}

TEST(SetGoOn, AStepCheckingMoreThanItsReturnEndsItsRun) {
  CallStep step;
  step.call.op = Op::kRead;
  step.has_expect = true;
  step.expect.ret_kind = Expect::RetKind::kValue;
  step.expect.ret_value = 5;
  step.expect.data = "hello";
  peer::Request req;
  EXPECT_FALSE(SetGoOn(step, &req));
  EXPECT_EQ(req.go_on, peer::Request::GoOn::kAny);
  step.expect.data.reset();
  step.expect.took = DurationRange{Duration(0), Duration(1000)};
  EXPECT_FALSE(SetGoOn(step, &req));
  step.expect.took.reset();
  step.expect.value = 1;
  EXPECT_FALSE(SetGoOn(step, &req));
}

}  // namespace
}  // namespace faultline
