// Faults that cannot act correctly on a lab where some host keeps its
// offloads on (`offloads: true`): there the wire sees GSO super-packets (up
// to 64 KB, several segments) whose transport checksum the kernel has not
// computed yet (it is computed after the wire, or never on a veth).
//
//  - corrupt: the receiver would take the flipped byte (the checksum is
//    computed over the corrupted payload, or not checked), so the fault would
//    silently not do what it says;
//  - duplicate: a copy of a super-packet cannot be sent as one packet (it is
//    larger than the MTU) and a copy of a small one would carry an
//    unfinished checksum and be discarded.
//
// Both are load errors ("fault N: ..."), located at the fault.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/model/case.h"

namespace faultline {

// kInvalidInput "FILE:LINE:COL: fault N: ..." for the first such fault, OK
// otherwise (and always OK when no host has offloads on).
Status CheckOffloadFaults(const Case& c, const std::string& file);

}  // namespace faultline
