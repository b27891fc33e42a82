#include "harness/common/safe_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace faultline {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kMaxTreeDepth = 128;  // RemoveTreeAt: deeper trees are not ours

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Why `name` in `dirfd` cannot be opened as a directory (after ELOOP or
// ENOTDIR): names what is there.
Status NotADirectory(int dirfd, const std::string& name, const std::string& shown, int err) {
  struct stat st {};
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::FromErrno(fmt::format("opening directory {}", shown), err);
  }
  if (S_ISLNK(st.st_mode)) {
    return Status::Invalid(fmt::format("{}: a symbolic link; refusing to write through it", shown));
  }
  return Status::Invalid(fmt::format("{}: not a directory ({})", shown, FileKindName(st.st_mode)));
}

StatusOr<UniqueFd> OpenExistingDirAt(int dirfd, const std::string& name, const std::string& shown) {
  UniqueFd fd(openat(dirfd, name.c_str(), kDirFlags));
  if (fd.valid()) return fd;
  const int err = errno;
  if (err == ELOOP || err == ENOTDIR) return NotADirectory(dirfd, name, shown, err);
  return Status::FromErrno(fmt::format("opening directory {}", shown), err);
}

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Status WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("write", errno);
    content.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// A new file with a name of its own next to `name`: O_EXCL, so whatever was
// planted at a guessed name is never opened (another name is tried).
StatusOr<UniqueFd> CreateTemp(int dirfd, const std::string& name, const std::string& shown,
                              std::string* tmp_name) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    *tmp_name = fmt::format(".{}.{}-{}.tmp", name, getpid(), counter.fetch_add(1));
    int fd = openat(dirfd, tmp_name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0644);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EEXIST) {
      return Status::FromErrno(fmt::format("cannot create a temporary file for {}", shown), errno);
    }
  }
  return Status::System(
      fmt::format("cannot create a temporary file for {}: 100 names taken", shown));
}

}  // namespace

const char* FileKindName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFCHR: return "character device";
    case S_IFBLK: return "block device";
    case S_IFIFO: return "FIFO";
    case S_IFSOCK: return "socket";
  }
  return "unknown file type";
}

StatusOr<PathParts> SplitFilePath(const std::string& path) {
  const std::string p = StripTrailingSlashes(path);
  const size_t slash = p.rfind('/');
  PathParts parts;
  if (slash == std::string::npos) {
    parts = {".", p};
  } else {
    parts = {slash == 0 ? "/" : p.substr(0, slash), p.substr(slash + 1)};
  }
  if (parts.name.empty() || parts.name == "." || parts.name == "..") {
    return Status::Invalid(fmt::format("'{}': not a file path", path));
  }
  return parts;
}

StatusOr<UniqueFd> OpenDirNoFollow(const std::string& path, bool create) {
  const std::string p = StripTrailingSlashes(path.empty() ? "." : path);
  UniqueFd fd(open(p.c_str(), kDirFlags));
  if (fd.valid()) return fd;
  const int err = errno;
  StatusOr<PathParts> parts = SplitFilePath(p);
  if (err == ENOENT && create && parts.ok()) {
    StatusOr<UniqueFd> parent = OpenDirNoFollow(parts->dir, true);
    if (!parent.ok()) return parent.status();
    return OpenSubdirNoFollow(parent->get(), parts->name, p);
  }
  if ((err == ELOOP || err == ENOTDIR) && parts.ok()) {
    StatusOr<UniqueFd> parent = OpenDirNoFollow(parts->dir, false);
    if (parent.ok()) return NotADirectory(parent->get(), parts->name, p, err);
  }
  return Status::FromErrno(fmt::format("opening directory {}", p), err);
}

StatusOr<UniqueFd> OpenSubdirNoFollow(int dirfd, const std::string& name,
                                      const std::string& shown) {
  if (mkdirat(dirfd, name.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(fmt::format("creating directory {}", shown), errno);
  }
  return OpenExistingDirAt(dirfd, name, shown);
}

Status CheckReplaceable(int dirfd, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::FromErrno(fmt::format("cannot write {}", shown), errno);
  }
  if (S_ISREG(st.st_mode)) return Status::Ok();
  return Status::Invalid(fmt::format("{}: not a regular file ({}); refusing to replace it", shown,
                                     FileKindName(st.st_mode)));
}

Status CheckWritableDir(int dirfd, const std::string& shown) {
  UniqueFd probe(openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (probe.valid()) return Status::Ok();
  int err = errno;
  if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) {
    // No O_TMPFILE on this file system: ask for permission instead.
    if (faccessat(dirfd, ".", W_OK | X_OK, AT_EACCESS) == 0) return Status::Ok();
    err = errno;
  }
  return Status::FromErrno(fmt::format("{}: cannot create files in it", shown), err);
}

Status ReplaceFileAt(int dirfd, const std::string& name, std::string_view content,
                     const std::string& shown) {
  return ReplaceFileAtWith(
      dirfd, name, [content](int fd) { return WriteAll(fd, content); }, shown);
}

Status ReplaceFileAtWith(int dirfd, const std::string& name, const FileFiller& fill,
                         const std::string& shown) {
  FL_RETURN_IF_ERROR(CheckReplaceable(dirfd, name, shown));
  std::string tmp;
  StatusOr<UniqueFd> fd = CreateTemp(dirfd, name, shown, &tmp);
  if (!fd.ok()) return fd.status();
  Status st = fill(fd->get());
  if (st.ok() && close(fd->release()) != 0) st = Status::FromErrno("close", errno);
  // Checked again just before the rename: what appeared meanwhile is not
  // replaced either.
  if (st.ok()) st = CheckReplaceable(dirfd, name, shown);
  if (st.ok() && renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    st = Status::FromErrno("rename", errno);
  }
  if (st.ok()) return st;
  unlinkat(dirfd, tmp.c_str(), 0);
  if (st.code() == StatusCode::kInvalidInput) return st;
  return Status(st.code(), fmt::format("cannot write {}: {}", shown, st.message()));
}

Status ReplaceFile(const std::string& path, std::string_view content) {
  return ReplaceFileWith(path, [content](int fd) { return WriteAll(fd, content); });
}

Status ReplaceFileWith(const std::string& path, const FileFiller& fill) {
  StatusOr<PathParts> parts = SplitFilePath(path);
  if (!parts.ok()) return parts.status();
  StatusOr<UniqueFd> dir = OpenDirNoFollow(parts->dir, false);
  if (!dir.ok()) return dir.status().Prefixed(fmt::format("cannot write {}", path));
  return ReplaceFileAtWith(dir->get(), parts->name, fill, path);
}

StatusOr<UniqueFd> CreateFileExclusive(const std::string& path) {
  StatusOr<PathParts> parts = SplitFilePath(path);
  if (!parts.ok()) return parts.status();
  StatusOr<UniqueFd> dir = OpenDirNoFollow(parts->dir, false);
  if (!dir.ok()) return dir.status().Prefixed(fmt::format("cannot create {}", path));
  const char* name = parts->name.c_str();
  FL_RETURN_IF_ERROR(CheckReplaceable(dir->get(), parts->name, path));
  if (unlinkat(dir->get(), name, 0) != 0 && errno != ENOENT) {
    return Status::FromErrno(fmt::format("cannot replace {}", path), errno);
  }
  int fd = openat(dir->get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      FL_RETURN_IF_ERROR(CheckReplaceable(dir->get(), parts->name, path));
    }
    return Status::FromErrno(fmt::format("cannot create {}", path), err);
  }
  return UniqueFd(fd);
}

namespace {

Status RemoveTreeDepth(int dirfd, const std::string& name, const std::string& shown, int depth) {
  if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return Status::Ok();
  if (errno != EISDIR && errno != EPERM) {
    return Status::FromErrno(fmt::format("removing {}", shown), errno);
  }
  if (depth > kMaxTreeDepth) {
    return Status::System(fmt::format("removing {}: deeper than {} levels", shown, kMaxTreeDepth));
  }
  StatusOr<UniqueFd> sub = OpenExistingDirAt(dirfd, name, shown);
  if (!sub.ok()) return sub.status().Prefixed("removing");
  std::vector<std::string> names;
  {
    const int dup = fcntl(sub->get(), F_DUPFD_CLOEXEC, 0);
    DIR* d = dup < 0 ? nullptr : fdopendir(dup);
    if (d == nullptr) {
      const int err = errno;
      if (dup >= 0) close(dup);  // fdopendir did not take it
      return Status::FromErrno(fmt::format("reading {}", shown), err);
    }
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  for (const std::string& n : names) {
    FL_RETURN_IF_ERROR(RemoveTreeDepth(sub->get(), n, Join(shown, n), depth + 1));
  }
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Status::FromErrno(fmt::format("removing {}", shown), errno);
  }
  return Status::Ok();
}

}  // namespace

Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& shown) {
  return RemoveTreeDepth(dirfd, name, shown, 0);
}

}  // namespace faultline
