// The reports written as streams are the reports written before as whole
// documents: each writer's output for a set of runs is compared with the
// output of the whole-document writers (reports/testdata/, made by them with
// FAULTLINE_WRITE_GOLDENS=DIR set). Small outputs are kept whole (a failure
// shows the first difference); large ones as size and FNV-1a 64 hash.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"
#include "reports/synthetic_results.h"
#include "reports/test_results.h"

namespace faultline {
namespace {

std::string Fnv(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return fmt::format("{} {:016x}", s.size(), h);
}

// The runs compared: the sample run, the sample with every kind of record
// and awkward text, an empty run, and two bulk cases (one over the ladder's
// cap).
std::map<std::string, RunResult> Runs() {
  std::map<std::string, RunResult> runs;
  runs["sample"] = testing::SampleRun();
  RunResult mixed = testing::SampleRun();
  mixed.cases[0].steps.push_back(testing::CommandStep(3));
  mixed.cases[0].steps[0].snapshot = {{"tcpi_rtt", 120}, {"tcpi_snd_cwnd", 10}};
  mixed.cases[0].steps[0].snapshot_bytes = 232;
  mixed.cases[0].name = std::string("a\0b\x1b\t\r\n'", 8);
  mixed.cases[0].transitions = {{5'100'000, "server", "ls", "LISTEN", "SYN_RECV"}};
  mixed.cases[0].counters = {{"client", "TcpExtTCPTimeouts", 1, true, "1", true}};
  mixed.cases[0].notes = {"a note <b>"};
  mixed.cases[1].packet_checks.push_back(testing::FailedTimingCheck());
  mixed.cases[1].capture_dropped = 3;
  mixed.cases.push_back(testing::InvalidFile());
  runs["mixed"] = mixed;
  runs["empty"] = RunResult{};
  RunResult bulk;
  bulk.start_unix_ms = 1'790'000'000'000;
  bulk.kernel = "6.1.0-test";
  bulk.command_line = "faultline run cases/perf";
  bulk.cases.push_back(testing::BulkCase(300, Outcome::kFail, 100));
  bulk.cases.push_back(testing::BulkCase(2200, Outcome::kPass, 100));
  bulk.cases[1].name = "bulk-long";
  runs["bulk"] = bulk;
  return runs;
}

// The page without its script's code (the ladder's drawing changed on
// purpose: it draws in windows); everything the page shows is compared.
std::string WithoutCode(std::string html) {
  const size_t at = html.rfind("<script>");
  const size_t end = html.find("</script>", at);
  if (at != std::string::npos && end != std::string::npos) html.erase(at, end - at);
  return html;
}

struct Output {
  std::string name, text;
  bool whole;
};

std::vector<Output> Outputs() {
  std::vector<Output> out;
  for (const auto& [name, run] : Runs()) {
    const bool small = name != "bulk";
    out.push_back({name + ".json", ReportJson(run), small});
    out.push_back(
        {name + ".junit.xml", JunitXml(run, JunitOptions{.full_passing_log = true}), small});
    out.push_back({name + ".html", WithoutCode(HtmlReport(run)), false});
  }
  return out;
}

std::string Dir() { return FAULTLINE_REPORTS_TESTDATA; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(GoldenTest, StreamedReportsEqualTheWholeDocumentWriters) {
  if (const char* dir = std::getenv("FAULTLINE_WRITE_GOLDENS")) {
    std::ofstream sums(std::string(dir) + "/hashes.txt");
    for (const Output& o : Outputs()) {
      if (o.whole) std::ofstream(std::string(dir) + "/" + o.name, std::ios::binary) << o.text;
      sums << o.name << " " << Fnv(o.text) << "\n";
    }
    GTEST_SKIP() << "goldens written to " << dir;
  }
  std::map<std::string, std::string> sums;
  std::istringstream in(ReadAll(Dir() + "/hashes.txt"));
  std::string file, size, hash;
  while (in >> file >> size >> hash) sums[file] = size + " " + hash;
  ASSERT_FALSE(sums.empty()) << Dir();
  for (const Output& o : Outputs()) {
    SCOPED_TRACE(o.name);
    if (o.whole) {
      const std::string want = ReadAll(Dir() + "/" + o.name);
      size_t i = 0;
      while (i < want.size() && i < o.text.size() && want[i] == o.text[i]) ++i;
      EXPECT_EQ(o.text, want) << "first difference at byte " << i;
    }
    EXPECT_EQ(Fnv(o.text), sums[o.name]);
  }
}

}  // namespace
}  // namespace faultline
