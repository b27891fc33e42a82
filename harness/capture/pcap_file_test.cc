// Where a capture writes its pcaps: OUT/pcap and the variant's directory
// made without following a link, the files created exclusively
// (harness/capture/case_capture.h, pcap_format.h CreatePcapFile), and what
// PcapWriter puts in them, read back by libpcap and by ParsePcap.
#include <pcap/pcap.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"

#include "harness/capture/case_capture.h"
#include "harness/capture/pcap_format.h"
#include "harness/capture/pcap_writer.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PcapFileTest : public testing::ScratchDirTest {};

TEST_F(PcapFileTest, SymlinkedPcapDirectoryIsRefused) {
  fs::create_directories(P("out"));
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/pcap"));
  StatusOr<std::string> path = ReservePcapDir(P("out"), "cases/a.yaml", "ipv4");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().message(),
            "pcap directory: " + P("out/pcap") + ": a symbolic link; refusing to write through it");
  // Nothing was written where the link points: it still holds only precious.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "elsewhere"), fs::directory_iterator{}), 1);
  EXPECT_EQ(Precious(), "precious");
}

TEST_F(PcapFileTest, ReserveCreatesThePcapDirectory) {
  StatusOr<std::string> path = ReservePcapDir(P("out2"), "cases/b c.yaml", "ipv6");
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, P("out2/pcap/b_c-ipv6"));
  EXPECT_TRUE(fs::is_directory(P("out2/pcap/b_c-ipv6")));
  // A second variant of that name in this process gets its own directory.
  path = ReservePcapDir(P("out2"), "other/b c.yaml", "ipv6");
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, P("out2/pcap/b_c-ipv6-2"));
  EXPECT_TRUE(fs::is_directory(*path));
}

TEST_F(PcapFileTest, SymlinkAtTheVariantDirectoryIsRefused) {
  fs::create_directories(P("out3/pcap"));
  fs::create_directory_symlink(dir_ / "elsewhere", P("out3/pcap/c-ipv4"));
  StatusOr<std::string> path = ReservePcapDir(P("out3"), "c.yaml", "ipv4");
  ASSERT_FALSE(path.ok());
  EXPECT_THAT(path.status().message(), HasSubstr(P("out3/pcap/c-ipv4")));
  EXPECT_THAT(path.status().message(), HasSubstr("symbolic link"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "elsewhere"), fs::directory_iterator{}), 1);
}

TEST_F(PcapFileTest, SymlinkAtThePcapNameIsRefusedAndItsTargetKept) {
  std::ofstream(dir_ / "elsewhere" / "precious") << "precious";
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("x.pcap"));
  StatusOr<UniqueFd> fd = CreatePcapFile(P("x.pcap"));
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().message(),
            P("x.pcap") + ": not a regular file (symbolic link); refusing to replace it");
  std::ifstream in(dir_ / "elsewhere" / "precious");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "precious");
}

TEST_F(PcapFileTest, FifoAtThePcapNameIsRefused) {
  ASSERT_EQ(mkfifo(P("f.pcap").c_str(), 0600), 0);
  EXPECT_THAT(CreatePcapFile(P("f.pcap")).status().message(),
              HasSubstr("not a regular file (FIFO); refusing to replace it"));
  EXPECT_TRUE(fs::is_fifo(P("f.pcap")));
}

TEST_F(PcapFileTest, PreviousRunsPcapIsReplaced) {
  std::ofstream(P("p.pcap")) << "an old capture, longer than the new one";
  {
    StatusOr<UniqueFd> fd = CreatePcapFile(P("p.pcap"));
    ASSERT_TRUE(fd.ok()) << fd.status().message();
    std::vector<uint8_t> header = EncodePcapHeader();
    ASSERT_EQ(write(fd->get(), header.data(), header.size()), static_cast<ssize_t>(header.size()));
  }
  StatusOr<std::vector<CapturedPacket>> packets = ReadPcapFile(P("p.pcap"));
  ASSERT_TRUE(packets.ok()) << packets.status().message();
  EXPECT_TRUE(packets->empty());
}

// An IPv4/TCP packet of `len` bytes (total length set; the rest zeros),
// with kSll2HeaderLen bytes of room before it as the capture's buffers have.
std::vector<uint8_t> RoomyPacket(uint16_t len) {
  std::vector<uint8_t> b(kSll2HeaderLen + len, 0);
  uint8_t* ip = b.data() + kSll2HeaderLen;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(len >> 8);
  ip[3] = static_cast<uint8_t>(len);
  ip[8] = 64;
  ip[9] = 6;
  for (size_t i = 40; i < len; ++i) ip[i] = static_cast<uint8_t>(i);
  return b;
}

struct ReadBack {
  int linktype = 0;
  int snaplen = 0;
  std::vector<pcap_pkthdr> headers;
  std::vector<std::vector<uint8_t>> data;  // link header included
};

// What libpcap itself reads from `path` (nanosecond precision).
ReadBack ReadWithLibpcap(const std::string& path) {
  ReadBack r;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  EXPECT_NE(p, nullptr) << err;
  if (p == nullptr) return r;
  r.linktype = pcap_datalink(p);
  r.snaplen = pcap_snapshot(p);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) {
    r.headers.push_back(*h);
    r.data.emplace_back(d, d + h->caplen);
  }
  pcap_close(p);
  return r;
}

TEST_F(PcapFileTest, WriterKeepsHeadersOnlyByDefault) {
  StatusOr<std::unique_ptr<PcapWriter>> w =
      PcapWriter::Create(P("client.pcap"), PcapWriter::kHeadersSnaplen, 1628, 7);
  ASSERT_TRUE(w.ok()) << w.status().message();
  std::vector<uint8_t> big = RoomyPacket(1500), small = RoomyPacket(52);
  (*w)->Write(big.data() + kSll2HeaderLen, 1500, 1500, 0x0800, kPacketOutgoing,
              1'700'000'000'123'456'789);
  (*w)->Write(small.data() + kSll2HeaderLen, 52, 52, 0x0800, kPacketHost,
              1'700'000'001'000'000'001);
  ASSERT_TRUE((*w)->Close().ok());

  ReadBack r = ReadWithLibpcap(P("client.pcap"));
  EXPECT_EQ(r.linktype, DLT_LINUX_SLL2);
  EXPECT_EQ(r.snaplen, 20 + 256);
  ASSERT_EQ(r.headers.size(), 2u);
  // The big packet: its first 256 bytes, its real length.
  EXPECT_EQ(r.headers[0].caplen, 20u + 256u);
  EXPECT_EQ(r.headers[0].len, 20u + 1500u);
  EXPECT_EQ(r.headers[0].ts.tv_sec, 1'700'000'000);
  EXPECT_EQ(r.headers[0].ts.tv_usec, 123'456'789);  // ns: the file's precision
  EXPECT_EQ(std::vector<uint8_t>(r.data[0].begin() + 20, r.data[0].end()),
            std::vector<uint8_t>(big.begin() + 20, big.begin() + 20 + 256));
  // The small one whole.
  EXPECT_EQ(r.headers[1].caplen, 20u + 52u);
  EXPECT_EQ(r.headers[1].len, 20u + 52u);

  StatusOr<std::vector<CapturedPacket>> pk = ReadPcapFile(P("client.pcap"));
  ASSERT_TRUE(pk.ok()) << pk.status().message();
  ASSERT_EQ(pk->size(), 2u);
  EXPECT_EQ((*pk)[0].ip.size(), 256u);
  EXPECT_EQ((*pk)[0].orig_len, 1500u);
  EXPECT_EQ((*pk)[0].ifindex, 7u);
  EXPECT_EQ((*pk)[0].pkttype, kPacketOutgoing);
  EXPECT_EQ((*pk)[0].protocol, 0x0800);
  EXPECT_EQ((*pk)[0].ts_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ((*pk)[1].pkttype, kPacketHost);
  EXPECT_EQ((*pk)[1].ip.size(), 52u);
}

TEST_F(PcapFileTest, WriterKeepsWholePacketsWhenAsked) {
  StatusOr<std::unique_ptr<PcapWriter>> w = PcapWriter::Create(P("server.pcap"), 0, 1628, 2);
  ASSERT_TRUE(w.ok()) << w.status().message();
  std::vector<uint8_t> big = RoomyPacket(1500);
  (*w)->Write(big.data() + kSll2HeaderLen, 1500, 1500, 0x0800, kPacketHost, 5);
  ASSERT_TRUE((*w)->Close().ok());
  ReadBack r = ReadWithLibpcap(P("server.pcap"));
  EXPECT_EQ(r.snaplen, 20 + 1628);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].caplen, 20u + 1500u);
  EXPECT_EQ(r.headers[0].len, 20u + 1500u);
  EXPECT_EQ(std::vector<uint8_t>(r.data[0].begin() + 20, r.data[0].end()),
            std::vector<uint8_t>(big.begin() + 20, big.end()));
}

TEST_F(PcapFileTest, WriterRefusesASymlinkAndKeepsItsTarget) {
  fs::create_symlink(dir_ / "elsewhere" / "precious", P("l.pcap"));
  StatusOr<std::unique_ptr<PcapWriter>> w = PcapWriter::Create(P("l.pcap"), 0, 1628, 1);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().message(),
            P("l.pcap") + ": not a regular file (symbolic link); refusing to replace it");
  EXPECT_EQ(Precious(), "precious");
}

}  // namespace
}  // namespace faultline
