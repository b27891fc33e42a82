// Workdir: the scratch directory of one case variant with `run` steps --
// the commands' working directory, TMPDIR and ${workdir}.
//
// Under an output directory it is OUT/work/<name> (the name the variant's
// pcap directory has, OUT/pcap/<name>), emptied first, and kept after a failing
// variant for a person to look at; without one it is a fresh directory
// under $TMPDIR (or /tmp). Either way it is removed when the Workdir is
// destroyed unless Keep() was called.
//
// Never through a symbolic link (harness/common/safe_file.h): OUT/work and
// OUT/work/<name> are made with mkdirat and opened O_NOFOLLOW, and a
// symbolic link (or anything not a directory) at either is refused with an
// error naming the path; emptying and removal go level by level through
// directory fds, so a link inside is removed, never followed.
// Threads: one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"

namespace faultline {

class Workdir {
 public:
  // `path` empty: a new temporary directory. Otherwise that directory,
  // created (with parents) or emptied.
  static StatusOr<std::unique_ptr<Workdir>> Create(const std::string& path);
  ~Workdir();
  Workdir(const Workdir&) = delete;
  Workdir& operator=(const Workdir&) = delete;

  const std::string& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  Workdir(std::string path, UniqueFd parent, std::string name)
      : path_(std::move(path)), parent_(std::move(parent)), name_(std::move(name)) {}
  std::string path_;
  UniqueFd parent_;   // the directory that holds it
  std::string name_;  // its name there
  bool keep_ = false;
};

}  // namespace faultline
