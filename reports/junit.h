// JUnit XML report, valid against junit-10.xsd (Jenkins xUnit).
//
// Layout: <testsuites> holds one <testsuite> per case-file directory (in the
// order directories first appear in the run); each holds <properties>
// (kernel, seed of its first case, command line) and one <testcase> per case
// variant:
//   name="NAME [ipv4]" classname="DIR.FILE-STEM" time="seconds"
// The schema has no `file` attribute on <testcase>: the case file path is
// the testsuite's `file` attribute when all its cases share one file, and is
// always the first line of the testcase's <system-out>.
// Outcomes: kFail -> <failure type="expectation" message=...> (body: step log),
// kError -> <error type="harness" ...>, kSkip -> <skipped message=...>.
// <system-out> of a failing, erroring or skipped case holds the step log,
// the packet expectations, the socket states and the packet log as text; a
// passing case's holds a summary (file, seed, description, pcaps, faults,
// the number of steps, packet expectations and packets, and where the logs
// are) unless JunitOptions::full_passing_log.
// Written as a stream (reports/write_file.h): one line of the packet log at
// a time, so a case of any size takes bounded memory.
// Bytes XML 1.0 cannot carry (NUL and other control bytes but \t \n \r, and
// invalid UTF-8) are written as \xNN.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

struct JunitOptions {
  // The whole log in the system-out of passing cases too (as failing ones).
  bool full_passing_log = false;
};

// The whole document, with an XML declaration.
std::string JunitXml(const RunResult& r, const JunitOptions& opts = {});

// Writes JunitXml(r) to `path` (replaced if it exists). kSystem on failure,
// with the path and the reason.
Status WriteJunit(const RunResult& r, const std::string& path, const JunitOptions& opts = {});

}  // namespace faultline
