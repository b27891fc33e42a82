// The loader on valid input: every construct of the format lands in the
// right field of the model, with defaults and source locations.
#include "harness/loader/case_loader.h"

#include <sys/socket.h>

#include <cerrno>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// 1-based line and column of the first occurrence of `needle` in `text`.
SourceLoc Pos(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  if (at == std::string::npos) return {};
  int line = 1;
  size_t bol = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      bol = i + 1;
    }
  }
  return SourceLoc{"full.yaml", line, static_cast<int>(at - bol) + 1};
}

const std::string kFull = R"(# A case that uses every construct of the format.
name: fin-lost
description: what happens when the FIN is lost
tags: [teardown, fin-loss, rfc9293]
family: [ipv4, ipv6]
timeout: 30s
seed: 42
hosts:
  client:
    sysctl:
      net.ipv4.tcp_syn_retries: 2
      net.ipv4.tcp_fin_timeout: "5"
    mtu: 1400
  server: {}
  relay:
faults:
  - match: {from: client, to: server, tcp: FIN, nth: 1}
    do: drop
  - match: {from: server, proto: tcp, tcp: [PSH, DATA], length: [1, 100], seq: 1, ack: [0, 10], first: 3, window: [0s, 5s], probability: 0.5}
    do: delay
    delay: 200ms
  - match: {proto: udp, every: 2}
    do: reorder
    count: 3
    order: [2, 3, 1]
  - match: {after: 0}
    do: reorder
    count: 4
  - match: {to: client}
    do: duplicate
    copies: 2
  - match: {tcp: SYN-ACK}
    do: hold
    until: {step: go}
    then: drop
  - match: {tcp: ACK}
    do: hold
    until: {after: 1.5s}
  - match: {tcp: RST}
    do: inject-rst
    toward: client
  - match: {}
    do: rate-limit
    rate: 10
    per: 100ms
  - {match: {proto: icmp}, do: swap}
  - {match: {}, do: corrupt}
  - {match: {}, do: duplicate}
steps:
  - server: listen 8080
  - server: {accept: ls, as: s, async: true}
  - client: {connect: "server:8080", as: c, nonblock: false}
  - await: s
    label: go
  - client: {send: c, data: "hello", flags: [MSG_NOSIGNAL, MSG_MORE], expect: {bytes: 5, took: "<= 50ms"}}
  - server: {recv: s, size: 10, flags: [MSG_WAITALL], until: "\n", expect: {data: "hello", bytes: [1, 5]}}
  - server: {write: s, size: 1000}
  - client: {read: c, size: 1000, expect: {ret: 1000}}
  - client: {socket: udp, as: u, nonblock: true}
  - client: {bind: u, addr: "client:5000"}
  - client: {sendto: u, to: "relay:53", size: 10}
  - relay: {socket: udp, as: r}
  - relay: {recvfrom: r, expect: {ret: error, errno: [EAGAIN, EINTR]}}
  - client: {shutdown: c, how: wr}
  - client: {dup: c, as: d}
  - client: {setsockopt: d, opt: SO_LINGER, value: {onoff: true, linger: 0}}
  - client: {setsockopt: d, opt: TCP_CONGESTION, value: reno}
  - client: {setsockopt: d, opt: TCP_USER_TIMEOUT, value: 1.5s}
  - client: {setsockopt: d, opt: TCP_KEEPCNT, value: 3}
  - client: {setsockopt: d, opt: TCP_NODELAY, value: true}
  - client: {getsockopt: d, opt: SO_ERROR, expect: {value: 0}}
  - client: {nonblock: d, value: false}
  - client: {poll: d, events: [in, rdhup], timeout: 2s, expect: {ret: 1, revents: [in, hup]}}
  - client: sleep 100ms
  - client: {sendfile: c, size: 4096, expect: {ret: ok}}
  - client: close d
    label: closed
  - client: {socket: tcp, as: d}
  - client:
      connect: d
      to: "server:8080"
      expect: {ret: error, errno: ECONNREFUSED, took: [1ms, 2s]}
  - server: {socket: tcp, as: l2}
  - server: {bind: l2, addr: "any:9000"}
  - server: {listen: l2, backlog: 5}
  - client: {recv: c, async: true, id: r2}
  - await: r2
  - client: {nonblock: c}
  - server: {listen: 7070, as: ls2, expect: {took: "> 1ms"}}
  - client: {setsockopt: c, opt: TCP_USER_TIMEOUT, value: 250}
  - client: {getsockopt: c, opt: SO_LINGER, expect: {value: false}}
  - client: {read: c}
  - client: {recv: c, async: true, id: rr, expect: {took: ">= 10ms"}}
  - await: rr
  - client: 'dup c as e'
)";

class FullCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<Case> c = LoadCaseText(kFull, "full.yaml");
    ASSERT_TRUE(c.ok()) << c.status().message();
    c_ = std::move(c).value();
  }
  const CallStep& Call(int index) { return std::get<CallStep>(c_.steps.at(index - 1).body); }
  Case c_;
};

TEST_F(FullCaseTest, TopLevel) {
  EXPECT_EQ(c_.loc.ToString(), "full.yaml:1:1");
  EXPECT_EQ(c_.name, "fin-lost");
  EXPECT_EQ(c_.description, "what happens when the FIN is lost");
  EXPECT_THAT(c_.tags, ElementsAre("teardown", "fin-loss", "rfc9293"));
  EXPECT_THAT(c_.families, ElementsAre(Family::kIPv4, Family::kIPv6));
  EXPECT_EQ(c_.timeout, 30s);
  ASSERT_TRUE(c_.seed.has_value());
  EXPECT_EQ(*c_.seed, 42u);
}

TEST_F(FullCaseTest, Hosts) {
  ASSERT_EQ(c_.hosts.size(), 3u);
  EXPECT_EQ(c_.hosts[0].name, "client");
  EXPECT_EQ(c_.hosts[1].name, "server");
  EXPECT_EQ(c_.hosts[2].name, "relay");
  EXPECT_EQ(c_.hosts[0].loc.ToString(), Pos(kFull, "client:\n    sysctl").ToString());
  using KV = std::pair<std::string, std::string>;
  EXPECT_THAT(c_.hosts[0].sysctls, ElementsAre(KV{"net.ipv4.tcp_syn_retries", "2"},
                                               KV{"net.ipv4.tcp_fin_timeout", "5"}));
  EXPECT_EQ(c_.hosts[0].mtu, 1400);
  EXPECT_EQ(c_.hosts[1].mtu, 1500);
  EXPECT_TRUE(c_.hosts[2].sysctls.empty());
  ASSERT_NE(c_.FindHost("relay"), nullptr);
}

TEST_F(FullCaseTest, StepLocationsAndIndexes) {
  ASSERT_EQ(c_.steps.size(), 41u);
  for (size_t i = 0; i < c_.steps.size(); ++i)
    EXPECT_EQ(c_.steps[i].index, static_cast<int>(i + 1));
  EXPECT_EQ(c_.steps[0].loc.ToString(), Pos(kFull, "server: listen 8080").ToString());
  EXPECT_EQ(c_.steps[3].loc.ToString(), Pos(kFull, "await: s").ToString());
  EXPECT_EQ(c_.steps[27].loc.ToString(), Pos(kFull, "client:\n      connect: d").ToString());
  EXPECT_EQ(c_.steps[3].label, "go");
  EXPECT_EQ(c_.steps[25].label, "closed");
  EXPECT_EQ(c_.steps[0].loc.file, "full.yaml");
}

TEST_F(FullCaseTest, ListenConnectAccept) {
  const CallStep& listen = Call(1);
  EXPECT_EQ(listen.host, "server");
  EXPECT_EQ(listen.call.op, Op::kListen);
  EXPECT_EQ(listen.call.fd, "");
  EXPECT_EQ(listen.call.as, "ls");
  ASSERT_TRUE(listen.call.endpoint.has_value());
  EXPECT_EQ(listen.call.endpoint->kind, Endpoint::Kind::kAny);
  EXPECT_EQ(listen.call.endpoint->port, 8080);
  EXPECT_EQ(listen.call.backlog, 128);
  EXPECT_FALSE(listen.has_expect);

  const CallStep& accept = Call(2);
  EXPECT_EQ(accept.call.op, Op::kAccept);
  EXPECT_EQ(accept.call.fd, "ls");
  EXPECT_EQ(accept.call.as, "s");
  EXPECT_TRUE(accept.async);
  EXPECT_EQ(accept.id, "s");

  const CallStep& connect = Call(3);
  EXPECT_EQ(connect.call.op, Op::kConnect);
  EXPECT_EQ(connect.call.fd, "");
  EXPECT_EQ(connect.call.as, "c");
  EXPECT_FALSE(connect.call.nonblock);
  EXPECT_EQ(connect.call.endpoint->kind, Endpoint::Kind::kHost);
  EXPECT_EQ(connect.call.endpoint->host, "server");
  EXPECT_EQ(connect.call.endpoint->port, 8080);

  const auto& await = std::get<AwaitStep>(c_.steps[3].body);
  EXPECT_EQ(await.id, "s");

  const CallStep& connect2 = Call(28);
  EXPECT_EQ(connect2.call.fd, "d");
  EXPECT_EQ(connect2.call.as, "");
  EXPECT_EQ(connect2.call.endpoint->ToString(), "server:8080");
  EXPECT_EQ(connect2.expect.ret_kind, Expect::RetKind::kError);
  EXPECT_THAT(connect2.expect.errnos, ElementsAre(ECONNREFUSED));
  ASSERT_TRUE(connect2.expect.took.has_value());
  EXPECT_EQ(connect2.expect.took->lo, 1ms);
  EXPECT_EQ(connect2.expect.took->hi, 2s);
  EXPECT_EQ(connect2.expect.loc.ToString(),
            Pos(kFull, "{ret: error, errno: ECONNREFUSED").ToString());

  EXPECT_EQ(Call(30).call.endpoint->ToString(), "any:9000");
  EXPECT_EQ(Call(31).call.fd, "l2");
  EXPECT_EQ(Call(31).call.backlog, 5);
  EXPECT_FALSE(Call(31).call.endpoint.has_value());

  const CallStep& listen2 = Call(35);
  EXPECT_EQ(listen2.call.as, "ls2");
  EXPECT_EQ(listen2.call.endpoint->port, 7070);
  EXPECT_EQ(listen2.expect.took->lo, 1ms + 1ns);
  EXPECT_EQ(listen2.expect.took->hi, Duration::max());
}

TEST_F(FullCaseTest, DataSteps) {
  const CallStep& send = Call(5);
  EXPECT_EQ(send.call.op, Op::kSend);
  EXPECT_EQ(send.call.fd, "c");
  EXPECT_EQ(send.call.data, "hello");
  EXPECT_EQ(send.call.size, 5);
  EXPECT_THAT(send.call.flags, ElementsAre("MSG_NOSIGNAL", "MSG_MORE"));
  EXPECT_TRUE(send.has_expect);
  EXPECT_EQ(send.expect.bytes->ToString(), "5");
  EXPECT_EQ(send.expect.took->lo, 0s);
  EXPECT_EQ(send.expect.took->hi, 50ms);

  const CallStep& recv = Call(6);
  EXPECT_EQ(recv.call.op, Op::kRecv);
  EXPECT_EQ(recv.call.size, 10);
  EXPECT_THAT(recv.call.flags, ElementsAre("MSG_WAITALL"));
  EXPECT_EQ(recv.call.until, "\n");
  EXPECT_EQ(recv.expect.data, "hello");
  EXPECT_EQ(recv.expect.bytes->lo, 1);
  EXPECT_EQ(recv.expect.bytes->hi, 5);

  EXPECT_EQ(Call(7).call.op, Op::kWrite);
  EXPECT_FALSE(Call(7).call.data.has_value());
  EXPECT_EQ(Call(7).call.size, 1000);
  EXPECT_EQ(Call(8).call.op, Op::kRead);
  EXPECT_EQ(Call(8).expect.ret_kind, Expect::RetKind::kValue);
  EXPECT_EQ(Call(8).expect.ret_value, 1000);
  EXPECT_EQ(Call(38).call.size, 65536);  // read default

  const CallStep& sock = Call(9);
  EXPECT_EQ(sock.call.op, Op::kSocket);
  EXPECT_EQ(sock.call.proto, SocketCall::Proto::kUdp);
  EXPECT_TRUE(sock.call.nonblock);
  EXPECT_EQ(sock.call.as, "u");
  EXPECT_EQ(Call(10).call.endpoint->ToString(), "client:5000");
  EXPECT_EQ(Call(11).call.op, Op::kSendto);
  EXPECT_EQ(Call(11).call.endpoint->host, "relay");
  EXPECT_EQ(Call(11).call.size, 10);
  EXPECT_EQ(Call(12).host, "relay");
  EXPECT_EQ(Call(13).call.op, Op::kRecvfrom);
  EXPECT_EQ(Call(13).call.size, 65536);
  EXPECT_THAT(Call(13).expect.errnos, ElementsAre(EAGAIN, EINTR));
  EXPECT_EQ(Call(25).call.op, Op::kSendfile);
  EXPECT_EQ(Call(25).call.size, 4096);
  EXPECT_EQ(Call(25).expect.ret_kind, Expect::RetKind::kOk);
}

TEST_F(FullCaseTest, SocketControlSteps) {
  EXPECT_EQ(Call(14).call.op, Op::kShutdown);
  EXPECT_EQ(Call(14).call.how, SHUT_WR);
  EXPECT_EQ(Call(15).call.op, Op::kDup);
  EXPECT_EQ(Call(15).call.fd, "c");
  EXPECT_EQ(Call(15).call.as, "d");

  const SocketCall& linger = Call(16).call;
  EXPECT_EQ(linger.op, Op::kSetsockopt);
  EXPECT_EQ(linger.opt, SockOpt::kSoLinger);
  EXPECT_TRUE(linger.linger_on);
  EXPECT_EQ(linger.opt_value, 0);
  EXPECT_EQ(Call(17).call.opt, SockOpt::kTcpCongestion);
  EXPECT_EQ(Call(17).call.opt_text, "reno");
  EXPECT_EQ(Call(18).call.opt, SockOpt::kTcpUserTimeout);
  EXPECT_EQ(Call(18).call.opt_value, 1500);
  EXPECT_EQ(Call(36).call.opt_value, 250);
  EXPECT_EQ(Call(19).call.opt_value, 3);
  EXPECT_EQ(Call(20).call.opt, SockOpt::kTcpNodelay);
  EXPECT_EQ(Call(20).call.opt_value, 1);
  EXPECT_EQ(Call(21).call.op, Op::kGetsockopt);
  EXPECT_EQ(Call(21).call.opt, SockOpt::kSoError);
  EXPECT_EQ(Call(21).expect.value, 0);
  EXPECT_EQ(Call(22).call.op, Op::kNonblock);
  EXPECT_FALSE(Call(22).call.nonblock);
  EXPECT_EQ(Call(34).call.op, Op::kNonblock);
  EXPECT_TRUE(Call(34).call.nonblock);

  const CallStep& poll = Call(23);
  EXPECT_EQ(poll.call.op, Op::kPoll);
  EXPECT_THAT(poll.call.events, ElementsAre("in", "rdhup"));
  EXPECT_EQ(poll.call.timeout, 2s);
  EXPECT_EQ(poll.expect.ret_value, 1);
  EXPECT_TRUE(poll.expect.has_revents);
  EXPECT_THAT(poll.expect.revents, ElementsAre("in", "hup"));

  EXPECT_EQ(Call(24).call.op, Op::kSleep);
  EXPECT_EQ(Call(24).call.timeout, 100ms);
  EXPECT_EQ(Call(24).call.fd, "");
  EXPECT_EQ(Call(26).call.op, Op::kClose);
  EXPECT_EQ(Call(26).call.fd, "d");
  EXPECT_EQ(Call(37).call.opt, SockOpt::kSoLinger);
  EXPECT_EQ(Call(37).expect.value, 0);
  EXPECT_EQ(Call(41).call.op, Op::kDup);
  EXPECT_EQ(Call(41).call.as, "e");
}

TEST_F(FullCaseTest, AsyncIds) {
  EXPECT_TRUE(Call(32).async);
  EXPECT_EQ(Call(32).id, "r2");
  EXPECT_EQ(std::get<AwaitStep>(c_.steps[32].body).id, "r2");
  EXPECT_EQ(Call(39).id, "rr");
  EXPECT_EQ(Call(39).expect.took->lo, 10ms);
  EXPECT_FALSE(Call(38).async);
  EXPECT_EQ(Call(38).id, "");
}

TEST_F(FullCaseTest, Faults) {
  ASSERT_EQ(c_.faults.size(), 12u);
  for (size_t i = 0; i < c_.faults.size(); ++i) {
    EXPECT_EQ(c_.faults[i].index, static_cast<int>(i + 1));
  }
  const Fault& f1 = c_.faults[0];
  EXPECT_EQ(f1.loc.ToString(), Pos(kFull, "match: {from: client, to: server").ToString());
  EXPECT_EQ(f1.match.from, "client");
  EXPECT_EQ(f1.match.to, "server");
  EXPECT_EQ(f1.match.proto, Proto::kTcp);  // implied by tcp:
  EXPECT_THAT(f1.match.tcp, ElementsAre(TcpClass::kFin));
  EXPECT_EQ(f1.match.nth, 1);
  EXPECT_EQ(f1.action.kind, ActionKind::kDrop);
  EXPECT_EQ(f1.Describe(), "drop client->server tcp FIN nth 1");

  const Fault& f2 = c_.faults[1];
  EXPECT_THAT(f2.match.tcp, ElementsAre(TcpClass::kPsh, TcpClass::kData));
  EXPECT_EQ(f2.match.length->lo, 1);
  EXPECT_EQ(f2.match.length->hi, 100);
  EXPECT_EQ(f2.match.seq->ToString(), "1");
  EXPECT_EQ(f2.match.ack->ToString(), "[0, 10]");
  EXPECT_EQ(f2.match.first, 3);
  EXPECT_EQ(f2.match.window->lo, 0s);
  EXPECT_EQ(f2.match.window->hi, 5s);
  EXPECT_DOUBLE_EQ(*f2.match.probability, 0.5);
  EXPECT_EQ(f2.action.kind, ActionKind::kDelay);
  EXPECT_EQ(f2.action.delay, 200ms);

  EXPECT_EQ(c_.faults[2].match.proto, Proto::kUdp);
  EXPECT_EQ(c_.faults[2].match.every, 2);
  EXPECT_EQ(c_.faults[2].action.count, 3);
  EXPECT_THAT(c_.faults[2].action.order, ElementsAre(2, 3, 1));
  EXPECT_EQ(c_.faults[3].match.after, 0);
  EXPECT_THAT(c_.faults[3].action.order, ElementsAre(4, 3, 2, 1));  // default: reversed
  EXPECT_EQ(c_.faults[4].action.kind, ActionKind::kDuplicate);
  EXPECT_EQ(c_.faults[4].action.copies, 2);
  EXPECT_EQ(c_.faults[11].action.copies, 1);

  const FaultAction& hold = c_.faults[5].action;
  EXPECT_EQ(hold.kind, ActionKind::kHold);
  EXPECT_EQ(hold.until_step, "go");
  EXPECT_FALSE(hold.hold_for.has_value());
  EXPECT_TRUE(hold.then_drop);
  EXPECT_THAT(c_.faults[5].match.tcp, ElementsAre(TcpClass::kSynAck));
  const FaultAction& hold2 = c_.faults[6].action;
  EXPECT_EQ(hold2.until_step, "");
  EXPECT_EQ(hold2.hold_for, 1500ms);
  EXPECT_FALSE(hold2.then_drop);

  EXPECT_EQ(c_.faults[7].action.kind, ActionKind::kInjectRst);
  EXPECT_EQ(c_.faults[7].action.toward, "client");
  EXPECT_EQ(c_.faults[8].action.kind, ActionKind::kRateLimit);
  EXPECT_EQ(c_.faults[8].action.rate, 10);
  EXPECT_EQ(c_.faults[8].action.per, 100ms);
  EXPECT_EQ(c_.faults[8].match.proto, Proto::kAny);
  EXPECT_EQ(c_.faults[9].match.proto, Proto::kIcmp);
  EXPECT_EQ(c_.faults[9].action.kind, ActionKind::kSwap);
  EXPECT_EQ(c_.faults[9].loc.ToString(), Pos(kFull, "{match: {proto: icmp}").ToString());
  EXPECT_EQ(c_.faults[10].action.kind, ActionKind::kCorrupt);
}

TEST(CaseLoaderTest, MinimalCaseGetsDefaults) {
  StatusOr<Case> c = LoadCaseText("name: m\nsteps:\n  - client: sleep 1s\n", "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->description, "");
  EXPECT_TRUE(c->tags.empty());
  EXPECT_THAT(c->families, ElementsAre(Family::kIPv4, Family::kIPv6));
  EXPECT_EQ(c->timeout, 20s);
  EXPECT_FALSE(c->seed.has_value());
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].name, "client");
  EXPECT_EQ(c->hosts[1].name, "server");
  EXPECT_EQ(c->hosts[0].mtu, 1500);
  EXPECT_TRUE(c->faults.empty());
  ASSERT_EQ(c->steps.size(), 1u);
  EXPECT_EQ(c->steps[0].loc.ToString(), "m.yaml:3:5");
  EXPECT_EQ(c->steps[0].Describe(), "client: sleep 1s");
  EXPECT_FALSE(c->capture_full);  // pcaps keep headers only
}

TEST(CaseLoaderTest, CaptureFullKeepsWholePackets) {
  StatusOr<Case> c =
      LoadCaseText("name: m\ncapture: {full: true}\nsteps:\n  - client: sleep 1s\n", "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->capture_full);
  c = LoadCaseText("name: m\ncapture: {full: false}\nsteps:\n  - client: sleep 1s\n", "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->capture_full);
}

TEST(CaseLoaderTest, ShorthandEqualsLongForm) {
  StatusOr<Case> a = LoadCaseText(R"(name: s
steps:
  - server: listen 8080
  - client: connect server:8080 as c
  - server: accept ls as s
  - client: close c
)",
                                  "s.yaml");
  ASSERT_TRUE(a.ok()) << a.status().message();
  StatusOr<Case> b = LoadCaseText(R"(name: s
steps:
  - server: {listen: 8080}
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {close: c}
)",
                                  "s.yaml");
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(a->steps.size(), b->steps.size());
  for (size_t i = 0; i < a->steps.size(); ++i) {
    EXPECT_EQ(a->steps[i].Describe(), b->steps[i].Describe());
  }
  EXPECT_EQ(std::get<CallStep>(a->steps[0].body).call.as, "ls");
  EXPECT_EQ(std::get<CallStep>(a->steps[0].body).call.endpoint->port, 8080);
}

TEST(CaseLoaderTest, ShorthandErrorsPointAtTheWord) {
  StatusOr<Case> c = LoadCaseText("name: s\nsteps:\n  - client: close c\n", "s.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "s.yaml:3:19: step 1: 'c' is not a socket defined by an earlier step on host 'client'");
  c = LoadCaseText("name: s\nsteps:\n  - client: \"close c\"\n", "s.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "s.yaml:3:20: step 1: 'c' is not a socket defined by an earlier step on host 'client'");
}

TEST(CaseLoaderTest, AddressLiterals) {
  StatusOr<Case> c = LoadCaseText(R"(name: lit
family: ipv4
steps:
  - client: {connect: "198.18.2.2:80", as: a}
  - client: {connect: "127.0.0.1:80", as: b}
)",
                                  "l.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Endpoint& e = *std::get<CallStep>(c->steps[0].body).call.endpoint;
  EXPECT_EQ(e.kind, Endpoint::Kind::kLiteral);
  EXPECT_EQ(e.literal, "198.18.2.2");
  EXPECT_EQ(e.port, 80);
  c = LoadCaseText(R"(name: lit
family: ipv6
hosts:
  client: {mtu: 1280}
  server:
steps:
  - client: {connect: "[2001:2:0:2:0::2]:80", as: a}
  - client: {connect: "[::1]:65535", as: b}
)",
                   "l.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Endpoint& e6 = *std::get<CallStep>(c->steps[0].body).call.endpoint;
  EXPECT_EQ(e6.literal, "2001:2:0:2::2");  // normalised
  EXPECT_EQ(e6.ToString(), "[2001:2:0:2::2]:80");
  EXPECT_EQ(c->hosts[0].mtu, 1280);
}

TEST(CaseLoaderTest, NamesCanBeReusedAfterCloseAndAwait) {
  StatusOr<Case> c = LoadCaseText(R"(name: reuse
steps:
  - client: {socket: tcp, as: c}
  - client: close c
  - client: {socket: udp, as: c}
  - server: {socket: tcp, as: c}
  - client: {recv: c, async: true, id: r}
  - await: r
  - client: {recv: c, async: true, id: r}
  - await: r
)",
                                  "r.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
}

TEST(CaseLoaderTest, NullAndEmptyHostMapsMeanDefaults) {
  StatusOr<Case> c = LoadCaseText(
      "name: h\nhosts:\n  server:\n  client: {}\nsteps:\n  - server: sleep 1s\n", "h.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].name, "server");  // file order
  EXPECT_EQ(c->hosts[1].name, "client");
}

TEST(CaseLoaderTest, SingleFamilyAndScalarErrno) {
  StatusOr<Case> c = LoadCaseText(R"(name: f
family: ipv6
steps:
  - client: {connect: "server:9", as: c, expect: {ret: -1, errno: ECONNREFUSED}}
)",
                                  "f.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->families, ElementsAre(Family::kIPv6));
  const Expect& x = std::get<CallStep>(c->steps[0].body).expect;
  EXPECT_EQ(x.ret_value, -1);
  EXPECT_THAT(x.errnos, ElementsAre(ECONNREFUSED));
}

TEST(FaultControlLoadTest, NamedFaultsWindowsAndFaultSteps) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
steps:
  - client: sleep 1s
    label: go
  - fault: slow
    set: {delay: 300ms}
  - fault: hole
    enable: true
    label: on
faults:
  - name: slow
    match: {from: client, retransmission: false}
    do: delay
    delay: 100ms
  - name: hole
    enabled: false
    match: {}
    do: drop
    active: {from: {step: go}, until: 5s}
  - match: {retransmission: true}
    do: rate-limit
    rate: 3
    per: 1s
)",
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const FaultStep& set = std::get<FaultStep>(c->steps[1].body);
  EXPECT_EQ(set.fault_index, 1);
  ASSERT_NE(set.action, nullptr);
  EXPECT_EQ(set.action->kind, ActionKind::kDelay);
  EXPECT_EQ(set.action->delay, std::chrono::milliseconds(300));
  EXPECT_EQ(c->steps[1].Describe(), "fault slow: set delay=300ms");
  const FaultStep& on = std::get<FaultStep>(c->steps[2].body);
  EXPECT_EQ(on.fault_index, 2);
  EXPECT_EQ(on.enable, true);
  EXPECT_EQ(c->steps[2].label, "on");
  EXPECT_EQ(c->steps[2].Describe(), "fault hole: enable");
  EXPECT_EQ(c->faults[0].name, "slow");
  EXPECT_EQ(c->faults[0].match.retransmission, false);
  EXPECT_EQ(c->faults[0].match.proto, Proto::kTcp);
  EXPECT_TRUE(c->faults[0].enabled);
  EXPECT_FALSE(c->faults[1].enabled);
  ASSERT_TRUE(c->faults[1].active_from && c->faults[1].active_until);
  EXPECT_EQ(c->faults[1].active_from->Describe(), "step go");
  EXPECT_EQ(c->faults[1].active_until->Describe(), "5s");
  EXPECT_EQ(c->faults[2].Describe(), "rate-limit any->any tcp retransmission");
}

TEST(FaultControlLoadTest, SetKeepsTheFaultsOtherParams) {
  StatusOr<Case> c = LoadCaseText(R"(name: a
steps:
  - fault: lim
    set: {per: 2s}
faults:
  - name: lim
    match: {}
    do: rate-limit
    rate: 7
    per: 1s
)",
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const FaultStep& set = std::get<FaultStep>(c->steps[0].body);
  ASSERT_NE(set.action, nullptr);
  EXPECT_EQ(set.action->rate, 7);
  EXPECT_EQ(set.action->per, std::chrono::seconds(2));
}

}  // namespace
}  // namespace faultline
