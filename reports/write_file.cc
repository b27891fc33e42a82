#include "reports/write_file.h"

#include "harness/common/safe_file.h"

namespace faultline {

Status WriteWholeFile(const std::string& path, std::string_view content) {
  return ReplaceFile(path, content);
}

}  // namespace faultline
