// `matrix:`: what it parses into, and every error with its exact message.
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

constexpr const char* kSteps = "steps:\n  - client: sleep 1ms\n";

TEST(MatrixParser, FamilyAndSysctl) {
  StatusOr<Case> c = LoadCaseText(std::string("name: a\n"
                                              "matrix:\n"
                                              "  family: [ipv6]\n"
                                              "  sysctl:\n"
                                              "    server:\n"
                                              "      net.core.somaxconn: [4, 128]\n"
                                              "      net.ipv4.tcp_syncookies: [0, 1, 2]\n") +
                                      kSteps,
                                  "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->families.size(), 1u);
  EXPECT_EQ(c->families[0], Family::kIPv6);
  ASSERT_EQ(c->matrix.size(), 2u);
  EXPECT_EQ(c->matrix[0].host, "server");
  EXPECT_EQ(c->matrix[0].key, "net.core.somaxconn");
  EXPECT_EQ(c->matrix[0].values, (std::vector<std::string>{"4", "128"}));
  EXPECT_EQ(c->matrix[0].loc.line, 6);
  EXPECT_EQ(c->matrix[1].values.size(), 3u);
}

TEST(MatrixParser, SysctlOnlyKeepsBothFamilies) {
  StatusOr<Case> c = LoadCaseText(
      std::string("name: a\nmatrix:\n  sysctl: {client: {net.ipv4.tcp_syn_retries: [1]}}\n") +
          kSteps,
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->families.size(), 2u);
  ASSERT_EQ(c->matrix.size(), 1u);
  EXPECT_EQ(c->matrix[0].host, "client");
}

TEST(MatrixParser, NoMatrixNoDimensions) {
  StatusOr<Case> c = LoadCaseText(std::string("name: a\n") + kSteps, "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->matrix.empty());
}

struct BadMatrix {
  const char* name;
  const char* yaml;  // between "name: a\n" and the steps
  const char* message;
};

const BadMatrix kBad[] = {
    {"not_a_map", "matrix: [ipv4]\n", "a.yaml:2:9: 'matrix' must be a map, not a list"},
    {"empty", "matrix: {}\n", "a.yaml:2:9: 'matrix' must have family: or sysctl: (or both)"},
    {"unknown_key", "matrix: {familly: [ipv4]}\n",
     "a.yaml:2:10: unknown key 'familly' in matrix (did you mean 'family'?)"},
    {"family_conflict", "family: ipv4\nmatrix: {family: [ipv6]}\n",
     "a.yaml:3:10: 'matrix.family' conflicts with the top-level 'family'; keep one of them"},
    {"family_not_list", "matrix: {family: ipv4}\n",
     "a.yaml:2:18: 'matrix.family' must be a list, not 'ipv4'"},
    {"family_empty", "matrix: {family: []}\n",
     "a.yaml:2:18: 'matrix.family' must name at least one of ipv4, ipv6"},
    {"family_bad", "matrix: {family: [ipv5]}\n",
     "a.yaml:2:19: 'matrix.family' items must be ipv4 or ipv6, not 'ipv5' (did you mean 'ipv4'?)"},
    {"family_twice", "matrix: {family: [ipv6, ipv6]}\n",
     "a.yaml:2:25: 'matrix.family' lists ipv6 twice"},
    {"sysctl_not_map", "matrix: {sysctl: [1]}\n",
     "a.yaml:2:18: 'matrix.sysctl' must be a map, not a list"},
    {"sysctl_empty", "matrix: {sysctl: {}}\n",
     "a.yaml:2:18: 'matrix.sysctl' must name at least one host with sysctls"},
    {"sysctl_host_not_map", "matrix: {sysctl: {server: 1}}\n",
     "a.yaml:2:27: 'matrix.sysctl.server' must be a map, not '1'"},
    {"sysctl_host_empty", "matrix: {sysctl: {server: {}}}\n",
     "a.yaml:2:27: 'matrix.sysctl.server' must list at least one sysctl"},
    {"sysctl_bad_key", "matrix: {sysctl: {server: {kernel.pid_max: [1]}}}\n",
     "a.yaml:2:28: sysctl key 'kernel.pid_max' must start with 'net.' and contain only a-z, 0-9, "
     "'_', '-' and single dots"},
    {"sysctl_misspelt", "matrix: {sysctl: {server: {net.core.somaxcon: [4]}}}\n",
     "a.yaml:2:28: unknown sysctl 'net.core.somaxcon' (did you mean 'net.core.somaxconn'?)"},
    {"sysctl_not_list", "matrix: {sysctl: {server: {net.core.somaxconn: 4}}}\n",
     "a.yaml:2:48: matrix sysctl 'net.core.somaxconn' must be a list of values such as [4, 128], "
     "not '4'"},
    {"sysctl_no_values", "matrix: {sysctl: {server: {net.core.somaxconn: []}}}\n",
     "a.yaml:2:48: matrix sysctl 'net.core.somaxconn' must list at least one value"},
    {"sysctl_value_map", "matrix: {sysctl: {server: {net.core.somaxconn: [{a: 1}]}}}\n",
     "a.yaml:2:49: matrix sysctl 'net.core.somaxconn' values must be numbers or strings, not a "
     "map"},
    {"sysctl_value_twice", "matrix: {sysctl: {server: {net.core.somaxconn: [4, 4]}}}\n",
     "a.yaml:2:52: matrix sysctl 'net.core.somaxconn' lists '4' twice"},
    {"sysctl_unknown_host", "matrix: {sysctl: {sever: {net.core.somaxconn: [4]}}}\n",
     "a.yaml:2:27: 'matrix.sysctl' names host 'sever', which the case does not declare (did you "
     "mean 'server'?)"},
    {"sysctl_also_in_hosts",
     "hosts:\n  client:\n  server: {sysctl: {net.core.somaxconn: 8}}\n"
     "matrix: {sysctl: {server: {net.core.somaxconn: [4]}}}\n",

     "a.yaml:5:28: sysctl 'net.core.somaxconn' of host 'server' is set both in hosts: and in "
     "matrix:; keep one of them"},
    {"too_many_variants",
     "matrix: {sysctl: {server: {net.core.somaxconn: [1, 2, 3, 4, 5, 6, 7, 8], "
     "net.ipv4.tcp_syncookies: [0, 1, 2, 3, 4]}}}\n",

     "a.yaml:2:9: 'matrix' expands to 80 variants; a case has at most 64"},
    {"mtu_and_matrix_ipv6",
     "hosts:\n  client: {mtu: 1000}\n  server:\nmatrix: {family: [ipv4, ipv6]}\n",
     "a.yaml:3:17: host 'client': 'mtu' must be at least 1280 when the case runs on ipv6, not 1000 "
     "(or set family: ipv4)"},
};

class MatrixErrors : public ::testing::TestWithParam<BadMatrix> {};

TEST_P(MatrixErrors, ExactMessage) {
  const BadMatrix& b = GetParam();
  StatusOr<Case> c = LoadCaseText(std::string("name: a\n") + b.yaml + kSteps, "a.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), b.message);
}

INSTANTIATE_TEST_SUITE_P(All, MatrixErrors, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace faultline
