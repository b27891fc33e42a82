// Robustness: the loader must return (ok or an error with a location) on
// any input, never crash, throw or hang. Run under -DFAULTLINE_SANITIZE=ON
// to also catch memory errors.
#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

const std::string kCase = R"(name: fuzz-seed
description: "a case that uses most constructs"
tags: [a, b-c]
family: [ipv4, ipv6]
timeout: 5s
seed: 7
hosts:
  client: {sysctl: {net.ipv4.tcp_syn_retries: 2}, mtu: 1400}
  server:
faults:
  - match: {from: client, to: server, tcp: [FIN], nth: 1, length: [0, 10], window: [0s, 1s]}
    do: hold
    until: {step: go}
    then: drop
  - {match: {proto: udp, probability: 0.5}, do: reorder, count: 3, order: [3, 1, 2]}
steps:
  - server: listen 8080
  - server: {accept: ls, as: s, async: true}
  - client: connect server:8080 as c
  - await: s
  - client: {send: c, data: "x\n", flags: [MSG_NOSIGNAL], expect: {bytes: 2, took: "<= 1s"}}
    label: go
  - server: {recv: s, until: "\n", expect: {data: "x\n"}}
  - client: {setsockopt: c, opt: SO_LINGER, value: {onoff: true, linger: 0}}
  - client: {poll: c, events: [in], timeout: 1s, expect: {ret: 1, revents: [in]}}
  - client: {connect: "[2001:2:0:2::2]:80", as: d, expect: {ret: error, errno: [ECONNREFUSED]}}
  - client: close c
)";

void ExpectSane(const std::string& text) {
  StatusOr<Case> c = LoadCaseText(text, "f.yaml");
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(c.status().message().rfind("f.yaml:", 0), 0u) << c.status().message();
  }
}

TEST(CaseLoaderFuzzTest, TheSeedLoads) {
  StatusOr<Case> c = LoadCaseText(kCase, "f.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->steps.size(), 10u);
}

TEST(CaseLoaderFuzzTest, EveryPrefix) {
  int ok = 0;
  for (size_t n = 0; n <= kCase.size(); ++n) {
    std::string prefix = kCase.substr(0, n);
    ExpectSane(prefix);
    if (LoadCaseText(prefix, "f.yaml").ok()) ++ok;
  }
  EXPECT_GT(ok, 0);  // at least the whole case
}

TEST(CaseLoaderFuzzTest, ByteMutations) {
  std::mt19937 rng(12345);  // fixed: failures reproduce
  const std::string alphabet = " \t\n:-[]{},'\"#&*!|>%@`?\\0aZ9.\x01\xff";
  for (int i = 0; i < 3000; ++i) {
    std::string t = kCase;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(at, 1 + rng() % 8); break;
        case 2: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
      if (t.empty()) t = "x";
    }
    ExpectSane(t);
  }
}

TEST(CaseLoaderFuzzTest, OddInputs) {
  const char* inputs[] = {
      "",
      "\n\n\n",
      "~",
      "[]",
      "{}",
      "- - -",
      "name:",
      "name: a\nsteps:",
      "name: a\nsteps: [~]",
      "name: a\nsteps: [[]]",
      "name: a\nsteps: [{client: ~}]",
      "name: a\nsteps: [{client: {}}]",
      "name: a\nsteps: [{await: ~}]",
      "name: a\nsteps: [{client: {socket: ~, as: ~}}]",
      "name: a\nsteps: [{client: {listen: ~}}]",
      "name: a\nsteps: [{client: {connect: [1]}}]",
      "name: a\nhosts: ~\nsteps: [{client: sleep 1s}]",
      "name: a\nhosts: {server: {sysctl: ~}}\nsteps: [{server: sleep 1s}]",
      "name: a\nsteps: [{client: sleep 1s}]\nfaults: [{match: ~, do: ~}]",
      "name: a\nsteps: [{client: sleep 1s}]\nfaults: [{match: {tcp: []}, do: drop}]",
      "name: a\nsteps: [{client: sleep 1s}]\nfaults: [{match: {}, do: hold, until: ~}]",
      "name: a\nsteps: [{client: sleep 1s}]\nfaults: [{match: {}, do: reorder, count: 2, order: "
      "~}]",
      "name: &x a\nsteps: [{client: *x}]",
      "name: *undefined",
      "? [a, b]\n: c",
      "name: !!binary aGVsbG8=\nsteps: [{client: sleep 1s}]",
      "name: a\nsteps: [{client: sleep 1e999s}]",
      "name: a\nsteps: [{client: sleep 99999999999999999999s}]",
      "name: a\ntimeout: -1s\nsteps: [{client: sleep 1s}]",
      "%YAML 1.2\n---\nname: a\n",
      "---\n...\n",
      "\xef\xbb\xbfname: a\n",
      "name: a\nsteps:\n  - client: {send: c, size: 1, size: 2}",
  };
  for (const char* in : inputs) ExpectSane(in);
  ExpectSane(std::string(100000, '{'));
  ExpectSane(std::string(100000, '-'));
  ExpectSane("name: " + std::string(1 << 20, 'a') + "\nsteps: [{client: sleep 1s}]");
  std::string binary;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>(rng() % 255 + 1);
  ExpectSane(binary);
}

}  // namespace
}  // namespace faultline
