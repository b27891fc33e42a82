// The wire end to end: real labs (harness/lab), plain sockets made inside the
// host namespaces (InNetns), and a Wire in the wire namespace. Needs root
// (CAP_NET_ADMIN + CAP_SYS_ADMIN); skips otherwise.
#include "injectors/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/clock.h"
#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"
#include "harness/packet/packet_dump.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr uint16_t kPort = 8080;

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// One lab (client, server) with a wire. Sockets are created inside the host
// namespaces and used from the test's threads.
class WireLab {
 public:
  Status Build() {
    LabSpec spec;
    for (const char* name : {"client", "server"}) {
      HostSpec h;
      h.name = name;
      spec.hosts.push_back(h);
    }
    StatusOr<std::unique_ptr<Lab>> lab = Lab::Build(spec);
    if (!lab.ok()) return lab.status();
    lab_ = std::move(*lab);
    return Status::Ok();
  }
  Status StartWire(std::vector<Fault> faults, uint64_t seed = 1,
                   uint32_t copy_range = kWireWholePacket,
                   std::shared_ptr<PacketQueue> queue = nullptr) {
    WireConfig cfg;
    cfg.queue = std::move(queue);
    cfg.copy_range = copy_range;
    cfg.netns_fd = lab_->wire_netns();
    for (const LabHost& h : lab_->hosts()) {
      cfg.links.push_back(WireLink{h.name, h.wire_ifname, h.addr4, h.addr6});
    }
    for (size_t i = 0; i < faults.size(); ++i) faults[i].index = static_cast<int>(i) + 1;
    cfg.faults = std::move(faults);
    cfg.seed = seed;
    cfg.case_start_ns = MonotonicNs();
    StatusOr<std::unique_ptr<Wire>> w = Wire::Start(cfg);
    if (!w.ok()) return w.status();
    wire_ = std::move(*w);
    return Status::Ok();
  }
  const LabHost& host(const char* name) const { return *lab_->host(name); }
  Lab& lab() { return *lab_; }

  // A socket of `type` made in host `name`'s namespace.
  UniqueFd Socket(const char* name, Family f, int type) {
    UniqueFd fd;
    Status st = InNetns(host(name).netns.get(), [&]() -> Status {
      fd.reset(socket(f == Family::kIPv4 ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0));
      return fd ? Status::Ok() : Status::FromErrno("socket", errno);
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return fd;
  }
  sockaddr_storage Addr(const char* name, Family f, uint16_t port, socklen_t* len) const {
    sockaddr_storage ss{};
    if (f == Family::kIPv4) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      inet_pton(AF_INET, host(name).addr4.c_str(), &a->sin_addr);
      *len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      inet_pton(AF_INET6, host(name).addr6.c_str(), &a->sin6_addr);
      *len = sizeof(sockaddr_in6);
    }
    return ss;
  }
  UniqueFd Listen(Family f) {
    UniqueFd s = Socket("server", f, SOCK_STREAM);
    int one = 1;
    setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len;
    sockaddr_storage a = Addr("server", f, kPort, &len);
    EXPECT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&a), len), 0) << strerror(errno);
    EXPECT_EQ(listen(s.get(), 16), 0);
    return s;
  }
  // Connects a new client socket to the server; returns it and the time the
  // connect took.
  UniqueFd Connect(Family f, int64_t* took_ns, int* err = nullptr) {
    UniqueFd c = Socket("client", f, SOCK_STREAM);
    int one = 1;
    setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    socklen_t len;
    sockaddr_storage a = Addr("server", f, kPort, &len);
    const int64_t t0 = MonotonicNs();
    const int rc = connect(c.get(), reinterpret_cast<sockaddr*>(&a), len);
    if (err) *err = rc == 0 ? 0 : errno;
    EXPECT_TRUE(rc == 0 || err) << strerror(errno);
    *took_ns = MonotonicNs() - t0;
    return c;
  }
  Wire& wire() { return *wire_; }
  void StopWire() {
    if (wire_) {
      Status st = wire_->Stop();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  }

 private:
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<Wire> wire_;
};

// Reads exactly n bytes (or until EOF/error); bounded by a receive timeout.
std::string ReadN(int fd, size_t n) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    const ssize_t r = recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

void SendAll(int fd, const std::string& s) {
  ASSERT_EQ(send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

UniqueFd Accept(int ls) {
  pollfd p{ls, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return UniqueFd();
  return UniqueFd(accept4(ls, nullptr, nullptr, SOCK_CLOEXEC));
}

FaultAction Act(ActionKind kind) {
  FaultAction a;
  a.kind = kind;
  return a;
}
FaultAction Delay(Duration d) {
  FaultAction a = Act(ActionKind::kDelay);
  a.delay = d;
  return a;
}
FaultAction Duplicate(int copies) {
  FaultAction a = Act(ActionKind::kDuplicate);
  a.copies = copies;
  return a;
}
FaultAction Reorder(int count, std::vector<int> order) {
  FaultAction a = Act(ActionKind::kReorder);
  a.count = count;
  a.order = std::move(order);
  return a;
}
FaultAction HoldUntil(const std::string& label) {
  FaultAction a = Act(ActionKind::kHold);
  a.until_step = label;
  return a;
}

Fault MakeFault(FaultMatch m, FaultAction a) {
  Fault f;
  f.match = std::move(m);
  f.action = std::move(a);
  return f;
}

std::vector<PacketRecord> Matching(const std::vector<PacketRecord>& log, const std::string& from,
                                   const std::string& flags_has, bool data = false) {
  std::vector<PacketRecord> out;
  for (const PacketRecord& r : log) {
    if (r.from == from && r.flags.find(flags_has) != std::string::npos &&
        (!data || r.payload_len > 0)) {
      out.push_back(r);
    }
  }
  return out;
}

std::string Dump(const std::vector<PacketRecord>& log) {
  std::string s;
  for (const PacketRecord& r : log) {
    s += std::to_string(r.seq_no) + " +" + std::to_string(r.arrival_ns / 1000) + "us rel+" +
         std::to_string(r.release_ns ? (r.release_ns - r.arrival_ns) / 1000 : -1) + "us " +
         PacketRecordLine(r) + (r.is_copy ? " COPY" : "") + " action=" + r.action + "\n";
  }
  return s;
}

// A match on TCP segments of one class sent by `from`.
FaultMatch TcpFrom(const std::string& from, TcpClass c) {
  FaultMatch m;
  m.from = from;
  m.tcp = {c};
  return m;
}

class WireTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    Status st = lab_.Build();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void TearDown() override { lab_.StopWire(); }
  void Start(std::vector<Fault> faults = {}, uint32_t copy_range = kWireWholePacket) {
    Status st = lab_.StartWire(std::move(faults), 1, copy_range);
    if (st.code() == StatusCode::kUnsupported) GTEST_SKIP() << st.message();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  Family family() const { return GetParam(); }
  WireLab lab_;
};

TEST_P(WireTest, PassThroughForwardsAndLogsEveryPacket) {
  Start();
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  SendAll(c.get(), "hello");
  EXPECT_EQ(ReadN(a.get(), 5), "hello");
  SendAll(a.get(), "world!");
  EXPECT_EQ(ReadN(c.get(), 6), "world!");
  c.reset();
  a.reset();
  lab_.StopWire();
  const std::vector<PacketRecord> log = lab_.wire().Log();
  ASSERT_GE(log.size(), 5u) << Dump(log);
  // The handshake, with tcpdump flags and relative numbers.
  EXPECT_EQ(log[0].from, "client");
  EXPECT_EQ(log[0].to, "server");
  EXPECT_EQ(log[0].proto, "tcp");
  EXPECT_EQ(log[0].flags, "S");
  EXPECT_EQ(log[0].dport, kPort);
  EXPECT_TRUE(log[0].has_rel);
  EXPECT_EQ(log[0].rel_seq, 0u);
  EXPECT_EQ(log[1].flags, "S.");
  EXPECT_EQ(log[1].from, "server");
  EXPECT_EQ(log[1].rel_ack, 1u);
  EXPECT_EQ(log[2].flags, ".");
  EXPECT_EQ(log[2].rel_seq, 1u);
  EXPECT_EQ(log[2].rel_ack, 1u);
  auto data = Matching(log, "client", "", true);
  ASSERT_EQ(data.size(), 1u) << Dump(log);
  EXPECT_EQ(data[0].payload_len, 5u);
  EXPECT_EQ(data[0].rel_seq, 1u);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq_no, i + 1);
    EXPECT_EQ(log[i].action, "pass") << Dump(log);
    EXPECT_EQ(log[i].fault, 0);
    EXPECT_GE(log[i].release_ns, log[i].arrival_ns);
    EXPECT_LT(log[i].release_ns - log[i].arrival_ns, 50'000'000);
    EXPECT_GT(log[i].wire_len, 0u);
  }
}

// The headers-only queue (WireCopyRange of a case without payload faults):
// the kernel copies 256 bytes of each packet; the log still has each
// packet's whole length and payload, nothing counts as truncated, faults on
// headers still apply (a delay here), and every byte arrives.
TEST_P(WireTest, AHeadersOnlyQueueLogsWholeLengths) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  m.nth = 2;
  Start({MakeFault(m, Delay(std::chrono::milliseconds(20)))}, kWireHeaderBytes);
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  std::string big(100'000, 0);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::thread tx([&] { SendAll(c.get(), big); });
  EXPECT_EQ(ReadN(a.get(), big.size()), big);
  tx.join();
  c.reset();
  a.reset();
  lab_.StopWire();  // fails on a truncation
  EXPECT_EQ(lab_.wire().queue_stats().truncated, 0u);
  const std::vector<PacketRecord> log = lab_.wire().Log();
  uint64_t payload = 0;
  uint32_t longest = 0;
  int delayed = 0;
  for (const PacketRecord& r : log) {
    if (r.from != "client" || r.is_copy || r.payload_len == 0) continue;
    const uint32_t headers = (family() == Family::kIPv4 ? 20 : 40) + 20 + r.tcp_options_len;
    EXPECT_EQ(r.wire_len, headers + r.payload_len) << Dump(log);
    longest = std::max(longest, r.wire_len);
    if (r.action.starts_with("delay")) ++delayed;
    payload += r.payload_len;
  }
  EXPECT_GE(payload, big.size()) << Dump(log);  // retransmissions may add some
  EXPECT_GT(longest, kWireHeaderBytes);
  EXPECT_EQ(delayed, 1) << Dump(log);
}

TEST_P(WireTest, UdpPassesAndIsLogged) {
  Start();
  UniqueFd s = lab_.Socket("server", family(), SOCK_DGRAM);
  socklen_t len;
  sockaddr_storage sa = lab_.Addr("server", family(), 9000, &len);
  ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&sa), len), 0);
  UniqueFd c = lab_.Socket("client", family(), SOCK_DGRAM);
  ASSERT_EQ(sendto(c.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), len), 4);
  EXPECT_EQ(ReadN(s.get(), 4), "ping");
  lab_.StopWire();
  auto log = lab_.wire().Log();
  ASSERT_EQ(log.size(), 1u) << Dump(log);
  EXPECT_EQ(log[0].proto, "udp");
  EXPECT_EQ(log[0].payload_len, 4u);
  EXPECT_EQ(log[0].dport, 9000);
}

// The real NFQUEUE queue of a lab, with its receive held: while held, the
// wire thread that comes to read packets waits (bounded) until released, as
// a wire thread that is not scheduled for a while under load.
class HeldQueue : public PacketQueue {
 public:
  explicit HeldQueue(std::unique_ptr<PacketQueue> q) : q_(std::move(q)) {}
  int fd() const override { return q_->fd(); }
  Status Attach() override { return q_->Attach(); }
  Status ReceiveBatch(const PacketFn& fn) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (held_) entered_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !held_; });
    }
    return q_->ReceiveBatch([&](const QueuedPacket& p) {
      if (p.kernel_ns != 0) stamped_ = true;
      fn(p);
    });
  }
  Status SetVerdict(uint32_t id, PacketVerdict v, std::span<const uint8_t> r) override {
    return q_->SetVerdict(id, v, r);
  }
  Status Flush() override { return q_->Flush(); }
  Status Send(std::span<const uint8_t> packet) override { return q_->Send(packet); }
  QueueStats stats() const override { return q_->stats(); }
  // Waits (bounded) until the wire thread came to read a packet.
  bool WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_; });
  }
  void Hold(bool held) {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = held;
    cv_.notify_all();
  }
  bool stamped() const { return stamped_; }

 private:
  std::unique_ptr<PacketQueue> q_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, entered_ = false;
  std::atomic<bool> stamped_{false};
};

// Measured on this kernel: NFQUEUE hands the wire a time stamp
// (NFQA_TIMESTAMP) for a TCP segment forwarded from a host's namespace, and
// the wire times the packet at it: a wire thread held for 300 ms before it
// reads the SYN does not make the SYN look 300 ms late.
TEST_P(WireTest, KernelStampIgnoresAHeldWireThread) {
  StatusOr<std::unique_ptr<PacketQueue>> nfq =
      OpenNfqPacketQueue(lab_.lab().wire_netns(), kWireWholePacket);
  if (nfq.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << nfq.status().message();
  ASSERT_TRUE(nfq.ok()) << nfq.status().ToString();
  auto held = std::make_shared<HeldQueue>(std::move(*nfq));
  Status st = lab_.StartWire({}, 1, kWireWholePacket, held);
  ASSERT_TRUE(st.ok()) << st.ToString();
  UniqueFd ls = lab_.Listen(family());
  // The kernel turns its time stamps on a little after the first queue
  // asked (from a work queue): ping until a packet came stamped (bounded).
  UniqueFd us = lab_.Socket("server", family(), SOCK_DGRAM);
  socklen_t ulen;
  sockaddr_storage ua = lab_.Addr("server", family(), 9000, &ulen);
  ASSERT_EQ(bind(us.get(), reinterpret_cast<sockaddr*>(&ua), ulen), 0);
  UniqueFd uc = lab_.Socket("client", family(), SOCK_DGRAM);
  for (int i = 0; i < 200 && !held->stamped(); ++i) {
    ASSERT_EQ(sendto(uc.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&ua), ulen), 4);
    EXPECT_EQ(ReadN(us.get(), 4), "ping");
  }
  ASSERT_TRUE(held->stamped()) << "no packet came with NFQA_TIMESTAMP";
  held->Hold(true);
  UniqueFd c = lab_.Socket("client", family(), SOCK_STREAM | SOCK_NONBLOCK);
  socklen_t len;
  sockaddr_storage a = lab_.Addr("server", family(), kPort, &len);
  const int64_t sent = MonotonicNs();
  ASSERT_NE(connect(c.get(), reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(errno, EINPROGRESS);
  ASSERT_TRUE(held->WaitEntered());  // the SYN is queued; the wire thread is held
  constexpr int64_t kHeldNs = 300'000'000;
  std::this_thread::sleep_for(std::chrono::nanoseconds(kHeldNs));  // the lateness under test
  const int64_t released = MonotonicNs();
  held->Hold(false);
  pollfd p{c.get(), POLLOUT, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);  // connected: the wire read and forwarded the SYN
  lab_.StopWire();
  const std::vector<PacketRecord> log = lab_.wire().Log();
  const std::vector<PacketRecord> syns = Matching(log, "client", "S");
  ASSERT_FALSE(syns.empty()) << Dump(log);
  EXPECT_GE(lab_.wire().queue_stats().kernel_stamps, 2u);
  // Stamped when the kernel queued it: after connect() started, long before
  // the wire thread was let go (not `released` or later).
  EXPECT_GE(syns[0].arrival_ns, sent) << Dump(log);
  EXPECT_LT(syns[0].arrival_ns, released - kHeldNs / 2)
      << "sent at " << sent / 1000 << "us, " << Dump(log);
}

TEST_P(WireTest, FirstSynDroppedDelaysConnectByTheInitialRto) {
  FaultMatch m = TcpFrom("client", TcpClass::kSyn);
  m.nth = 1;
  Start({MakeFault(m, Act(ActionKind::kDrop))});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  EXPECT_GE(took, 900'000'000) << Ms(took);
  EXPECT_LE(took, 1'600'000'000) << Ms(took);
  lab_.StopWire();
  auto log = lab_.wire().Log();
  auto syns = Matching(log, "client", "S");
  ASSERT_EQ(syns.size(), 2u) << Dump(log);
  EXPECT_EQ(syns[0].action, "drop");
  EXPECT_EQ(syns[0].fault, 1);
  EXPECT_EQ(syns[0].release_ns, 0);
  EXPECT_EQ(syns[1].action, "pass");
}

TEST_P(WireTest, DelayedServerAcksShowInTiming) {
  FaultMatch m = TcpFrom("server", TcpClass::kAck);
  Start({MakeFault(m, Delay(milliseconds(200)))});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  // The client's data is acknowledged by a pure ACK from the server: the
  // client sees it (unacked drops to 0) only after the delay.
  const int64_t t0 = MonotonicNs();
  SendAll(c.get(), "x");
  int64_t acked_after = -1;
  while (MonotonicNs() - t0 < 2'000'000'000) {
    tcp_info ti{};
    socklen_t tl = sizeof ti;
    getsockopt(c.get(), IPPROTO_TCP, TCP_INFO, &ti, &tl);
    if (ti.tcpi_unacked == 0) {
      acked_after = MonotonicNs() - t0;
      break;
    }
    pollfd p{c.get(), 0, 0};
    poll(&p, 1, 1);  // 1 ms steps while waiting for the ACK (bounded above)
  }
  EXPECT_GE(acked_after, 195'000'000) << Ms(acked_after);
  EXPECT_LE(acked_after, 260'000'000) << Ms(acked_after);
  EXPECT_EQ(ReadN(a.get(), 1), "x");
  lab_.StopWire();
  auto log = lab_.wire().Log();
  bool seen = false;
  for (const PacketRecord& r : log) {
    if (r.from == "server" && r.flags == "." && r.payload_len == 0 && r.release_ns != 0) {
      seen = true;
      EXPECT_EQ(r.action, "delay 200ms");
      EXPECT_GE(r.release_ns - r.arrival_ns, 200'000'000);
      EXPECT_LE(r.release_ns - r.arrival_ns, 230'000'000);
    }
  }
  EXPECT_TRUE(seen) << Dump(log);
}

TEST_P(WireTest, DuplicateGivesNoDuplicateBytesAndLogsTheCopy) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  m.nth = 1;
  Start({MakeFault(m, Duplicate(2))});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  SendAll(c.get(), "abc");
  SendAll(c.get(), "def");
  shutdown(c.get(), SHUT_WR);
  EXPECT_EQ(ReadN(a.get(), 100), "abcdef");
  lab_.StopWire();
  auto log = lab_.wire().Log();
  auto data = Matching(log, "client", "", true);
  ASSERT_EQ(data.size(), 4u) << Dump(log);
  EXPECT_FALSE(data[0].is_copy);
  EXPECT_EQ(data[0].action, "duplicate x2");
  EXPECT_TRUE(data[1].is_copy);
  EXPECT_TRUE(data[2].is_copy);
  EXPECT_EQ(data[1].seq_no, data[0].seq_no + 1);  // copies follow their original
  EXPECT_EQ(data[1].rel_seq, data[0].rel_seq);
  EXPECT_EQ(data[2].action, "copy 2/2");
  EXPECT_FALSE(data[3].is_copy);
}

// Sends three 100-byte segments from client to server; returns what the
// server read and the log.
std::vector<PacketRecord> SendThree(WireLab& lab, Family f, std::string* got) {
  UniqueFd ls = lab.Listen(f);
  int64_t took;
  UniqueFd c = lab.Connect(f, &took);
  UniqueFd a = Accept(ls.get());
  EXPECT_TRUE(a);
  const std::string all(std::string(100, 'a') + std::string(100, 'b') + std::string(100, 'c'));
  for (int i = 0; i < 3; ++i) SendAll(c.get(), all.substr(static_cast<size_t>(i) * 100, 100));
  *got = ReadN(a.get(), 300);
  EXPECT_EQ(*got, all);
  lab.StopWire();
  return lab.wire().Log();
}

TEST_P(WireTest, ReorderReleasesInOrderAndBytesStillArriveInOrder) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  m.first = 3;
  Start({MakeFault(m, Reorder(3, {3, 1, 2}))});
  std::string got;
  auto log = SendThree(lab_, family(), &got);
  auto data = Matching(log, "client", "", true);
  ASSERT_GE(data.size(), 3u) << Dump(log);
  EXPECT_EQ(data[0].action, "reorder 1/3");
  EXPECT_EQ(data[2].action, "reorder 3/3");
  // Released in the order 3, 1, 2: same release instant, verdicts in order;
  // the third (rel_seq 201) first.
  EXPECT_EQ(data[2].rel_seq, 201u);
  EXPECT_LE(data[2].release_ns, data[0].release_ns);
  EXPECT_LE(data[0].release_ns, data[1].release_ns);
  EXPECT_GT(data[0].release_ns, data[0].arrival_ns);
}

TEST_P(WireTest, SwapReleasesAfterTheNextPacket) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  m.nth = 1;
  Start({MakeFault(m, Act(ActionKind::kSwap))});
  std::string got;
  auto log = SendThree(lab_, family(), &got);
  auto data = Matching(log, "client", "", true);
  ASSERT_GE(data.size(), 3u) << Dump(log);
  EXPECT_EQ(data[0].action, "swap");
  EXPECT_EQ(data[0].rel_seq, 1u);
  EXPECT_EQ(data[1].action, "pass");
  EXPECT_GE(data[0].release_ns, data[1].release_ns);
  EXPECT_LE(data[0].release_ns, data[2].arrival_ns);
}

TEST_P(WireTest, HoldUntilStepReleasesOnSignal) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  Start({MakeFault(m, HoldUntil("go"))});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  SendAll(c.get(), "held");
  pollfd p{a.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 300), 0) << "data arrived while held";
  const int64_t t0 = MonotonicNs();
  lab_.wire().SignalStep("other");
  lab_.wire().SignalStep("go");
  EXPECT_EQ(poll(&p, 1, 1000), 1);
  EXPECT_LT(MonotonicNs() - t0, 100'000'000);
  EXPECT_EQ(ReadN(a.get(), 4), "held");
  lab_.StopWire();
  auto data = Matching(lab_.wire().Log(), "client", "", true);
  ASSERT_GE(data.size(), 1u);
  EXPECT_EQ(data[0].action, "hold until step go");
  // Held from before the signal until after it. (Not "release - arrival >=
  // 300 ms": under load the wire may read the packet off its queue a few ms
  // after the send, and the poll above started at the send.)
  EXPECT_LT(data[0].arrival_ns, t0);
  EXPECT_GE(data[0].release_ns, t0);
}

TEST_P(WireTest, StopGivesAVerdictToEverythingHeld) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  FaultAction act = Act(ActionKind::kHold);
  act.hold_for = std::chrono::seconds(30);
  Start({MakeFault(m, act)});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  SendAll(c.get(), "never");
  // Wait (bounded) until the wire has the packet.
  const int64_t t0 = MonotonicNs();
  while (Matching(lab_.wire().Log(), "client", "", true).empty() &&
         MonotonicNs() - t0 < 2'000'000'000) {
    pollfd p{a.get(), POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 5), 0);
  }
  const int64_t s0 = MonotonicNs();
  Status st = lab_.wire().Stop();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_LT(MonotonicNs() - s0, 200'000'000);
  auto log = lab_.wire().Log();
  auto data = Matching(log, "client", "", true);
  ASSERT_GE(data.size(), 1u) << Dump(log);
  EXPECT_THAT(data[0].action, HasSubstr("dropped at stop"));
  EXPECT_EQ(data[0].release_ns, 0);
  EXPECT_TRUE(lab_.wire().Stop().ok());  // idempotent
}

TEST_P(WireTest, CorruptedSegmentIsDiscardedByTheReceiverAndRetransmitted) {
  FaultMatch m = TcpFrom("client", TcpClass::kData);
  m.nth = 1;
  Start({MakeFault(m, Act(ActionKind::kCorrupt))});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  const int64_t t0 = MonotonicNs();
  SendAll(c.get(), "abcdef");
  EXPECT_EQ(ReadN(a.get(), 6), "abcdef");  // never the flipped byte
  const int64_t waited = MonotonicNs() - t0;
  EXPECT_GE(waited, 150'000'000) << Ms(waited);  // only the retransmission got through
  EXPECT_LE(waited, 1'500'000'000) << Ms(waited);
  lab_.StopWire();
  auto log = lab_.wire().Log();
  auto data = Matching(log, "client", "", true);
  ASSERT_GE(data.size(), 2u) << Dump(log);
  EXPECT_THAT(data[0].action, HasSubstr("corrupt byte"));
  EXPECT_EQ(data[1].rel_seq, data[0].rel_seq);
  EXPECT_EQ(data[1].action, "pass");
}

TEST_P(WireTest, InjectedRstResetsTheClient) {
  FaultMatch m = TcpFrom("server", TcpClass::kData);
  FaultAction act = Act(ActionKind::kInjectRst);
  act.toward = "client";
  Start({MakeFault(m, act)});
  UniqueFd ls = lab_.Listen(family());
  int64_t took;
  UniqueFd c = lab_.Connect(family(), &took);
  UniqueFd a = Accept(ls.get());
  ASSERT_TRUE(a);
  SendAll(a.get(), "never seen");
  timeval tv{5, 0};
  setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  EXPECT_EQ(recv(c.get(), buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, ECONNRESET) << strerror(errno);
  lab_.StopWire();
  auto log = lab_.wire().Log();
  auto rst = Matching(log, "server", "R");
  ASSERT_EQ(rst.size(), 1u) << Dump(log);
  EXPECT_TRUE(rst[0].is_copy);
  EXPECT_EQ(rst[0].action, "injected RST");
}

TEST_P(WireTest, RateLimitDropsTheExcess) {
  FaultMatch m;
  m.proto = Proto::kUdp;
  FaultAction act = Act(ActionKind::kRateLimit);
  act.rate = 5;
  act.per = std::chrono::seconds(10);
  Start({MakeFault(m, act)});
  UniqueFd s = lab_.Socket("server", family(), SOCK_DGRAM);
  socklen_t len;
  sockaddr_storage sa = lab_.Addr("server", family(), 9000, &len);
  ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&sa), len), 0);
  UniqueFd c = lab_.Socket("client", family(), SOCK_DGRAM);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(sendto(c.get(), "d", 1, 0, reinterpret_cast<sockaddr*>(&sa), len), 1);
  }
  int got = 0;
  pollfd p{s.get(), POLLIN, 0};
  while (poll(&p, 1, 200) == 1) {  // bounded: 200 ms of silence ends it
    char b;
    if (recv(s.get(), &b, 1, 0) == 1) ++got;
  }
  EXPECT_EQ(got, 5);
  lab_.StopWire();
  int pass = 0, drop = 0;
  for (const PacketRecord& r : lab_.wire().Log()) {
    pass += r.action == "rate-limit pass";
    drop += r.action == "rate-limit drop";
  }
  EXPECT_EQ(pass, 5);
  EXPECT_EQ(drop, 15);
}

INSTANTIATE_TEST_SUITE_P(Families, WireTest, ::testing::Values(Family::kIPv4, Family::kIPv6),
                         [](const auto& info) {
                           return std::string(info.param == Family::kIPv4 ? "v4" : "v6");
                         });

TEST(WireParallel, SixteenWiresAtOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
  constexpr int kLabs = 16;
  std::vector<std::future<std::string>> results;
  for (int i = 0; i < kLabs; ++i) {
    results.push_back(std::async(std::launch::async, [i]() -> std::string {
      WireLab lab;
      Status st = lab.Build();
      if (!st.ok()) return "lab: " + st.ToString();
      FaultMatch m = TcpFrom("client", TcpClass::kData);
      m.nth = 1;
      st = lab.StartWire({MakeFault(m, Duplicate(1))});
      if (!st.ok()) return "wire: " + st.ToString();
      const Family f = i % 2 ? Family::kIPv6 : Family::kIPv4;
      UniqueFd ls = lab.Listen(f);
      int64_t took;
      UniqueFd c = lab.Connect(f, &took);
      UniqueFd a = Accept(ls.get());
      if (!a) return "accept failed";
      const std::string msg = "lab " + std::to_string(i);
      if (send(c.get(), msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) {
        return "send failed";
      }
      shutdown(c.get(), SHUT_WR);
      const std::string got = ReadN(a.get(), 100);
      if (got != msg) return "got '" + got + "'";
      st = lab.wire().Stop();
      if (!st.ok()) return st.ToString();
      int copies = 0;
      for (const PacketRecord& r : lab.wire().Log()) copies += r.is_copy ? 1 : 0;
      if (copies != 1) return "copies: " + std::to_string(copies);
      return "";
    }));
  }
  for (int i = 0; i < kLabs; ++i)
    EXPECT_EQ(results[static_cast<size_t>(i)].get(), "") << "lab " << i;
}

}  // namespace
}  // namespace faultline
