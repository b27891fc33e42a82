#include "reports/write_file.h"

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace faultline {

Status WriteWholeFile(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::FromErrno("cannot create " + tmp, errno);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      int err = errno;
      std::remove(tmp.c_str());
      return Status::FromErrno("cannot write " + tmp, err);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return Status::FromErrno("cannot rename " + tmp + " to " + path, err);
  }
  return Status::Ok();
}

}  // namespace faultline
