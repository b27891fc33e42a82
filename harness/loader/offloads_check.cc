#include "harness/loader/offloads_check.h"

#include <fmt/format.h>

#include "harness/loader/yaml_value.h"

namespace faultline {

Status CheckOffloadFaults(const Case& c, const std::string& file) {
  const HostSpec* on = nullptr;
  for (const HostSpec& h : c.hosts) {
    if (h.offloads) {
      on = &h;
      break;
    }
  }
  if (on == nullptr) return Status::Ok();
  for (const Fault& f : c.faults) {
    const char* why = nullptr;
    if (f.action.kind == ActionKind::kCorrupt) {
      why =
          "the checksum is computed after the wire, so the receiver would take the corrupted "
          "bytes";
    } else if (f.action.kind == ActionKind::kDuplicate) {
      why = "the wire cannot send copies of GSO super-packets";
    } else if (f.action.kind == ActionKind::kBottleneck || f.action.kind == ActionKind::kSlots) {
      why =
          "a GSO super-packet would cross the link as one packet of up to 64 KB, not as the "
          "segments it becomes on the wire";
    }
    if (why == nullptr) continue;
    const Scope s{file, fmt::format("fault {}: ", f.index)};
    return s.Fail(f.loc, fmt::format("'{}' cannot be used when a host has offloads: true "
                                     "(host '{}'): {}",
                                     ActionName(f.action.kind), on->name, why));
  }
  return Status::Ok();
}

}  // namespace faultline
