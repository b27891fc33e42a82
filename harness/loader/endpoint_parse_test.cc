#include "harness/loader/endpoint_parse.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

const std::vector<std::string> kHosts = {"client", "server"};
const std::vector<Family> kBoth = {Family::kIPv4, Family::kIPv6};

std::string Err(std::string_view text, const std::vector<Family>& fams = kBoth) {
  StatusOr<Endpoint> e = ParseEndpoint(text, kHosts, fams);
  return e.ok() ? "ok" : e.status().message();
}

TEST(EndpointParseTest, Forms) {
  StatusOr<Endpoint> e = ParseEndpoint("server:8080", kHosts, kBoth);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, Endpoint::Kind::kHost);
  EXPECT_EQ(e->host, "server");
  EXPECT_EQ(e->port, 8080);
  e = ParseEndpoint("any:0", kHosts, kBoth);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, Endpoint::Kind::kAny);
  EXPECT_EQ(e->port, 0);
  e = ParseEndpoint("198.19.255.1:65535", kHosts, kBoth);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, Endpoint::Kind::kLiteral);
  EXPECT_EQ(e->literal, "198.19.255.1");
  EXPECT_EQ(e->port, 65535);
  e = ParseEndpoint("[2001:0002:0000:0002::0002]:80", kHosts, kBoth);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->literal, "2001:2:0:2::2");
  EXPECT_EQ(e->ToString(), "[2001:2:0:2::2]:80");
  EXPECT_EQ(Err("127.0.0.1:1"), "ok");
  EXPECT_EQ(Err("[::1]:1"), "ok");
  EXPECT_EQ(Err("[2001:2:0:ffff::9]:1"), "ok");
}

TEST(EndpointParseTest, LabRanges) {
  const char* kOut = " is outside the lab ranges (198.18.0.0/15, 2001:2::/48, loopback)";
  EXPECT_EQ(Err("198.17.255.255:1"), std::string("address 198.17.255.255") + kOut);
  EXPECT_EQ(Err("198.20.0.1:1"), std::string("address 198.20.0.1") + kOut);
  EXPECT_EQ(Err("10.0.0.1:1"), std::string("address 10.0.0.1") + kOut);
  EXPECT_EQ(Err("[2001:2:1::1]:1"), std::string("address 2001:2:1::1") + kOut);
  EXPECT_EQ(Err("[::2]:1"), std::string("address ::2") + kOut);
}

TEST(EndpointParseTest, FamilyMismatch) {
  EXPECT_EQ(Err("198.18.1.2:1", {Family::kIPv6}),
            "IPv4 address 198.18.1.2 cannot be used in a case that runs on ipv6 only (see "
            "'family')");
  EXPECT_EQ(Err("[2001:2::1]:1", {Family::kIPv4}),
            "IPv6 address 2001:2::1 cannot be used in a case that runs on ipv4 only (see "
            "'family')");
  EXPECT_EQ(Err("server:1", {Family::kIPv4}), "ok");
}

TEST(EndpointParseTest, Malformed) {
  const char* kForms =
      " is not an endpoint (expected HOST:PORT, any:PORT, 198.18.2.2:PORT or "
      "[2001:2:0:2::2]:PORT)";
  EXPECT_EQ(Err("server"), std::string("'server'") + kForms);
  EXPECT_EQ(Err(""), std::string("''") + kForms);
  EXPECT_EQ(Err(":80"), std::string("':80'") + kForms);
  EXPECT_EQ(Err("[2001:2::1:80"), std::string("'[2001:2::1:80'") + kForms);
  EXPECT_EQ(Err("server:"), "port '' in 'server:' must be an integer 0..65535");
  EXPECT_EQ(Err("server:65536"), "port '65536' in 'server:65536' must be an integer 0..65535");
  EXPECT_EQ(Err("server:-1"), "port '-1' in 'server:-1' must be an integer 0..65535");
  EXPECT_EQ(Err("server:123456789012"),
            "port '123456789012' in 'server:123456789012' must be an integer 0..65535");
  EXPECT_EQ(Err("198.18.1:80"), "'198.18.1' in '198.18.1:80' is not an IPv4 address");
  EXPECT_EQ(Err("[198.18.1.1]:80"), "'198.18.1.1' in '[198.18.1.1]:80' is not an IPv6 address");
  EXPECT_EQ(Err("[fe80::1%eth0]:80"),
            "'fe80::1%eth0' in '[fe80::1%eth0]:80' is not an IPv6 address");
  EXPECT_EQ(Err("clinet:80"),
            "'clinet' in 'clinet:80' is not a declared host (did you mean 'client'?)");
  EXPECT_EQ(Err("wire:80"),
            "'wire' in 'wire:80' is not a declared host; the hosts are: client, server");
  EXPECT_EQ(Err("2001:2::1:80"),
            "'2001:2::1:80' is not an endpoint: an IPv6 address needs brackets, as in "
            "[2001:2:0:2::2]:80");
}

TEST(EndpointParseTest, HostNames) {
  EXPECT_TRUE(IsHostName("client"));
  EXPECT_TRUE(IsHostName("a"));
  EXPECT_TRUE(IsHostName("r1_x-2"));
  EXPECT_TRUE(IsHostName("abcdefghijkl"));
  EXPECT_FALSE(IsHostName("abcdefghijklm"));
  EXPECT_FALSE(IsHostName(""));
  EXPECT_FALSE(IsHostName("1a"));
  EXPECT_FALSE(IsHostName("Client"));
  EXPECT_FALSE(IsHostName("a.b"));
}

}  // namespace
}  // namespace faultline
