// TCP sockets of one network namespace through sock_diag (NETLINK_SOCK_DIAG,
// inet_diag_req_v2 over libmnl), including those with no fd any more:
// request sockets (SYN_RECV), orphans (FIN_WAIT1, LAST_ACK, CLOSING) and
// time-wait sockets (TIME_WAIT, and FIN_WAIT2 after close, which the kernel
// keeps as a time-wait socket whose sub-state is FIN_WAIT2).
#pragma once

#include <linux/tcp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"

struct nlmsghdr;

namespace faultline {

// One socket of a dump.
struct DiagSocket {
  int family = 0;        // AF_INET / AF_INET6
  int state = 0;         // kernel TCP state number (TcpStateName)
  std::string src, dst;  // numeric addresses (IPv4-mapped IPv6 stays as printed: "::ffff:...")
  uint16_t sport = 0, dport = 0;
  // Listener: accept queue length / backlog; otherwise bytes not yet read /
  // sent but not acknowledged (as ss prints Recv-Q / Send-Q).
  uint32_t rqueue = 0, wqueue = 0;
  uint32_t inode = 0;   // 0: no fd (request, orphan, time-wait)
  uint64_t cookie = 0;  // the kernel's socket cookie: one per socket, stable for its life
  bool has_info = false;
  tcp_info info{};  // INET_DIAG_INFO (full sockets only); zero where the kernel's is shorter
  // INET_DIAG_INFO as the kernel returned it, its full length (it may be
  // longer or shorter than this system's tcp_info): tcp_info_fields.h.
  std::string info_raw;
  std::string ToString() const;  // "198.18.1.2:40000 > 198.18.2.2:8080 ESTABLISHED"
};

// Parses one SOCK_DIAG_BY_FAMILY reply message (an inet_diag_msg and its
// attributes). kInvalidInput when it is too short or not such a message.
StatusOr<DiagSocket> ParseDiagMessage(const nlmsghdr* nlh);

// Keeps one entry per socket cookie, the LAST the dump returned, in the
// dump's order. The kernel walks bound-only sockets before the established
// hash, so a socket whose connect() runs during the dump can appear twice:
// as a bound socket in CLOSE that already carries its peer's address, and
// then in SYN_SENT. The later entry is the more recent view.
void DropDuplicateSockets(std::vector<DiagSocket>& dump);

// A sock_diag netlink socket bound to the namespace it was opened in.
// Threads: one thread at a time per SockDiag.
class SockDiag {
 public:
  // Opens the socket inside network namespace `netns_fd` (InNetns); -1: the
  // calling thread's namespace.
  static StatusOr<SockDiag> Open(int netns_fd);
  // Every TCP socket of `family` (AF_INET / AF_INET6) in every state, with
  // tcp_info, each socket once (DropDuplicateSockets).
  StatusOr<std::vector<DiagSocket>> DumpTcp(int family);
  // Every UDP socket of `family` in the namespace's hash: bound ones
  // (state 7, CLOSE, when unconnected; 1, ESTABLISHED, when connected),
  // each once. No tcp_info.
  StatusOr<std::vector<DiagSocket>> DumpUdp(int family);

 private:
  StatusOr<std::vector<DiagSocket>> DumpProto(int family, int protocol);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace faultline
