// FdTable: the names a case gives to sockets on one host ("c", "ls", "a")
// mapped to the peer's file descriptors.
//
// Threads: every method may be called from any thread (one mutex). A call
// that creates a socket first Reserve()s its name, so two concurrent calls
// cannot both claim it, then Fill()s it with the fd (or Release()s it when
// nothing was created). A reserved but unfilled name is not yet usable.
// Ownership: the table does not close fds; `close` Take()s the fd and closes
// it itself. Fds left in the table die with the peer process.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "harness/common/status.h"

namespace faultline::peer {

class FdTable {
 public:
  // kInvalidInput "name 'c' is already in use on this host" if taken.
  Status Reserve(const std::string& name);
  // Binds a reserved name to fd.
  void Fill(const std::string& name, int fd);
  // Drops a reservation that was never filled.
  void Release(const std::string& name);
  // kInvalidInput "no socket named 'c' on this host" if unknown.
  StatusOr<int> Lookup(const std::string& name) const;
  // Lookup and remove the name.
  StatusOr<int> Take(const std::string& name);
  // The name `fd` is filled under, or "" (epoll_wait's ready list).
  std::string NameOf(int fd) const;

 private:
  static Status Unknown(const std::string& name);
  mutable std::mutex mu_;
  std::map<std::string, int> fds_;  // -1: reserved, call still running
};

}  // namespace faultline::peer
