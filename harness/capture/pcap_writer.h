// One link's packets as a classic pcap file, written through libpcap's dump
// API (pcap_open_dead + pcap_dump_fopen on a file the run created with
// CreatePcapFile: exclusively, never through a symbolic link). Link type
// LINUX_SLL2, nanosecond timestamps; each record's SLL2 header carries the
// packet type from the file's vantage point (kPacketOutgoing: the host sent
// it; kPacketHost: it was delivered to the host) and the host's interface
// index.
//
// Headers only by default: the first kHeadersSnaplen bytes of each IP packet
// (enough for IPv6 + TCP with every option, 100 bytes, and IPv4's 120), the
// record's original length the packet's real one; `snaplen` 0 writes whole
// packets (what the socket read).
//
// No allocation or formatting per packet: Write() fills the SLL2 header in
// the kSll2HeaderLen bytes the caller leaves before each packet and hands
// the record to pcap_dump (a 256 KB stdio buffer). Not thread-safe: one
// writer thread (the capture's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/common/status.h"

// libpcap's handles (pcap_t, pcap_dumper_t), declared here so that
// <pcap/pcap.h> stays out of this header: its struct bpf_insn clashes with
// <linux/bpf.h>'s (harness/observe).
struct pcap;
struct pcap_dumper;

namespace faultline {

class PcapWriter {
 public:
  static constexpr uint32_t kHeadersSnaplen = 256;

  // Creates `path` (replacing a previous regular file; refusing a symbolic
  // link, a FIFO, ...: CreatePcapFile) and writes the file header.
  // `snaplen`: IP bytes kept per packet (0: whole packets, up to
  // `max_packet`). Errors start with the path.
  static StatusOr<std::unique_ptr<PcapWriter>> Create(const std::string& path, uint32_t snaplen,
                                                      uint32_t max_packet, uint32_t ifindex);
  ~PcapWriter();  // closes the file (errors ignored: call Close)
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // One record: `ip` points at the captured IP packet (`caplen` bytes of a
  // `len`-byte packet); the kSll2HeaderLen bytes before it are overwritten.
  // `protocol`: the ethertype (0x0800, 0x86dd); `pkttype` as above.
  void Write(uint8_t* ip, uint32_t caplen, uint32_t len, uint16_t protocol, uint8_t pkttype,
             int64_t ts_ns);
  // Flushes and closes; an error (a full disk) names the path. Idempotent.
  Status Close();

  const std::string& path() const { return path_; }
  uint32_t snaplen() const { return snaplen_; }

 private:
  PcapWriter() = default;
  std::string path_;
  uint32_t snaplen_ = 0;  // IP bytes per record
  uint32_t ifindex_ = 0;
  ::pcap* dead_ = nullptr;
  ::pcap_dumper* dumper_ = nullptr;
};

}  // namespace faultline
