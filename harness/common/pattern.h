// The bytes a case sends for `size: N`: a repeating, printable pattern
// ("abc...xyz0123...9abc..."), so a reordered or duplicated byte shows in a
// diff. The peer expands sizes itself: large writes never cross the control
// socket.
#pragma once

#include <cstdint>
#include <string>

namespace faultline {

std::string PatternBytes(int64_t n);

}  // namespace faultline
