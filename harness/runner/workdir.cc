#include "harness/runner/workdir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "harness/common/safe_file.h"

namespace faultline {
StatusOr<std::unique_ptr<Workdir>> Workdir::Create(const std::string& path) {
  if (path.empty()) {
    const char* tmp = getenv("TMPDIR");
    const std::string parent = tmp && *tmp ? tmp : "/tmp";
    std::string templ = fmt::format("{}/faultline-work-XXXXXX", parent);
    if (mkdtemp(templ.data()) == nullptr) {
      return Status::FromErrno(fmt::format("creating a work directory {}", templ), errno);
    }
    // mkdtemp made it exclusively; the parent ($TMPDIR) is the user's choice.
    UniqueFd pfd(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pfd.valid()) {
      const int err = errno;
      rmdir(templ.c_str());  // still empty: ours to remove
      return Status::FromErrno(fmt::format("opening {}", parent), err);
    }
    std::string name = templ.substr(templ.rfind('/') + 1);
    return std::unique_ptr<Workdir>(new Workdir(templ, std::move(pfd), std::move(name)));
  }
  StatusOr<PathParts> parts = SplitFilePath(path);
  if (!parts.ok()) return parts.status().Prefixed("work directory");
  StatusOr<UniqueFd> parent = OpenDirNoFollow(parts->dir, true);
  if (!parent.ok()) return parent.status().Prefixed("work directory");
  // A previous run's: emptied (removed) when it is a directory, refused when
  // it is anything else (a symbolic link is not ours to replace).
  struct stat st {};
  if (fstatat(parent->get(), parts->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Status::Invalid(
          fmt::format("work directory {}: not a directory ({}); refusing to "
                      "replace it",
                      path, FileKindName(st.st_mode)));
    }
    Status rm = RemoveTreeAt(parent->get(), parts->name, path);
    if (!rm.ok()) return rm.Prefixed("emptying the work directory");
  }
  if (mkdirat(parent->get(), parts->name.c_str(), 0755) != 0) {
    return Status::FromErrno(fmt::format("creating work directory {}", path), errno);
  }
  return std::unique_ptr<Workdir>(
      new Workdir(path, std::move(parent).value(), std::move(parts->name)));
}

Workdir::~Workdir() {
  if (keep_) return;
  // Best effort: nothing to report to at teardown.
  (void)RemoveTreeAt(parent_.get(), name_, path_);
}

}  // namespace faultline
