#include "injectors/nfq_socket.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include "harness/lab/lab.h"

namespace faultline {
namespace {

constexpr size_t kRxSize = 72 * 1024;  // > one 64 KiB packet plus headers
constexpr size_t kRxBatch = 8;
// A prefix copy (copy range below 64 KiB): a message is the prefix plus its
// attributes (a few hundred bytes), so more of them fit per system call.
constexpr size_t kRxAttrRoom = 2048;
constexpr size_t kRxBatchPrefix = 64;
constexpr size_t kTxSize = 256 * 1024;
constexpr size_t kVerdictOverhead = 128;  // nlmsghdr + nfgenmsg + verdict + attr headers
constexpr int kRcvBuf = 16 * 1024 * 1024;

// Receive time stamps on, for the rest of the process: the kernel then
// stamps a packet that has none when a host's veth hands it to the wire's
// namespace (netif_rx), and NFQA_TIMESTAMP carries that stamp. They are off
// until some socket asks for them (one switch for the whole kernel, as any
// program using SO_TIMESTAMP turns it on; no setting of any namespace
// changes), and the kernel turns them on a little later (from a work
// queue), so the switch stays on once the first queue opened it: only the
// first packets of a process's first wire may come without a stamp. An
// unbound socket of the process's own namespace that never sends. Best
// effort: without stamps packets are timed when the wire reads them.
void KeepKernelStampsOn() {
  static const int fd = [] {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    if (s >= 0) setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    return s;
  }();
  (void)fd;
}

}  // namespace

StatusOr<std::unique_ptr<NfqSocket>> NfqSocket::Open(int netns_fd, uint16_t queue, uint32_t maxlen,
                                                     uint32_t copy_range) {
  std::unique_ptr<NfqSocket> s(new NfqSocket());
  s->queue_ = queue;
  s->copy_range_ = copy_range;
  const bool prefix = copy_range < kWireWholePacket;
  s->rx_size_ = prefix ? copy_range + kRxAttrRoom : kRxSize;
  s->rx_batch_ = prefix ? kRxBatchPrefix : kRxBatch;
  s->rx_.resize(std::max(s->rx_size_ * s->rx_batch_, kRxSize));
  s->tx_.resize(kTxSize);
  KeepKernelStampsOn();
  auto open = [&]() -> Status {
    s->nl_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (s->nl_ == nullptr) return Status::FromErrno("netlink socket (NETLINK_NETFILTER)", errno);
    return Status::Ok();
  };
  Status st = netns_fd >= 0 ? InNetns(netns_fd, open) : open();
  if (!st.ok()) return st.Prefixed("nfqueue");
  if (mnl_socket_bind(s->nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    return Status::FromErrno("nfqueue: bind netlink socket", errno);
  }
  s->portid_ = mnl_socket_get_portid(s->nl_);
  const int fd = mnl_socket_get_fd(s->nl_);
  int rcv = kRcvBuf;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) != 0) {
    return Status::FromErrno("nfqueue: SO_RCVBUF", errno);
  }
  int one = 1;
  // Errors from the kernel for our verdicts reach us; success acks do not.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);

  FL_RETURN_IF_ERROR(
      s->Config([](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND); },
                "bind queue"));
  FL_RETURN_IF_ERROR(s->Config(
      [copy_range](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy_range); },
      "set copy mode"));
  FL_RETURN_IF_ERROR(s->Config([maxlen](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen); },
                               "set queue length"));
  FL_RETURN_IF_ERROR(s->Config(
      [](nlmsghdr* nlh) {
        mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
        mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
      },
      "set flags"));
  return s;
}

NfqSocket::~NfqSocket() {
  if (nl_ != nullptr) mnl_socket_close(nl_);  // the kernel drops what is still queued
}

int NfqSocket::fd() const { return mnl_socket_get_fd(nl_); }

Status NfqSocket::Config(const std::function<void(nlmsghdr*)>& fill, const char* what) {
  char buf[1024] = {};
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_);
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  fill(nlh);
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    return Status::FromErrno(fmt::format("nfqueue {}: send", what), errno);
  }
  const ssize_t n = mnl_socket_recvfrom(nl_, rx_.data(), rx_.size());
  if (n < 0) return Status::FromErrno(fmt::format("nfqueue {}: receive ack", what), errno);
  const int r = mnl_cb_run(rx_.data(), static_cast<size_t>(n), 1, portid_, nullptr, nullptr);
  if (r < 0) {
    const int err = errno;
    if (err == EOPNOTSUPP || err == ENOENT || err == EPROTONOSUPPORT) {
      return Status::Unsupported(
          fmt::format("nfqueue {}: the kernel refused ({}): is nfnetlink_queue available?", what,
                      std::strerror(err)));
    }
    return Status::FromErrno(fmt::format("nfqueue {}", what), err);
  }
  return Status::Ok();
}

Status NfqSocket::Drain(const PacketFn& fn) {
  // Up to rx_batch_ messages per system call (recvmmsg); each buffer holds
  // the largest message (the copy range plus attributes).
  mmsghdr msgs[kRxBatchPrefix] = {};
  iovec iov[kRxBatchPrefix];
  for (size_t i = 0; i < rx_batch_; ++i) {
    iov[i] = {rx_.data() + i * rx_size_, rx_size_};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  // The kernel's stamps are real time; the wire's clock is CLOCK_MONOTONIC.
  timespec real{}, mono{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  real_to_mono_ns_ =
      (int64_t{mono.tv_sec} - real.tv_sec) * 1'000'000'000 + (int64_t{mono.tv_nsec} - real.tv_nsec);
  while (true) {
    const int got = recvmmsg(fd(), msgs, static_cast<unsigned>(rx_batch_), MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        ++stats_.enobufs;  // messages were lost; the caller sees the id gap
        continue;
      }
      return Status::FromErrno("nfqueue: recvmmsg", errno);
    }
    for (int m = 0; m < got; ++m) {
      if ((msgs[m].msg_hdr.msg_flags & MSG_TRUNC) != 0) ++stats_.truncated;
      Parse(rx_.data() + static_cast<size_t>(m) * rx_size_, static_cast<int>(msgs[m].msg_len), fn);
    }
    if (got < static_cast<int>(rx_batch_)) return Status::Ok();
  }
}

void NfqSocket::Parse(const char* buf, int len, const PacketFn& fn) {
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len)) {
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (e->error != 0) {
        ++stats_.verdict_errors;
        stats_.last_verdict_error = -e->error;
      }
      continue;
    }
    if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) continue;
    nlattr* attr[NFQA_MAX + 1] = {};
    if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == nullptr) continue;
    const auto* ph =
        static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
    const uint32_t id = ntohl(ph->packet_id);
    ++stats_.packets;
    batcher_.Received(id);
    const bool gso = attr[NFQA_SKB_INFO] != nullptr &&
                     (ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO])) & NFQA_SKB_GSO) != 0;
    if (gso) ++stats_.gso;
    std::span<const uint8_t> pkt;
    if (attr[NFQA_PAYLOAD] != nullptr) {
      pkt = {static_cast<const uint8_t*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
             mnl_attr_get_payload_len(attr[NFQA_PAYLOAD])};
    }
    // NFQA_CAP_LEN: the packet's length, sent when the copy is shorter. A
    // copy shorter than the copy range asked for is a truncation; a prefix
    // of copy_range_ bytes is what was asked, unless whole packets were
    // asked (a packet over 64 KB, BIG TCP, cannot be copied whole).
    uint32_t len = static_cast<uint32_t>(pkt.size());
    if (attr[NFQA_CAP_LEN] != nullptr)
      len = std::max(len, ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])));
    if (pkt.size() < std::min(len, copy_range_) ||
        (copy_range_ == kWireWholePacket && pkt.size() < len)) {
      ++stats_.truncated;
    }
    int64_t kernel_ns = 0;
    if (attr[NFQA_TIMESTAMP] != nullptr &&
        mnl_attr_get_payload_len(attr[NFQA_TIMESTAMP]) >= sizeof(nfqnl_msg_packet_timestamp)) {
      nfqnl_msg_packet_timestamp ts;
      std::memcpy(&ts, mnl_attr_get_payload(attr[NFQA_TIMESTAMP]), sizeof ts);
      const int64_t sec = static_cast<int64_t>(be64toh(ts.sec));
      const int64_t usec = static_cast<int64_t>(be64toh(ts.usec));
      if (sec > 0) {
        kernel_ns = sec * 1'000'000'000 + usec * 1000 + real_to_mono_ns_;
        ++stats_.kernel_stamps;
      }
    }
    fn(id, pkt, len, gso, kernel_ns);
  }
}

Status NfqSocket::QueueVerdict(uint32_t id, int verdict, std::span<const uint8_t> replaced) {
  msgs_.clear();
  batcher_.Add(id, verdict == NF_ACCEPT && replaced.empty(), &msgs_);
  for (const VerdictMsg& m : msgs_) FL_RETURN_IF_ERROR(Write(m, verdict, replaced));
  return Status::Ok();
}

Status NfqSocket::Write(const VerdictMsg& m, int verdict, std::span<const uint8_t> replaced) {
  if (m.kind != VerdictMsg::Kind::kOwn) {
    verdict = NF_ACCEPT;
    replaced = {};
  }
  const size_t need = kVerdictOverhead + MNL_ALIGN(replaced.size());
  if (tx_len_ + need > tx_.size()) FL_RETURN_IF_ERROR(Send());
  if (need > tx_.size()) tx_.resize(need);
  const bool batch = m.kind == VerdictMsg::Kind::kBatchAccept;
  nlmsghdr* nlh = nfq_nlmsg_put(tx_.data() + tx_len_,
                                batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, queue_);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(m.id), verdict);
  if (!replaced.empty()) {
    nfq_nlmsg_verdict_put_pkt(nlh, replaced.data(), static_cast<uint32_t>(replaced.size()));
  }
  tx_len_ += MNL_ALIGN(nlh->nlmsg_len);
  ++stats_.verdict_msgs;
  if (batch) ++stats_.batches;
  return Status::Ok();
}

Status NfqSocket::Flush() {
  msgs_.clear();
  batcher_.Close(&msgs_);
  for (const VerdictMsg& m : msgs_) FL_RETURN_IF_ERROR(Write(m, NF_ACCEPT, {}));
  stats_.unknown_verdicts = batcher_.unknown();
  return Send();
}

Status NfqSocket::Send() {
  if (tx_len_ == 0) return Status::Ok();
  const size_t len = tx_len_;
  tx_len_ = 0;
  while (true) {
    if (mnl_socket_sendto(nl_, tx_.data(), len) >= 0) return Status::Ok();
    if (errno == EINTR) continue;
    return Status::FromErrno(fmt::format("nfqueue: send {} bytes of verdicts", len), errno);
  }
}

}  // namespace faultline
