#include "harness/capture/pcap_format.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace faultline {
namespace {

CapturedPacket Packet(int64_t ts, uint32_t ifindex, uint8_t type, std::vector<uint8_t> ip) {
  CapturedPacket p;
  p.ts_ns = ts;
  p.ifindex = ifindex;
  p.pkttype = type;
  p.orig_len = static_cast<uint32_t>(ip.size());
  p.ip = std::move(ip);
  return p;
}

const std::vector<uint8_t> kV4 = {0x45, 0, 0,   20, 0, 0, 0,   0,  64, 6,
                                  0,    0, 198, 18, 1, 2, 198, 18, 2,  2};

TEST(PcapFormat, RoundTripKeepsEveryField) {
  std::vector<CapturedPacket> in = {Packet(1'700'000'000'123'456'789, 101, kPacketHost, kV4),
                                    Packet(1'700'000'001'000'000'001, 102, kPacketOutgoing, kV4)};
  in[1].orig_len = 1500;  // truncated by the snapshot length
  std::vector<uint8_t> bytes = EncodePcap(in);
  ASSERT_EQ(bytes.size(), 24u + 2 * (16 + 20 + kV4.size()));
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(bytes);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*out)[i].ts_ns, in[i].ts_ns);
    EXPECT_EQ((*out)[i].ifindex, in[i].ifindex);
    EXPECT_EQ((*out)[i].pkttype, in[i].pkttype);
    EXPECT_EQ((*out)[i].protocol, 0x0800);
    EXPECT_EQ((*out)[i].orig_len, in[i].orig_len);
    EXPECT_EQ((*out)[i].ip, kV4);
  }
}

TEST(PcapFormat, EmptyCaptureIsJustTheHeader) {
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(EncodePcap({}));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

TEST(PcapFormat, ReadsBigEndianMicrosecondRawFiles) {
  // As tcpdump on a big-endian machine would write DLT_RAW: magic a1b2c3d4.
  std::vector<uint8_t> b = {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0,    4,    0, 0, 0, 0,
                            0,    0,    0,    0,    0, 0, 0xff, 0xff, 0, 0, 0, 101};
  std::vector<uint8_t> rec = {0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 20, 0, 0, 0, 20};
  b.insert(b.end(), rec.begin(), rec.end());
  b.insert(b.end(), kV4.begin(), kV4.end());
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(b);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].ts_ns, 5'000'007'000);
  EXPECT_EQ((*out)[0].ifindex, 0u);
  EXPECT_EQ((*out)[0].protocol, 0x0800);
  EXPECT_EQ((*out)[0].ip, kV4);
}

TEST(PcapFormat, WrongMagicIsNamed) {
  std::vector<uint8_t> b = EncodePcap({});
  b[0] = 0x0a;  // pcapng's section header block starts 0a 0d 0d 0a
  b[1] = 0x0d;
  b[2] = 0x0d;
  b[3] = 0x0a;
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(b);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "not a pcap file (magic 0x0a0d0d0a, expected 0xa1b2c3d4 or 0xa1b23c4d; pcapng is not "
            "read)");
}

TEST(PcapFormat, TruncatedHeader) {
  std::vector<uint8_t> b = EncodePcap({});
  b.resize(10);
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(b);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "truncated pcap file header (10 of 24 bytes)");
}

TEST(PcapFormat, TruncatedRecordBodyAndHeader) {
  std::vector<uint8_t> b = EncodePcap({Packet(1, 1, 0, kV4), Packet(2, 1, 0, kV4)});
  std::vector<uint8_t> cut(b.begin(), b.end() - 5);
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(cut);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "truncated pcap file: record 2 at byte 80 needs 56 bytes, 51 left");
  cut.assign(b.begin(), b.begin() + 80 + 7);
  out = ParsePcap(cut);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "truncated pcap file: record 2 at byte 80 needs a 16-byte header, 7 left");
}

TEST(PcapFormat, CorruptLengthAndLinkType) {
  std::vector<uint8_t> b = EncodePcap({Packet(1, 1, 0, kV4)});
  b[24 + 8 + 3] = 0x7f;  // incl_len 0x7f000028
  StatusOr<std::vector<CapturedPacket>> out = ParsePcap(b);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "corrupt pcap file: record 1 at byte 24 claims 2130706472 bytes (at most 262144)");
  b = EncodePcap({});
  b[20] = 1;  // Ethernet
  b[21] = 0;
  out = ParsePcap(b);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "unsupported pcap link type 1 (expected LINUX_SLL2 276, LINUX_SLL 113 or RAW 101)");
}

TEST(PcapFormat, ReadFileNamesThePath) {
  char tmpl[] = "/tmp/faultline-pcap-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::vector<uint8_t> b = EncodePcap({Packet(1, 3, 4, kV4)});
    std::ofstream(tmpl, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  StatusOr<std::vector<CapturedPacket>> out = ReadPcapFile(tmpl);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->size(), 1u);
  { std::ofstream(tmpl, std::ios::binary | std::ios::trunc).write("abc", 3); }
  out = ReadPcapFile(tmpl);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            std::string(tmpl) + ": truncated pcap file header (3 of 24 bytes)");
  unlink(tmpl);
  out = ReadPcapFile(tmpl);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), std::string(tmpl) + ": cannot open the pcap file");
}

}  // namespace
}  // namespace faultline
