#include "harness/model/lab_vars.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

VarLookup TestLookup(bool ipv6) {
  LabVarValues v;
  v.ipv6 = ipv6;
  v.workdir = "/tmp/w";
  v.address = [](const std::string& host, bool six) -> std::optional<std::string> {
    if (host != "server") return std::nullopt;
    return std::string(six ? "2001:2:0:2::2" : "198.18.2.2");
  };
  return LabVarLookup(v);
}

TEST(LabVars, ExpandsHostAddressesInTheVariantsFamily) {
  EXPECT_EQ(ExpandVars("http://${server.url_addr}:8080/", TestLookup(false)).value(),
            "http://198.18.2.2:8080/");
  EXPECT_EQ(ExpandVars("http://${server.url_addr}:8080/", TestLookup(true)).value(),
            "http://[2001:2:0:2::2]:8080/");
  EXPECT_EQ(ExpandVars("${server.addr}", TestLookup(true)).value(), "2001:2:0:2::2");
  EXPECT_EQ(ExpandVars("${server.addr4} ${server.addr6}", TestLookup(true)).value(),
            "198.18.2.2 2001:2:0:2::2");
  EXPECT_EQ(ExpandVars("${family} in ${workdir}", TestLookup(true)).value(), "ipv6 in /tmp/w");
}

TEST(LabVars, DollarEscapesAndLoneDollars) {
  EXPECT_EQ(ExpandVars("$$HOME costs $5 $", TestLookup(false)).value(), "$HOME costs $5 $");
  EXPECT_EQ(ExpandVars("$${server.addr}", TestLookup(false)).value(), "${server.addr}");
}

TEST(LabVars, UnknownAndUnterminatedAreErrorsWithTheOffset) {
  size_t at = 0;
  StatusOr<std::string> r = ExpandVars("curl ${client.adr}", TestLookup(false), &at);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unknown variable ${client.adr}");
  EXPECT_EQ(at, 5u);
  r = ExpandVars("x ${server.addr", TestLookup(false), &at);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unterminated ${ (no closing })");
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(ExpandVars("${nohost.addr}", TestLookup(false)).ok());
  EXPECT_FALSE(ExpandVars("${server}", TestLookup(false)).ok());
}

}  // namespace
}  // namespace faultline
