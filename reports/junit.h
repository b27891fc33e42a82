// JUnit XML report (pugixml), valid against junit-10.xsd (Jenkins xUnit).
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
// <system-out> holds the step log and the packet log as text.
// Bytes XML 1.0 cannot carry (NUL and other control bytes but \t \n \r, and
// invalid UTF-8) are written as \xNN.
#pragma once

#include <string>

#include "harness/common/status.h"
#include "harness/model/result.h"

namespace faultline {

// The whole document, with an XML declaration.
std::string JunitXml(const RunResult& r);

// Writes JunitXml(r) to `path` (replaced if it exists). kSystem on failure,
// with the path and the reason.
Status WriteJunit(const RunResult& r, const std::string& path);

}  // namespace faultline
