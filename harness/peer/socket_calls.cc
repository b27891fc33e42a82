#include "harness/peer/socket_calls.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "harness/common/clock.h"
#include "harness/common/pattern.h"
#include "harness/peer/sock_addr.h"

namespace faultline::peer {
namespace {

// This thread's time spent waiting on a run queue so far (schedstat's
// second field, ns), or -1. The file is opened once per thread and re-read
// from offset 0 (procfs regenerates it): the peer's threads live for many
// calls (peer_main.cc), and the open's path walk cost more than the read.
int64_t RunDelayNs() {
  thread_local int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[96];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* end = nullptr;
  (void)std::strtoull(buf, &end, 10);  // time on the CPU
  if (end == buf || *end != ' ') return -1;
  const char* waited_at = end + 1;
  const unsigned long long waited = std::strtoull(waited_at, &end, 10);
  if (end == waited_at) return -1;
  return static_cast<int64_t>(waited);
}

// Runs `fn` (one syscall returning -1/errno on failure) between two clock
// reads and records ret, errno and the times; the run-queue wait around
// them (Reply::run_delay_ns) is read outside the two stamps.
template <typename Fn>
int64_t Timed(Reply* r, Fn&& fn) {
  const int64_t delay_before = RunDelayNs();
  r->start_ns = MonotonicNs();
  const int64_t ret = fn();
  const int err = errno;
  r->end_ns = MonotonicNs();
  const int64_t delay_after = RunDelayNs();
  r->run_delay_ns =
      delay_before >= 0 && delay_after >= delay_before ? delay_after - delay_before : 0;
  r->ret = ret;
  r->err = ret < 0 ? err : 0;
  return ret;
}

void Fail(Reply* r, const Status& s) {
  r->harness_error = s.message();
  r->ret = -1;
  r->err = 0;
  r->start_ns = r->end_ns = MonotonicNs();
}

void FillLocal(int fd, Reply* r) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), len, &r->local_addr, &r->local_port);
  }
}

void FillAddrs(int fd, Reply* r) {
  FillLocal(fd, r);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), len, &r->remote_addr, &r->remote_port);
  }
}

// The address family of an open socket, or `fallback` if unknown.
int Domain(int fd, int fallback) {
  int d = 0;
  socklen_t len = sizeof d;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &len) == 0) return d;
  return fallback;
}

// IPv6 sockets never accept IPv4-mapped traffic: a case runs one family.
void SetV6Only(int fd, int family) {
  if (family != AF_INET6) return;
  int one = 1;
  (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
}

Status CheckSize(int64_t size) {
  if (size < 0 || size > kMaxCallBytes) {
    return Status::Invalid(
        fmt::format("size {} is outside the peer's range [0, {}]", size, kMaxCallBytes));
  }
  return Status::Ok();
}

// The name a socket-creating call registers its fd under.
StatusOr<std::string> NewName(const Request& req) {
  if (!req.as.empty()) return req.as;
  if (req.op == Op::kListen) return std::string("ls");  // `listen: PORT` default
  return Status::Invalid(
      fmt::format("{} creates a socket but the step gives it no name (as)", OpName(req.op)));
}

int StreamType(const Request& req) {
  return (req.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | (req.nonblock ? SOCK_NONBLOCK : 0);
}

// The bytes a send/write/sendto puts on the socket.
StatusOr<std::string> Payload(const Request& req) {
  if (!req.data.empty()) return std::string(req.data.begin(), req.data.end());
  if (req.size <= 0) return std::string();
  FL_RETURN_IF_ERROR(CheckSize(req.size));
  return PatternBytes(req.size);
}

void DoSocket(const Request& req, FdTable* fds, Reply* r) {
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  const int fd = static_cast<int>(Timed(r, [&] { return socket(req.family, StreamType(req), 0); }));
  if (fd < 0) return fds->Release(*name);
  SetV6Only(fd, req.family);
  fds->Fill(*name, fd);
  FillLocal(fd, r);
}

void DoBind(const Request& req, int fd, Reply* r) {
  StatusOr<SockAddr> sa = MakeSockAddr(req.addr, req.port, Domain(fd, req.family));
  if (!sa.ok()) return Fail(r, sa.status());
  Timed(r, [&] { return bind(fd, sa->get(), sa->len); });
  FillLocal(fd, r);
}

// listen: PORT -> socket + bind(any, port) + listen, reported as one call;
// ret/errno are those of the first stage that failed.
void DoListenPort(const Request& req, FdTable* fds, Reply* r) {
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  StatusOr<SockAddr> sa = MakeSockAddr("", req.port, req.family);
  if (!sa.ok()) return Fail(r, sa.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  Request tcp = req;
  tcp.udp = false;
  int fd = -1;
  Timed(r, [&]() -> int64_t {
    fd = socket(req.family, StreamType(tcp), 0);
    if (fd < 0) return -1;
    SetV6Only(fd, req.family);
    if (bind(fd, sa->get(), sa->len) != 0) return -1;
    return listen(fd, req.backlog);
  });
  if (fd < 0) return fds->Release(*name);
  fds->Fill(*name, fd);  // registered even if bind/listen failed, so close works
  FillLocal(fd, r);
}

void DoAccept(const Request& req, int lfd, FdTable* fds, Reply* r) {
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int flags = SOCK_CLOEXEC | (req.nonblock ? SOCK_NONBLOCK : 0);
  const int fd = static_cast<int>(
      Timed(r, [&] { return accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len, flags); }));
  if (fd < 0) return fds->Release(*name);
  fds->Fill(*name, fd);
  FillLocal(fd, r);
  FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), len, &r->remote_addr, &r->remote_port);
}

// The fd the call is on: the table's for its name, or kNeverOpenFd for a
// name the case closed (Request::fd_closed).
StatusOr<int> NamedFd(const Request& req, const FdTable& fds) {
  if (req.fd_closed) return kNeverOpenFd;
  return fds.Lookup(req.fd);
}

// connect: FD to: ENDPOINT, or connect: ENDPOINT as: NAME (socket + connect).
void DoConnect(const Request& req, FdTable* fds, Reply* r) {
  if (!req.fd.empty()) {
    StatusOr<int> fd = NamedFd(req, *fds);
    if (!fd.ok()) return Fail(r, fd.status());
    StatusOr<SockAddr> sa = MakeSockAddr(req.addr, req.port, Domain(*fd, req.family));
    if (!sa.ok()) return Fail(r, sa.status());
    Timed(r, [&] { return connect(*fd, sa->get(), sa->len); });
    FillAddrs(*fd, r);
    return;
  }
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  StatusOr<SockAddr> sa = MakeSockAddr(req.addr, req.port, req.family);
  if (!sa.ok()) return Fail(r, sa.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  Request tcp = req;
  tcp.udp = false;
  int fd = -1;
  Timed(r, [&]() -> int64_t {
    fd = socket(sa->family(), StreamType(tcp), 0);
    if (fd < 0) return -1;
    SetV6Only(fd, sa->family());
    return connect(fd, sa->get(), sa->len);
  });
  if (fd < 0) return fds->Release(*name);
  fds->Fill(*name, fd);  // registered even if connect failed, so close works
  FillAddrs(fd, r);
}

// A page the peer mapped PROT_NONE and never touches: a buffer pointer the
// kernel cannot read or write (EFAULT), for `buffer: invalid`. Mapped once.
StatusOr<char*> UnmappedBuffer() {
  static void* const page =
      mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (page == MAP_FAILED) return Status::FromErrno("mmap of an inaccessible page", errno);
  return static_cast<char*>(page);
}

// The sendto address: the request's, AF_UNSPEC (`to_unspec`), or none.
StatusOr<SockAddr> SendtoAddr(const Request& req, int fd) {
  SockAddr sa;
  if (req.to_unspec) {
    sa.len = Domain(fd, req.family) == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    sa.ss.ss_family = AF_UNSPEC;
    return sa;
  }
  if (!req.addr.empty() || req.port != 0)
    return MakeSockAddr(req.addr, req.port, Domain(fd, req.family));
  return sa;
}

void DoSend(const Request& req, int fd, Reply* r) {
  std::string p;
  const char* buf = nullptr;
  if (req.bad_buffer) {
    StatusOr<char*> bad = UnmappedBuffer();
    if (!bad.ok()) return Fail(r, bad.status());
    buf = *bad;
  } else {
    StatusOr<std::string> payload = Payload(req);
    if (!payload.ok()) return Fail(r, payload.status());
    p = std::move(*payload);
    buf = p.data();
  }
  const size_t len =
      req.bad_buffer ? static_cast<size_t>(std::max<int64_t>(req.size, 0)) : p.size();
  int64_t n = 0;
  if (req.op == Op::kWrite) {
    n = Timed(r, [&] { return write(fd, buf, len); });
  } else if (req.op == Op::kSendto) {
    StatusOr<SockAddr> sa = SendtoAddr(req, fd);
    if (!sa.ok()) return Fail(r, sa.status());
    const sockaddr* dst = sa->len ? sa->get() : nullptr;
    n = Timed(r, [&] { return sendto(fd, buf, len, req.flags, dst, sa->len); });
    FillLocal(fd, r);
  } else {
    n = Timed(r, [&] { return send(fd, buf, len, req.flags); });
  }
  r->bytes = std::max<int64_t>(n, 0);
}

void KeepData(const std::vector<uint8_t>& buf, int64_t n, Reply* r) {
  if (n <= 0) return;
  r->bytes = n;
  const size_t keep = std::min<size_t>(static_cast<size_t>(n), kMaxReplyData);
  r->data.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(keep));
}

// recv with `until`: reads up to and including the delimiter, never past it
// (later reads must see the bytes after it), or until EOF, an error or `size`
// bytes. Each round peeks at what is queued, then consumes exactly the bytes
// up to the delimiter (or all peeked bytes when it is not there yet). ret is
// the total, or -1/errno if nothing was read before an error.
void RecvUntil(const Request& req, int fd, std::vector<uint8_t>* buf, Reply* r) {
  const std::string_view delim = req.until;
  const size_t cap = buf->size();
  const int flags = req.flags & ~(MSG_PEEK | MSG_WAITALL);
  size_t total = 0;
  int first_err = 0;
  bool first_failed = false;
  Timed(r, [&]() -> int64_t {
    while (total < cap) {
      const ssize_t n = recv(fd, buf->data() + total, cap - total, flags | MSG_PEEK);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n < 0 && total == 0) {
          first_failed = true;
          first_err = errno;
        }
        break;
      }
      const size_t from = total >= delim.size() ? total - delim.size() + 1 : 0;
      std::string_view got(reinterpret_cast<const char*>(buf->data()),
                           total + static_cast<size_t>(n));
      const size_t at = got.find(delim, from);
      const size_t want =
          at == std::string_view::npos ? static_cast<size_t>(n) : at + delim.size() - total;
      ssize_t m;
      do {
        m = recv(fd, buf->data() + total, want, flags);
      } while (m < 0 && errno == EINTR);
      if (m <= 0) break;  // cannot happen for bytes just peeked; stop rather than spin
      total += static_cast<size_t>(m);
      if (at != std::string_view::npos && static_cast<size_t>(m) == want) break;
    }
    if (first_failed) {
      errno = first_err;
      return -1;
    }
    return static_cast<int64_t>(total);
  });
  KeepData(*buf, r->ret, r);
}

void DoRecv(const Request& req, int fd, Reply* r) {
  if (Status s = CheckSize(req.size); !s.ok()) return Fail(r, s);
  std::vector<uint8_t> mem(req.bad_buffer ? 0 : static_cast<size_t>(req.size));
  if (req.op == Op::kRecv && !req.until.empty() && !req.bad_buffer) {
    return RecvUntil(req, fd, &mem, r);
  }
  void* buf = mem.data();
  if (req.bad_buffer) {
    StatusOr<char*> bad = UnmappedBuffer();
    if (!bad.ok()) return Fail(r, bad.status());
    buf = *bad;
  }
  const size_t len = static_cast<size_t>(req.size);
  int64_t n = 0;
  if (req.op == Op::kRead) {
    n = Timed(r, [&] { return read(fd, buf, len); });
  } else if (req.op == Op::kRecvfrom) {
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    n = Timed(r, [&] {
      return recvfrom(fd, buf, len, req.flags, reinterpret_cast<sockaddr*>(&ss), &sl);
    });
    FillLocal(fd, r);
    if (n >= 0) {
      FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), sl, &r->remote_addr, &r->remote_port);
    }
  } else {
    n = Timed(r, [&] { return recv(fd, buf, len, req.flags); });
  }
  if (req.bad_buffer) {
    r->bytes = std::max<int64_t>(n, 0);
  } else {
    KeepData(mem, n, r);
  }
}

bool IsTimeval(const Request& req) {
  return req.level == SOL_SOCKET && (req.optname == SO_SNDTIMEO || req.optname == SO_RCVTIMEO);
}

// IP_TOS on an IPv6 socket is IPV6_TCLASS: the same byte, the socket's family.
Request ByFamily(const Request& req, int fd) {
  Request out = req;
  if (req.level == IPPROTO_IP && req.optname == IP_TOS && Domain(fd, req.family) == AF_INET6) {
    out.level = IPPROTO_IPV6;
    out.optname = IPV6_TCLASS;
  }
  return out;
}

void DoSetsockopt(const Request& in, int fd, Reply* r) {
  const Request req = ByFamily(in, fd);
  if (IsTimeval(req)) {  // value: microseconds
    if (req.opt_value < 0) {
      return Fail(r, Status::Invalid(fmt::format("timeout {}us is negative", req.opt_value)));
    }
    timeval tv{};
    tv.tv_sec = req.opt_value / 1'000'000;
    tv.tv_usec = req.opt_value % 1'000'000;
    Timed(r, [&] { return setsockopt(fd, SOL_SOCKET, req.optname, &tv, sizeof tv); });
    return;
  }
  if (req.level == SOL_SOCKET && req.optname == SO_LINGER) {
    linger l{};
    l.l_onoff = req.linger_on ? 1 : 0;
    l.l_linger = static_cast<int>(req.opt_value);
    Timed(r, [&] { return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l); });
    return;
  }
  if (req.level == IPPROTO_TCP && req.optname == TCP_CONGESTION) {
    const std::string& t = req.opt_text;
    Timed(r, [&] {
      return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, t.data(),
                        static_cast<socklen_t>(t.size()));
    });
    return;
  }
  if (req.opt_value < INT_MIN || req.opt_value > INT_MAX) {
    return Fail(r,
                Status::Invalid(fmt::format("option value {} does not fit an int", req.opt_value)));
  }
  const int v = static_cast<int>(req.opt_value);
  Timed(r, [&] { return setsockopt(fd, req.level, req.optname, &v, sizeof v); });
}

// getsockopt: Reply.value holds the int value (SO_LINGER: l_linger when on,
// -1 when off); TCP_CONGESTION puts the algorithm's name in Reply.data,
// TCP_INFO the whole struct tcp_info as the kernel filled it (its length:
// as many bytes as this kernel returns, as packetdrill reads it).
void DoGetsockopt(const Request& in, int fd, Reply* r) {
  const Request req = ByFamily(in, fd);
  if (req.level == IPPROTO_TCP && req.optname == TCP_INFO) {
    std::vector<uint8_t> info(512, 0);
    socklen_t len = static_cast<socklen_t>(info.size());
    if (Timed(r, [&] { return getsockopt(fd, IPPROTO_TCP, TCP_INFO, info.data(), &len); }) == 0) {
      info.resize(std::min<size_t>(len, info.size()));
      r->data = std::move(info);
    }
    return;
  }
  if (IsTimeval(req)) {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (Timed(r, [&] { return getsockopt(fd, SOL_SOCKET, req.optname, &tv, &len); }) == 0) {
      r->value = int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec;
    }
    return;
  }
  if (req.level == SOL_SOCKET && req.optname == SO_LINGER) {
    linger l{};
    socklen_t len = sizeof l;
    if (Timed(r, [&] { return getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len); }) == 0) {
      r->value = l.l_onoff ? l.l_linger : -1;
    }
    return;
  }
  if (req.level == IPPROTO_TCP && req.optname == TCP_CONGESTION) {
    char name[64] = {};
    socklen_t len = sizeof name - 1;
    if (Timed(r, [&] { return getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len); }) == 0) {
      const size_t n = strnlen(name, len);
      r->data.assign(name, name + n);
    }
    return;
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (Timed(r, [&] { return getsockopt(fd, req.level, req.optname, &v, &len); }) == 0) {
    r->value = v;
  }
}

void DoNonblock(const Request& req, int fd, Reply* r) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    Timed(r, [&] { return fcntl(fd, F_GETFL); });
    return;
  }
  const int want = req.nonblock ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  Timed(r, [&] { return fcntl(fd, F_SETFL, want); });
}

int TimeoutMs(int64_t timeout_ns) {
  if (timeout_ns < 0) return -1;
  const int64_t up = (timeout_ns + 999'999) / 1'000'000;
  return static_cast<int>(std::min<int64_t>(up, INT_MAX));
}

void DoPoll(const Request& req, int fd, Reply* r) {
  const int ms = TimeoutMs(req.timeout_ns);
  pollfd p{fd, static_cast<short>(req.events), 0};
  if (Timed(r, [&] { return poll(&p, 1, ms); }) >= 0) r->revents = p.revents;
}

void DoSleep(const Request& req, Reply* r) {
  Timed(r, [&]() -> int64_t {
    const int64_t ns = std::max<int64_t>(req.timeout_ns, 0);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t until = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec + ns;
    ts.tv_sec = until / 1'000'000'000;
    ts.tv_nsec = until % 1'000'000'000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    return 0;
  });
}

// A memfd holding `size` pattern bytes, for sendfile.
StatusOr<int> PatternMemfd(int64_t size) {
  const int mfd = memfd_create("faultline-sendfile", MFD_CLOEXEC);
  if (mfd < 0) return Status::FromErrno("memfd_create", errno);
  // 36 * 1820: a whole number of pattern periods, so chunks join seamlessly.
  const std::string chunk = PatternBytes(std::min<int64_t>(size, 65520));
  int64_t done = 0;
  while (done < size) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(size - done, 65520));
    const ssize_t n = write(mfd, chunk.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Status::FromErrno("writing the sendfile data", errno);
      close(mfd);
      return s;
    }
    done += n;
  }
  return mfd;
}

// sendfile from a named fd (a file the case opened: issue 16 part E), from
// `offset` (-1: NULL, the file's own position).
void DoSendfileFrom(const Request& req, int fd, FdTable* fds, Reply* r) {
  StatusOr<int> in = fds->Lookup(req.target);
  if (!in.ok()) return Fail(r, in.status());
  off_t off = static_cast<off_t>(req.offset);
  off_t* offp = req.offset < 0 ? nullptr : &off;
  const size_t count = static_cast<size_t>(std::max<int64_t>(req.size, 0));
  const int64_t n = Timed(r, [&] { return sendfile(fd, *in, offp, count); });
  r->bytes = std::max<int64_t>(n, 0);
}

void DoSendfile(const Request& req, int fd, FdTable* fds, Reply* r) {
  if (Status s = CheckSize(req.size); !s.ok()) return Fail(r, s);
  if (!req.target.empty()) return DoSendfileFrom(req, fd, fds, r);
  StatusOr<int> mfd = PatternMemfd(req.size);
  if (!mfd.ok()) return Fail(r, mfd.status().Prefixed("preparing sendfile"));
  off_t off = 0;
  const int64_t n =
      Timed(r, [&] { return sendfile(fd, *mfd, &off, static_cast<size_t>(req.size)); });
  close(*mfd);
  r->bytes = std::max<int64_t>(n, 0);
}

void DoDup(const Request& req, int fd, FdTable* fds, Reply* r) {
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  const int nfd = static_cast<int>(Timed(r, [&] { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }));
  if (nfd < 0) return fds->Release(*name);
  fds->Fill(*name, nfd);
  FillAddrs(nfd, r);
}

}  // namespace

StatusOr<std::vector<iovec>> SplitIov(const std::vector<int64_t>& sizes, const std::string& p,
                                      std::string* spaced) {
  std::vector<iovec> iov;
  if (sizes.empty()) {
    iov.push_back(iovec{const_cast<char*>(p.data()), p.size()});
    return iov;
  }
  if (sizes.size() > IOV_MAX) {
    return Status::Invalid(fmt::format("{} iov entries; at most {}", sizes.size(), IOV_MAX));
  }
  size_t at = 0;
  for (int64_t n : sizes) {
    if (n < 0 || static_cast<size_t>(n) > p.size() - at) {
      return Status::Invalid(
          fmt::format("iov sizes add up to more than the {} bytes to send", p.size()));
    }
    at += static_cast<size_t>(n);
  }
  spaced->assign(p.size() + sizes.size() * kIovGap, '\0');
  at = 0;
  size_t out = 0;
  for (int64_t n : sizes) {
    const size_t len = static_cast<size_t>(n);
    std::copy_n(p.data() + at, len, spaced->data() + out);
    iov.push_back(iovec{spaced->data() + out, len});
    at += len;
    out += len + kIovGap;
  }
  return iov;
}

namespace {

// The bytes a writev/sendmsg sends: data, or the sum of iov sizes (else size) pattern bytes.
StatusOr<std::string> VectorPayload(const Request& req) {
  if (!req.data.empty() || req.iov.empty()) return Payload(req);
  int64_t total = 0;
  for (int64_t n : req.iov) {
    if (n < 0 || n > kMaxCallBytes) FL_RETURN_IF_ERROR(CheckSize(n));
    total += n;
  }
  FL_RETURN_IF_ERROR(CheckSize(total));
  return PatternBytes(total);
}

// writev and sendmsg (no ancillary data; sendmsg to an address for UDP).
void DoSendVector(const Request& req, int fd, Reply* r) {
  StatusOr<std::string> payload = VectorPayload(req);
  if (!payload.ok()) return Fail(r, payload.status());
  std::string spaced;
  StatusOr<std::vector<iovec>> iov = SplitIov(req.iov, *payload, &spaced);
  if (!iov.ok()) return Fail(r, iov.status());
  int64_t n = 0;
  if (req.op == Op::kWritev) {
    n = Timed(r, [&] { return writev(fd, iov->data(), static_cast<int>(iov->size())); });
  } else {
    SockAddr sa;
    if (!req.addr.empty() || req.port != 0) {
      StatusOr<SockAddr> to = MakeSockAddr(req.addr, req.port, Domain(fd, req.family));
      if (!to.ok()) return Fail(r, to.status());
      sa = *to;
    }
    msghdr m{};
    m.msg_name = sa.len ? const_cast<sockaddr*>(sa.get()) : nullptr;
    m.msg_namelen = sa.len;
    m.msg_iov = iov->data();
    m.msg_iovlen = iov->size();
    n = Timed(r, [&] { return sendmsg(fd, &m, req.flags); });
    FillLocal(fd, r);
  }
  r->bytes = std::max<int64_t>(n, 0);
}

// readv and recvmsg: buffers of the iov sizes (recvmsg without iov: one of
// `size`); the bytes received are kept in order.
void DoRecvVector(const Request& req, int fd, Reply* r) {
  std::vector<int64_t> sizes = req.iov;
  if (sizes.empty()) sizes.push_back(req.size);
  if (sizes.size() > IOV_MAX) {
    return Fail(r,
                Status::Invalid(fmt::format("{} iov entries; at most {}", sizes.size(), IOV_MAX)));
  }
  int64_t total = 0;
  for (int64_t n : sizes) {
    if (Status s = CheckSize(n); !s.ok()) return Fail(r, s);
    total += n;
  }
  if (Status s = CheckSize(total); !s.ok()) return Fail(r, s);
  std::vector<uint8_t> buf(static_cast<size_t>(total));
  std::vector<iovec> iov;
  size_t at = 0;
  for (int64_t n : sizes) {
    iov.push_back(iovec{buf.data() + at, static_cast<size_t>(n)});
    at += static_cast<size_t>(n);
  }
  int64_t n = 0;
  if (req.op == Op::kReadv) {
    n = Timed(r, [&] { return readv(fd, iov.data(), static_cast<int>(iov.size())); });
  } else {
    sockaddr_storage ss{};
    // Aligned for cmsghdr; only when asked: without one the kernel reports
    // ancillary data as MSG_CTRUNC, as for a script's NULL msg_control.
    alignas(cmsghdr) uint8_t control[kControlBytes];
    msghdr m{};
    m.msg_name = &ss;
    m.msg_namelen = sizeof ss;
    m.msg_iov = iov.data();
    m.msg_iovlen = iov.size();
    if (req.control) {
      m.msg_control = control;
      m.msg_controllen = sizeof control;
    }
    n = Timed(r, [&] { return recvmsg(fd, &m, req.flags); });
    FillLocal(fd, r);
    if (n >= 0) {
      r->msg_flags = m.msg_flags;
      if (req.control) r->control.assign(control, control + m.msg_controllen);
      FormatSockAddr(reinterpret_cast<sockaddr*>(&ss), m.msg_namelen, &r->remote_addr,
                     &r->remote_port);
    }
  }
  KeepData(buf, n, r);
}

// fcntl F_GETFL (value: the flags) / F_SETFL (O_NONBLOCK from `nonblock`,
// the other flags as F_GETFL reads them).
void DoFcntl(const Request& req, int fd, Reply* r) {
  if (req.fcntl_cmd == F_GETFL) {
    if (Timed(r, [&] { return fcntl(fd, F_GETFL); }) >= 0) r->value = r->ret;
    return;
  }
  if (req.fcntl_cmd != F_SETFL) {
    return Fail(r, Status::Invalid(fmt::format("fcntl command {} is not supported (F_GETFL, "
                                               "F_SETFL)",
                                               req.fcntl_cmd)));
  }
  DoNonblock(req, fd, r);
}

// ioctl requests that read one int.
void DoIoctl(const Request& req, int fd, Reply* r) {
  const unsigned long request = static_cast<unsigned long>(req.ioctl_request);
  if (request != SIOCINQ && request != SIOCOUTQ && request != FIONREAD && request != SIOCOUTQNSD) {
    return Fail(r, Status::Invalid(fmt::format("ioctl request {:#x} is not supported (SIOCINQ, "
                                               "SIOCOUTQ, SIOCOUTQNSD, FIONREAD)",
                                               request)));
  }
  int v = 0;
  if (Timed(r, [&] { return ioctl(fd, request, &v); }) >= 0) r->value = v;
}

void DoEpollCreate(const Request& req, FdTable* fds, Reply* r) {
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  if (Status s = fds->Reserve(*name); !s.ok()) return Fail(r, s);
  const int size = static_cast<int>(std::clamp<int64_t>(req.size, INT_MIN, INT_MAX));
  const int fd = static_cast<int>(Timed(r, [&]() -> int64_t {
    if (req.size == 0) return epoll_create1(EPOLL_CLOEXEC);
    const int e = epoll_create(size);  // packetdrill's epoll_create(N)
    if (e >= 0) (void)fcntl(e, F_SETFD, FD_CLOEXEC);
    return e;
  }));
  if (fd < 0) return fds->Release(*name);
  fds->Fill(*name, fd);
}

// open (issue 16 part E): `path`, one name, in the directory `cwd` (the
// variant's workdir, made by the run): openat there, never through a
// symlink (O_NOFOLLOW on both), mode 0600 when it creates the file.
void DoOpen(const Request& req, FdTable* fds, Reply* r) {
  if (req.cwd.empty()) return Fail(r, Status::Invalid("open: the case has no work directory"));
  if (req.path.empty() || req.path == "." || req.path == ".." ||
      req.path.find('/') != std::string::npos) {
    return Fail(r, Status::Invalid(fmt::format(
                       "open: '{}' is not one file name in the work directory", req.path)));
  }
  StatusOr<std::string> name = NewName(req);
  if (!name.ok()) return Fail(r, name.status());
  const int dir = open(req.cwd.c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_PATH);
  if (dir < 0) return Fail(r, Status::FromErrno("open: opening " + req.cwd, errno));
  if (Status s = fds->Reserve(*name); !s.ok()) {
    close(dir);
    return Fail(r, s);
  }
  const int flags = req.open_flags | O_NOFOLLOW | O_CLOEXEC;
  const int fd = static_cast<int>(
      Timed(r, [&] { return openat(dir, req.path.c_str(), flags, S_IRUSR | S_IWUSR); }));
  close(dir);
  if (fd < 0) return fds->Release(*name);
  fds->Fill(*name, fd);
}

// pipe (issue 16 part E): `as` names the read end, `as2` the write end.
void DoPipe(const Request& req, FdTable* fds, Reply* r) {
  if (req.as.empty() || req.as2.empty() || req.as == req.as2) {
    return Fail(r, Status::Invalid("pipe needs two different names (as, as_write)"));
  }
  if (Status s = fds->Reserve(req.as); !s.ok()) return Fail(r, s);
  if (Status s = fds->Reserve(req.as2); !s.ok()) {
    fds->Release(req.as);
    return Fail(r, s);
  }
  int p[2] = {-1, -1};
  if (Timed(r, [&] { return pipe2(p, O_CLOEXEC); }) < 0) {
    fds->Release(req.as);
    return fds->Release(req.as2);
  }
  fds->Fill(req.as, p[0]);
  fds->Fill(req.as2, p[1]);
}

// splice (issue 16 part E): `size` bytes from `fd` to `target`, no offsets.
void DoSplice(const Request& req, int fd, FdTable* fds, Reply* r) {
  StatusOr<int> out = fds->Lookup(req.target);
  if (!out.ok()) return Fail(r, out.status());
  const size_t count = static_cast<size_t>(std::max<int64_t>(req.size, 0));
  const unsigned flags = static_cast<unsigned>(req.flags);
  const int64_t n = Timed(r, [&] { return splice(fd, nullptr, *out, nullptr, count, flags); });
  r->bytes = std::max<int64_t>(n, 0);
}

void DoEpollCtl(const Request& req, int epfd, FdTable* fds, Reply* r) {
  StatusOr<int> target = fds->Lookup(req.target);
  if (!target.ok()) return Fail(r, target.status());
  epoll_event ev{};
  ev.events = req.epoll_events;
  ev.data.fd = *target;
  epoll_event* arg = req.epoll_op == EPOLL_CTL_DEL ? nullptr : &ev;
  Timed(r, [&] { return epoll_ctl(epfd, req.epoll_op, *target, arg); });
}

void DoEpollWait(const Request& req, int epfd, FdTable* fds, Reply* r) {
  if (req.epoll_max < 1 || req.epoll_max > 1024) {
    return Fail(r, Status::Invalid(fmt::format("max {} is outside [1, 1024]", req.epoll_max)));
  }
  std::vector<epoll_event> evs(static_cast<size_t>(req.epoll_max));
  const int64_t n = Timed(
      r, [&] { return epoll_wait(epfd, evs.data(), req.epoll_max, TimeoutMs(req.timeout_ns)); });
  for (int64_t i = 0; i < n; ++i) {
    r->epoll_fds.push_back(fds->NameOf(evs[static_cast<size_t>(i)].data.fd));
    r->epoll_events.push_back(evs[static_cast<size_t>(i)].events);
  }
}

// getsockname / getpeername: the address in Reply.local_addr/local_port
// (getsockname) or remote_addr/remote_port (getpeername).
void DoSockName(const Request& req, int fd, Reply* r) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  const bool peer = req.op == Op::kGetpeername;
  if (Timed(r, [&] { return peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len); }) < 0) {
    return;
  }
  if (peer) {
    FormatSockAddr(sa, len, &r->remote_addr, &r->remote_port);
  } else {
    FormatSockAddr(sa, len, &r->local_addr, &r->local_port);
  }
}

// close: the name leaves the table. A closed name (Request::fd_closed)
// closes kNeverOpenFd: EBADF, and nothing of the peer's is touched.
void DoClose(const Request& req, FdTable* fds, Reply* r) {
  StatusOr<int> fd = req.fd_closed ? StatusOr<int>(kNeverOpenFd) : fds->Take(req.fd);
  if (!fd.ok()) return Fail(r, fd.status());
  Timed(r, [&] { return close(*fd); });
}

}  // namespace

Reply Execute(const Request& req, FdTable* fds) {
  Reply r;
  r.id = req.id;
  switch (req.op) {
    case Op::kSocket: DoSocket(req, fds, &r); return r;
    case Op::kEpollCreate: DoEpollCreate(req, fds, &r); return r;
    case Op::kOpen: DoOpen(req, fds, &r); return r;
    case Op::kPipe: DoPipe(req, fds, &r); return r;
    case Op::kSleep: DoSleep(req, &r); return r;
    case Op::kConnect: DoConnect(req, fds, &r); return r;
    case Op::kListen:
      if (req.fd.empty()) {
        DoListenPort(req, fds, &r);
        return r;
      }
      break;
    case Op::kClose: DoClose(req, fds, &r); return r;
    default: break;
  }

  // Everything else works on an existing, named socket (or on a closed
  // name's kNeverOpenFd).
  StatusOr<int> found = NamedFd(req, *fds);
  if (!found.ok()) {
    Fail(&r, found.status());
    return r;
  }
  const int fd = *found;
  switch (req.op) {
    case Op::kBind: DoBind(req, fd, &r); break;
    case Op::kListen:
      Timed(&r, [&] { return listen(fd, req.backlog); });
      FillLocal(fd, &r);
      break;
    case Op::kAccept: DoAccept(req, fd, fds, &r); break;
    case Op::kSend:
    case Op::kWrite:
    case Op::kSendto: DoSend(req, fd, &r); break;
    case Op::kRecv:
    case Op::kRead:
    case Op::kRecvfrom: DoRecv(req, fd, &r); break;
    case Op::kShutdown: Timed(&r, [&] { return shutdown(fd, req.how); }); break;
    case Op::kDup: DoDup(req, fd, fds, &r); break;
    case Op::kSetsockopt: DoSetsockopt(req, fd, &r); break;
    case Op::kGetsockopt: DoGetsockopt(req, fd, &r); break;
    case Op::kNonblock: DoNonblock(req, fd, &r); break;
    case Op::kPoll: DoPoll(req, fd, &r); break;
    case Op::kSendfile: DoSendfile(req, fd, fds, &r); break;
    case Op::kSplice: DoSplice(req, fd, fds, &r); break;
    case Op::kSendmsg:
    case Op::kWritev: DoSendVector(req, fd, &r); break;
    case Op::kRecvmsg:
    case Op::kReadv: DoRecvVector(req, fd, &r); break;
    case Op::kFcntl: DoFcntl(req, fd, &r); break;
    case Op::kIoctl: DoIoctl(req, fd, &r); break;
    case Op::kEpollCtl: DoEpollCtl(req, fd, fds, &r); break;
    case Op::kEpollWait: DoEpollWait(req, fd, fds, &r); break;
    case Op::kGetsockname:
    case Op::kGetpeername: DoSockName(req, fd, &r); break;
    default:
      Fail(&r, Status::Invalid(fmt::format("op {} is not supported", OpName(req.op))));
      break;
  }
  return r;
}

}  // namespace faultline::peer
