// The peer process and PeerClient, end to end: two peers in an anonymous
// network namespace of the test's own, talking over its loopback.
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "harness/common/clock.h"
#include "harness/common/pattern.h"
#include "harness/common/unique_fd.h"
#include "harness/peer/peer_client.h"
#include "harness/peer/protocol.h"

namespace faultline::peer {
namespace {

// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++: call the syscall.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBound = 5'000 * kMs;  // how long any Wait may take here

// A fresh network namespace with lo up, made on a throwaway thread (setns is
// per thread) so that the test's own threads never leave the host's.
StatusOr<UniqueFd> MakeNetns() {
  Status st;
  UniqueFd out;
  std::thread t([&] {
    UniqueFd self(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!self) {
      st = Status::FromErrno("open own netns", errno);
      return;
    }
    if (unshare(CLONE_NEWNET) != 0) {
      st = Status::FromErrno("unshare(CLONE_NEWNET)", errno);
      return;
    }
    UniqueFd ns(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    if (!ns || !s || ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) {
      st = Status::FromErrno("reading lo flags", errno);
    } else {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) st = Status::FromErrno("bringing lo up", errno);
    }
    if (setns(self.get(), CLONE_NEWNET) != 0) std::abort();  // never leave a thread astray
    out = std::move(ns);
  });
  t.join();
  if (!st.ok()) return st;
  return out;
}

Request Req(Op op, std::string fd = "") {
  Request r;
  r.op = op;
  r.fd = std::move(fd);
  r.family = AF_INET;
  return r;
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Str(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

class PeerTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
    StatusOr<UniqueFd> ns = MakeNetns();
    ASSERT_TRUE(ns.ok()) << ns.status().ToString();
    netns_ = std::move(ns).value();
    auto s = PeerClient::Spawn(FAULTLINE_PEER_HOST_BIN, netns_.get(), "server");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    auto c = PeerClient::Spawn(FAULTLINE_PEER_HOST_BIN, netns_.get(), "client");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
  }

  int family() const { return GetParam(); }
  std::string loopback() const { return family() == AF_INET ? "127.0.0.1" : "::1"; }

  // Sends without waiting; returns the id.
  uint64_t Start(PeerClient& p, Request r) {
    r.id = next_id_++;
    if (r.family == AF_INET) r.family = family();
    Status s = p.Send(r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r.id;
  }
  Reply Finish(PeerClient& p, uint64_t id) {
    StatusOr<Reply> r = p.Wait(id, MonotonicNs() + kBound);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : Reply{};
  }
  Reply Call(PeerClient& p, Request r) { return Finish(p, Start(p, std::move(r))); }

  // server: listen on `port` as "ls"; client: connect as "c"; server: accept as "a".
  void Connect(uint16_t port) {
    Request l = Req(Op::kListen);
    l.as = "ls";
    l.port = port;
    Reply lr = Call(*server_, l);
    ASSERT_EQ(lr.ret, 0) << lr.err << " " << lr.harness_error;
    Request a = Req(Op::kAccept, "ls");
    a.as = "a";
    uint64_t accept_id = Start(*server_, a);
    Request c = Req(Op::kConnect);
    c.as = "c";
    c.addr = loopback();
    c.port = port;
    Reply cr = Call(*client_, c);
    ASSERT_EQ(cr.ret, 0) << cr.err << " " << cr.harness_error;
    Reply ar = Finish(*server_, accept_id);
    ASSERT_GE(ar.ret, 0) << ar.err << " " << ar.harness_error;
  }

  UniqueFd netns_;
  std::unique_ptr<PeerClient> server_, client_;
  uint64_t next_id_ = 1;
};

INSTANTIATE_TEST_SUITE_P(Families, PeerTest, ::testing::Values(AF_INET, AF_INET6),
                         [](const auto& info) { return info.param == AF_INET ? "ipv4" : "ipv6"; });

TEST_P(PeerTest, ConnectSendRecvAndEofAfterClose) {
  Request l = Req(Op::kListen);
  l.as = "ls";
  l.port = 8080;
  Reply lr = Call(*server_, l);
  ASSERT_EQ(lr.ret, 0) << lr.err;
  EXPECT_EQ(lr.local_port, 8080);

  Request a = Req(Op::kAccept, "ls");
  a.as = "a";
  const uint64_t accept_id = Start(*server_, a);

  Request c = Req(Op::kConnect);
  c.as = "c";
  c.addr = loopback();
  c.port = 8080;
  Reply cr = Call(*client_, c);
  ASSERT_EQ(cr.ret, 0) << cr.err;
  EXPECT_EQ(cr.err, 0);
  EXPECT_EQ(cr.remote_addr, loopback());
  EXPECT_EQ(cr.remote_port, 8080);
  EXPECT_EQ(cr.local_addr, loopback());
  EXPECT_NE(cr.local_port, 0);
  EXPECT_GE(cr.end_ns, cr.start_ns);

  Reply ar = Finish(*server_, accept_id);
  ASSERT_GE(ar.ret, 0) << ar.err;
  EXPECT_EQ(ar.remote_addr, loopback());
  EXPECT_EQ(ar.remote_port, cr.local_port);
  EXPECT_EQ(ar.local_port, 8080);

  const std::string msg("hello\0world", 11);
  Request s = Req(Op::kSend, "c");
  s.data = Bytes(msg);
  s.size = static_cast<int64_t>(msg.size());
  Reply sr = Call(*client_, s);
  EXPECT_EQ(sr.ret, 11);
  EXPECT_EQ(sr.bytes, 11);

  Request r = Req(Op::kRecv, "a");
  r.size = 100;
  r.flags = MSG_WAITALL;  // stops at EOF below at the latest
  Reply rr;
  {
    Request r1 = r;
    r1.size = 11;
    rr = Call(*server_, r1);
  }
  EXPECT_EQ(rr.ret, 11);
  EXPECT_EQ(rr.bytes, 11);
  EXPECT_EQ(Str(rr.data), msg);

  Reply close_r = Call(*client_, Req(Op::kClose, "c"));
  EXPECT_EQ(close_r.ret, 0);
  Reply eof = Call(*server_, r);
  EXPECT_EQ(eof.ret, 0);
  EXPECT_EQ(eof.err, 0);
  EXPECT_TRUE(eof.data.empty());

  // The name is gone after close.
  Reply again = Call(*client_, Req(Op::kClose, "c"));
  EXPECT_EQ(again.harness_error, "no socket named 'c' on this host");
}

TEST_P(PeerTest, ConnectToClosedPortIsRefusedAndTheSocketStaysNamed) {
  Request c = Req(Op::kConnect);
  c.as = "c";
  c.addr = loopback();
  c.port = 9;
  Reply cr = Call(*client_, c);
  EXPECT_EQ(cr.ret, -1);
  EXPECT_EQ(cr.err, ECONNREFUSED);
  EXPECT_TRUE(cr.harness_error.empty());
  Reply close_r = Call(*client_, Req(Op::kClose, "c"));
  EXPECT_EQ(close_r.ret, 0);
  EXPECT_TRUE(close_r.harness_error.empty()) << close_r.harness_error;
}

TEST_P(PeerTest, AsyncReplyComesAfterALaterSyncOne) {
  Request l = Req(Op::kListen);
  l.as = "ls";
  l.port = 8081;
  ASSERT_EQ(Call(*server_, l).ret, 0);
  Request a = Req(Op::kAccept, "ls");
  a.as = "a";
  const uint64_t accept_id = Start(*server_, a);

  // A later call on the same peer finishes while accept still blocks.
  Request g = Req(Op::kGetsockopt, "ls");
  g.level = SOL_SOCKET;
  g.optname = SO_ACCEPTCONN;
  Reply gr = Call(*server_, g);
  EXPECT_EQ(gr.ret, 0);
  EXPECT_EQ(gr.value, 1);
  EXPECT_FALSE(server_->HasReply(accept_id));
  StatusOr<Reply> early = server_->Wait(accept_id, MonotonicNs() + 50 * kMs);
  EXPECT_EQ(early.status().code(), StatusCode::kTimeout);

  Request c = Req(Op::kConnect);
  c.as = "c";
  c.addr = loopback();
  c.port = 8081;
  ASSERT_EQ(Call(*client_, c).ret, 0);
  Reply ar = Finish(*server_, accept_id);
  EXPECT_GE(ar.ret, 0);
  EXPECT_EQ(ar.id, accept_id);
}

TEST_P(PeerTest, RecvUntilStopsAtDelimiterEofOrSize) {
  ASSERT_NO_FATAL_FAILURE(Connect(8082));
  Request ru = Req(Op::kRecv, "a");
  ru.size = 100;
  ru.until = "\n";
  const uint64_t until_id = Start(*server_, ru);

  Request s1 = Req(Op::kSend, "c");
  s1.data = Bytes("abc");
  ASSERT_EQ(Call(*client_, s1).ret, 3);
  Request s2 = Req(Op::kSend, "c");
  s2.data = Bytes("de\n");
  ASSERT_EQ(Call(*client_, s2).ret, 3);
  Reply ur = Finish(*server_, until_id);
  EXPECT_EQ(ur.ret, 6);
  EXPECT_EQ(ur.bytes, 6);
  EXPECT_EQ(Str(ur.data), "abcde\n");

  // Size bound.
  Request s3 = Req(Op::kSend, "c");
  s3.data = Bytes("0123456789");
  ASSERT_EQ(Call(*client_, s3).ret, 10);
  Request small = ru;
  small.size = 4;
  Reply sr = Call(*server_, small);
  EXPECT_EQ(Str(sr.data), "0123");

  // EOF before the delimiter: what arrived.
  ASSERT_EQ(Call(*client_, Req(Op::kClose, "c")).ret, 0);
  Reply er = Call(*server_, ru);
  EXPECT_EQ(er.ret, 6);
  EXPECT_EQ(Str(er.data), "456789");
}

TEST_P(PeerTest, RecvUntilNeverConsumesPastTheDelimiter) {
  ASSERT_NO_FATAL_FAILURE(Connect(8086));
  Request s = Req(Op::kSend, "c");
  s.data = Bytes("one\ntwo\nthr");
  ASSERT_EQ(Call(*client_, s).ret, 11);
  Request ru = Req(Op::kRecv, "a");
  ru.size = 100;
  ru.until = "\n";
  EXPECT_EQ(Str(Call(*server_, ru).data), "one\n");
  EXPECT_EQ(Str(Call(*server_, ru).data), "two\n");
  // The rest of a message that is split across sends.
  const uint64_t id = Start(*server_, ru);
  Request s2 = Req(Op::kSend, "c");
  s2.data = Bytes("ee\nfour");
  ASSERT_EQ(Call(*client_, s2).ret, 7);
  EXPECT_EQ(Str(Finish(*server_, id).data), "three\n");
  Request plain = Req(Op::kRecv, "a");
  plain.size = 100;
  EXPECT_EQ(Str(Call(*server_, plain).data), "four");
}

TEST_P(PeerTest, SendOfSizeSendsPatternBytes) {
  ASSERT_NO_FATAL_FAILURE(Connect(8083));
  Request s = Req(Op::kSend, "c");
  s.size = 5000;
  Reply sr = Call(*client_, s);
  EXPECT_EQ(sr.ret, 5000);
  Request w = Req(Op::kWrite, "c");
  w.size = 100;
  EXPECT_EQ(Call(*client_, w).ret, 100);
  Request sf = Req(Op::kSendfile, "c");
  sf.size = 70000;
  Reply sfr = Call(*client_, sf);
  EXPECT_EQ(sfr.ret, 70000);
  EXPECT_EQ(sfr.bytes, 70000);

  Request r = Req(Op::kRecv, "a");
  r.size = 5000;
  r.flags = MSG_WAITALL;
  Reply rr = Call(*server_, r);
  EXPECT_EQ(rr.ret, 5000);
  EXPECT_EQ(Str(rr.data), PatternBytes(5000));
  r.size = 100;
  EXPECT_EQ(Str(Call(*server_, r).data), PatternBytes(100));
  r.size = 70000;
  Reply big = Call(*server_, r);
  EXPECT_EQ(big.ret, 70000);
  EXPECT_EQ(big.bytes, 70000);
  ASSERT_EQ(big.data.size(), kMaxReplyData);  // the reply carries a prefix
  EXPECT_EQ(Str(big.data), PatternBytes(70000).substr(0, kMaxReplyData));
}

TEST_P(PeerTest, BlockingRecvTookSpansADelayedSend) {
  ASSERT_NO_FATAL_FAILURE(Connect(8084));
  Request r = Req(Op::kRecv, "a");
  r.size = 10;
  const uint64_t recv_id = Start(*server_, r);
  Request sleep = Req(Op::kSleep);
  sleep.timeout_ns = 300 * kMs;
  Reply slept = Call(*client_, sleep);
  EXPECT_EQ(slept.ret, 0);
  const int64_t slept_ns = slept.end_ns - slept.start_ns;
  EXPECT_GE(slept_ns, 300 * kMs);
  EXPECT_LE(slept_ns, 1'000 * kMs);
  Request s = Req(Op::kSend, "c");
  s.data = Bytes("x");
  Reply sr = Call(*client_, s);
  ASSERT_EQ(sr.ret, 1);
  Reply rr = Finish(*server_, recv_id);
  EXPECT_EQ(rr.ret, 1);
  // The recv thread starts on its own schedule, at most a little after the
  // client's sleep began; it cannot return before the send.
  const int64_t took = rr.end_ns - rr.start_ns;
  EXPECT_GE(rr.end_ns, sr.start_ns);
  EXPECT_GE(took, sr.start_ns - rr.start_ns);
  EXPECT_GE(took, 150 * kMs);
  EXPECT_LE(took, 2'000 * kMs);
}

TEST_P(PeerTest, PollTimesOutThenSeesData) {
  ASSERT_NO_FATAL_FAILURE(Connect(8085));
  Request p = Req(Op::kPoll, "a");
  p.events = POLLIN;
  p.timeout_ns = 50 * kMs + 1;  // rounded up to 51 ms
  Reply pr = Call(*server_, p);
  EXPECT_EQ(pr.ret, 0);
  EXPECT_EQ(pr.revents, 0);
  EXPECT_GE(pr.end_ns - pr.start_ns, 51 * kMs);
  Request s = Req(Op::kSend, "c");
  s.data = Bytes("x");
  ASSERT_EQ(Call(*client_, s).ret, 1);
  Reply pr2 = Call(*server_, p);
  EXPECT_EQ(pr2.ret, 1);
  EXPECT_EQ(pr2.revents, POLLIN);
}

TEST_P(PeerTest, UdpSendtoRecvfromReportTheSource) {
  Request srv = Req(Op::kSocket);
  srv.udp = true;
  srv.as = "u";
  ASSERT_GE(Call(*server_, srv).ret, 0);
  Request b = Req(Op::kBind, "u");
  b.addr = loopback();
  b.port = 5353;
  Reply br = Call(*server_, b);
  ASSERT_EQ(br.ret, 0) << br.err;
  EXPECT_EQ(br.local_port, 5353);

  Request cl = Req(Op::kSocket);
  cl.udp = true;
  cl.as = "u";
  ASSERT_GE(Call(*client_, cl).ret, 0);
  Request st = Req(Op::kSendto, "u");
  st.addr = loopback();
  st.port = 5353;
  st.data = Bytes("ping");
  Reply str = Call(*client_, st);
  EXPECT_EQ(str.ret, 4);
  EXPECT_NE(str.local_port, 0);

  Request rf = Req(Op::kRecvfrom, "u");
  rf.size = 100;
  Reply rfr = Call(*server_, rf);
  EXPECT_EQ(rfr.ret, 4);
  EXPECT_EQ(Str(rfr.data), "ping");
  EXPECT_EQ(rfr.remote_addr, loopback());
  EXPECT_EQ(rfr.remote_port, str.local_port);

  // A datagram of `size` pattern bytes; a smaller buffer truncates it.
  st.data.clear();
  st.size = 300;
  EXPECT_EQ(Call(*client_, st).ret, 300);
  Reply big = Call(*server_, rf);
  EXPECT_EQ(big.ret, 100);
  EXPECT_EQ(Str(big.data), PatternBytes(100));
}

TEST_P(PeerTest, CallsRunConcurrently) {
  // 20 sleeps of 200 ms on one peer finish together, not one after another.
  std::vector<uint64_t> ids;
  Request sleep = Req(Op::kSleep);
  sleep.timeout_ns = 200 * kMs;
  const int64_t t0 = MonotonicNs();
  for (int i = 0; i < 20; ++i) ids.push_back(Start(*client_, sleep));
  for (uint64_t id : ids) EXPECT_EQ(Finish(*client_, id).ret, 0);
  const int64_t all = MonotonicNs() - t0;
  EXPECT_GE(all, 200 * kMs);
  EXPECT_LE(all, 2'000 * kMs);
}

// The peer's threads, by tid (/proc/PID/task).
std::set<std::string> Tasks(pid_t pid) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

TEST_P(PeerTest, WorkersStayForLaterCalls) {
  // Five calls at once grow the peer's pool of workers; a second burst and
  // 50 calls in a row then run on those threads: none started, none ended.
  Request sleep = Req(Op::kSleep);
  sleep.timeout_ns = 50 * kMs;
  auto burst = [&] {
    std::vector<uint64_t> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(Start(*client_, sleep));
    for (uint64_t id : ids) EXPECT_EQ(Finish(*client_, id).ret, 0);
  };
  burst();
  const std::set<std::string> tasks = Tasks(client_->pid());
  EXPECT_GE(tasks.size(), 6u);  // five workers, one more waiting, the command reaper
  burst();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(Call(*client_, Req(Op::kSleep)).ret, 0);
  EXPECT_EQ(Tasks(client_->pid()), tasks);
}

TEST_P(PeerTest, SocketOptionsAndNonblock) {
  ASSERT_NO_FATAL_FAILURE(Connect(8086));
  Request set = Req(Op::kSetsockopt, "c");
  set.level = SOL_SOCKET;
  set.optname = SO_LINGER;
  set.linger_on = true;
  set.opt_value = 7;
  EXPECT_EQ(Call(*client_, set).ret, 0);
  Request get = Req(Op::kGetsockopt, "c");
  get.level = SOL_SOCKET;
  get.optname = SO_LINGER;
  EXPECT_EQ(Call(*client_, get).value, 7);
  set.linger_on = false;
  EXPECT_EQ(Call(*client_, set).ret, 0);
  EXPECT_EQ(Call(*client_, get).value, -1);

  Request nodelay = Req(Op::kSetsockopt, "c");
  nodelay.level = IPPROTO_TCP;
  nodelay.optname = TCP_NODELAY;
  nodelay.opt_value = 1;
  EXPECT_EQ(Call(*client_, nodelay).ret, 0);
  Request getnd = Req(Op::kGetsockopt, "c");
  getnd.level = IPPROTO_TCP;
  getnd.optname = TCP_NODELAY;
  EXPECT_EQ(Call(*client_, getnd).value, 1);

  Request cc = Req(Op::kGetsockopt, "c");
  cc.level = IPPROTO_TCP;
  cc.optname = TCP_CONGESTION;
  Reply ccr = Call(*client_, cc);
  EXPECT_EQ(ccr.ret, 0);
  EXPECT_FALSE(ccr.data.empty());

  Request nb = Req(Op::kNonblock, "a");
  nb.nonblock = true;
  EXPECT_EQ(Call(*server_, nb).ret, 0);
  Request r = Req(Op::kRecv, "a");
  r.size = 10;
  Reply rr = Call(*server_, r);
  EXPECT_EQ(rr.ret, -1);
  EXPECT_EQ(rr.err, EAGAIN);

  Request d = Req(Op::kDup, "a");
  d.as = "a2";
  Reply dr = Call(*server_, d);
  EXPECT_GE(dr.ret, 0);
  EXPECT_EQ(dr.local_port, 8086);
  Request sh = Req(Op::kShutdown, "a2");
  sh.how = SHUT_WR;
  EXPECT_EQ(Call(*server_, sh).ret, 0);
  Request cr = Req(Op::kRecv, "c");
  cr.size = 10;
  EXPECT_EQ(Call(*client_, cr).ret, 0);  // EOF from the shutdown

  // write to a reset connection gives EPIPE, not a dead peer.
  set.linger_on = true;
  set.opt_value = 0;
  set.fd = "a";
  EXPECT_EQ(Call(*server_, set).ret, 0);
  ASSERT_EQ(Call(*server_, Req(Op::kClose, "a")).ret, 0);
  ASSERT_EQ(Call(*server_, Req(Op::kClose, "a2")).ret, 0);  // RST goes out now
  Request w = Req(Op::kWrite, "c");
  w.data = Bytes("x");
  Reply wr = Call(*client_, w);
  if (wr.ret == 1) wr = Call(*client_, w);  // the first write may race the RST
  EXPECT_EQ(wr.ret, -1);
  EXPECT_TRUE(wr.err == EPIPE || wr.err == ECONNRESET) << wr.err;
}

TEST_P(PeerTest, NameErrorsAreHarnessErrors) {
  Request s = Req(Op::kSend, "nope");
  s.data = Bytes("x");
  Reply r = Call(*client_, s);
  EXPECT_EQ(r.harness_error, "no socket named 'nope' on this host");
  EXPECT_EQ(r.ret, -1);

  Request sock = Req(Op::kSocket);
  sock.as = "c";
  ASSERT_GE(Call(*client_, sock).ret, 0);
  Reply dup = Call(*client_, sock);
  EXPECT_EQ(dup.harness_error, "name 'c' is already in use on this host");

  Request bad = Req(Op::kConnect, "c");
  bad.addr = "not-an-address";
  EXPECT_NE(Call(*client_, bad).harness_error.find("not a numeric"), std::string::npos);
}

// Issue 16 part D: a batch runs its members back to back, answers each
// with its own id, and runs none after one that does not go on.
TEST_P(PeerTest, BatchAnswersEachMemberAndStopsAfterOneThatDoesNotGoOn) {
  Request a = Req(Op::kSocket);
  a.as = "b1";
  a.go_on = Request::GoOn::kSuccess;
  Request bad = Req(Op::kClose, "nope");  // a harness error: never goes on
  bad.go_on = Request::GoOn::kSuccess;
  Request b = Req(Op::kSocket);
  b.as = "b2";
  Request batch;
  batch.id = next_id_++;
  for (Request* m : {&a, &bad, &b}) {
    m->id = next_id_++;
    m->family = family();
    batch.batch.push_back(*m);
  }
  ASSERT_TRUE(client_->Send(batch).ok());
  Reply first = Finish(*client_, a.id);
  EXPECT_GE(first.ret, 0);
  Reply second = Finish(*client_, bad.id);
  EXPECT_EQ(second.harness_error, "no socket named 'nope' on this host");
  EXPECT_LE(first.end_ns, second.start_ns);
  // The third never ran: its name is free, and the first one's is taken.
  Request again = Req(Op::kSocket);
  again.as = "b2";
  EXPECT_GE(Call(*client_, again).ret, 0);
  again.as = "b1";
  EXPECT_EQ(Call(*client_, again).harness_error, "name 'b1' is already in use on this host");
  EXPECT_FALSE(client_->HasReply(b.id));
}

TEST_P(PeerTest, KilledPeerMakesWaitReturnSystemError) {
  Request l = Req(Op::kListen);
  l.as = "ls";
  l.port = 8087;
  ASSERT_EQ(Call(*server_, l).ret, 0);
  Request a = Req(Op::kAccept, "ls");
  a.as = "a";
  const uint64_t id = Start(*server_, a);
  ASSERT_EQ(kill(server_->pid(), SIGKILL), 0);
  StatusOr<Reply> r = server_->Wait(id, MonotonicNs() + kBound);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kSystem);
  EXPECT_NE(r.status().message().find("exited"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("killed by signal 9"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("peer 'server'"), std::string::npos);
  // Later sends report the same.
  EXPECT_EQ(server_->Send(Req(Op::kSleep)).code(), StatusCode::kSystem);
}

TEST_P(PeerTest, DestroyingTheClientLeavesNoProcess) {
  // A call blocked in the peer does not keep it alive.
  Request l = Req(Op::kListen);
  l.as = "ls";
  l.port = 8088;
  ASSERT_EQ(Call(*server_, l).ret, 0);
  Request a = Req(Op::kAccept, "ls");
  a.as = "a";
  Start(*server_, a);
  const pid_t pid = server_->pid();
  ASSERT_EQ(kill(pid, 0), 0);
  server_.reset();
  errno = 0;
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_P(PeerTest, SignalKillEndsThePeerAndKillReapsIt) {
  // Both signalled first (LabEnv::Teardown's order), then reaped.
  const pid_t c = client_->pid(), s = server_->pid();
  client_->SignalKill();
  server_->SignalKill();
  client_->Kill();
  server_->Kill();
  for (pid_t pid : {c, s}) {
    errno = 0;
    EXPECT_EQ(kill(pid, 0), -1) << pid;
    EXPECT_EQ(errno, ESRCH) << pid;
  }
  client_->SignalKill();  // reaped: signals nothing, and a call says the peer is gone
  Status sent = client_->Send(Req(Op::kSocket));
  EXPECT_FALSE(sent.ok());
}

TEST_P(PeerTest, SpawnReportsAFailedExec) {
  auto p = PeerClient::Spawn("/nonexistent/faultline", netns_.get(), "x");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("execve"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("ENOENT"), std::string::npos) << p.status().message();
}

// EOF on the control socket makes the peer exit by itself, even with a call
// blocked. Started by hand here, since PeerClient always kills its peer.
TEST(PeerProcess, ExitsOnControlSocketEof) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
  StatusOr<UniqueFd> ns = MakeNetns();
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd mine(sv[0]), theirs(sv[1]);
  const char* bin = FAULTLINE_PEER_HOST_BIN;
  char* const argv[] = {const_cast<char*>(bin), nullptr};
  const int netns_fd = ns->get();
  const int child_end = theirs.get();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setns(netns_fd, CLONE_NEWNET) != 0) _exit(120);
    if (dup2(child_end, 3) != 3) _exit(121);
    execve(bin, argv, environ);
    _exit(122);
  }
  theirs.reset();
  UniqueFd pidfd(PidfdOpen(pid));
  ASSERT_TRUE(pidfd.valid());

  Request l = Req(Op::kListen);
  l.id = 1;
  l.as = "ls";
  l.port = 8089;
  std::vector<uint8_t> msg = Encode(l);
  ASSERT_EQ(send(mine.get(), msg.data(), msg.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(msg.size()));
  std::vector<uint8_t> buf(kMaxMessageBytes);
  pollfd rp{mine.get(), POLLIN, 0};
  ASSERT_EQ(poll(&rp, 1, static_cast<int>(kBound / kMs)), 1);
  ssize_t n = recv(mine.get(), buf.data(), buf.size(), 0);
  ASSERT_GT(n, 0);
  StatusOr<Reply> lr = DecodeReply(buf.data(), static_cast<size_t>(n));
  ASSERT_TRUE(lr.ok());
  EXPECT_EQ(lr->ret, 0);
  Request a = Req(Op::kAccept, "ls");
  a.id = 2;
  a.as = "a";
  msg = Encode(a);
  ASSERT_EQ(send(mine.get(), msg.data(), msg.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(msg.size()));

  mine.reset();
  pollfd pp{pidfd.get(), POLLIN, 0};
  const bool exited = poll(&pp, 1, static_cast<int>(kBound / kMs)) == 1;
  if (!exited) kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace faultline::peer
