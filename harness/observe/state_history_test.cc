#include "harness/observe/state_history.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include "harness/observe/state_trace.h"

namespace faultline {
namespace {

StateTransition T(int64_t at, uint64_t sk, uint16_t lport, uint16_t rport, int from, int to) {
  StateTransition t;
  t.at_ns = at;
  t.sk = sk;
  t.family = AF_INET;
  t.laddr = "198.18.1.2";
  t.raddr = lport == 0 && rport == 0 ? "0.0.0.0" : "198.18.2.2";
  t.lport = lport;
  t.rport = rport;
  t.old_state = from;
  t.new_state = to;
  return t;
}

TEST(StateHistory, MatchesBySocketIdentityAndTuple) {
  std::vector<StateTransition> all = {
      T(1, 0xa, 0, 8080, TCP_CLOSE, TCP_SYN_SENT),  // no local port yet
      T(2, 0xa, 40000, 8080, TCP_SYN_SENT, TCP_ESTABLISHED),
      T(3, 0xb, 40001, 8080, TCP_CLOSE, TCP_SYN_SENT),
      T(4, 0xa, 40000, 8080, TCP_ESTABLISHED, TCP_FIN_WAIT1),
      T(5, 0xa, 0, 8080, TCP_FIN_WAIT1, TCP_CLOSE),
      // the same memory, another socket
      T(6, 0xa, 40002, 8080, TCP_CLOSE, TCP_SYN_SENT),
  };
  HistoryKey k;
  k.raddr = "198.18.2.2";
  k.rport = 8080;
  k.lport = 40000;
  std::vector<StateTransition> m = MatchHistory(all, k);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].at_ns, 1);
  EXPECT_EQ(m[3].at_ns, 5);
  EXPECT_EQ(StatePath(m),
            (std::vector<int>{TCP_SYN_SENT, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_CLOSE}));
  // The other end of the connection.
  HistoryKey r;
  r.laddr = "198.18.1.2";
  r.lport = 40001;
  r.raddr = "198.18.2.2";
  r.rport = 8080;
  r.reverse = true;
  EXPECT_TRUE(MatchHistory(all, r).empty());
  r.reverse = false;
  EXPECT_EQ(MatchHistory(all, r).size(), 1u);
  HistoryKey p;
  p.by_port = true;
  p.port = 8080;
  EXPECT_EQ(MatchHistory(all, p).size(), all.size());
}

// A socket closed into TIME_WAIT (the tracer's reading of X -> CLOSE) and
// its memory reused: the reuse starts a new life although the first never
// reached CLOSE; a transition that does not continue the last state (a
// lost event) does too.
TEST(StateHistory, LivesSplitWhereTransitionsDoNotChain) {
  std::vector<StateTransition> all = {
      T(1, 0xa, 40000, 8080, TCP_ESTABLISHED, TCP_FIN_WAIT1),
      T(2, 0xa, 40000, 8080, TCP_FIN_WAIT1, TCP_TIME_WAIT),
      T(3, 0xa, 0, 8080, TCP_CLOSE, TCP_SYN_SENT),
      T(4, 0xa, 40000, 8080, TCP_SYN_SENT, TCP_ESTABLISHED),
      T(5, 0xa, 40000, 8080, TCP_FIN_WAIT2, TCP_TIME_WAIT),  // ESTABLISHED -> FIN_WAIT1 -> .. lost
  };
  HistoryKey k;
  k.raddr = "198.18.2.2";
  k.rport = 8080;
  k.lport = 40000;
  std::vector<std::vector<StateTransition>> lives = MatchLives(all, k);
  ASSERT_EQ(lives.size(), 3u);
  EXPECT_EQ(lives[0].size(), 2u);
  EXPECT_EQ(StatePath(lives[1]), (std::vector<int>{TCP_SYN_SENT, TCP_ESTABLISHED}));
  EXPECT_EQ(StatePath(lives[2]), (std::vector<int>{TCP_FIN_WAIT2, TCP_TIME_WAIT}));
}

TEST(StateHistory, InStateDuringAWindow) {
  std::vector<StateTransition> ts = {
      T(10, 1, 4, 5, TCP_ESTABLISHED, TCP_FIN_WAIT1),
      T(20, 1, 4, 5, TCP_FIN_WAIT1, TCP_CLOSING),
      T(21, 1, 4, 5, TCP_CLOSING, TCP_TIME_WAIT),
  };
  EXPECT_TRUE(InStateDuring(ts, {TCP_CLOSING}, 0, 100));    // entered in the window
  EXPECT_TRUE(InStateDuring(ts, {TCP_CLOSING}, 20, 20));    // in it at the window's start
  EXPECT_FALSE(InStateDuring(ts, {TCP_CLOSING}, 21, 100));  // left before
  EXPECT_FALSE(InStateDuring(ts, {TCP_CLOSING}, 0, 19));    // entered after
  EXPECT_TRUE(InStateDuring(ts, {TCP_FIN_WAIT1}, 15, 16));  // all along
}

TEST(StateHistory, MemoryHistoryUpTo) {
  MemoryStateHistory h;
  h.Add(T(10, 1, 4, 5, TCP_ESTABLISHED, TCP_FIN_WAIT1));
  h.Add(T(20, 1, 4, 5, TCP_FIN_WAIT1, TCP_FIN_WAIT2));
  EXPECT_EQ(h.Transitions(15).size(), 1u);
  EXPECT_EQ(h.Transitions(20).size(), 2u);
}

// The kernel's close into a time-wait socket reads as entering TIME_WAIT.
TEST(StateTrace, DecodesEventsAndTimeWait) {
  TraceOffsets o;
  o.daddr = 0;
  o.rcv_saddr = 4;
  o.dport = 12;
  o.num = 14;
  o.family = 16;
  o.v6_daddr = 24;
  o.v6_rcv_saddr = 40;
  o.common_len = 56;
  o.sock_done = 1;
  std::vector<uint8_t> ev(TraceEventSize(o));
  auto put = [&](uint32_t off, auto v) { std::memcpy(ev.data() + off, &v, sizeof v); };
  put(kEvTime, uint64_t{123});
  put(kEvSk, uint64_t{0xffff1});
  put(kEvInum, uint32_t{4026531840u});
  put(kEvOld, uint32_t{TCP_CLOSING});
  put(kEvNew, uint32_t{TCP_CLOSE});
  put(kEvErr, int32_t{0});
  put(kEvCommon + 0, inet_addr("198.18.2.2"));
  put(kEvCommon + 4, inet_addr("198.18.1.2"));
  put(kEvCommon + 12, htons(8080));
  put(kEvCommon + 14, uint16_t{40000});
  put(kEvCommon + 16, uint16_t{AF_INET});
  uint32_t inum = 0;
  StateTransition t;
  ASSERT_TRUE(DecodeStateEvent(o, ev.data(), ev.size(), &inum, &t));
  EXPECT_EQ(inum, 4026531840u);
  EXPECT_EQ(t.ToString(), "198.18.1.2:40000 > 198.18.2.2:8080 CLOSING -> TIME_WAIT");
  EXPECT_EQ(t.at_ns, 123);
  // With an error (a reset): a real close.
  put(kEvErr, int32_t{104});
  ASSERT_TRUE(DecodeStateEvent(o, ev.data(), ev.size(), &inum, &t));
  EXPECT_EQ(t.new_state, TCP_CLOSE);
  // FIN_WAIT2 before the peer's FIN: the time-wait socket stays FIN_WAIT2.
  put(kEvErr, int32_t{0});
  put(kEvOld, uint32_t{TCP_FIN_WAIT2});
  EXPECT_FALSE(DecodeStateEvent(o, ev.data(), ev.size(), &inum, &t));
  put(kEvFlags, uint64_t{2});  // SOCK_DONE: the FIN came
  ASSERT_TRUE(DecodeStateEvent(o, ev.data(), ev.size(), &inum, &t));
  EXPECT_EQ(t.new_state, TCP_TIME_WAIT);
  EXPECT_FALSE(DecodeStateEvent(o, ev.data(), 20, &inum, &t));  // short
}

}  // namespace
}  // namespace faultline
