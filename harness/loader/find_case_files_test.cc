// FindCaseFiles and LoadCaseFile on a real temporary directory tree.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FindCaseFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "faultline-loader-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  std::string Write(const std::string& rel, const std::string& text = "name: x\n") {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string root_;
};

TEST_F(FindCaseFilesTest, RecursesSortsAndFilters) {
  std::string b = Write("b.yaml");
  std::string a = Write("sub/deeper/a.yml");
  std::string c = Write("sub/c.yaml");
  Write("notes.txt");
  Write("sub/data.json");
  Write("sub/yaml");  // no extension
  fs::create_directories(fs::path(root_) / "empty");
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(b, c, a));  // plain string order
}

TEST_F(FindCaseFilesTest, ExplicitFilesAndDuplicates) {
  std::string a = Write("a.yaml");
  std::string t = Write("other.txt");
  StatusOr<std::vector<std::string>> f =
      FindCaseFiles({t, a, root_ + "/./a.yaml", root_ + "/a.yaml", root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(a, t));  // explicit files are taken whatever their name
}

// Issue 16: packetdrill scripts are case files too, found beside YAML ones.
TEST_F(FindCaseFilesTest, FindsPacketdrillScriptsBesideYaml) {
  std::string y = Write("mixed/a.yaml");
  std::string p = Write("mixed/b.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  std::string q = Write("mixed/tcp/sub/c.pkt", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  Write("mixed/in_netns.sh", "#!/bin/sh\n");
  Write("mixed/defaults.sh", "#!/bin/sh\n");
  Write("mixed/b.pkt.orig");
  Write("mixed/pkt");  // no extension
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_ + "/mixed"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(y, p, q));
  // Named on the command line, and twice: once.
  f = FindCaseFiles({p, root_ + "/mixed/./b.pkt"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(p));
  EXPECT_TRUE(IsPacketdrillPath(p));
  EXPECT_TRUE(IsPacketdrillPath("x/y.pkt"));
  EXPECT_FALSE(IsPacketdrillPath(y));
  EXPECT_FALSE(IsPacketdrillPath("x/pkt"));
  EXPECT_FALSE(IsPacketdrillPath("x/y.pkt.orig"));
}

// A .pkt file goes to the packetdrill loader, never to the YAML one: a file
// that is a valid YAML case but not packetdrill does not load as a case, and
// its error names the file (the message is the packetdrill loader's).
TEST_F(FindCaseFilesTest, LoadCaseFileDispatchesPktToPacketdrill) {
  const std::string yaml_case = "name: x\nsteps:\n  - client: sleep 1s\n";
  std::string as_yaml = Write("x.yaml", yaml_case);
  ASSERT_TRUE(LoadCaseFile(as_yaml).ok());
  std::string as_pkt = Write("x.pkt", yaml_case);
  StatusOr<Case> c = LoadCaseFile(as_pkt);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind(as_pkt + ":", 0), 0u) << c.status().message();
  PktRunOptions opts;
  opts.defines = {{"FOO", "1"}};
  opts.ip_version = "ipv6";
  StatusOr<Case> d = LoadCaseFile(as_pkt, opts);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind(as_pkt + ":", 0), 0u) << d.status().message();
  // The file checks come first, as for YAML.
  c = LoadCaseFile(root_ + "/missing.pkt");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), root_ + "/missing.pkt: cannot open the file");
  std::string big = Write("big.pkt", std::string(5 * 1024 * 1024, '/'));
  c = LoadCaseFile(big);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), big +
                                      ":1:1: the file is larger than 4194304 bytes (4 MiB), the "
                                      "limit for a case file");
}

TEST_F(FindCaseFilesTest, EmptyDirectoryIsNotAnError) {
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->empty());
  f = FindCaseFiles({});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
}

TEST_F(FindCaseFilesTest, MissingPathIsAnError) {
  std::string missing = root_ + "/nope";
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_, missing});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(f.status().message(), missing + ": no such file or directory");
}

TEST_F(FindCaseFilesTest, LoadCaseFileUsesThePathInMessages) {
  std::string p = Write("c.yaml", "name: c\nsteps:\n  - client: slep 1s\n");
  StatusOr<Case> c = LoadCaseFile(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            p + ":3:13: step 1: unknown operation 'slep' (did you mean 'sleep'?)");
  std::string ok = Write("ok.yaml", "name: ok\nsteps:\n  - client: sleep 1s\n");
  StatusOr<Case> good = LoadCaseFile(ok);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->loc.file, ok);
  EXPECT_EQ(good->steps[0].loc.file, ok);
}

TEST_F(FindCaseFilesTest, LoadCaseFileErrors) {
  StatusOr<Case> c = LoadCaseFile(root_ + "/missing.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), root_ + "/missing.yaml: cannot open the file");
  c = LoadCaseFile(root_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), root_ + ": is a directory, not a case file");
  std::string big = Write("big.yaml", std::string(5 * 1024 * 1024, '#'));
  c = LoadCaseFile(big);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), big +
                                      ":1:1: the file is larger than 4194304 bytes (4 MiB), the "
                                      "limit for a case file");
}

// Issue 17, finding 5: a FIFO on the command line hung the run forever (it
// was opened for reading); these return at once, without opening it.
TEST_F(FindCaseFilesTest, FifoIsRefusedWithoutOpening) {
  std::string fifo = root_ + "/pipe.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  StatusOr<Case> c = LoadCaseFile(fifo);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), fifo + ": is a FIFO; a case file must be a regular file");
  StatusOr<std::vector<std::string>> f = FindCaseFiles({fifo});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), fifo + ": is a FIFO; a case file must be a regular file");
  // Inside a directory, what is not a regular file is not a case.
  std::string a = Write("a.yaml");
  f = FindCaseFiles({root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(a));
}

TEST_F(FindCaseFilesTest, DeviceIsRefused) {
  StatusOr<std::vector<std::string>> f = FindCaseFiles({"/dev/null"});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "/dev/null: is a character device; a case file must be a regular file");
  StatusOr<Case> c = LoadCaseFile("/dev/zero");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "/dev/zero: is a character device; a case file must be a regular file");
}

TEST_F(FindCaseFilesTest, SymlinkLoopIsNamedAsSuch) {
  std::string a = root_ + "/a.yaml", b = root_ + "/b.yaml";
  fs::create_symlink(b, a);
  fs::create_symlink(a, b);
  StatusOr<std::vector<std::string>> f = FindCaseFiles({a});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), a + ": too many levels of symbolic links (a symlink loop?)");
  StatusOr<Case> c = LoadCaseFile(a);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), a + ": too many levels of symbolic links (a symlink loop?)");
  // A symlink to a case file is that case file.
  std::string real = Write("real.yaml", "name: r\nsteps:\n  - client: sleep 1s\n");
  fs::create_symlink(real, root_ + "/link.yaml");
  EXPECT_TRUE(LoadCaseFile(root_ + "/link.yaml").ok());
}

TEST_F(FindCaseFilesTest, StepCountIsBounded) {
  std::string text = "name: many\nsteps:\n";
  for (int i = 0; i < 10001; ++i) text += "  - client: sleep 1ms\n";
  std::string p = Write("many.yaml", text);
  StatusOr<Case> c = LoadCaseFile(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), p + ":3:3: 'steps' lists 10001 steps; a case has at most 10000");
  // 10000 is allowed.
  text.resize(text.size() - std::string("  - client: sleep 1ms\n").size());
  p = Write("max.yaml", text);
  c = LoadCaseFile(p);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->steps.size(), 10000u);
}

// The case library that ships with faultline must load.
TEST(ShippedCasesTest, AllLoad) {
  fs::path cases = fs::path(__FILE__).parent_path().parent_path().parent_path() / "cases";
  if (!fs::is_directory(cases)) GTEST_SKIP() << "no case library at " << cases;
  StatusOr<std::vector<std::string>> files = FindCaseFiles({cases.string()});
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_FALSE(files->empty());
  for (const std::string& f : *files) {
    StatusOr<Case> c = LoadCaseFile(f);
    EXPECT_TRUE(c.ok()) << c.status().message();
  }
}

}  // namespace
}  // namespace faultline
