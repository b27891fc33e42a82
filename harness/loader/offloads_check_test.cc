#include "harness/loader/offloads_check.h"

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

std::string Error(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "a.yaml");
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  return c.status().message();
}

TEST(OffloadsKeyTest, DefaultsOffAndReadsTrue) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nhosts:\n  client: {offloads: true}\n  server:\nsteps:\n  - client: sleep 1ms\n",
      "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_TRUE(c->hosts[0].offloads);
  EXPECT_FALSE(c->hosts[1].offloads);
}

TEST(OffloadsKeyTest, FalseIsAccepted) {
  StatusOr<Case> c = LoadCaseText(
      "name: a\nhosts:\n  client: {offloads: false}\nsteps:\n  - client: sleep 1ms\n", "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->hosts[0].offloads);
}

TEST(OffloadsKeyTest, NotABool) {
  EXPECT_EQ(Error("name: a\nhosts:\n  server: {offloads: maybe}\nsteps:\n  - server: sleep 1s\n"),
            "a.yaml:3:22: host 'server': 'offloads' must be true or false, not 'maybe'");
}

TEST(OffloadsKeyTest, Misspelt) {
  EXPECT_EQ(Error("name: a\nhosts:\n  server: {ofloads: true}\nsteps:\n  - server: sleep 1s\n"),
            "a.yaml:3:12: host 'server': unknown key 'ofloads' (did you mean 'offloads'?)");
}

TEST(OffloadsCheckTest, CorruptWithOffloadsIsAnError) {
  EXPECT_EQ(Error("name: a\nhosts:\n  client:\n  server: {offloads: true}\nfaults:\n"
                  "  - match: {from: client, tcp: DATA}\n    do: drop\n"
                  "  - match: {from: client, tcp: DATA}\n    do: corrupt\n"
                  "steps:\n  - client: sleep 1s\n"),
            "a.yaml:8:5: fault 2: 'corrupt' cannot be used when a host has offloads: true (host "
            "'server'): the checksum is computed after the wire, so the receiver would take the "
            "corrupted bytes");
}

TEST(OffloadsCheckTest, DuplicateWithOffloadsIsAnError) {
  EXPECT_EQ(Error("name: a\nhosts:\n  client: {offloads: true}\nfaults:\n"
                  "  - match: {tcp: SYN}\n    do: duplicate\n    copies: 2\n"
                  "steps:\n  - client: sleep 1s\n"),
            "a.yaml:5:5: fault 1: 'duplicate' cannot be used when a host has offloads: true (host "
            "'client'): the wire cannot send copies of GSO super-packets");
}

TEST(OffloadsCheckTest, BottleneckAndSlotsWithOffloadsAreErrors) {
  EXPECT_EQ(Error("name: a\nhosts:\n  client: {offloads: true}\nfaults:\n"
                  "  - match: {tcp: DATA}\n    do: bottleneck\n    rate: 10mbit\n"
                  "steps:\n  - client: sleep 1s\n"),
            "a.yaml:5:5: fault 1: 'bottleneck' cannot be used when a host has offloads: true "
            "(host 'client'): a GSO super-packet would cross the link as one packet of up to 64 "
            "KB, not as the segments it becomes on the wire");
  EXPECT_EQ(Error("name: a\nhosts:\n  client: {offloads: true}\nfaults:\n"
                  "  - match: {tcp: DATA}\n    do: slots\n    interval: 10ms\n    packets: 2\n"
                  "steps:\n  - client: sleep 1s\n"),
            "a.yaml:5:5: fault 1: 'slots' cannot be used when a host has offloads: true "
            "(host 'client'): a GSO super-packet would cross the link as one packet of up to 64 "
            "KB, not as the segments it becomes on the wire");
}

TEST(OffloadsCheckTest, OtherActionsWithOffloadsAreFine) {
  EXPECT_EQ(Error("name: a\nhosts:\n  client: {offloads: true}\n  server:\nfaults:\n"
                  "  - match: {tcp: SYN}\n    do: drop\n"
                  "  - match: {tcp: DATA}\n    do: delay\n    delay: 10ms\n"
                  "steps:\n  - client: sleep 1s\n"),
            "");
}

TEST(OffloadsCheckTest, CorruptWithoutOffloadsIsFine) {
  EXPECT_EQ(Error("name: a\nfaults:\n  - match: {tcp: DATA}\n    do: corrupt\n"
                  "steps:\n  - client: sleep 1s\n"),
            "");
}

}  // namespace
}  // namespace faultline
