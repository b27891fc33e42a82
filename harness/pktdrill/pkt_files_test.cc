#include "harness/pktdrill/pkt_files.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness/pktdrill/pkt_loader.h"

namespace faultline {
namespace {

const char kServer[] =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 32792 <mss 1000>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
    "+0 < . 1:1(0) ack 1 win 514\n"
    "+0 accept(3, ..., ...) = 4\n";

const CallStep& CallAt(const Case& c, size_t i) { return std::get<CallStep>(c.steps[i].body); }

std::string Err(const std::string& text) {
  StatusOr<Case> c = LoadPacketdrillText(text, "t.pkt");
  return c.ok() ? std::string("ok") : c.status().message();
}

TEST(PktFiles, WorkdirFileNames) {
  EXPECT_EQ(pkt::WorkdirFileName("/tmp/testfile"), "tmp_testfile");
  EXPECT_EQ(pkt::WorkdirFileName("data/x.bin"), "data_x.bin");
  EXPECT_EQ(pkt::WorkdirFileName("/"), "file_");
  EXPECT_EQ(pkt::WorkdirFileName(".."), "file_..");
}

TEST(PktFiles, ShellLinesSeeTheMappedPath) {
  const std::map<std::string, std::string> files = {{"/tmp/testfile", "tmp_testfile"}};
  EXPECT_EQ(pkt::MapShellPaths("rm -f /tmp/testfile; dd of=/tmp/testfile", files),
            "rm -f \"${FAULTLINE_WORKDIR}\"'/tmp_testfile'; dd "
            "of=\"${FAULTLINE_WORKDIR}\"'/tmp_testfile'");
  // Only the whole path: a longer one, or the path inside another, stays.
  EXPECT_EQ(pkt::MapShellPaths("cat /tmp/testfile2 /x/tmp/testfile", files),
            "cat /tmp/testfile2 /x/tmp/testfile");
}

// The mapped path is one word that expands the work directory in every
// quoting context: unquoted, inside '...', inside "...", after a backslash.
TEST(PktFiles, ShellPathsAreQuotedForTheirContext) {
  const std::map<std::string, std::string> files = {{"/tmp/f", "tmp_f"}, {"/a'b", "a'b"}};
  EXPECT_EQ(pkt::MapShellPaths("echo '/tmp/f x' \"/tmp/f\" \\'/tmp/f", files),
            "echo ''\"${FAULTLINE_WORKDIR}\"'/tmp_f x' \"${FAULTLINE_WORKDIR}/tmp_f\" "
            "\\'\"${FAULTLINE_WORKDIR}\"'/tmp_f'");
  EXPECT_EQ(pkt::MapShellPaths("cat /a'b'", files), "cat \"${FAULTLINE_WORKDIR}\"'/a'\\''b''");
  EXPECT_EQ(pkt::MapShellPaths("echo \"$x /a'b\"", files), "echo \"$x ${FAULTLINE_WORKDIR}/a'b\"");
}

// What a shell makes of it: one argument, the work directory with spaces.
TEST(PktFiles, ShellPathsExpandToOneWord) {
  const std::map<std::string, std::string> files = {{"/tmp/f", "tmp_f"}};
  const std::string cmd = pkt::MapShellPaths(
      "for a in /tmp/f '/tmp/f' \"/tmp/f\" 'x /tmp/f'; do printf '[%s]' \"$a\"; done", files);
  const std::string line = "FAULTLINE_WORKDIR='/w d/x' sh -c '" + [&] {
    std::string q;
    for (char ch : cmd) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q;
  }() + "'";
  FILE* p = popen(line.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  const size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  ASSERT_EQ(pclose(p), 0);
  EXPECT_EQ(std::string(buf, n), "[/w d/x/tmp_f][/w d/x/tmp_f][/w d/x/tmp_f][x /w d/x/tmp_f]");
}

TEST(PktFiles, OpenAndSendfileFromTheOpenedFile) {
  StatusOr<Case> c = LoadPacketdrillText(std::string("`echo x > /tmp/f`\n") + kServer +
                                             "+0 open(\"/tmp/f\", O_RDONLY) = 5\n"
                                             "+0 sendfile(4, 5, [2], 3) = 3\n"
                                             "+0 sendfile(4, 5, NULL, 1) = 1\n"
                                             "+0 > P. 1:5(4) ack 1\n",
                                         "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  // The shell line writes the workdir's file, not /tmp/f.
  const CallStep& shell = CallAt(*c, 0);
  EXPECT_NE(shell.call.command.argv[2].find("echo x > \"$${FAULTLINE_WORKDIR}\"'/tmp_f'"),
            std::string::npos)
      << shell.call.command.argv[2];
  const CallStep& open = CallAt(*c, 8);
  EXPECT_EQ(open.call.op, Op::kOpen);
  EXPECT_EQ(open.call.path, "tmp_f");
  EXPECT_EQ(open.call.open_flags, std::vector<std::string>{"rdonly"});
  EXPECT_EQ(open.call.as, "fd5");
  EXPECT_EQ(c->steps[8].Describe(), "host: open tmp_f as fd5");
  const CallStep& sf = CallAt(*c, 9);
  EXPECT_EQ(sf.call.op, Op::kSendfile);
  EXPECT_EQ(sf.call.fd, "fd4");
  EXPECT_EQ(sf.call.other_fd, "fd5");
  EXPECT_EQ(sf.call.offset, 2);
  EXPECT_EQ(sf.call.size, 3);
  EXPECT_EQ(sf.expect.ret_value, 3);
  EXPECT_EQ(c->steps[9].Describe(), "host: sendfile fd4 from fd5");
  EXPECT_FALSE(CallAt(*c, 10).call.offset.has_value());
}

TEST(PktFiles, PipeNamesBothFdsAndSpliceMovesBetweenThem) {
  StatusOr<Case> c = LoadPacketdrillText(std::string(kServer) +
                                             "+0 pipe([5, 6]) = 0\n"
                                             "+0 splice(4, NULL, 6, NULL, 99, 0) = 99\n"
                                             "+0 splice(5, NULL, 4, NULL, 9, SPLICE_F_MOVE | "
                                             "SPLICE_F_NONBLOCK) = 9\n"
                                             "+0 close(6) = 0\n"
                                             "+0 pipe([6, 7]) = 0\n",
                                         "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const CallStep& pipe = CallAt(*c, 7);
  EXPECT_EQ(pipe.call.op, Op::kPipe);
  EXPECT_EQ(pipe.call.as, "fd5");
  EXPECT_EQ(pipe.call.as_write, "fd6");
  EXPECT_EQ(pipe.expect.ret_value, 0);
  EXPECT_EQ(c->steps[7].Describe(), "host: pipe as fd5, fd6");
  const CallStep& in = CallAt(*c, 8);
  EXPECT_EQ(in.call.op, Op::kSplice);
  EXPECT_EQ(in.call.fd, "fd4");
  EXPECT_EQ(in.call.other_fd, "fd6");
  EXPECT_EQ(in.call.size, 99);
  EXPECT_TRUE(in.call.flags.empty());
  EXPECT_EQ(c->steps[8].Describe(), "host: splice fd4 to fd6");
  EXPECT_EQ(CallAt(*c, 9).call.flags,
            (std::vector<std::string>{"SPLICE_F_MOVE", "SPLICE_F_NONBLOCK"}));
  // fd6 was closed: the new pipe's read end takes the name again.
  EXPECT_EQ(CallAt(*c, 11).call.as, "fd6");
  EXPECT_EQ(CallAt(*c, 11).call.as_write, "fd7");
}

TEST(PktFiles, ExactErrors) {
  EXPECT_EQ(Err("0 open(3, O_RDONLY) = 3\n"),
            "t.pkt:1:8: open: the path must be a string (\"/tmp/file\")");
  EXPECT_EQ(Err("0 open(\"/tmp/f\") = 3\n"), "t.pkt:1:3: open: expected (\"PATH\", FLAGS[, MODE])");
  EXPECT_EQ(Err("0 open(\"/tmp/f\", O_RDONLY|O_DIRECT) = 3\n"),
            "t.pkt:1:18: open: flag 'O_DIRECT' is not supported (supported: O_RDONLY, O_WRONLY, "
            "O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_NONBLOCK, O_CLOEXEC)");
  EXPECT_EQ(Err("0 open(\"/tmp/f\", 2) = 3\n"),
            "t.pkt:1:18: open: flags '2' are not supported (O_* names)");
  EXPECT_EQ(Err("0 pipe([5]) = 0\n"),
            "t.pkt:1:3: pipe: expected ([READ_FD, WRITE_FD]), two fd numbers");
  EXPECT_EQ(Err("0 pipe([5, 5]) = 0\n"),
            "t.pkt:1:3: pipe: expected ([READ_FD, WRITE_FD]), two fd numbers");
  EXPECT_EQ(Err("0 sendfile(4, 5, 0) = 0\n"),
            "t.pkt:1:3: sendfile: expected (out_fd, in_fd, [offset] | NULL, count)");
  EXPECT_EQ(Err("0 sendfile(4, 5, [-1], 3) = 0\n"),
            "t.pkt:1:18: sendfile: offset '[-1]' is not supported ([N] or NULL)");
  EXPECT_EQ(Err("0 sendfile(4, x, NULL, 3) = 0\n"),
            "t.pkt:1:3: sendfile: argument 2 must be an fd number");
  EXPECT_EQ(Err("0 splice(4, NULL, 6, NULL, 99) = 0\n"),
            "t.pkt:1:3: splice: expected (fd_in, NULL, fd_out, NULL, len, flags)");
  EXPECT_EQ(Err("0 splice(4, [8], 6, NULL, 99, 0) = 0\n"),
            "t.pkt:1:13: splice: offset '[8]' is not supported (NULL)");
  EXPECT_EQ(Err("0 splice(4, NULL, 6, NULL, 99, SPLICE_F_WHAT) = 0\n"),
            "t.pkt:1:32: splice: flag 'SPLICE_F_WHAT' is not supported");
  EXPECT_EQ(Err("0 splice(4, NULL, 6, NULL, 99, 3) = 0\n"),
            "t.pkt:1:32: splice: flags must be 0 or SPLICE_F_* names");
}

// TCP MD5 (kind 19): the script's digest is sent as written; the stack's
// option must be there, its digest is not compared.
TEST(PktFiles, Md5OptionSentAsWrittenExpectedPresent) {
  StatusOr<Case> c = LoadPacketdrillText(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 100 <md5 000102030405060708090a0b0c0d0e0f,nop,nop>\n"
      "+0 > S. 0:0(0) ack 1 <md5 00000000000000000000000000000000,nop,nop>\n",
      "t.pkt");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& syn = std::get<PacketStep>(c->steps[3].body);
  ASSERT_TRUE(syn.packet.options.has_value());
  EXPECT_EQ((*syn.packet.options)[0].kind, 19);
  EXPECT_EQ(*(*syn.packet.options)[0].bytes,
            std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16));
  const auto& syn_ack = std::get<PacketStep>(c->steps[4].body);
  EXPECT_EQ((*syn_ack.packet.options)[0].kind, 19);
  EXPECT_FALSE((*syn_ack.packet.options)[0].bytes.has_value());
  EXPECT_EQ(Err("0 < S 0:0(0) win 1 <md5 0g>\n"),
            "t.pkt:1:21: md5 digest '0g' is not at most 16 hex bytes");
  EXPECT_EQ(Err("0 < S 0:0(0) win 1 <md5 000102030405060708090a0b0c0d0e0f10>\n"),
            "t.pkt:1:21: md5 digest '000102030405060708090a0b0c0d0e0f10' is not at most 16 hex "
            "bytes");
}

}  // namespace
}  // namespace faultline
