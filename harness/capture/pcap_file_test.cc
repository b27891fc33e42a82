// Where a capture writes its pcap: OUT/pcap made without following a link,
// the file created exclusively (harness/capture/case_capture.h,
// pcap_format.h CreatePcapFile).
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

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PcapFileTest : public testing::ScratchDirTest {};

TEST_F(PcapFileTest, SymlinkedPcapDirectoryIsRefused) {
  fs::create_directories(P("out"));
  fs::create_directory_symlink(dir_ / "elsewhere", P("out/pcap"));
  StatusOr<std::string> path = ReservePcapPath(P("out"), "cases/a.yaml", "ipv4");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().message(),
            "pcap directory: " + P("out/pcap") + ": a symbolic link; refusing to write through it");
  // Nothing was written where the link points: it still holds only precious.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "elsewhere"), fs::directory_iterator{}), 1);
  EXPECT_EQ(Precious(), "precious");
}

TEST_F(PcapFileTest, ReserveCreatesThePcapDirectory) {
  StatusOr<std::string> path = ReservePcapPath(P("out2"), "cases/b c.yaml", "ipv6");
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, P("out2/pcap/b_c-ipv6.pcap"));
  EXPECT_TRUE(fs::is_directory(P("out2/pcap")));
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

}  // namespace
}  // namespace faultline
