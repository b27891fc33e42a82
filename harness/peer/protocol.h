// The runner <-> peer protocol.
//
// One peer process runs per lab host, inside that host's network namespace.
// The runner talks to it over an AF_UNIX SOCK_SEQPACKET socketpair: each
// message is one datagram holding one CBOR map of text keys (written and
// read by protocol.cc's own codec, without building a JSON tree: it runs
// twice per step on each side), so binary payloads travel as CBOR byte
// strings and a message can never be torn or merged. At most
// kMaxMessageBytes per message.
//
// Runner -> peer: Request. Peer -> runner: exactly one Reply per Request, with
// the same id, in completion order (not request order: async calls may
// finish later); a batch (Request::batch) is answered by one Reply per
// member it ran instead. When the control socket reaches EOF the peer exits at once
// (the runner died or is done): no peer outlives its runner.
//
// Addresses in a Request are numeric and already resolved by the runner: the
// peer knows nothing about host names or the case file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/model/case.h"

namespace faultline::peer {

inline constexpr size_t kMaxMessageBytes = 192 * 1024;
// Received bytes a Reply carries back at most; `bytes` always has the full count.
inline constexpr size_t kMaxReplyData = 64 * 1024;
// recvmsg's control buffer (Request.control).
inline constexpr size_t kControlBytes = 1024;

struct Request {
  uint64_t id = 0;
  Op op = Op::kSocket;
  std::string fd;  // name of the socket the call is on
  std::string as;  // name for the fd the call creates
  int family = 0;  // AF_INET / AF_INET6 (socket, listen PORT, connect ENDPOINT)
  bool udp = false;
  bool nonblock = false;
  std::string addr;  // numeric address ("198.18.2.2", "2001:2:0:2::2", "" = any)
  uint16_t port = 0;
  int backlog = 128;
  // send/write/sendto: the exact bytes to send. When empty and size > 0 the
  // peer sends `size` bytes of PatternBytes (harness/common/pattern.h): the
  // runner does not expand sizes, so large writes never cross this socket.
  std::vector<uint8_t> data;
  int64_t size = 0;   // recv buffer size; sendfile/pattern send byte count
  int flags = 0;      // MSG_* bits
  std::string until;  // recv: stop after this delimiter
  int how = 0;        // SHUT_*
  int level = 0;      // setsockopt/getsockopt
  int optname = 0;
  int64_t opt_value = 0;
  bool linger_on = false;
  std::string opt_text;    // TCP_CONGESTION
  int events = 0;          // poll: POLL* bits
  int64_t timeout_ns = 0;  // poll timeout; sleep duration; stop: grace before SIGKILL

  // run: the program (argv[0] looked up in the PATH of `env`), its complete
  // environment ("NAME=value"), working directory, and stdin (`data` when
  // has_stdin, else /dev/null). `as` names it (the runner names unnamed
  // ones). background: reply as soon as it started; else when it exited.
  // stop / wait (Op::kWaitCommand): `fd` is the command's name.
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool has_stdin = false;
  bool background = false;
  // run, background, `ready: {stdout|stderr: ...}`: the stream (1 stdout,
  // 2 stderr; 0: none), the test (LineMatcher::Test as int) and its text
  // (${...} already expanded). The reply then comes once a line of the
  // stream meets it (Reply.ready), the command has ended, or timeout_ns
  // has passed, whichever is first.
  int ready_stream = 0;
  int ready_test = 0;
  std::string ready_text;

  // Issue 16 (packetdrill's system calls). writev/readv: the buffer sizes
  // (writev sends data, or pattern bytes, split in these sizes).
  std::vector<int64_t> iov;
  int fcntl_cmd = 0;          // F_GETFL / F_SETFL (setfl: O_NONBLOCK from `nonblock`)
  int ioctl_request = 0;      // SIOCINQ / SIOCOUTQ / FIONREAD
  int epoll_op = 0;           // EPOLL_CTL_ADD / _MOD / _DEL
  std::string target;         // epoll_ctl: the fd name added, changed or removed
  uint32_t epoll_events = 0;  // epoll_ctl: EPOLL* bits
  int epoll_max = 1;          // epoll_wait maxevents (timeout: timeout_ns, < 0 forever)
  // send/write/sendto/recv/read/recvfrom: pass a pointer to a PROT_NONE page
  // (EFAULT) instead of a buffer, with `size` as the length.
  bool bad_buffer = false;
  bool to_unspec = false;  // sendto: a sockaddr of family AF_UNSPEC as the address
  // recvmsg: pass a control buffer of kControlBytes (ancillary data); the
  // reply carries what the kernel wrote in it (Reply.control).
  bool control = false;
  // Issue 16 part E. open: `path` is one name inside the directory `cwd`
  // (the variant's workdir), opened with openat and O_NOFOLLOW; open_flags
  // O_* bits. pipe: `as` names the read end, `as2` the write end.
  // sendfile: `target` names the input fd (empty: pattern bytes), `offset`
  // its offset (-1: NULL). splice: from `fd` to `target`, `size` bytes,
  // `flags` SPLICE_F_* bits.
  std::string path;
  int open_flags = 0;
  std::string as2;
  int64_t offset = -1;
  // `fd` names a socket the case closed (the step expects EBADF): the call
  // gets kNeverOpenFd instead of a number from the table.
  bool fd_closed = false;

  // Issue 16 part D: consecutive calls of one host as one request. A
  // request whose `batch` is not empty is a run of calls (its own op and
  // other fields are not used): the peer runs the members in order, back to
  // back on one thread, and answers each member it ran with its own reply
  // (its own id) as soon as it returned; the batch itself gets no reply.
  // After a member whose result is not the one its go_on fields ask for
  // (or that the peer could not attempt), it runs none of the later ones:
  // the runner's check of that step fails there and the script stops, as
  // packetdrill stops at its first failure. A member has no batch of its
  // own (decoding rejects one).
  std::vector<Request> batch;
  // A batch member: the result the peer goes on after. kAny: any; kSuccess:
  // ret >= 0; kValue: ret == go_on_ret; kError: ret < 0. With go_on_errnos,
  // also ret == -1 and errno one of them (the step's `errno:` check).
  enum class GoOn : int { kAny = 0, kSuccess = 1, kValue = 2, kError = 3 };
  GoOn go_on = GoOn::kAny;
  int64_t go_on_ret = 0;
  std::vector<int> go_on_errnos;
};

// A file descriptor number no process can have open, so a call on it fails
// with EBADF (poll: POLLNVAL) however many fds the peer holds: the kernel
// never lets a table grow past fs.nr_open, whose largest possible value
// (sysctl_nr_open_max) is INT_MAX rounded down to a multiple of
// BITS_PER_LONG, 2147483584 on 64-bit: INT_MAX lies above any fd. The closed
// number itself would not do: the kernel hands out the lowest free number,
// so a later socket (or an async call's) may hold it already.
inline constexpr int kNeverOpenFd = 2147483647;

// Output of a command a reply carries at most, per stream (the first bytes;
// out_bytes / err_bytes count everything).
inline constexpr size_t kMaxCommandOutput = 48 * 1024;

struct Reply {
  uint64_t id = 0;
  int64_t ret = 0;    // the call's return value (-1 on error)
  int err = 0;        // errno when ret == -1, else 0
  int64_t bytes = 0;  // bytes moved (send/recv family), else 0
  // Received bytes, at most kMaxReplyData; getsockopt TCP_CONGESTION: the
  // algorithm's name.
  std::vector<uint8_t> data;
  int64_t start_ns = 0;  // CLOCK_MONOTONIC just before the syscall
  int64_t end_ns = 0;    // CLOCK_MONOTONIC just after it returned
  // Socket calls: how long the peer's thread waited on a run queue between
  // just before start_ns and just after end_ns (run_delay of
  // /proc/thread-self/schedstat, read around the call; 0 if unreadable):
  // the peer's own scheduling lateness, e.g. waking up after a blocking
  // call's event, which is not the stack's.
  int64_t run_delay_ns = 0;
  int64_t value = 0;  // getsockopt: the value (SO_LINGER: l_linger)
  int revents = 0;    // poll
  int msg_flags = 0;  // recvmsg: msghdr.msg_flags (MSG_TRUNC, ...)
  // recvmsg with Request.control: the control buffer's first msg_controllen
  // bytes as the kernel wrote them (harness/common/cmsg.h parses them).
  std::vector<uint8_t> control;
  // epoll_wait: the ready list in the kernel's order, as fd names (the
  // name the fd had when it was added; "" if it has none any more) and
  // their EPOLL* event bits.
  std::vector<std::string> epoll_fds;
  std::vector<uint32_t> epoll_events;
  // For fds the call created or connected (accept, connect, recvfrom...):
  // numeric local and remote address, so the runner can find the socket
  // in sock_diag and name it in logs. Empty when not applicable.
  std::string local_addr;
  uint16_t local_port = 0;
  std::string remote_addr;
  uint16_t remote_port = 0;
  // Set when the peer could not even attempt the call (unknown fd name, a
  // name already in use): a harness/case error, not a syscall result.
  std::string harness_error;

  // run / stop / wait: the command. pid 0: no process was started (ret -1,
  // err: why, e.g. ENOENT). start_ns / end_ns: from just before the spawn
  // to when its exit was seen (background start: to the spawn).
  int64_t pid = 0;
  bool exited = false;                // it has ended (with exit_code, or by term_signal)
  int exit_code = -1;                 // when it exited normally, else -1
  int term_signal = 0;                // the signal that killed it, else 0
  bool stopped = false;               // the peer signalled it (stop, or the end of the case)
  std::vector<uint8_t> out, err_out;  // at most kMaxCommandOutput each
  int64_t out_bytes = 0, err_bytes = 0;
  // run with Request.ready_stream: whether a line met the test, and that
  // line (at most kMaxCommandOutput bytes).
  bool ready = false;
  std::string ready_line;
};

// The reply to a request the peer could not attempt: ret -1 and
// harness_error `msg`, timestamped now.
Reply ErrorReply(uint64_t id, std::string msg);

// Encoding. Decode returns kInvalidInput on malformed input (never throws,
// never recurses on attacker-controlled nesting). Unknown keys are ignored and
// missing ones keep their defaults, except `id` and (Request) `op`, which are
// required. An encoded message longer than kMaxMessageBytes is the sender's
// error (PeerClient::Send rejects it).
std::vector<uint8_t> Encode(const Request& r);
std::vector<uint8_t> Encode(const Reply& r);
StatusOr<Request> DecodeRequest(const uint8_t* p, size_t n);
StatusOr<Reply> DecodeReply(const uint8_t* p, size_t n);

// Whether the peer goes on to the next member of a batch after `member`
// returned `r` (Request::go_on); never after a harness error.
bool GoesOn(const Request& member, const Reply& r);

// The peer's side of a batch (Request::batch): runs its members in order
// with `run`, hands each reply but the last one it runs to `write` as soon
// as it has it, stops after the first member that does not go on
// (GoesOn), and returns the last reply (the caller sends it).
Reply RunBatch(const Request& batch, const std::function<Reply(const Request&)>& run,
               const std::function<void(const Reply&)>& write);

}  // namespace faultline::peer
