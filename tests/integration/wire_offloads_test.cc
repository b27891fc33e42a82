// The wire with the fast path on: labs whose hosts keep their offloads
// (HostSpec::offloads), so the queue (NFQA_CFG_F_GSO) gets GSO super-packets
// whole, and verdicts go out in NFQNL_MSG_VERDICT_BATCH messages. Bulk
// transfers must arrive byte for byte, the wire must give every packet
// exactly one verdict (a batch covering a held packet would make its own
// verdict fail, which Stop() reports) and the packet log must be sane.
// Needs root; skips otherwise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/common/clock.h"
#include "harness/common/unique_fd.h"
#include "harness/lab/ethtool.h"
#include "harness/lab/lab.h"
#include "harness/packet/packet_dump.h"
#include "injectors/wire.h"

namespace faultline {
namespace {

constexpr uint16_t kPort = 8090;
constexpr size_t kBytes = 24u << 20;  // 24 MiB

uint8_t PatternByte(size_t i) { return static_cast<uint8_t>((i * 7 + i / 65521) % 251); }

struct Param {
  Family family;
  bool offloads;
};

std::string ParamName(const ::testing::TestParamInfo<Param>& p) {
  return std::string(p.param.family == Family::kIPv4 ? "ipv4" : "ipv6") +
         (p.param.offloads ? "_offloads_on" : "_offloads_off");
}

class WireOffloadsTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, NFQUEUE)";
    LabSpec spec;
    for (const char* name : {"client", "server"}) {
      HostSpec h;
      h.name = name;
      h.offloads = GetParam().offloads;
      spec.hosts.push_back(h);
    }
    StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
    ASSERT_TRUE(lab.ok()) << lab.status().ToString();
    lab_ = std::move(*lab);
  }

  void StartWire(std::vector<Fault> faults) {
    WireConfig cfg;
    cfg.netns_fd = lab_->wire_netns();
    for (const LabHost& h : lab_->hosts()) {
      cfg.links.push_back(WireLink{h.name, h.wire_ifname, h.addr4, h.addr6});
    }
    for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
    cfg.faults = std::move(faults);
    cfg.case_start_ns = MonotonicNs();
    StatusOr<std::unique_ptr<Wire>> w = Wire::Start(cfg);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wire_ = std::move(*w);
  }

  UniqueFd Socket(const char* host, int type) {
    UniqueFd fd;
    Status st = InNetns(lab_->host(host)->netns.get(), [&]() -> Status {
      const int af = GetParam().family == Family::kIPv4 ? AF_INET : AF_INET6;
      fd.reset(socket(af, type | SOCK_CLOEXEC, 0));
      return fd ? Status::Ok() : Status::FromErrno("socket", errno);
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return fd;
  }

  sockaddr_storage ServerAddr(socklen_t* len) const {
    sockaddr_storage ss{};
    const LabHost& s = *lab_->host("server");
    if (GetParam().family == Family::kIPv4) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(kPort);
      inet_pton(AF_INET, s.addr4.c_str(), &a->sin_addr);
      *len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(kPort);
      inet_pton(AF_INET6, s.addr6.c_str(), &a->sin6_addr);
      *len = sizeof(sockaddr_in6);
    }
    return ss;
  }

  // Sends kBytes of the pattern client -> server and returns how many bytes
  // the server read and the offset of the first wrong byte (-1: none).
  void Transfer(size_t* got, long* first_bad) {
    UniqueFd ls = Socket("server", SOCK_STREAM);
    socklen_t len;
    sockaddr_storage a = ServerAddr(&len);
    ASSERT_EQ(bind(ls.get(), reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
    ASSERT_EQ(listen(ls.get(), 1), 0);
    std::promise<std::pair<size_t, long>> done;
    std::future<std::pair<size_t, long>> result = done.get_future();
    std::thread sink([&] {
      pollfd p{ls.get(), POLLIN, 0};
      size_t n = 0;
      long bad = -1;
      if (poll(&p, 1, 10000) == 1) {
        UniqueFd s(accept4(ls.get(), nullptr, nullptr, SOCK_CLOEXEC));
        timeval tv{10, 0};  // bound: a stalled transfer ends the read
        setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::vector<uint8_t> buf(1 << 20);
        while (true) {
          const ssize_t r = recv(s.get(), buf.data(), buf.size(), 0);
          if (r <= 0) break;
          for (ssize_t i = 0; i < r; ++i) {
            if (bad < 0 && buf[static_cast<size_t>(i)] != PatternByte(n + static_cast<size_t>(i)))
              bad = static_cast<long>(n + static_cast<size_t>(i));
          }
          n += static_cast<size_t>(r);
        }
      }
      done.set_value({n, bad});
    });
    // The client part; the sink thread is joined whatever happens here (it
    // gives up on its own: accept and reads are bounded).
    [&] {
      UniqueFd c = Socket("client", SOCK_STREAM);
      ASSERT_EQ(connect(c.get(), reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
      std::vector<uint8_t> data(kBytes);
      for (size_t i = 0; i < data.size(); ++i) data[i] = PatternByte(i);
      size_t off = 0;
      while (off < data.size()) {
        const ssize_t w = send(c.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(w, 0) << strerror(errno);
        off += static_cast<size_t>(w);
      }
      shutdown(c.get(), SHUT_WR);
    }();
    EXPECT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    sink.join();
    const std::pair<size_t, long> r = result.get();
    *got = r.first;
    *first_bad = r.second;
  }

  // Checks the log: every packet parsed, between the two hosts, in arrival
  // order, released no earlier than it arrived; returns the client's
  // payload bytes and the number of packets larger than the MTU.
  void CheckLog(uint64_t* client_payload, size_t* above_mtu) {
    *client_payload = 0;
    *above_mtu = 0;
    const std::vector<PacketRecord> log = wire_->Log();
    ASSERT_FALSE(log.empty());
    int64_t last_arrival = 0;
    for (const PacketRecord& r : log) {
      SCOPED_TRACE(PacketRecordLine(r) + " action " + r.action);
      EXPECT_EQ(r.action.rfind("unparsed", 0), std::string::npos);
      EXPECT_EQ(r.action.rfind("lost", 0), std::string::npos);
      EXPECT_TRUE((r.from == "client" && r.to == "server") ||
                  (r.from == "server" && r.to == "client"));
      EXPECT_EQ(r.proto, "tcp");
      EXPECT_GE(r.arrival_ns, last_arrival);
      last_arrival = r.arrival_ns;
      // Dropped packets (by a fault, or still held when the wire stopped)
      // have no release time.
      if (r.action.find("drop") == std::string::npos) {
        EXPECT_GE(r.release_ns, r.arrival_ns);
      }
      EXPECT_LE(r.payload_len + 40u, r.wire_len);
      if (r.from == "client") *client_payload += r.payload_len;
      if (r.wire_len > 1500) ++*above_mtu;
    }
  }

  std::unique_ptr<Lab> lab_;
  std::unique_ptr<Wire> wire_;
};

TEST_P(WireOffloadsTest, LinkOffloadsFollowTheHostSpec) {
  UniqueFd sock = Socket("client", SOCK_DGRAM);
  StatusOr<Offloads> o = GetOffloads(sock.get(), "eth0");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->tso, GetParam().offloads);
  EXPECT_EQ(o->gso, GetParam().offloads);
}

// A super-packet dropped (the 3rd data packet: with offloads on, many
// segments at once), the rest passed: TCP recovers, every byte arrives once
// and in order.
TEST_P(WireOffloadsTest, BulkThroughADropArrivesIntact) {
  Fault drop;
  drop.match.from = "client";
  drop.match.tcp = {TcpClass::kData};
  drop.match.nth = 3;
  drop.action.kind = ActionKind::kDrop;
  StartWire({drop});
  size_t got = 0;
  long bad = -2;
  Transfer(&got, &bad);
  EXPECT_EQ(got, kBytes);
  EXPECT_EQ(bad, -1) << "first wrong byte at offset " << bad;
  Status st = wire_->Stop();
  EXPECT_TRUE(st.ok()) << st.ToString();

  uint64_t client_payload = 0;
  size_t above_mtu = 0;
  CheckLog(&client_payload, &above_mtu);
  EXPECT_GE(client_payload, kBytes);  // plus retransmissions
  size_t drops = 0;
  for (const PacketRecord& r : wire_->Log()) {
    if (r.fault == 1) {
      ++drops;
      EXPECT_EQ(r.action, "drop");
      EXPECT_GT(r.payload_len, 0u);
    }
  }
  EXPECT_EQ(drops, 1u);
  const QueueStats qs = wire_->queue_stats();
  EXPECT_EQ(qs.packets, wire_->Log().size());
  EXPECT_EQ(qs.enobufs, 0u);
  EXPECT_EQ(qs.verdict_errors, 0u);
  EXPECT_GT(qs.batches, 0u);               // runs of accepts went as batches
  EXPECT_LT(qs.verdict_msgs, qs.packets);  // fewer messages than packets
  if (GetParam().offloads) {
    EXPECT_GT(qs.gso, 0u);
    EXPECT_GT(above_mtu, 0u);
  } else {
    EXPECT_EQ(qs.gso, 0u);
    EXPECT_EQ(above_mtu, 0u);
  }
}

// Every 3rd pure ACK from the server is delayed 2 ms while everything else
// passes: held packets sit among accepted ones all the time, so a batch
// verdict that covered one would release it early and make its own verdict
// fail (counted, and Stop reports it).
TEST_P(WireOffloadsTest, BatchesNeverCoverHeldPackets) {
  Fault delay;
  delay.match.from = "server";
  delay.match.tcp = {TcpClass::kAck};
  delay.match.every = 3;
  delay.action.kind = ActionKind::kDelay;
  delay.action.delay = std::chrono::milliseconds(2);
  StartWire({delay});
  size_t got = 0;
  long bad = -2;
  Transfer(&got, &bad);
  EXPECT_EQ(got, kBytes);
  EXPECT_EQ(bad, -1) << "first wrong byte at offset " << bad;
  Status st = wire_->Stop();
  EXPECT_TRUE(st.ok()) << st.ToString();
  const QueueStats qs = wire_->queue_stats();
  EXPECT_EQ(qs.verdict_errors, 0u);
  EXPECT_EQ(qs.unknown_verdicts, 0u);
  uint64_t client_payload = 0;
  size_t above_mtu = 0;
  CheckLog(&client_payload, &above_mtu);
  size_t delayed = 0;
  for (const PacketRecord& r : wire_->Log()) {
    if (r.fault == 1) {
      ++delayed;
      if (r.release_ns != 0) {  // 0: still held at Stop, dropped
        EXPECT_GE(r.release_ns - r.arrival_ns, 2'000'000);
      }
    }
  }
  EXPECT_GT(delayed, 0u);
}

INSTANTIATE_TEST_SUITE_P(All, WireOffloadsTest,
                         ::testing::Values(Param{Family::kIPv4, true}, Param{Family::kIPv6, true},
                                           Param{Family::kIPv4, false}),
                         ParamName);

}  // namespace
}  // namespace faultline
