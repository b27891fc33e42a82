// Capture and `packets:` end to end: real labs, real wire, real pcap files.
// Needs root (network namespaces); skips otherwise.
#include <pcap/pcap.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/capture/pcap_format.h"
#include "harness/loader/case_loader.h"
#include "harness/packet/packet_view.h"
#include "harness/runner/case_runner.h"

namespace faultline {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// `text` with every run of digits that follows one of `prefixes` replaced by
// "N".
std::string MaskNumbersAfter(const std::string& text, const std::vector<std::string>& prefixes) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    out += text[i++];
    for (const std::string& p : prefixes) {
      if (out.size() < p.size() || out.compare(out.size() - p.size(), p.size(), p) != 0) continue;
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      if (j != i) out += 'N';
      i = j;
      break;
    }
  }
  return out;
}

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    options_.faultline_bin = FAULTLINE_BIN;
    char tmpl[] = "/tmp/faultline-capture-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Case Load(const std::string& yaml, const std::string& file = "t.yaml") {
    StatusOr<Case> c = LoadCaseText(yaml, file);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : Case{};
  }

  CaseRunOptions options_;
  std::string dir_;
};

// The first SYN dropped; a whole connection, closed by both sides.
constexpr const char* kFirstSynDropped = R"(name: first-syn-dropped
timeout: 10s
faults:
  - match: {from: client, tcp: SYN, nth: 1}
    do: drop
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c, expect: {ret: 0, took: [0.9s, 1.6s]}}
  - server: {accept: ls, as: s}
  - client: {send: c, data: "hello"}
  - server: {recv: s, size: 10, expect: {data: "hello"}}
  - client: close c
  - server: {recv: s, expect: {ret: 0}}
  - server: close s
packets:
  - {match: {from: client, tcp: SYN}, at: sent, count: 2, gaps: [[0.9s, 1.6s]]}
  - {match: {from: client, tcp: SYN}, at: received, count: 1}
  - {match: {tcp: RST}, count: 0}
  - order: [{from: client, tcp: FIN}, {from: server, tcp: FIN}]
)";

TEST_F(CaptureTest, DroppedSynTwoSentOneReceivedAndThePcapHoldsBothDirections) {
  Case c = Load(kFirstSynDropped, "cases/x/first syn.yaml");
  options_.out_dir = dir_;
  CaseResult r = RunCaseVariant(c, Family::kIPv4, options_);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.packet_checks.size(), 4u);
  for (const PacketCheckRecord& p : r.packet_checks) EXPECT_TRUE(p.ok) << p.failure;
  EXPECT_EQ(r.capture_dropped, 0u);
  EXPECT_EQ(r.pcap_path, dir_ + "/pcap/first_syn-ipv4.pcap");

  // libpcap itself opens it, as Wireshark would.
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(r.pcap_path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_EQ(pcap_datalink(p), DLT_LINUX_SLL2);
  int n = 0;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) ++n;
  pcap_close(p);

  StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(r.pcap_path);
  ASSERT_TRUE(pk.ok()) << pk.status().message();
  EXPECT_EQ(static_cast<int>(pk->size()), n);
  // Both interfaces, both directions on each; both FINs arrived, and the
  // client's last ACK (after the server's FIN) was written before the file
  // closed.
  std::set<std::pair<uint32_t, uint8_t>> seen;
  int fins_delivered = 0;
  bool last_ack = false;
  for (const CapturedPacket& cp : *pk) {
    PacketView v = ParsePacket(cp.ip);
    if (!v.ok || !v.is_tcp()) continue;
    seen.insert({cp.ifindex, cp.pkttype});
    if (v.has(kTcpFin) && cp.pkttype == kPacketOutgoing) ++fins_delivered;
    if (fins_delivered == 2 && !v.has(kTcpFin) && v.has(kTcpAck)) last_ack = true;
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(fins_delivered, 2);
  EXPECT_TRUE(last_ack);
}

TEST_F(CaptureTest, WithoutAnOutputDirectoryNothingIsWritten) {
  Case c = Load(kFirstSynDropped);
  CaseResult r = RunCaseVariant(c, Family::kIPv6, options_);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.pcap_path, "");
  EXPECT_EQ(r.packet_checks.size(), 4u);
}

TEST_F(CaptureTest, UnmetPacketsExpectationFailsTheCaseWithTheDump) {
  Case c = Load(R"(name: x
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
packets:
  - {match: {from: client, tcp: SYN}, count: 2}
)");
  CaseResult r = RunCaseVariant(c, Family::kIPv4, options_);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_THAT(r.message, StartsWith("t.yaml:6:5: packets 1 (client > any tcp SYN, sent): "
                                    "expected count 2 vs actual 1\n  #"));
  // The client's port, its timestamp and its window scale vary by run and
  // kernel: masked, the rest of each line word for word.
  const std::string masked = MaskNumbersAfter(r.message, {"client:", "TS val ", "wscale "});
  const std::string syn =
      "client:N > server:8080 tcp S seq 0 win 64240 <mss 1460,sackOK,TS val N ecr 0,nop,wscale "
      "N> len 0";
  EXPECT_THAT(masked, HasSubstr("s sent by client       " + syn + "\n"));
  EXPECT_THAT(masked, EndsWith("s delivered to server  " + syn));
  EXPECT_EQ(r.message_loc.line, 6);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_TRUE(r.steps[1].ok);
}

TEST_F(CaptureTest, SixteenCapturesAtOnce) {
  Case c = Load(R"(name: many
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, size: 20000}
  - server: {recv: s, size: 20000, flags: [MSG_WAITALL], expect: {bytes: 20000}}
packets:
  - {match: {from: client, tcp: SYN}, count: 1}
  - {match: {from: client, tcp: DATA}, at: received, count: ">= 14"}
)");
  options_.out_dir = dir_;
  std::vector<CaseResult> results(16);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = RunCaseVariant(c, i % 2 ? Family::kIPv6 : Family::kIPv4, options_);
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> paths;
  for (const CaseResult& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
    EXPECT_EQ(r.capture_dropped, 0u);
    paths.insert(r.pcap_path);
    StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(r.pcap_path);
    EXPECT_TRUE(pk.ok()) << r.pcap_path;
  }
  EXPECT_EQ(paths.size(), results.size());  // one file each: t-ipv4.pcap, t-ipv4-2.pcap, ...
}

}  // namespace
}  // namespace faultline
