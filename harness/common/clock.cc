#include "harness/common/clock.h"

#include <chrono>

namespace faultline {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowNs() const override { return MonotonicNs(); }
  int64_t UnixMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& RealClock() {
  static const SystemClock* const clock = new SystemClock;  // never destroyed
  return *clock;
}

}  // namespace faultline
