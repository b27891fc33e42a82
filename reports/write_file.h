// Writing a report file whole, safely (harness/common/safe_file.h): to a
// new temporary file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) in the
// report's directory, then renamed over `path` within that directory, so a
// reader never sees a half-written report and nothing is written through a
// symbolic link. An existing `path` that is not a regular file (a symbolic
// link, a device such as /dev/null, a FIFO, a directory) is refused, not
// replaced; a regular file is replaced atomically.
#pragma once

#include <string>
#include <string_view>

#include "harness/common/status.h"

namespace faultline {

// Errors name the path: kInvalidInput for a refused target ("PATH: not a
// regular file (FIFO); refusing to replace it", "DIR: a symbolic link;
// refusing to write through it"), kSystem when a system call fails (the
// temporary file is removed then).
Status WriteWholeFile(const std::string& path, std::string_view content);

}  // namespace faultline
