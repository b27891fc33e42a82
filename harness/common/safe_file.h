// Safe files: how the runner creates every file and directory it writes
// (reports, pcaps, work directories) -- exclusively, never through a
// symbolic link, and never over something that is not a regular file.
//
// - A directory is opened with O_DIRECTORY|O_NOFOLLOW: its last component
//   may not be a symbolic link (earlier components resolve as usual). One
//   that is missing is made with mkdirat in its opened parent, then opened
//   the same way.
// - A file is written to a fresh temporary name in that directory
//   (O_CREAT|O_EXCL|O_NOFOLLOW: a planted file or link at that name is never
//   opened) and renamed over its name with renameat within the directory.
// - An existing entry that is not a regular file (symbolic link, device,
//   FIFO, socket, directory) is refused: "PATH: not a regular file
//   (character device); refusing to replace it". A regular file is replaced.
//
// Errors: kInvalidInput for a refusal, kSystem for a failed system call;
// every message names the path. Threads: safe (no shared state).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"

namespace faultline {

// "regular file", "directory", "symbolic link", "character device", "block
// device", "FIFO", "socket" (or "unknown file type").
const char* FileKindName(mode_t mode);

// `path` split into its directory ("." when none) and last component.
// Trailing slashes are ignored. Errors when there is no last component
// ("", "/", ".", "..").
struct PathParts {
  std::string dir;
  std::string name;
};
StatusOr<PathParts> SplitFilePath(const std::string& path);

// Opens directory `path` (see above); `create`: makes it and any missing
// parents first. A symbolic link or a non-directory there is refused.
StatusOr<UniqueFd> OpenDirNoFollow(const std::string& path, bool create);

// Opens the directory `name` (one component) inside `dirfd`, made with
// mkdirat when missing. `shown`: its path, for messages.
StatusOr<UniqueFd> OpenSubdirNoFollow(int dirfd, const std::string& name, const std::string& shown);

// Ok when `name` in `dirfd` is missing or a regular file, else the refusal.
Status CheckReplaceable(int dirfd, const std::string& name, const std::string& shown);

// Ok when a file can be created in `dirfd` (probed with an unnamed O_TMPFILE
// file; faccessat where the file system has none).
Status CheckWritableDir(int dirfd, const std::string& shown);

// Writes `content` to a new temporary file in `dirfd` and renames it over
// `name` (atomic: a reader sees the old file or the whole new one).
Status ReplaceFileAt(int dirfd, const std::string& name, std::string_view content,
                     const std::string& shown);
// The same for a path: its directory must exist (it is not created).
Status ReplaceFile(const std::string& path, std::string_view content);

// The same, the content written by `fill` to the temporary file's
// descriptor as it is made (reports written as a stream). An error from
// `fill` removes the temporary file and is returned, the path in front.
using FileFiller = std::function<Status(int fd)>;
Status ReplaceFileAtWith(int dirfd, const std::string& name, const FileFiller& fill,
                         const std::string& shown);
Status ReplaceFileWith(const std::string& path, const FileFiller& fill);

// Creates `path` for writing, exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in its
// directory (which must exist): an existing regular file is removed first,
// anything else refused. For files written as they grow (pcaps).
StatusOr<UniqueFd> CreateFileExclusive(const std::string& path);

// Removes `name` in `dirfd` and everything below it, never following a
// symbolic link (each level is opened O_NOFOLLOW relative to its parent).
// Missing: ok.
Status RemoveTreeAt(int dirfd, const std::string& name, const std::string& shown);

}  // namespace faultline
