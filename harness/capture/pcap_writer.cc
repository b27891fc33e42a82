#include "harness/capture/pcap_writer.h"

#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "harness/capture/pcap_format.h"

namespace faultline {
namespace {

constexpr size_t kStdioBuffer = 256u << 10;

void PutBe16(uint16_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void PutBe32(uint32_t v, uint8_t* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (3 - i)));
}

}  // namespace

StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Create(const std::string& path, uint32_t snaplen,
                                                         uint32_t max_packet, uint32_t ifindex) {
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  w->path_ = path;
  w->snaplen_ = snaplen == 0 ? max_packet : std::min(snaplen, max_packet);
  w->ifindex_ = ifindex;
  w->dead_ = pcap_open_dead_with_tstamp_precision(
      DLT_LINUX_SLL2, static_cast<int>(kSll2HeaderLen + w->snaplen_), PCAP_TSTAMP_PRECISION_NANO);
  if (w->dead_ == nullptr) return Status::System(fmt::format("{}: pcap_open_dead failed", path));
  StatusOr<UniqueFd> fd = CreatePcapFile(path);
  if (!fd.ok()) return fd.status();
  FILE* f = fdopen(fd->get(), "wb");
  if (f == nullptr) {
    const int err = errno;
    unlink(path.c_str());  // the empty file just created
    return Status::FromErrno(fmt::format("creating {}", path), err);
  }
  (void)fd->release();  // the FILE owns it now
  (void)setvbuf(f, nullptr, _IOFBF, kStdioBuffer);
  w->dumper_ = pcap_dump_fopen(w->dead_, f);
  if (w->dumper_ == nullptr) {
    const std::string err = pcap_geterr(w->dead_);
    fclose(f);
    unlink(path.c_str());
    return Status::System(fmt::format("{}: pcap_dump_fopen: {}", path, err));
  }
  return w;
}

PcapWriter::~PcapWriter() {
  (void)Close();
  if (dead_ != nullptr) pcap_close(dead_);
}

void PcapWriter::Write(uint8_t* ip, uint32_t caplen, uint32_t len, uint16_t protocol,
                       uint8_t pkttype, int64_t ts_ns) {
  if (dumper_ == nullptr) return;
  uint8_t* h = ip - kSll2HeaderLen;
  PutBe16(protocol, h);
  PutBe16(0, h + 2);  // reserved
  PutBe32(ifindex_, h + 4);
  PutBe16(1, h + 8);  // ARPHRD_ETHER
  h[10] = pkttype;
  h[11] = 0;  // no link-layer address
  std::memset(h + 12, 0, 8);
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(ts_ns / 1'000'000'000);
  // A nanosecond dumper writes tv_usec as nanoseconds.
  hdr.ts.tv_usec = static_cast<suseconds_t>(ts_ns % 1'000'000'000);
  hdr.caplen = static_cast<uint32_t>(kSll2HeaderLen) + std::min(caplen, snaplen_);
  hdr.len = static_cast<uint32_t>(kSll2HeaderLen) + std::max(len, caplen);
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, h);
}

Status PcapWriter::Close() {
  if (dumper_ == nullptr) return Status::Ok();
  int err = 0;
  if (pcap_dump_flush(dumper_) != 0 || ferror(pcap_dump_file(dumper_)) != 0) {
    err = errno != 0 ? errno : EIO;
  }
  FILE* f = pcap_dump_file(dumper_);
  // pcap_dump_close closes the FILE without reporting; flush and check first.
  if (err == 0 && fflush(f) != 0) err = errno != 0 ? errno : EIO;
  pcap_dump_close(dumper_);
  dumper_ = nullptr;
  if (err != 0) return Status::FromErrno(fmt::format("writing {}", path_), err);
  return Status::Ok();
}

}  // namespace faultline
