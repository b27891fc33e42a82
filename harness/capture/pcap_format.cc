#include "harness/capture/pcap_format.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "harness/common/safe_file.h"

namespace faultline {
namespace {

constexpr uint32_t kMagicUs = 0xa1b2c3d4;
constexpr uint32_t kMagicNs = 0xa1b23c4d;
constexpr size_t kGlobalLen = 24;
constexpr size_t kRecordLen = 16;
constexpr uint32_t kMaxRecord = 262144;

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[3]} | uint32_t{p[2]} << 8 | uint32_t{p[1]} << 16 | uint32_t{p[0]} << 24;
}
uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void PutLe32(uint32_t v, std::vector<uint8_t>* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutLe16(uint16_t v, std::vector<uint8_t>* out) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
void PutBe32(uint32_t v, std::vector<uint8_t>* out) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutBe16(uint16_t v, std::vector<uint8_t>* out) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

uint16_t ProtocolOfIp(std::span<const uint8_t> ip) {
  if (ip.empty()) return 0;
  if ((ip[0] >> 4) == 4) return 0x0800;
  if ((ip[0] >> 4) == 6) return 0x86dd;
  return 0;
}

// The link-layer header of record `n` (at byte `off`, `incl` bytes at `d`):
// fills the packet's protocol, ifindex and pkttype and says how long it is.
Status ParseLinkHeader(uint32_t linktype, const uint8_t* d, uint32_t incl, int n, size_t off,
                       CapturedPacket* p, size_t* hdr) {
  if (linktype == kLinktypeLinuxSll2) {
    *hdr = kSll2HeaderLen;
    if (incl < *hdr) {
      return Status::Invalid(
          fmt::format("corrupt pcap file: record {} at byte {} is shorter "
                      "({} bytes) than its SLL2 header",
                      n, off, incl));
    }
    p->protocol = Be16(d);
    p->ifindex = Be32(d + 4);
    p->pkttype = d[10];
  } else if (linktype == kLinktypeLinuxSll) {
    *hdr = 16;
    if (incl < *hdr) {
      return Status::Invalid(
          fmt::format("corrupt pcap file: record {} at byte {} is shorter "
                      "({} bytes) than its SLL header",
                      n, off, incl));
    }
    p->pkttype = static_cast<uint8_t>(Be16(d));
    p->protocol = Be16(d + 14);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<CapturedPacket>> ParsePcap(std::span<const uint8_t> b) {
  if (b.size() < kGlobalLen) {
    return Status::Invalid(
        fmt::format("truncated pcap file header ({} of {} bytes)", b.size(), kGlobalLen));
  }
  uint32_t magic_le = Le32(b.data());
  bool swapped = false;  // big-endian file
  bool nanos = false;
  if (magic_le == kMagicUs || magic_le == kMagicNs) {
    nanos = magic_le == kMagicNs;
  } else if (Be32(b.data()) == kMagicUs || Be32(b.data()) == kMagicNs) {
    swapped = true;
    nanos = Be32(b.data()) == kMagicNs;
  } else {
    return Status::Invalid(fmt::format(
        "not a pcap file (magic 0x{:08x}, expected 0xa1b2c3d4 or 0xa1b23c4d; pcapng is not "
        "read)",
        Be32(b.data())));
  }
  auto u32 = [swapped](const uint8_t* p) { return swapped ? Be32(p) : Le32(p); };
  uint32_t linktype = u32(b.data() + 20) & 0x0fffffff;
  if (linktype != kLinktypeLinuxSll2 && linktype != kLinktypeLinuxSll && linktype != kLinktypeRaw &&
      linktype != kLinktypeIpv4 && linktype != kLinktypeIpv6) {
    return Status::Invalid(
        fmt::format("unsupported pcap link type {} (expected LINUX_SLL2 276, "
                    "LINUX_SLL 113 or RAW 101)",
                    linktype));
  }
  std::vector<CapturedPacket> out;
  size_t off = kGlobalLen;
  int n = 0;
  while (off < b.size()) {
    ++n;
    if (b.size() - off < kRecordLen) {
      return Status::Invalid(
          fmt::format("truncated pcap file: record {} at byte {} needs a {}-byte "
                      "header, {} left",
                      n, off, kRecordLen, b.size() - off));
    }
    const uint8_t* h = b.data() + off;
    uint32_t sec = u32(h), frac = u32(h + 4), incl = u32(h + 8), orig = u32(h + 12);
    if (incl > kMaxRecord) {
      return Status::Invalid(
          fmt::format("corrupt pcap file: record {} at byte {} claims {} "
                      "bytes (at most {})",
                      n, off, incl, kMaxRecord));
    }
    if (b.size() - off - kRecordLen < incl) {
      return Status::Invalid(
          fmt::format("truncated pcap file: record {} at byte {} needs {} "
                      "bytes, {} left",
                      n, off, kRecordLen + incl, b.size() - off));
    }
    const uint8_t* d = h + kRecordLen;
    CapturedPacket p;
    p.ts_ns = int64_t{sec} * 1000000000 + int64_t{frac} * (nanos ? 1 : 1000);
    size_t hdr = 0;
    if (Status st = ParseLinkHeader(linktype, d, incl, n, off, &p, &hdr); !st.ok()) return st;
    p.ip.assign(d + hdr, d + incl);
    p.orig_len = orig >= hdr ? static_cast<uint32_t>(orig - hdr) : 0;
    if (p.protocol == 0) p.protocol = ProtocolOfIp(p.ip);
    out.push_back(std::move(p));
    off += kRecordLen + incl;
  }
  return out;
}

StatusOr<std::vector<CapturedPacket>> ReadPcapFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(fmt::format("{}: cannot open the pcap file", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Invalid(fmt::format("{}: cannot read the pcap file", path));
  StatusOr<std::vector<CapturedPacket>> r = ParsePcap(bytes);
  if (!r.ok()) return Status::Invalid(fmt::format("{}: {}", path, r.status().message()));
  return r;
}

StatusOr<UniqueFd> CreatePcapFile(const std::string& path) { return CreateFileExclusive(path); }

std::vector<uint8_t> EncodePcapHeader(uint32_t snaplen) {
  std::vector<uint8_t> out;
  PutLe32(kMagicNs, &out);
  PutLe16(2, &out);
  PutLe16(4, &out);
  PutLe32(0, &out);  // thiszone
  PutLe32(0, &out);  // sigfigs
  PutLe32(snaplen, &out);
  PutLe32(kLinktypeLinuxSll2, &out);
  return out;
}

void AppendSll2Record(const CapturedPacket& p, std::vector<uint8_t>* out) {
  uint32_t incl = static_cast<uint32_t>(kSll2HeaderLen + p.ip.size());
  uint32_t orig = static_cast<uint32_t>(kSll2HeaderLen + std::max<size_t>(p.orig_len, p.ip.size()));
  PutLe32(static_cast<uint32_t>(p.ts_ns / 1000000000), out);
  PutLe32(static_cast<uint32_t>(p.ts_ns % 1000000000), out);
  PutLe32(incl, out);
  PutLe32(orig, out);
  PutBe16(p.protocol != 0 ? p.protocol : ProtocolOfIp(p.ip), out);
  PutBe16(0, out);  // reserved
  PutBe32(p.ifindex, out);
  PutBe16(1, out);  // ARPHRD_ETHER
  out->push_back(p.pkttype);
  out->push_back(0);  // link-layer address length
  for (int i = 0; i < 8; ++i) out->push_back(0);
  out->insert(out->end(), p.ip.begin(), p.ip.end());
}

std::vector<uint8_t> EncodePcap(const std::vector<CapturedPacket>& packets) {
  std::vector<uint8_t> out = EncodePcapHeader();
  for (const CapturedPacket& p : packets) AppendSll2Record(p, &out);
  return out;
}

}  // namespace faultline
