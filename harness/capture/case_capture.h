// Glue between a case variant's lab and its capture: where the pcap file
// goes, what to start, and how to check `packets:` at the end. Used by the
// runner (harness/runner/case_runner.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/capture/capture.h"
#include "harness/common/status.h"
#include "harness/common/verdict.h"
#include "harness/lab/lab.h"
#include "harness/model/case.h"
#include "harness/model/result.h"

namespace faultline {

// Makes "OUT/pcap/<case-file-stem>-<variant>", the variant's pcap directory
// (one <host>.pcap per lab host goes in it), and returns its path;
// characters outside [A-Za-z0-9._-] replaced by '_'. Unique within this
// process: a name already handed out (two case files with one stem) gets
// "-2", "-3"... Creates OUT/pcap (and OUT); a symbolic link at any of the
// three is refused ("pcap directory: OUT/pcap: a symbolic link; refusing to
// write through it"). Thread-safe.
StatusOr<std::string> ReservePcapDir(const std::string& out_dir, const std::string& case_file,
                                     const std::string& variant);

// Starts capturing on every wire interface of `lab` (recording from the
// moment it returns) when the case has `packets:` or `timing:`, or `out_dir` is set (then
// writing one pcap per host, what its link carried, headers only unless the
// case says `capture: {full: true}`, into ReservePcapDir's directory, and
// setting result->pcaps); returns nullptr when neither. Call before the wire
// starts.
StatusOr<std::unique_ptr<Capture>> StartCaseCapture(const Case& c, const Lab& lab,
                                                    const std::string& out_dir, CaseResult* result);

// Lets packets in flight land (when there are `packets:` or `timing:`),
// stops the capture and checks `packets:`, then `timing:` (against the
// capture, result->steps and result->transitions), into result->packet_checks. A pass when all
// held (or there are none); a fail whose message is the case's first failed
// check; an error (its message without the case's location) when the
// capture itself failed or lost packets while the case had `packets:`
// expectations. `start_ns`: the case start on the runner's clock
// (CLOCK_MONOTONIC). `before_checks` (if set) runs once the packets have
// landed, before the checks: it fills result->transitions for the state
// events of `timing:`.
Verdict FinishCaseCapture(const Case& c, const Lab& lab, Capture& capture, int64_t start_ns,
                          CaseResult* result, const std::function<void()>& before_checks = {});

}  // namespace faultline
