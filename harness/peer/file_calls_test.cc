// The peer's open, pipe, splice and sendfile from an opened file (issue 16
// part E): files in a scratch directory, a socket pair; no privileges.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness/common/scratch_dir_test.h"
#include "harness/peer/protocol.h"
#include "harness/peer/socket_calls.h"

namespace faultline::peer {
namespace {

class FileCallsTest : public faultline::testing::ScratchDirTest {
 protected:
  void TearDown() override {
    for (const char* n : {"a", "b", "f", "r", "w"}) {
      if (StatusOr<int> fd = fds_.Take(n); fd.ok()) close(*fd);
    }
    ScratchDirTest::TearDown();
  }
  void Pair() {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_TRUE(fds_.Reserve("a").ok());
    ASSERT_TRUE(fds_.Reserve("b").ok());
    fds_.Fill("a", sv[0]);
    fds_.Fill("b", sv[1]);
  }
  Reply Run(Request r) {
    r.id = ++id_;
    return Execute(r, &fds_);
  }
  Request Open(const std::string& name, int flags) {
    Request r;
    r.op = Op::kOpen;
    r.cwd = dir_.string();
    r.path = name;
    r.open_flags = flags;
    r.as = "f";
    return r;
  }
  std::string ReadFrom(const char* name, size_t n) {
    std::string buf(n, '\0');
    const ssize_t got = read(*fds_.Lookup(name), buf.data(), n);
    return got < 0 ? "error" : buf.substr(0, static_cast<size_t>(got));
  }

  FdTable fds_;
  uint64_t id_ = 0;
};

TEST_F(FileCallsTest, OpenInTheWorkdirAndSendfileFromItsOffset) {
  std::ofstream(dir_ / "tmp_f") << "abcdef";
  Reply o = Run(Open("tmp_f", O_RDONLY));
  ASSERT_EQ(o.harness_error, "");
  ASSERT_GE(o.ret, 0);
  Pair();
  Request s;
  s.op = Op::kSendfile;
  s.fd = "a";
  s.target = "f";
  s.offset = 2;
  s.size = 3;
  Reply sr = Run(s);
  ASSERT_EQ(sr.harness_error, "");
  EXPECT_EQ(sr.ret, 3);
  EXPECT_EQ(ReadFrom("b", 16), "cde");
  s.offset = -1;  // NULL: from the file's own position (still 0)
  s.size = 2;
  EXPECT_EQ(Run(s).ret, 2);
  EXPECT_EQ(ReadFrom("b", 16), "ab");
}

TEST_F(FileCallsTest, OpenCreatesAndNeverFollowsASymlinkOrLeavesTheWorkdir) {
  Reply o = Run(Open("new", O_CREAT | O_RDWR));
  ASSERT_GE(o.ret, 0) << o.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "new"));
  close(*fds_.Take("f"));
  std::filesystem::create_symlink(dir_ / "elsewhere" / "precious", dir_ / "link");
  o = Run(Open("link", O_WRONLY | O_TRUNC));
  EXPECT_EQ(o.ret, -1);
  EXPECT_EQ(o.err, ELOOP);
  EXPECT_EQ(Precious(), "precious");
  for (const char* bad : {"elsewhere/precious", "..", "", "."}) {
    o = Run(Open(bad, O_WRONLY | O_TRUNC));
    EXPECT_EQ(o.harness_error,
              std::string("open: '") + bad + "' is not one file name in the work directory");
  }
  EXPECT_EQ(Precious(), "precious");
  Request r = Open("x", O_RDONLY);
  r.cwd.clear();
  EXPECT_EQ(Run(r).harness_error, "open: the case has no work directory");
}

TEST_F(FileCallsTest, PipeAndSpliceFromASocketIntoIt) {
  Pair();
  Request p;
  p.op = Op::kPipe;
  p.as = "r";
  p.as2 = "w";
  Reply pr = Run(p);
  ASSERT_EQ(pr.harness_error, "");
  EXPECT_EQ(pr.ret, 0);
  ASSERT_EQ(write(*fds_.Lookup("b"), "hello", 5), 5);
  Request s;
  s.op = Op::kSplice;
  s.fd = "a";
  s.target = "w";
  s.size = 4;
  Reply sr = Run(s);
  ASSERT_EQ(sr.harness_error, "");
  EXPECT_EQ(sr.ret, 4);
  EXPECT_EQ(ReadFrom("r", 16), "hell");
  p.as2 = "r";
  EXPECT_EQ(Run(p).harness_error, "pipe needs two different names (as, as_write)");
}

TEST(FileCallsProtocol, TheNewFieldsCrossTheSocket) {
  Request r;
  r.op = Op::kOpen;
  r.cwd = "/tmp/w";
  r.path = "tmp_f";
  r.open_flags = O_CREAT | O_RDWR;
  r.as = "f";
  r.as2 = "g";
  r.offset = 7;
  const std::vector<uint8_t> bytes = Encode(r);
  StatusOr<Request> d = DecodeRequest(bytes.data(), bytes.size());
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->op, Op::kOpen);
  EXPECT_EQ(d->cwd, "/tmp/w");
  EXPECT_EQ(d->path, "tmp_f");
  EXPECT_EQ(d->open_flags, O_CREAT | O_RDWR);
  EXPECT_EQ(d->as2, "g");
  EXPECT_EQ(d->offset, 7);
  Request plain;
  const std::vector<uint8_t> b2 = Encode(plain);
  EXPECT_EQ(DecodeRequest(b2.data(), b2.size())->offset, -1);
}

}  // namespace
}  // namespace faultline::peer
