// packetdrill's file and pipe system calls (issue 16 part E): open,
// sendfile from an opened file, pipe and splice, translated into the
// case's calls (pkt_translate.cc calls these).
//
// A file a script opens never lives at the script's path: every path an
// open() names is mapped to one name in the variant's work directory
// ("/tmp/testfile" -> "tmp_testfile"), so parallel runs never share it and
// nothing outside the run is written. The script's shell lines see the
// same mapping (the path in their text becomes $FAULTLINE_WORKDIR/NAME), so
// a file a shell line writes is the one open() finds (docs/packetdrill.md).
#pragma once

#include <map>
#include <string>

#include "harness/common/status.h"
#include "harness/model/case.h"
#include "harness/pktdrill/pkt_ast.h"

namespace faultline::pkt {

// The file name in the workdir for a path a script opens: the path without
// its leading '/', every '/' made '_' ("/tmp/testfile" -> "tmp_testfile").
std::string WorkdirFileName(const std::string& path);

// Every path the script's open() calls name (a string first argument),
// mapped to its WorkdirFileName.
std::map<std::string, std::string> OpenedFiles(const Script& script);

// `command` with each whole occurrence of a mapped path (not followed by a
// character that continues a path) replaced by $FAULTLINE_WORKDIR/NAME.
std::string MapShellPaths(const std::string& command,
                          const std::map<std::string, std::string>& files);

// open, pipe, sendfile, splice.
bool IsFileCall(const std::string& name);

// The arguments of one of those calls into `c`. open: path and flags (the
// fd's name is the result's, given by the translator); pipe: `as` and
// `as_write` are the raw fd names of [R, W]; sendfile: other_fd (the input
// fd), offset and size; splice: fd, other_fd, size and flags.
// Errors: "FILE:LINE:COL: open: ..." naming the construct.
Status FileCallArgs(const Syscall& sc, SocketCall* c);

}  // namespace faultline::pkt
