#include "harness/lab/nl_receive.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "harness/common/unique_fd.h"

namespace faultline {
namespace {

// An NLMSG_ERROR answer to request `seq` with `err` (positive errno, 0: ack)
// and, if `ext` is not empty, an NLMSGERR_ATTR_MSG TLV (capped: no echoed
// request).
std::vector<char> ErrorMsg(uint32_t seq, int err, const char* ext = "") {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = seq;
  auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  e->error = -err;
  e->msg.nlmsg_len = sizeof(nlmsghdr);
  e->msg.nlmsg_seq = seq;
  nlh->nlmsg_flags = NLM_F_CAPPED;
  if (*ext != '\0') {
    nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
    mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, ext);
  }
  buf.resize(nlh->nlmsg_len);
  return buf;
}

class NlReceiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
    reader_.reset(sv[0]);
    writer_.reset(sv[1]);
  }
  void Put(const std::vector<char>& m) {
    ASSERT_EQ(send(writer_.get(), m.data(), m.size(), 0), static_cast<ssize_t>(m.size()));
  }
  UniqueFd reader_, writer_;
  std::vector<char> buf_ = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  FakeClock clock_;
};

TEST_F(NlReceiveTest, ExtAckTextAndErrorCode) {
  std::vector<char> m = ErrorMsg(7, EEXIST, "File exists in table");
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(m.data());
  EXPECT_EQ(NlErrorCode(nlh), EEXIST);
  EXPECT_EQ(NlExtAckMessage(nlh), "File exists in table");
  std::vector<char> plain = ErrorMsg(8, 0);
  EXPECT_EQ(NlErrorCode(reinterpret_cast<const nlmsghdr*>(plain.data())), 0);
  EXPECT_EQ(NlExtAckMessage(reinterpret_cast<const nlmsghdr*>(plain.data())), "");
}

TEST_F(NlReceiveTest, ReadsUntilDoneInOrder) {
  Put(ErrorMsg(1, 0));
  Put(ErrorMsg(2, ENOENT));
  Put(ErrorMsg(3, 0));  // left queued: done after two
  std::vector<uint32_t> seen;
  NlReceiver r;
  r.message = [&](const nlmsghdr* nlh) { seen.push_back(nlh->nlmsg_seq); };
  r.done = [&] { return seen.size() == 2; };
  bool overrun = false;
  Status st =
      NlReceiveUntil(reader_.get(), buf_, clock_.NowNs() + 1'000'000'000, clock_, r, &overrun);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 2}));
  EXPECT_FALSE(overrun);
}

TEST_F(NlReceiveTest, DeadlinePassedIsTimeout) {
  NlReceiver r;
  r.message = [](const nlmsghdr*) {};
  r.done = [] { return false; };
  bool overrun = false;
  // The fake clock never moves: a deadline already reached cannot wait.
  Status st = NlReceiveUntil(reader_.get(), buf_, clock_.NowNs(), clock_, r, &overrun);
  EXPECT_EQ(st.code(), StatusCode::kTimeout);
  EXPECT_EQ(st.message(), "no answer");
}

TEST_F(NlReceiveTest, IdleCanEndWithAnErrorOrSayDone) {
  Put(ErrorMsg(1, 0));
  int read = 0;
  NlReceiver r;
  r.message = [&](const nlmsghdr*) { ++read; };
  r.done = [] { return false; };
  r.idle = [] { return Status::System("acknowledgement lost"); };
  bool overrun = false;
  Status st =
      NlReceiveUntil(reader_.get(), buf_, clock_.NowNs() + 1'000'000'000, clock_, r, &overrun);
  EXPECT_EQ(st.message(), "acknowledgement lost");
  EXPECT_EQ(read, 1);  // what was queued was read first

  // A drain: done once nothing more is queued.
  Put(ErrorMsg(2, 0));
  bool empty = false;
  r.done = [&empty] { return empty; };
  r.idle = [&empty] {
    empty = true;
    return Status::Ok();
  };
  st = NlReceiveUntil(reader_.get(), buf_, clock_.NowNs(), clock_, r, &overrun);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(read, 2);
}

}  // namespace
}  // namespace faultline
