#include "harness/capture/capture.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/common/unique_fd.h"
#include "harness/lab/lab.h"

namespace faultline {
namespace {

constexpr int kCaptureNice = -10;
constexpr int kBatch = 32;  // packets per recvmmsg
constexpr int kPaceMs = 2;  // at most one read pass per this, under traffic

int64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Closing a packet socket waits for an RCU grace period in the kernel (its
// hook goes away): 4-16 ms here, most of a short case's overhead if the
// runner waited for it. One process-wide thread closes them in the
// background; at exit it closes what is left.
class Closer {
 public:
  Closer() : thread_([this] { Run(); }) {}
  ~Closer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Add(int fd) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(fd);
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;  // done_
      int fd = queue_.front();
      queue_.pop_front();
      lock.unlock();
      close(fd);
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool done_ = false;
  std::thread thread_;
};

void DeferClose(int fd) {
  static Closer closer;
  closer.Add(fd);
}

}  // namespace

struct Capture::Impl {
  // A link's file: the packets of one wire interface.
  struct Link {
    uint32_t wire_ifindex = 0;
    std::unique_ptr<PcapWriter> writer;
  };

  UniqueFd sock;         // AF_PACKET, SOCK_DGRAM, ETH_P_ALL, in the wire netns
  UniqueFd wake;         // eventfd: Stop() asks the thread to drain and exit
  uint32_t snaplen = 0;  // bytes read per packet
  std::vector<Link> links;
  std::set<uint32_t> keep;  // ifindexes recorded
  bool keep_packets = true;
  std::vector<CapturedPacket> packets;
  uint64_t not_kept = 0;  // past kMaxKeptPackets (the files still have them)
  int read_errno = 0;
  std::atomic<int64_t> last_packet_ns{0};  // monotonic, of the last recorded packet
  const Clock* clock = nullptr;            // CaptureConfig::clock
  std::thread thread;

  ~Impl() {
    links.clear();  // closes the files
    if (sock.get() >= 0) DeferClose(sock.release());
  }

  // Creates one writer per CaptureConfig::files entry.
  Status OpenFiles(const CaptureConfig& config, const std::map<std::string, uint32_t>& ifindex);

  // `data` points into a read buffer with kSll2HeaderLen bytes free before
  // it (the writers put the link header there): no copy, no allocation
  // unless the packets are kept in memory.
  void Record(const sockaddr_ll& from, uint8_t* data, uint32_t caplen, uint32_t len,
              int64_t ts_ns) {
    const auto ifindex = static_cast<uint32_t>(from.sll_ifindex);
    if (keep.count(ifindex) == 0) return;
    last_packet_ns.store(clock->NowNs(), std::memory_order_relaxed);
    const uint16_t protocol = ntohs(from.sll_protocol);
    for (Link& l : links) {
      if (l.wire_ifindex != ifindex) continue;
      // The host's side: what came in on the wire from it, it sent.
      const uint8_t type = from.sll_pkttype == PACKET_OUTGOING ? kPacketHost : kPacketOutgoing;
      l.writer->Write(data, caplen, len, protocol, type, ts_ns);
    }
    if (!keep_packets) return;
    if (packets.size() >= Capture::kMaxKeptPackets) {
      ++not_kept;
      return;
    }
    CapturedPacket& p = packets.emplace_back();
    p.ifindex = ifindex;
    p.protocol = protocol;
    p.pkttype = from.sll_pkttype;
    p.ts_ns = ts_ns;
    p.orig_len = len;
    p.ip.assign(data, data + caplen);
  }

  // Reads every packet queued on the socket now; false on a read error.
  bool Drain() {
    // Each slot: the link header's room, then the packet.
    const size_t slot = kSll2HeaderLen + snaplen;
    std::vector<uint8_t> bufs(static_cast<size_t>(kBatch) * slot);
    sockaddr_ll addrs[kBatch];
    iovec iovs[kBatch];
    alignas(cmsghdr) char ctrl[kBatch][CMSG_SPACE(sizeof(timespec))];
    mmsghdr msgs[kBatch];
    for (;;) {
      for (int i = 0; i < kBatch; ++i) {
        iovs[i] = {bufs.data() + static_cast<size_t>(i) * slot + kSll2HeaderLen, snaplen};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctrl[i];
        msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
      }
      int n = recvmmsg(sock.get(), msgs, kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        read_errno = errno;
        return false;
      }
      const int64_t fallback_ts = RealtimeNs();
      for (int i = 0; i < n; ++i) {
        int64_t ts = fallback_ts;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr;
             c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec t;
            std::memcpy(&t, CMSG_DATA(c), sizeof t);
            ts = static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
          }
        }
        const uint32_t len = msgs[i].msg_len;  // the real length (MSG_TRUNC)
        Record(addrs[i], static_cast<uint8_t*>(iovs[i].iov_base), std::min(len, snaplen), len, ts);
      }
      if (n < kBatch) return true;
    }
  }

  void Loop() {
    // As urgent as the wire's own thread: under bulk traffic on a busy
    // machine a capture thread at the default priority falls behind and the
    // socket's receive buffer overflows.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kCaptureNice);
    for (;;) {
      pollfd fds[2] = {{sock.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
      int r = poll(fds, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      if (!Drain()) break;
      if (fds[1].revents != 0) {
        Drain();  // everything the kernel queued by now
        break;
      }
      // Let packets accumulate for up to kPace before the next read (unless
      // Stop() asks): one wake-up per packet under bulk traffic cost a third
      // of the wire's throughput on 2 cores. The receive buffer holds far
      // more than kPace's worth.
      pollfd w = {wake.get(), POLLIN, 0};
      (void)poll(&w, 1, kPaceMs);
    }
  }
};

Status Capture::Impl::OpenFiles(const CaptureConfig& config,
                                const std::map<std::string, uint32_t>& ifindex) {
  for (const CaptureConfig::File& f : config.files) {
    auto it = ifindex.find(f.wire_ifname);
    if (it == ifindex.end()) {
      return Status::Invalid(
          fmt::format("{}: wire interface '{}' is not captured", f.path, f.wire_ifname));
    }
    StatusOr<std::unique_ptr<PcapWriter>> w =
        PcapWriter::Create(f.path, config.file_snaplen, snaplen, f.host_ifindex);
    if (!w.ok()) return w.status();
    links.push_back({it->second, std::move(w).value()});
  }
  return Status::Ok();
}

Capture::Capture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Capture::~Capture() { (void)Stop(); }

StatusOr<std::unique_ptr<Capture>> Capture::Start(const CaptureConfig& config) {
  auto impl = std::make_unique<Impl>();
  const auto whole = static_cast<uint32_t>(std::max(config.max_mtu, 1500) + 128);
  // Headers only unless the packets are kept (the checks read payloads) or
  // the files want them whole: the kernel copies no more than that.
  impl->snaplen = config.keep || config.file_snaplen == 0 || config.file_snaplen > whole
                      ? whole
                      : config.file_snaplen;
  impl->keep_packets = config.keep;
  impl->clock = config.clock;
  std::map<std::string, uint32_t> ifindex;
  // The packet socket belongs to the namespace of the thread that creates it.
  Status st = InNetns(config.netns_fd, [&]() -> Status {
    for (const std::string& name : config.ifnames) {
      unsigned idx = if_nametoindex(name.c_str());
      if (idx == 0) {
        return Status::FromErrno(fmt::format("finding wire interface '{}'", name), errno);
      }
      ifindex[name] = idx;
      impl->keep.insert(idx);
    }
    impl->sock.reset(
        socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    if (impl->sock.get() < 0) return Status::FromErrno("packet socket", errno);
    return Status::Ok();
  });
  if (!st.ok()) return st.Prefixed("starting the capture");
  int size = static_cast<int>(config.buffer_bytes);
  if (setsockopt(impl->sock.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
      setsockopt(impl->sock.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
    return Status::FromErrno("starting the capture: SO_RCVBUF", errno);
  }
  int on = 1;
  if (setsockopt(impl->sock.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
    return Status::FromErrno("starting the capture: SO_TIMESTAMPNS", errno);
  }
  impl->wake.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (impl->wake.get() < 0) return Status::FromErrno("starting the capture: eventfd", errno);
  st = impl->OpenFiles(config, ifindex);
  if (!st.ok()) return st.Prefixed("starting the capture");
  std::unique_ptr<Capture> c(new Capture(std::move(impl)));
  c->ifindex_ = std::move(ifindex);
  // The kernel's clocks, not config.clock: this converts kernel timestamps.
  c->realtime_offset_ns_ = RealtimeNs() - MonotonicNs();
  Impl* raw = c->impl_.get();
  raw->last_packet_ns.store(raw->clock->NowNs());
  raw->thread = std::thread([raw] { raw->Loop(); });
  return c;
}

void Capture::WaitQuiet(Duration quiet, Duration max) {
  if (stopped_) return;
  const Clock& clock = *impl_->clock;
  const int64_t deadline = clock.NowNs() + max.count();
  for (;;) {
    const int64_t now = clock.NowNs();
    const int64_t quiet_until =
        impl_->last_packet_ns.load(std::memory_order_relaxed) + quiet.count();
    if (now >= quiet_until || now >= deadline) return;
    const int64_t wait = std::min(quiet_until, deadline) - now;
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    nanosleep(&ts, nullptr);  // re-checks the last packet's time on wake-up
  }
}

Status Capture::Stop() {
  if (stopped_) return Status::Ok();
  stopped_ = true;
  uint64_t one = 1;
  if (write(impl_->wake.get(), &one, sizeof one) != sizeof one) {
    // Cannot happen for an eventfd below its maximum; the thread would hang.
    return Status::FromErrno("stopping the capture", errno);
  }
  impl_->thread.join();
  tpacket_stats stats{};
  socklen_t slen = sizeof stats;
  if (getsockopt(impl_->sock.get(), SOL_PACKET, PACKET_STATISTICS, &stats, &slen) == 0) {
    dropped_ = stats.tp_drops;
  }
  Status st = Status::Ok();
  if (impl_->read_errno != 0) st = Status::FromErrno("reading the capture", impl_->read_errno);
  for (Impl::Link& l : impl_->links) {
    Status closed = l.writer->Close();
    if (!closed.ok() && st.ok()) st = closed;
  }
  packets_ = std::move(impl_->packets);
  not_kept_ = impl_->not_kept;
  DeferClose(impl_->sock.release());
  return st;
}

}  // namespace faultline
