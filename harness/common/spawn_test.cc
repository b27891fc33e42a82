#include "harness/common/spawn.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace faultline {
namespace {

int WaitExit(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(SpawnChild, ExecsWithRedirectedStdout) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  char arg0[] = "/bin/sh", arg1[] = "-c", arg2[] = "echo hello; exit 7";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  char* envp[] = {nullptr};
  const int w = p[1];
  auto child = [&] {
    if (dup2(w, 1) != 1) _exit(126);
    execve(argv[0], argv, envp);
    _exit(127);
  };
  pid_t pid = SpawnChild(child);
  ASSERT_GT(pid, 0);
  close(p[1]);
  std::string out;
  char buf[64];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(WaitExit(pid), 7);
}

TEST(SpawnChild, ExecFailureIsTheChildsExit) {
  char arg0[] = "/nonexistent/binary";
  char* argv[] = {arg0, nullptr};
  char* envp[] = {nullptr};
  int seen_errno = 0;
  auto child = [&] {
    execve(argv[0], argv, envp);
    seen_errno = errno;  // shared memory: the parent reads it after the call
    _exit(127);
  };
  pid_t pid = SpawnChild(child);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(seen_errno, ENOENT);  // proves the memory is shared and the call waited
  EXPECT_EQ(WaitExit(pid), 127);
}

TEST(SpawnChild, ReturningChildExits127) {
  auto child = [] {};
  pid_t pid = SpawnChild(child);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(WaitExit(pid), 127);
}

}  // namespace
}  // namespace faultline
