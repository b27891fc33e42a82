#include "harness/observe/state_trace.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace faultline {
namespace {

constexpr uint32_t kFilterEntries = 4096;
constexpr uint32_t kRingBytes = 1u << 22;  // 4 MiB: a burst of ~40k transitions

Status Errno(const std::string& what, int ret) {
  return Status::Unsupported(fmt::format("{}: {}", what, std::strerror(ret < 0 ? -ret : errno)));
}

template <typename T>
T Read(const uint8_t* p, uint32_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

std::string Addr(int family, const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, p, buf, sizeof buf);
  return buf;
}

}  // namespace

bool DecodeStateEvent(const TraceOffsets& o, const uint8_t* data, size_t size, uint32_t* inum,
                      StateTransition* t) {
  if (size < kEvCommon + o.common_len) return false;
  const uint8_t* c = data + kEvCommon;
  *inum = Read<uint32_t>(data, kEvInum);
  t->at_ns = static_cast<int64_t>(Read<uint64_t>(data, kEvTime));
  t->sk = Read<uint64_t>(data, kEvSk);
  t->old_state = static_cast<int>(Read<uint32_t>(data, kEvOld));
  t->new_state = static_cast<int>(Read<uint32_t>(data, kEvNew));
  t->family = Read<uint16_t>(c, o.family);
  if (t->family == AF_INET6) {
    t->laddr = Addr(AF_INET6, c + o.v6_rcv_saddr);
    t->raddr = Addr(AF_INET6, c + o.v6_daddr);
  } else {
    t->laddr = Addr(AF_INET, c + o.rcv_saddr);
    t->raddr = Addr(AF_INET, c + o.daddr);
  }
  t->lport = Read<uint16_t>(c, o.num);           // host order
  t->rport = ntohs(Read<uint16_t>(c, o.dport));  // network order
  // The kernel closes a full socket that goes on as a time-wait socket
  // (tcp_time_wait, then tcp_done): X -> CLOSE without an error. From
  // CLOSING, or FIN_WAIT2 after the peer's FIN, that is TIME_WAIT; from
  // FIN_WAIT2 before it the time-wait socket stays in FIN_WAIT2 (its later
  // TIME_WAIT has no tracepoint; sock_diag shows it).
  const int32_t err = Read<int32_t>(data, kEvErr);
  const bool fin_in = ((Read<uint64_t>(data, kEvFlags) >> o.sock_done) & 1) != 0;
  if (t->new_state == TCP_CLOSE && err == 0) {
    if (t->old_state == TCP_CLOSING || t->old_state == TCP_FIN_WAIT1 ||
        (t->old_state == TCP_FIN_WAIT2 && fin_in)) {
      t->new_state = TCP_TIME_WAIT;
    } else if (t->old_state == TCP_FIN_WAIT2) {
      return false;
    }
  }
  return true;
}

StateTracer& StateTracer::Global() {
  static StateTracer* t = new StateTracer();  // never destroyed: its thread lives with the process
  return *t;
}

StateTracer::~StateTracer() {
  if (reader_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_.get(), &one, sizeof one);
    reader_.join();
  }
  if (rb_ != nullptr) ring_buffer__free(rb_);
}

Status StateTracer::Start() {
  std::lock_guard<std::mutex> lock(start_mu_);
  if (!started_) {
    started_ = true;
    start_status_ = Load();
  }
  return start_status_;
}

Status StateTracer::Load() {
  libbpf_set_print([](enum libbpf_print_level, const char*, va_list) { return 0; });
  btf* b = btf__load_vmlinux_btf();
  if (b == nullptr) return Errno("no kernel BTF (/sys/kernel/btf/vmlinux)", -errno);
  StatusOr<TraceOffsets> o = TraceOffsetsFromBtf(b);
  btf__free(b);
  if (!o.ok()) return o.status();
  offsets_ = *o;
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "fl_netns", 4, 8, kFilterEntries, nullptr);
  if (fd < 0) return Errno("bpf_map_create (hash)", fd);
  filter_.reset(fd);
  fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "fl_states", 0, 0, kRingBytes, nullptr);
  if (fd < 0) return Errno("bpf_map_create (ringbuf)", fd);
  ringbuf_.reset(fd);
  std::vector<bpf_insn> insns = StateProgram(offsets_, filter_.get(), ringbuf_.get());
  std::string log(1 << 16, '\0');
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.log_buf = log.data();
  opts.log_size = static_cast<uint32_t>(log.size());
  fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "fl_set_state", "GPL", insns.data(),
                     insns.size(), &opts);
  if (fd < 0) {
    Status s = Errno("bpf_prog_load", fd);
    log.resize(strnlen(log.c_str(), log.size()));
    return log.empty() ? s : Status::Unsupported(s.message() + " (" + log + ")");
  }
  prog_.reset(fd);
  fd = bpf_raw_tracepoint_open("inet_sock_set_state", prog_.get());
  if (fd < 0) return Errno("bpf_raw_tracepoint_open(inet_sock_set_state)", fd);
  link_.reset(fd);
  rb_ = ring_buffer__new(ringbuf_.get(), &StateTracer::OnEvent, this, nullptr);
  if (rb_ == nullptr) return Errno("ring_buffer__new", -errno);
  stop_.reset(eventfd(0, EFD_CLOEXEC));
  if (stop_.get() < 0) return Errno("eventfd", -errno);
  reader_ = std::thread([this] { ReadLoop(); });
  return Status::Ok();
}

void StateTracer::ReadLoop() {
  pollfd fds[2] = {{ring_buffer__epoll_fd(rb_), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    Drain();
  }
}

void StateTracer::Drain() {
  std::lock_guard<std::mutex> lock(mu_);
  if (rb_ != nullptr) ring_buffer__consume(rb_);
  // Events the program could not reserve room for, per namespace.
  for (const auto& [inum, weak] : hist_) {
    uint64_t lost = 0;
    std::shared_ptr<MemoryStateHistory> h = weak.lock();
    if (h && bpf_map_lookup_elem(filter_.get(), &inum, &lost) == 0) h->SetLost(lost);
  }
}

int StateTracer::OnEvent(void* ctx, void* data, size_t size) {
  auto* self = static_cast<StateTracer*>(ctx);  // mu_ is held (Drain)
  uint32_t inum = 0;
  StateTransition t;
  if (!DecodeStateEvent(self->offsets_, static_cast<const uint8_t*>(data), size, &inum, &t)) {
    return 0;
  }
  auto it = self->hist_.find(inum);
  if (it == self->hist_.end()) return 0;
  if (std::shared_ptr<MemoryStateHistory> h = it->second.lock()) h->Add(std::move(t));
  return 0;
}

StatusOr<std::shared_ptr<StateHistory>> StateTracer::Watch(int netns_fd) {
  struct stat st {};
  if (fstat(netns_fd, &st) != 0) return Status::FromErrno("fstat(netns)", errno);
  const uint32_t inum = static_cast<uint32_t>(st.st_ino);
  auto h = std::make_shared<MemoryStateHistory>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    hist_[inum] = h;
  }
  uint64_t lost = 0;
  if (int r = bpf_map_update_elem(filter_.get(), &inum, &lost, BPF_ANY); r < 0) {
    return Errno("bpf_map_update_elem", r);
  }
  // The returned handle unregisters the namespace when the lab lets go of it.
  MemoryStateHistory* raw = h.get();
  return std::shared_ptr<StateHistory>(raw, [this, inum, h](StateHistory* p) mutable {
    Unwatch(inum, static_cast<MemoryStateHistory*>(p));
    h.reset();
  });
}

void StateTracer::Unwatch(uint32_t inum, const MemoryStateHistory* h) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hist_.find(inum);
  if (it == hist_.end()) return;
  std::shared_ptr<MemoryStateHistory> cur = it->second.lock();
  if (cur && cur.get() != h) return;  // the inode was reused by a newer namespace
  hist_.erase(it);
  bpf_map_delete_elem(filter_.get(), &inum);
}

}  // namespace faultline
