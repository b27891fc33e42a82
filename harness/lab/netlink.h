// A small rtnetlink client over libmnl, just what the lab needs: batches of
// requests sent in one sendmsg and acknowledged one by one, link-state
// tracking from RTNLGRP_LINK notifications, and message builders.
//
// Threads: an NlSocket is used by one thread at a time. It is bound to the
// network namespace of the thread that opened it, for its whole life, and
// may be used from any namespace afterwards.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/common/clock.h"
#include "harness/common/status.h"

namespace faultline {

// Requests to send together. Each message gets a description ("host
// 'client': add address 198.18.1.2/24 on eth0") used in the error if the
// kernel refuses it.
class NlBatch {
 public:
  // Room reserved for one message; the builders below stay well inside it.
  static constexpr size_t kMaxMsg = 1024;

  // Starts a message of `type` with NLM_F_REQUEST|flags; the sequence number
  // is set when the batch is sent. The pointer is valid until the next
  // Begin(). Builders append attributes with mnl_attr_put_*_check(nlh,
  // kMaxMsg, ...).
  nlmsghdr* Begin(uint16_t type, uint16_t flags);
  // Finishes the message started last. A false `ok` (an attribute did not
  // fit) drops it and makes Send fail.
  void End(nlmsghdr* nlh, std::string what, bool ok = true);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // The i-th message (for tests).
  const nlmsghdr* message(size_t i) const;
  const std::string& what(size_t i) const { return entries_[i].what; }

 private:
  friend class NlSocket;
  struct Entry {
    size_t offset;
    std::string what;
    bool dump;
  };
  std::vector<char> buf_;
  size_t used_ = 0;
  std::vector<Entry> entries_;
  std::string overflow_;  // description of a message that did not fit
};

class NlSocket {
 public:
  // Opens a NETLINK_ROUTE socket in the calling thread's network namespace,
  // with extended acks on; when watch, subscribed to RTNLGRP_LINK and
  // RTNLGRP_IPV6_ROUTE for the readiness tracking below.
  // Deadlines are read through `clock` (not owned; outlives the socket).
  static StatusOr<NlSocket> Open(bool watch, const Clock& clock = RealClock());

  NlSocket(NlSocket&&) noexcept;
  NlSocket& operator=(NlSocket&&) noexcept;
  ~NlSocket();

  int fd() const;

  // Sends the batch in one sendmsg and reads until every message is
  // acknowledged (or, for a dump, done), feeding link notifications to the
  // watch list. Returns the first refused message's error ("<what>: <kernel
  // message>: <strerror> (<ERRNAME>)"), kTimeout if the kernel stays silent
  // for timeout_ms.
  Status Run(NlBatch& batch, int timeout_ms = 5000);

  // Readiness tracking, from notifications (and dumps). Register before the
  // object is created or changed; once ready it stays ready for this socket.
  //  - WatchLink: the link's IFLA_OPERSTATE is IF_OPER_UP.
  //  - WatchLocal6: the IPv6 address's local route (table local, /128,
  //    RTN_LOCAL) is in. The kernel inserts it only when the address's
  //    deferred DAD work has run, even for IFA_F_NODAD addresses; until then
  //    packets to the address are not delivered (though bind() works).
  void WatchLink(int ifindex, std::string label);
  void WatchLocal6(const std::string& addr, std::string label);
  bool AllReady() const;
  std::vector<std::string> NotReady() const;  // labels of what is not ready yet
  // Reads whatever is queued without blocking and processes notifications.
  // If notifications were lost (ENOBUFS), re-reads the link table with a dump.
  Status Drain();

 private:
  struct Pending;
  NlSocket() = default;
  // Sends entries [first, last) of the batch and reads until each is
  // answered (acks into `pending`), feeding notifications to Observe.
  Status RunChunk(NlBatch& batch, size_t first, size_t last, std::map<uint32_t, Pending>& pending,
                  int64_t deadline, int timeout_ms);
  void Observe(const nlmsghdr* nlh);
  Status Resync();

  struct MnlClose {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  std::unique_ptr<mnl_socket, MnlClose> sock_;
  const Clock* clock_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  bool lost_events_ = false;
  struct Watched {
    std::string label;
    bool ready = false;
  };
  std::map<int, Watched> links_;           // by ifindex
  std::map<std::string, Watched> local6_;  // by the 16 address bytes
  std::vector<char> rbuf_;
};

// ------------------------------------------------------------ builders --
// Each appends one message to the batch, with NLM_F_ACK, and the given
// description. Addresses are numeric text; the family follows from it.

// Sets a link administratively up (RTM_NEWLINK by index).
void AddLinkUp(NlBatch& b, int ifindex, std::string what);

struct VethSpec {
  std::string name;   // this end
  int ifindex = 0;    // requested ifindex of this end (0: kernel's choice)
  int netns_fd = -1;  // namespace of this end (-1: the socket's)
  std::string peer_name;
  int peer_ifindex = 0;  // honoured only together with ifindex
  int peer_netns_fd = -1;
  const unsigned char* mac = nullptr;       // this end's 6 bytes, or nullptr: random
  const unsigned char* peer_mac = nullptr;  // the peer's 6 bytes, or nullptr: random
  int mtu = 1500;                           // both ends
  // This end created administratively up. The peer is always created down:
  // the kernel refuses a peer created up with ENOTCONN (veth_open runs
  // before the pair is linked); set it up afterwards with AddLinkUp.
  bool up = true;
};
// Creates a veth pair (RTM_NEWLINK, NLM_F_CREATE|NLM_F_EXCL, kind "veth",
// the peer in IFLA_INFO_DATA/VETH_INFO_PEER).
void AddVeth(NlBatch& b, const VethSpec& v, std::string what);

// Adds address/prefix on ifindex (RTM_NEWADDR, NLM_F_CREATE|NLM_F_EXCL);
// nodad sets IFA_F_NODAD in IFA_FLAGS (meaningful for IPv6).
void AddAddress(NlBatch& b, int ifindex, const std::string& addr, int prefix, bool nodad,
                std::string what);

// Adds the route dst/dst_len via gw out of oif to the main table
// (RTM_NEWROUTE, static, universe scope).
// metrics: RTA_METRICS RTAX_MTU and RTAX_ADVMSS when not 0 (`ip route ...
// mtu M advmss A`): the MTU the stack uses toward dst and the MSS it
// advertises, instead of the link's.
struct RouteMetrics {
  int mtu = 0;
  int advmss = 0;
};
void AddRoute(NlBatch& b, const std::string& dst, int dst_len, const std::string& gw, int oif,
              std::string what, RouteMetrics metrics = {});

// Adds a permanent neighbour entry ip -> mac (6 bytes) on ifindex
// (RTM_NEWNEIGH, NUD_PERMANENT, NLM_F_CREATE|NLM_F_EXCL).
void AddNeighbor(NlBatch& b, int ifindex, const std::string& ip, const unsigned char mac[6],
                 std::string what);

// Dumps the link table (RTM_GETLINK, NLM_F_DUMP).
void AddLinkDump(NlBatch& b, int family, std::string what);

// Parses numeric IPv4/IPv6 text into family and bytes; false if neither.
bool ParseIp(const std::string& text, int* family, unsigned char out[16], size_t* len);

}  // namespace faultline
