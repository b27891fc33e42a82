#include "harness/lab/addr_plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string.h>

#include "harness/lab/lab.h"

namespace faultline {
namespace {

HostSpec Host(std::string name, int mtu = 1500) {
  HostSpec h;
  h.name = std::move(name);
  h.mtu = mtu;
  return h;
}

TEST(PlanAddresses, FirstHost) {
  LinkAddresses a = PlanAddresses(1, true);
  EXPECT_EQ(a.addr4, "198.18.1.2");
  EXPECT_EQ(a.gw4, "198.18.1.1");
  EXPECT_EQ(a.addr6, "2001:2:0:1::2");
  EXPECT_EQ(a.gw6, "2001:2:0:1::1");
  EXPECT_EQ(a.prefix4, 24);
  EXPECT_EQ(a.prefix6, 64);
}

TEST(PlanAddresses, IPv6GroupIsHex) {
  LinkAddresses a = PlanAddresses(250, true);
  EXPECT_EQ(a.addr4, "198.18.250.2");
  EXPECT_EQ(a.addr6, "2001:2:0:fa::2");
  EXPECT_EQ(a.gw6, "2001:2:0:fa::1");
}

TEST(PlanAddresses, FixedLocallyAdministeredMacs) {
  LinkAddresses a = PlanAddresses(7, true);
  const unsigned char host[6] = {0x02, 0x66, 0x6c, 0x00, 0x07, 0x02};
  const unsigned char wire[6] = {0x02, 0x66, 0x6c, 0x00, 0x07, 0x01};
  EXPECT_EQ(memcmp(a.mac, host, 6), 0);
  EXPECT_EQ(memcmp(a.gw_mac, wire, 6), 0);
  EXPECT_EQ(a.mac[0] & 0x01, 0) << "unicast";
  EXPECT_EQ(a.mac[0] & 0x02, 0x02) << "locally administered";
}

TEST(PlanAddresses, NoIPv6LeavesItEmpty) {
  LinkAddresses a = PlanAddresses(2, false);
  EXPECT_EQ(a.addr4, "198.18.2.2");
  EXPECT_TRUE(a.addr6.empty());
  EXPECT_TRUE(a.gw6.empty());
}

TEST(WireIfindex, DiffersFromHostEnd) {
  for (int i = 1; i <= kLabMaxHosts; ++i) EXPECT_NE(WireIfindex(i), kHostIfindex);
}

TEST(ValidateLabSpec, AcceptsClientServer) {
  LabSpec s{{Host("client"), Host("server", 576), Host("a-b_9", 65535)}};
  EXPECT_TRUE(ValidateLabSpec(s).ok());
}

TEST(ValidateLabSpec, RejectsEmpty) {
  Status st = ValidateLabSpec(LabSpec{});
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("at least one host"), std::string::npos) << st.message();
}

TEST(ValidateLabSpec, RejectsDuplicateName) {
  Status st = ValidateLabSpec(LabSpec{{Host("client"), Host("client")}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(), "lab: host name 'client' is used twice");
}

TEST(ValidateLabSpec, RejectsBadNames) {
  for (const char* bad : {"", "Client", "9abc", "abcdefghijklm", "a.b", "a b"}) {
    Status st = ValidateLabSpec(LabSpec{{Host(bad)}});
    EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << bad;
  }
  // 12 characters is the limit: "w-" + 12 fits IFNAMSIZ.
  EXPECT_TRUE(ValidateLabSpec(LabSpec{{Host("abcdefghijkl")}}).ok());
}

TEST(ValidateLabSpec, RejectsUnusableInterfaceNames) {
  for (const char* bad : {"", "lo", "a b", "x/y", "a:1", "abcdefghijklmnop"}) {
    HostSpec h = Host("client");
    h.ifname = bad;
    Status st = ValidateLabSpec(LabSpec{{h}});
    EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << bad;
    EXPECT_EQ(st.message(), fmt::format("host 'client': interface name '{}' is not a usable "
                                        "link name",
                                        bad));
  }
  HostSpec h = Host("client");
  h.ifname = "tun0";
  EXPECT_TRUE(ValidateLabSpec(LabSpec{{h}}).ok());
  EXPECT_EQ(Host("client").ifname, "eth0");  // the default: YAML cases
}

TEST(ValidateLabSpec, RejectsMtuOutOfRange) {
  Status st = ValidateLabSpec(LabSpec{{Host("client", 575)}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(), "host 'client': mtu 575 is outside [576, 65535]");
  EXPECT_EQ(ValidateLabSpec(LabSpec{{Host("client", 65536)}}).code(), StatusCode::kInvalidInput);
}

TEST(ValidateLabSpec, RejectsTooManyHosts) {
  LabSpec s;
  for (int i = 0; i <= kLabMaxHosts; ++i) s.hosts.push_back(Host("h" + std::to_string(i)));
  EXPECT_EQ(ValidateLabSpec(s).code(), StatusCode::kInvalidInput);
  s.hosts.pop_back();
  EXPECT_TRUE(ValidateLabSpec(s).ok());
}

}  // namespace
}  // namespace faultline
