#include "harness/runner/expect_check.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace faultline {
namespace {

CallStep Call(Op op) {
  CallStep s;
  s.host = "client";
  s.call.op = op;
  return s;
}

peer::Reply Reply(int64_t ret, int err = 0, int64_t took_ns = 1'200'000) {
  peer::Reply r;
  r.ret = ret;
  r.err = err;
  r.start_ns = 1'000'000'000;
  r.end_ns = r.start_ns + took_ns;
  return r;
}

TEST(CheckReply, DefaultIsSuccess) {
  CallStep s = Call(Op::kClose);
  CheckResult ok = CheckReply(s, Reply(0));
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.expected, "success");
  EXPECT_EQ(ok.actual, "ret 0, took 1.2ms");

  CheckResult bad = CheckReply(s, Reply(-1, EBADF));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.failure, "expected success vs actual ret -1 EBADF");
}

TEST(CheckReply, ErrnoAnyOf) {
  CallStep s = Call(Op::kWrite);
  s.has_expect = true;
  s.expect.errnos = {EPIPE, ECONNRESET};
  EXPECT_TRUE(CheckReply(s, Reply(-1, ECONNRESET)).ok);
  CheckResult r = CheckReply(s, Reply(5));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.failure, "expected errno EPIPE or ECONNRESET vs actual ret 5");
  CheckResult r2 = CheckReply(s, Reply(-1, EAGAIN));
  EXPECT_EQ(r2.failure, "expected errno EPIPE or ECONNRESET vs actual ret -1 EAGAIN");
}

TEST(CheckReply, TookRange) {
  CallStep s = Call(Op::kConnect);
  s.has_expect = true;
  s.expect.ret_kind = Expect::RetKind::kValue;
  s.expect.ret_value = 0;
  s.expect.took = DurationRange{std::chrono::milliseconds(900), std::chrono::milliseconds(1600)};
  EXPECT_TRUE(CheckReply(s, Reply(0, 0, 1'010'000'000)).ok);
  CheckResult r = CheckReply(s, Reply(0, 0, 3'000'000));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.expected, "ret 0, took [900ms, 1.6s]");
  EXPECT_EQ(r.failure, "expected took [900ms, 1.6s] vs actual took 3ms");
}

TEST(CheckReply, DataAndBytes) {
  CallStep s = Call(Op::kRecv);
  s.has_expect = true;
  s.expect.data = "hello\n";
  s.expect.bytes = IntRange{6, 6};
  peer::Reply r = Reply(3);
  r.bytes = 3;
  std::string got = "hel";
  r.data.assign(got.begin(), got.end());
  CheckResult c = CheckReply(s, r);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.failure, "expected bytes 6 vs actual bytes 3");
  EXPECT_EQ(c.actual, "ret 3, bytes 3, data \"hel\", took 1.2ms");
  s.expect.bytes.reset();
  EXPECT_EQ(CheckReply(s, r).failure, "expected data \"hello\\n\" vs actual data \"hel\"");
}

TEST(CheckReply, RetKinds) {
  CallStep s = Call(Op::kConnect);
  s.has_expect = true;
  s.expect.ret_kind = Expect::RetKind::kError;
  EXPECT_TRUE(CheckReply(s, Reply(-1, ECONNREFUSED)).ok);
  EXPECT_EQ(CheckReply(s, Reply(0)).failure, "expected ret error (-1) vs actual ret 0");
  s.expect.ret_kind = Expect::RetKind::kOk;
  EXPECT_EQ(CheckReply(s, Reply(-1, ETIMEDOUT)).failure,
            "expected ret ok (>= 0) vs actual ret -1 ETIMEDOUT");
}

TEST(CheckReply, PollRevents) {
  CallStep s = Call(Op::kPoll);
  s.has_expect = true;
  s.expect.has_revents = true;
  s.expect.revents = {"out"};
  peer::Reply r = Reply(1);
  r.revents = 0x004 | 0x010;  // POLLOUT | POLLHUP
  EXPECT_EQ(CheckReply(s, r).failure, "expected revents out vs actual revents out,hup");
}

TEST(QuoteBytes, EscapesAndTruncates) {
  EXPECT_EQ(QuoteBytes(std::string("a\0b\n\"", 5)), "\"a\\x00b\\n\\\"\"");
  EXPECT_EQ(QuoteBytes("abcdef", 3), "\"abc\"... (6 bytes)");
}

}  // namespace
}  // namespace faultline
