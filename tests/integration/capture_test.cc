// Capture and `packets:` end to end: real labs, real wire, real pcap files.
// Needs root (network namespaces); skips otherwise.
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// What libpcap itself reads from `path`, as Wireshark would: the link type
// and each record's captured and original length.
struct LibpcapRead {
  int linktype = -1;
  std::vector<std::pair<uint32_t, uint32_t>> lens;  // caplen, len
};
LibpcapRead ReadWithLibpcap(const std::string& path) {
  LibpcapRead r;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  EXPECT_NE(p, nullptr) << err;
  if (p == nullptr) return r;
  r.linktype = pcap_datalink(p);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) r.lens.emplace_back(h->caplen, h->len);
  pcap_close(p);
  return r;
}

TEST_F(CaptureTest, DroppedSynTwoSentOneReceivedAndEachHostsPcapHoldsItsLink) {
  Case c = Load(kFirstSynDropped, "cases/x/first syn.yaml");
  options_.out_dir = dir_;
  CaseResult r = RunCaseVariant(c, Family::kIPv4, options_);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  ASSERT_EQ(r.packet_checks.size(), 4u);
  for (const PacketCheckRecord& p : r.packet_checks) EXPECT_TRUE(p.ok) << p.failure;
  EXPECT_EQ(r.capture_dropped, 0u);
  ASSERT_EQ(r.pcaps,
            (std::vector<CaseResult::Pcap>{{"client", dir_ + "/pcap/first_syn-ipv4/client.pcap"},
                                           {"server", dir_ + "/pcap/first_syn-ipv4/server.pcap"}}));

  // Per file: SYNs the host sent (OUTGOING from its side) and received
  // (HOST), FINs, and the interface index (one: the host's own link).
  struct Seen {
    int syn_sent = 0, syn_received = 0, fins = 0;
    std::set<uint32_t> ifindexes;
    bool last_ack = false;
  };
  std::vector<Seen> seen(2);
  for (size_t i = 0; i < 2; ++i) {
    LibpcapRead lr = ReadWithLibpcap(r.pcaps[i].path);
    EXPECT_EQ(lr.linktype, DLT_LINUX_SLL2);
    StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(r.pcaps[i].path);
    ASSERT_TRUE(pk.ok()) << pk.status().message();
    EXPECT_EQ(pk->size(), lr.lens.size());
    for (const CapturedPacket& cp : *pk) {
      PacketView v = ParsePacket(cp.ip);
      if (!v.ok || !v.is_tcp()) continue;
      seen[i].ifindexes.insert(cp.ifindex);
      if (v.has(kTcpSyn) && !v.has(kTcpAck)) {
        ++(cp.pkttype == kPacketOutgoing ? seen[i].syn_sent : seen[i].syn_received);
      }
      if (v.has(kTcpFin)) ++seen[i].fins;
      if (seen[i].fins == 2 && !v.has(kTcpFin) && v.has(kTcpAck)) seen[i].last_ack = true;
    }
  }
  // The client's link carried both SYNs (the wire dropped the first), the
  // server's only the second; each file has each packet once.
  EXPECT_EQ(seen[0].syn_sent, 2);
  EXPECT_EQ(seen[0].syn_received, 0);
  EXPECT_EQ(seen[1].syn_sent, 0);
  EXPECT_EQ(seen[1].syn_received, 1);
  for (const Seen& s : seen) {
    EXPECT_EQ(s.fins, 2);
    EXPECT_EQ(s.ifindexes.size(), 1u);
    EXPECT_NE(*s.ifindexes.begin(), 0u);
    EXPECT_TRUE(s.last_ack);  // written before the file closed
  }
}

// A clean exchange: request and response of 1000 bytes, three times, then
// both sides close. One segment in flight at a time, so the kernel's tail
// loss probe needs a 200 ms delay (TCP_RTO_MIN) before it sends a real
// retransmission: a bulk transfer's tail probe fires after two RTTs plus two
// jiffies, which a loaded machine reaches, and Wireshark rightly flags it.
constexpr const char* kCleanExchange = R"(name: clean
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {send: c, size: 1000}
  - server: {recv: s, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - server: {send: s, size: 1000}
  - client: {recv: c, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - client: {send: c, size: 1000}
  - server: {recv: s, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - server: {send: s, size: 1000}
  - client: {recv: c, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - client: {send: c, size: 1000}
  - server: {recv: s, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - server: {send: s, size: 1000}
  - client: {recv: c, size: 1000, flags: [MSG_WAITALL], expect: {bytes: 1000}}
  - client: close c
  - server: {recv: s, expect: {ret: 0}}
  - server: close s
)";

// Runs `cmd` and returns its standard output; -1 status if it could not run.
std::pair<int, std::string> Output(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return {pclose(f), out};
}

// What tshark's TCP expert analysis flags as a retransmission, duplicate ACK
// or out-of-order segment in `path`, one line per packet ("" for none).
std::string ExpertFlags(const std::string& path) {
  auto [st, flagged] =
      Output("tshark -n -r '" + path +
             "' -Y 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
             "tcp.analysis.spurious_retransmission || tcp.analysis.duplicate_ack || "
             "tcp.analysis.out_of_order' 2>/dev/null");
  EXPECT_EQ(st, 0) << path << ": " << flagged;
  return flagged;
}

TEST_F(CaptureTest, WiresharkFlagsNoRetransmissionOrDuplicateAckOnACleanCase) {
  if (system("command -v tshark >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tshark is not installed (ci/install-deps.sh installs it): "
                    "the expert analysis cannot run";
  }
  Case c = Load(kCleanExchange, "clean.yaml");
  options_.out_dir = dir_;
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    CaseResult r = RunCaseVariant(c, f, options_);
    ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
    EXPECT_EQ(r.capture_dropped, 0u);
    ASSERT_EQ(r.pcaps.size(), 2u);
    for (const CaseResult::Pcap& p : r.pcaps) {
      // Headers only: no record longer than the SLL2 header + 256 bytes,
      // and the data packets' real lengths kept.
      LibpcapRead lr = ReadWithLibpcap(p.path);
      uint32_t longest = 0;
      for (auto [caplen, len] : lr.lens) {
        EXPECT_LE(caplen, 20u + 256u) << p.path;
        longest = std::max(longest, len);
      }
      EXPECT_GT(longest, 20u + 1000u) << p.path;
      auto [st, frames] =
          Output("tshark -n -r '" + p.path + "' -T fields -e frame.number 2>/dev/null");
      ASSERT_EQ(st, 0) << frames;
      EXPECT_EQ(std::count(frames.begin(), frames.end(), '\n'), static_cast<long>(lr.lens.size()))
          << frames;
      const std::string flagged = ExpertFlags(p.path);
      EXPECT_EQ(flagged, "") << p.host << " (" << p.path << "):\n" << flagged;
    }
    // The control: both links in one file, as the single pcap before had
    // them, and the same analysis flags every forwarded packet's second copy.
    std::vector<CapturedPacket> both;
    for (const CaseResult::Pcap& p : r.pcaps) {
      StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(p.path);
      ASSERT_TRUE(pk.ok()) << pk.status().message();
      both.insert(both.end(), pk->begin(), pk->end());
    }
    std::stable_sort(
        both.begin(), both.end(),
        [](const CapturedPacket& a, const CapturedPacket& b) { return a.ts_ns < b.ts_ns; });
    const std::string merged = dir_ + "/both.pcap";
    {
      std::vector<uint8_t> bytes = EncodePcap(both);
      std::ofstream(merged, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
    }
    const std::string control = ExpertFlags(merged);
    EXPECT_GE(std::count(control.begin(), control.end(), '\n'), 6) << control;
  }
}

TEST_F(CaptureTest, WithoutAnOutputDirectoryNothingIsWritten) {
  Case c = Load(kFirstSynDropped);
  CaseResult r = RunCaseVariant(c, Family::kIPv6, options_);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_TRUE(r.pcaps.empty());
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
    ASSERT_EQ(r.pcaps.size(), 2u);
    for (const CaseResult::Pcap& p : r.pcaps) {
      paths.insert(p.path);
      StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(p.path);
      EXPECT_TRUE(pk.ok()) << p.path;
    }
  }
  // One directory each (t-ipv4/, t-ipv4-2/, ...), one file per host.
  EXPECT_EQ(paths.size(), 2 * results.size());
}

}  // namespace
}  // namespace faultline
