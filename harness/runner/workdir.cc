#include "harness/runner/workdir.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace faultline {

StatusOr<std::unique_ptr<Workdir>> Workdir::Create(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string templ = fmt::format("{}/faultline-work-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(templ.data()) == nullptr) {
      return Status::FromErrno(fmt::format("creating a work directory {}", templ), errno);
    }
    return std::unique_ptr<Workdir>(new Workdir(templ));
  }
  fs::remove_all(path, ec);  // a previous run's; remove_all does not follow links
  if (ec) return Status::System(fmt::format("emptying work directory {}: {}", path, ec.message()));
  fs::create_directories(path, ec);
  if (ec) return Status::System(fmt::format("creating work directory {}: {}", path, ec.message()));
  return std::unique_ptr<Workdir>(new Workdir(path));
}

Workdir::~Workdir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: nothing to report to at teardown
}

}  // namespace faultline
