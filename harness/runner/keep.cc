#include "harness/runner/keep.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace faultline {
namespace {

std::string Slug(const std::string& s) {
  std::string out;
  bool dash = false;
  for (char ch : s) {
    char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && !out.empty()) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
  }
  return out.empty() ? "x" : out;
}

std::string PathOf(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

}  // namespace

std::string KeptNetnsName(const std::string& case_name, const std::string& variant,
                          const std::string& host) {
  std::string tail = "-" + Slug(variant) + "-" + Slug(host);
  std::string head = Slug(case_name);
  constexpr size_t kMax = 200;
  const size_t fixed = std::string("faultline-").size() + tail.size();
  if (fixed + head.size() > kMax) head.resize(kMax > fixed ? kMax - fixed : 1);
  return "faultline-" + head + tail;
}

Status BindNetns(int netns_fd, const std::string& name) {
  if (mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(fmt::format("creating {}", kNetnsDir), errno);
  }
  const std::string path = PathOf(name);
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::System(
          fmt::format("{} exists already (an earlier --keep?); remove it with "
                      "`ip netns del {}`",
                      path, name));
    }
    return Status::FromErrno(fmt::format("creating {}", path), errno);
  }
  close(fd);
  const std::string src = fmt::format("/proc/self/fd/{}", netns_fd);
  if (mount(src.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
    int err = errno;
    unlink(path.c_str());
    return Status::FromErrno(fmt::format("bind-mounting the namespace at {}", path), err);
  }
  return Status::Ok();
}

Status RemoveKeptNetns(const std::string& name) {
  const std::string path = PathOf(name);
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Status::FromErrno(fmt::format("unmounting {}", path), errno);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno(fmt::format("removing {}", path), errno);
  }
  return Status::Ok();
}

std::vector<std::string> KeepFailedLab(const Lab& lab, CaseResult* result) {
  std::vector<std::pair<std::string, int>> all;
  for (const LabHost& h : lab.hosts()) all.emplace_back(h.name, h.netns.get());
  all.emplace_back("wire", lab.wire_netns());
  std::vector<std::string> kept;
  std::string text = "\nkept the lab's namespaces (--keep); step in with:";
  for (const auto& [host, fd] : all) {
    std::string name = KeptNetnsName(result->name, result->variant, host);
    Status st = BindNetns(fd, name);
    if (!st.ok()) {
      text += fmt::format("\n  cannot keep {}: {}", host, st.message());
      continue;
    }
    kept.push_back(name);
    text +=
        fmt::format("\n  ip netns exec {} bash    # or: nsenter --net={} bash", name, PathOf(name));
  }
  if (!kept.empty()) {
    text += "\nclean up with:\n  ";
    for (size_t i = 0; i < kept.size(); ++i) text += (i ? "; " : "") + ("ip netns del " + kept[i]);
  }
  result->message += text;
  return kept;
}

}  // namespace faultline
