// Issue 20's operations in the loader: getsockname / getpeername and
// `expect: {addr: ...}`, calls on a closed name (EBADF), recv with MSG_OOB
// and SO_OOBINLINE. Exact messages: they are the loader's user interface.
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

constexpr const char* kHead = "name: a\nsteps:\n  - client: {connect: \"server:80\", as: c}\n";

StatusOr<Case> Load(const std::string& steps) { return LoadCaseText(kHead + steps, "a.yaml"); }

const CallStep& Call(const Case& c, size_t i) { return std::get<CallStep>(c.steps.at(i).body); }

struct BadOp {
  const char* name;
  const char* steps;    // after kHead (step 1 connects c)
  const char* message;  // the whole message
};

const BadOp kBadOps[] = {
    {"closed_without_expect", "  - client: close c\n  - client: close c\n",
     "a.yaml:5:19: step 3: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF"},
    {"closed_other_errno",
     "  - client: close c\n  - client: {send: c, data: x, expect: {errno: ECONNRESET}}\n",
     "a.yaml:5:20: step 3: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF"},
    {"closed_ret_error", "  - client: close c\n  - client: {recv: c, expect: {ret: error}}\n",
     "a.yaml:5:20: step 3: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF"},
    {"closed_poll",
     "  - client: close c\n  - client: {poll: c, events: [in], timeout: 1s, expect: {ret: 1}}\n",
     "a.yaml:5:20: step 3: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF (poll: revents: [nval])"},
    {"closed_stays_closed_by_first_close",
     "  - client: close c\n  - client: {close: c, expect: {errno: EBADF}}\n  - client: {send: c, "
     "data: x}\n",
     "a.yaml:6:20: step 4: 'c' on host 'client' was closed by step 2 (a.yaml:4:5): a call on a "
     "closed name must expect errno: EBADF"},
    {"closed_epoll_target",
     "  - client: close c\n  - client: {epoll_create: 0, as: ep}\n  - client: {epoll_ctl: ep, op: "
     "add, target: c, events: [in], expect: {errno: EBADF}}\n",
     "a.yaml:6:46: step 4: 'c' on host 'client' was closed by step 2"},
    {"addr_wrong_op", "  - client: {recv: c, expect: {addr: \"server:80\"}}\n",
     "a.yaml:4:32: step 2: 'addr' in expect does not apply to 'recv' (only to getsockname and "
     "getpeername)"},
    {"addr_not_scalar", "  - client: {getpeername: c, expect: {addr: [server, 80]}}\n",
     "a.yaml:4:45: step 2: 'addr' must be an endpoint such as server:8080 or server:* (any port), "
     "not a list"},
    {"addr_unknown_host", "  - client: {getpeername: c, expect: {addr: \"servr:*\"}}\n",
     "a.yaml:4:45: step 2: 'servr' in 'servr:*' is not a declared host (did you mean 'server'?)"},
    {"addr_bad_port", "  - client: {getpeername: c, expect: {addr: \"server:http\"}}\n",
     "a.yaml:4:45: step 2: port 'http' in 'server:http' must be an integer 0..65535"},
    {"addr_outside_lab", "  - client: {getsockname: c, expect: {addr: \"10.0.0.1:*\"}}\n",
     "a.yaml:4:45: step 2: address 10.0.0.1 is outside the lab ranges (198.18.0.0/15, 2001:2::/48, "
     "loopback)"},
    {"getsockname_as", "  - client: {getsockname: c, as: d}\n",
     "a.yaml:4:30: step 2: 'as' does not apply to 'getsockname' here: it names a socket that a "
     "step creates (use 'id' to name an async step)"},
    {"getpeername_param", "  - client: {getpeername: c, size: 4}\n",
     "a.yaml:4:30: step 2: 'size' does not apply to 'getpeername'"},
    {"oob_until", "  - client: {recv: c, flags: [MSG_OOB], until: \"x\"}\n",
     "a.yaml:4:41: step 2: 'until' cannot be combined with MSG_OOB (urgent data is one byte)"},
    {"oob_read", "  - client: {recvfrom: c, flags: [MSG_OOB]}\n",
     "a.yaml:4:27: step 2: 'flags' does not apply to 'recvfrom'"},
};

class BadOpTest : public ::testing::TestWithParam<BadOp> {};

TEST_P(BadOpTest, FailsWithExactMessage) {
  const BadOp& b = GetParam();
  StatusOr<Case> c = Load(b.steps);
  ASSERT_FALSE(c.ok()) << "loaded without error:\n" << b.steps;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), b.message) << b.steps;
}

INSTANTIATE_TEST_SUITE_P(Operations, BadOpTest, ::testing::ValuesIn(kBadOps),
                         [](const ::testing::TestParamInfo<BadOp>& info) {
                           return std::string(info.param.name);
                         });

TEST(OperationsParseTest, GetsocknameAndGetpeernameWithAddr) {
  StatusOr<Case> c = Load(
      "  - client: {getsockname: c, expect: {addr: \"client:*\"}}\n"
      "  - client: {getpeername: c, expect: {addr: \"server:80\"}}\n"
      "  - client: {getpeername: c, expect: {addr: \"any:*\"}}\n"
      "  - client: getsockname c\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const CallStep& s1 = Call(*c, 1);
  EXPECT_EQ(s1.call.op, Op::kGetsockname);
  EXPECT_EQ(s1.call.fd, "c");
  ASSERT_TRUE(s1.expect.addr.has_value());
  EXPECT_EQ(s1.expect.addr->endpoint.kind, Endpoint::Kind::kHost);
  EXPECT_EQ(s1.expect.addr->endpoint.host, "client");
  EXPECT_TRUE(s1.expect.addr->any_port);
  EXPECT_EQ(s1.expect.addr->ToString(), "client:*");
  const CallStep& s2 = Call(*c, 2);
  EXPECT_EQ(s2.call.op, Op::kGetpeername);
  EXPECT_FALSE(s2.expect.addr->any_port);
  EXPECT_EQ(s2.expect.addr->endpoint.port, 80);
  EXPECT_EQ(s2.expect.addr->ToString(), "server:80");
  EXPECT_EQ(Call(*c, 3).expect.addr->endpoint.kind, Endpoint::Kind::kAny);
  EXPECT_EQ(Call(*c, 3).expect.addr->ToString(), "any:*");
  EXPECT_EQ(Call(*c, 4).call.op, Op::kGetsockname);
  EXPECT_FALSE(Call(*c, 4).has_expect);
}

TEST(OperationsParseTest, AddrLiteralsAreNormalised) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nfamily: ipv6\nsteps:\n  - client: {connect: \"server:80\", as: c}\n"
      "  - client: {getpeername: c, expect: {addr: \"[2001:2:0:0002::2]:80\"}}\n",
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const AddrExpect& a = *Call(*c, 1).expect.addr;
  EXPECT_EQ(a.endpoint.kind, Endpoint::Kind::kLiteral);
  EXPECT_EQ(a.endpoint.literal, "2001:2:0:2::2");
  EXPECT_EQ(a.ToString(), "[2001:2:0:2::2]:80");
}

TEST(OperationsParseTest, CallsOnAClosedNameThatExpectEbadf) {
  StatusOr<Case> c = Load(
      "  - client: close c\n"
      "  - client: {close: c, expect: {errno: EBADF}}\n"
      "  - client: {send: c, data: x, expect: {errno: [EBADF, ENOTCONN]}}\n"
      "  - client: {poll: c, events: [in], timeout: 1s, expect: {revents: [nval]}}\n"
      "  - client: {socket: tcp, as: c}\n"
      "  - client: close c\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(Call(*c, 1).call.fd_closed);
  EXPECT_TRUE(Call(*c, 2).call.fd_closed);
  EXPECT_TRUE(Call(*c, 3).call.fd_closed);
  EXPECT_TRUE(Call(*c, 4).call.fd_closed);
  EXPECT_FALSE(Call(*c, 6).call.fd_closed);  // created again: open
}

TEST(OperationsParseTest, RecvMsgOobAndSoOobinline) {
  StatusOr<Case> c = Load(
      "  - client: {setsockopt: c, opt: SO_OOBINLINE, value: true}\n"
      "  - client: {recv: c, size: 1, flags: [MSG_OOB], expect: {errno: EINVAL}}\n"
      "  - client: {recvmsg: c, size: 1, flags: [MSG_OOB]}\n"
      "  - client: {getsockopt: c, opt: SO_OOBINLINE, expect: {value: 1}}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(Call(*c, 1).call.opt, SockOpt::kSoOobinline);
  EXPECT_EQ(Call(*c, 1).call.opt_value, 1);
  EXPECT_EQ(Call(*c, 2).call.flags, std::vector<std::string>{"MSG_OOB"});
  EXPECT_EQ(Call(*c, 3).call.flags, std::vector<std::string>{"MSG_OOB"});
  EXPECT_EQ(Call(*c, 2).expect.errnos, std::vector<int>{EINVAL});
}

}  // namespace
}  // namespace faultline
