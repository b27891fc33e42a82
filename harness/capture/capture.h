// Capture: every packet that crosses a wire interface of one lab, for the
// whole case, in memory and optionally as pcap files, one per link
// (pcap_writer.h).
//
// One AF_PACKET socket (SOCK_DGRAM, ETH_P_ALL) in the wire namespace sees
// every interface there; each packet comes with the index of the wire
// interface it crossed and whether it came in on it (sent by that side's
// host: packet type HOST) or went out of it (delivered towards that host:
// OUTGOING). In memory (packets()) that is kept as the wire saw it. A file
// holds one link, what that host's link carried, from the host's side: a
// packet the host sent is OUTGOING there, one delivered to it HOST, so a
// forwarded packet is once in the sender's file and once in the receiver's,
// never twice in one. Packets of other interfaces (the wire's loopback) are
// ignored. A capture thread (nice -10) reads batches with recvmmsg, kernel
// timestamps in ns (SO_TIMESTAMPNS), and writes the files: the wire's own
// thread never does capture work. Not libpcap's live capture: its mmap ring
// costs an RCU grace period to set up and ~3 to tear down (docs/design.md,
// "Capture"); libpcap writes (and reads) the files.
//
// Stop() drains every packet the kernel queued before the call, so a packet
// sent before Stop() is in the result; packets after it are not.
//
// Threads: Start/Stop/WaitQuiet/accessors from one owner thread; the
// capture thread is internal. Lifetime: the destructor stops the capture.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/capture/pcap_format.h"
#include "harness/capture/pcap_writer.h"
#include "harness/common/clock.h"
#include "harness/common/duration.h"
#include "harness/common/status.h"

namespace faultline {

struct CaptureConfig {
  int netns_fd = -1;                 // the wire's network namespace (not owned)
  std::vector<std::string> ifnames;  // wire interfaces to record ("w-client", ...)
  int max_mtu = 1500;  // largest packet (lab MTU; 65535 with offloads): + 128 = snaplen
  // One pcap file per link: what crossed `wire_ifname` (one of ifnames),
  // from the side of the host at its other end, whose own interface index
  // (`host_ifindex`, its eth0) the records carry.
  struct File {
    std::string wire_ifname;
    std::string path;
    uint32_t host_ifindex = 0;
  };
  std::vector<File> files;  // none: no file
  // IP bytes per packet in the files: headers only by default; 0 for whole
  // packets (`capture: {full: true}`).
  uint32_t file_snaplen = PcapWriter::kHeadersSnaplen;
  bool keep = true;                // keep the packets in memory (packets()), whole; else files only
  size_t buffer_bytes = 4u << 20;  // socket receive buffer: what the thread may fall behind by
  // When the last packet came and how long WaitQuiet waits (not owned). The
  // packets' own timestamps are the kernel's (AF_PACKET), converted to
  // CLOCK_MONOTONIC with the kernel's clocks whatever this is.
  const Clock* clock = &RealClock();
};

class Capture {
 public:
  // Opens the socket inside the namespace (every packet from then on is
  // recorded), creates the files, starts the capture thread. Errors name
  // what failed ("starting the capture: packet socket: EPERM ...").
  static StatusOr<std::unique_ptr<Capture>> Start(const CaptureConfig& config);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Returns once no packet has been captured for `quiet`, or after `max`,
  // whichever is first (for letting in-flight packets land before Stop).
  void WaitQuiet(Duration quiet, Duration max);
  // Drains, stops the thread, closes the files (the socket is closed in the
  // background). Idempotent. Errors: a read error, or a write error on a
  // file (the packets in memory are still complete then).
  Status Stop();

  // After Stop(): every packet of the recorded interfaces, in capture order
  // (empty unless CaptureConfig::keep).
  const std::vector<CapturedPacket>& packets() const { return packets_; }
  // Packets the kernel could not queue (receive buffer full); 0 normally.
  uint64_t dropped() const { return dropped_; }
  // With keep: memory holds at most kMaxKeptPackets packets (each up to
  // the snaplen, ~1.6 KB at MTU 1500: ~80 MB at most); later ones are only
  // written to the file and counted here.
  static constexpr size_t kMaxKeptPackets = 50'000;
  uint64_t not_kept() const { return not_kept_; }
  // The ifindex of each recorded interface in the wire namespace.
  const std::map<std::string, uint32_t>& ifindexes() const { return ifindex_; }
  // CLOCK_REALTIME minus CLOCK_MONOTONIC at Start(), in ns: packet times
  // (realtime, as in the file) minus this are on the runner's timeline.
  int64_t realtime_offset_ns() const { return realtime_offset_ns_; }

 private:
  struct Impl;
  explicit Capture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<CapturedPacket> packets_;
  uint64_t dropped_ = 0;
  uint64_t not_kept_ = 0;
  std::map<std::string, uint32_t> ifindex_;
  int64_t realtime_offset_ns_ = 0;
  bool stopped_ = false;
};

}  // namespace faultline
