// Workdir: the scratch directory of one case variant with `run` steps --
// the commands' working directory, TMPDIR and ${workdir}.
//
// Under an output directory it is OUT/work/<name> (the name the variant's
// pcap has, without ".pcap"), emptied first, and kept after a failing
// variant for a person to look at; without one it is a fresh directory
// under $TMPDIR (or /tmp). Either way it is removed when the Workdir is
// destroyed unless Keep() was called. Removal never follows a symbolic
// link out of the directory. Threads: one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "harness/common/status.h"

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
  explicit Workdir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

}  // namespace faultline
