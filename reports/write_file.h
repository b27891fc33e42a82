// Writing a report file whole: to "<path>.tmp" first, then renamed over
// `path`, so a reader never sees a half-written report.
#pragma once

#include <string>
#include <string_view>

#include "harness/common/status.h"

namespace faultline {

// kSystem with the path and the reason when any part fails (the temporary
// file is removed then).
Status WriteWholeFile(const std::string& path, std::string_view content);

}  // namespace faultline
