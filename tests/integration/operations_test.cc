// Issue 20's operations in a real lab: getsockname / getpeername with
// `expect: {addr: ...}`, calls on a closed name (EBADF), recv with MSG_OOB.
// Needs root (network namespaces); skips otherwise.
#include <cerrno>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/case_fixture.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;

using OperationsTest = CaseFixture;

constexpr const char* kNames = R"(name: names
steps:
  - server: listen 8080
  - server: {getsockname: ls, expect: {addr: "any:8080"}}
  - server: {getpeername: ls, expect: {errno: ENOTCONN}}
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {getsockname: c, expect: {addr: "client:*"}}
  - client: {getpeername: c, expect: {addr: "server:8080"}}
  - server: {getsockname: s, expect: {addr: "server:8080"}}
  - server: {getpeername: s, expect: {addr: "client:*"}}
)";

TEST_F(OperationsTest, GetsocknameAndGetpeernameOnBothFamilies) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(kNames, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
    ASSERT_EQ(r.steps.size(), 9u);
    // The address returned is in the result.
    const std::string client = f == Family::kIPv4 ? "addr 198.18." : "addr [2001:2:";
    EXPECT_THAT(r.steps[5].actual, HasSubstr(client)) << FamilyName(f);
    EXPECT_THAT(r.steps[1].actual,
                HasSubstr(f == Family::kIPv4 ? "addr 0.0.0.0:8080" : "addr [::]:8080"));
  }
}

TEST_F(OperationsTest, WrongAddressNamesBothSides) {
  CaseResult r = Run(R"(name: wrong-addr
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - client: {getpeername: c, expect: {addr: "client:8080"}}
)");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, HasSubstr("expected addr client:8080 (198.18."));
  EXPECT_THAT(r.message, HasSubstr(") vs actual addr 198.18.2.2:8080"));
}

TEST_F(OperationsTest, CallsOnAClosedNameFailWithEbadf) {
  // A newer socket takes the closed number: the calls on `c` must not touch it.
  CaseResult r = Run(R"(name: ebadf
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: close c
  - client: {connect: "server:8080", as: d}
  - client: {close: c, expect: {errno: EBADF}}
  - client: {send: c, data: "x", expect: {errno: EBADF}}
  - client: {getsockname: c, expect: {errno: EBADF}}
  - client: {poll: c, events: [in], timeout: 1s, expect: {ret: 1, revents: [nval]}}
  - client: {send: d, data: "alive"}
  - server: {accept: ls, as: s2}
  - server: {recv: s2, size: 10, expect: {data: "alive"}}
)");
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.steps.size(), 12u);
  EXPECT_EQ(r.steps[5].err, EBADF);
  EXPECT_EQ(r.steps[6].err, EBADF);
}

constexpr const char* kUrgent = R"(name: urgent
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - server: {recv: s, size: 1, flags: [MSG_OOB, MSG_DONTWAIT], expect: {errno: EINVAL}}
  - client: {send: c, data: "abc!", flags: [MSG_OOB]}
  - server: {poll: s, events: [pri], timeout: 2s, expect: {revents: [pri]}}
  - server: {recv: s, size: 1, flags: [MSG_OOB], expect: {data: "!", bytes: 1}}
  - server: {recv: s, size: 10, expect: {data: "abc"}}
  - server: {recv: s, size: 1, flags: [MSG_OOB], expect: {errno: EINVAL}}
  - client: {connect: "server:8080", as: d}
  - server: {accept: ls, as: s2}
  - server: {setsockopt: s2, opt: SO_OOBINLINE, value: true}
  - client: {send: d, data: "de#", flags: [MSG_OOB]}
  - server: {poll: s2, events: [pri], timeout: 2s, expect: {revents: [pri]}}
  - server: {recv: s2, size: 1, flags: [MSG_OOB], expect: {errno: EINVAL}}
  - server: {recv: s2, size: 10, expect: {data: "de"}}
  - server: {recv: s2, size: 10, expect: {data: "#"}}
)";

TEST_F(OperationsTest, UrgentDataIsReadWithMsgOob) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = Run(kUrgent, f);
    EXPECT_EQ(r.outcome, Outcome::kPass) << FamilyName(f) << ": " << r.message;
  }
}

}  // namespace
}  // namespace faultline
