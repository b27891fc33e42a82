#include "harness/common/cmsg.h"

#include <gtest/gtest.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>

namespace faultline {
namespace {

// A control buffer built by hand, as the kernel lays it out.
class Control {
 public:
  template <typename T>
  void Add(int level, int type, const T& value) {
    const size_t at = buf_.size();
    buf_.resize(at + CMSG_SPACE(sizeof(T)));
    cmsghdr h{};
    h.cmsg_len = CMSG_LEN(sizeof(T));
    h.cmsg_level = level;
    h.cmsg_type = type;
    memcpy(buf_.data() + at, &h, sizeof h);
    memcpy(buf_.data() + at + CMSG_LEN(0), &value, sizeof(T));
  }
  const std::vector<uint8_t>& bytes() const { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

std::vector<CmsgFields> Decoded(const std::vector<uint8_t>& b) {
  std::vector<CmsgFields> out;
  for (const RawCmsg& c : ParseControl(b.data(), b.size())) out.push_back(DecodeCmsg(c));
  return out;
}

TEST(Cmsg, DecodesRecverrTimestampingAndInq) {
  Control c;
  timespec ts[3] = {{12, 345}, {0, 0}, {0, 0}};
  c.Add(SOL_SOCKET, SCM_TIMESTAMPING, ts);
  sock_extended_err ee{};
  ee.ee_errno = ENOMSG;
  ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
  ee.ee_info = SCM_TSTAMP_ACK;
  ee.ee_data = 1999;
  c.Add(SOL_IP, IP_RECVERR, ee);
  ee = {};
  ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
  ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
  ee.ee_info = 1;
  ee.ee_data = 2;
  c.Add(SOL_IPV6, IPV6_RECVERR, ee);
  c.Add(SOL_TCP, TCP_CM_INQ, 9000);
  c.Add(SOL_IP, IP_TTL, 64);
  const std::vector<CmsgFields> d = Decoded(c.bytes());
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0].ToString(), "timestamping {sec=12, nsec=345}");
  EXPECT_EQ(d[1].ToString(),
            "recverr {ee_errno=ENOMSG, ee_origin=4, ee_type=0, ee_code=0, ee_info=2, "
            "ee_data=1999}");
  EXPECT_EQ(d[2].ToString(),
            "recverr {ee_errno=0, ee_origin=5, ee_type=0, ee_code=1, ee_info=1, ee_data=2}");
  EXPECT_EQ(d[3].ToString(), "inq {value=9000}");
  EXPECT_EQ(d[4].ToString(), "level 0 type 2");
}

TEST(Cmsg, TruncatedBuffersAndShortPayloads) {
  Control c;
  c.Add(SOL_TCP, TCP_CM_INQ, 7);
  std::vector<uint8_t> b = c.bytes();
  EXPECT_TRUE(ParseControl(b.data(), CMSG_LEN(0) - 1).empty());
  // A header whose length runs past the buffer ends the list.
  EXPECT_TRUE(ParseControl(b.data(), CMSG_LEN(sizeof(int)) - 1).empty());
  EXPECT_EQ(ParseControl(b.data(), b.size()).size(), 1u);
  Control shortc;
  shortc.Add(SOL_IP, IP_RECVERR, uint16_t{1});
  const std::vector<CmsgFields> d = Decoded(shortc.bytes());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(), "recverr");
}

TEST(Cmsg, HoldsComparesKindAndListedFields) {
  CmsgFields got{"recverr", {{"ee_errno", 0}, {"ee_origin", 5}, {"ee_info", 3}, {"ee_data", 4}}};
  EXPECT_TRUE(CmsgHolds({"recverr", {}}, got));
  EXPECT_TRUE(CmsgHolds({"recverr", {{"ee_origin", 5}, {"ee_data", 4}}}, got));
  EXPECT_FALSE(CmsgHolds({"recverr", {{"ee_data", 5}}}, got));
  EXPECT_FALSE(CmsgHolds({"inq", {}}, got));
  EXPECT_FALSE(CmsgHolds({"recverr", {{"ee_code", 0}}}, CmsgFields{"recverr", {}}));
  // timestamping: a software stamp must be there; its time is not compared.
  EXPECT_TRUE(CmsgHolds({"timestamping", {}}, {"timestamping", {{"sec", 1}, {"nsec", 0}}}));
  EXPECT_FALSE(CmsgHolds({"timestamping", {}}, {"timestamping", {{"sec", 0}, {"nsec", 0}}}));
  EXPECT_FALSE(CmsgHolds({"timestamping", {}}, {"timestamping", {}}));
}

TEST(Cmsg, ConstantsAndTimestampingFlags) {
  EXPECT_EQ(CmsgConstant("SO_EE_ORIGIN_ZEROCOPY"), 5);
  EXPECT_EQ(CmsgConstant("SO_EE_ORIGIN_TIMESTAMPING"), 4);
  EXPECT_EQ(CmsgConstant("SO_EE_CODE_ZEROCOPY_COPIED"), 1);
  EXPECT_EQ(CmsgConstant("SCM_TSTAMP_SCHED"), 1);
  EXPECT_EQ(CmsgConstant("ENOMSG"), ENOMSG);
  EXPECT_EQ(CmsgConstant("SO_EE_NOPE"), std::nullopt);
  EXPECT_EQ(TimestampingFlag("SOF_TIMESTAMPING_OPT_ID"), 0x80);
  EXPECT_EQ(TimestampingFlag("SOF_TIMESTAMPING_TX_ACK"), 0x200);
  EXPECT_EQ(TimestampingFlag("SO_TIMESTAMPING"), std::nullopt);
  EXPECT_EQ(TimestampingFlagNames().size(), 15u);
}

}  // namespace
}  // namespace faultline
