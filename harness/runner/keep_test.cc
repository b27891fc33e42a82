// --keep's naming and bind mounts. The mount tests need root (CAP_SYS_ADMIN)
// and clean up after themselves whatever happens.
#include "harness/runner/keep.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(KeptNetnsName, Sanitised) {
  EXPECT_EQ(KeptNetnsName("first-syn-lost", "ipv4", "client"),
            "faultline-first-syn-lost-ipv4-client");
  EXPECT_EQ(KeptNetnsName("Echo: 1 MB!", "ipv6,somaxconn=4 #2", "server"),
            "faultline-echo-1-mb-ipv6-somaxconn-4-2-server");
  EXPECT_EQ(KeptNetnsName("///", "ipv4", "wire"), "faultline-x-ipv4-wire");
  std::string long_name = KeptNetnsName(std::string(500, 'a'), "ipv4", "client");
  EXPECT_EQ(long_name.size(), 200u);
  EXPECT_EQ(long_name.substr(long_name.size() - 12), "-ipv4-client");
}

// A fresh anonymous namespace, made on a helper thread so the test thread
// never leaves its own.
int NewNetnsFd() {
  int fd = -1;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) == 0) fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  });
  t.join();
  return fd;
}

struct ScopedName {
  std::string name;
  ~ScopedName() { (void)RemoveKeptNetns(name); }
};

TEST(BindNetns, KeepsTheNamespaceAfterItsFdCloses) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create namespaces and mount";
  ScopedName n{KeptNetnsName("keep-test", std::to_string(getpid()), "client")};
  int fd = NewNetnsFd();
  ASSERT_GE(fd, 0);
  struct stat want {};
  ASSERT_EQ(fstat(fd, &want), 0);
  ASSERT_TRUE(BindNetns(fd, n.name).ok());
  close(fd);
  const std::string path = std::string(kNetnsDir) + "/" + n.name;
  struct stat got {};
  ASSERT_EQ(stat(path.c_str(), &got), 0);
  EXPECT_EQ(got.st_ino, want.st_ino);  // the same namespace, alive without our fd
  EXPECT_EQ(got.st_dev, want.st_dev);

  // A second keep under the same name is refused, never replacing the first.
  int fd2 = NewNetnsFd();
  ASSERT_GE(fd2, 0);
  Status again = BindNetns(fd2, n.name);
  close(fd2);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("exists already"), std::string::npos) << again.message();

  ASSERT_TRUE(RemoveKeptNetns(n.name).ok());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(RemoveKeptNetns(n.name).ok());  // idempotent
}

}  // namespace
}  // namespace faultline
