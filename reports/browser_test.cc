// Loads real HTML reports in headless Chromium (Debian's `chromium`) and
// checks what a person would see: the page's scripts ran without an error,
// every case is there, the failing case's ladder SVG was drawn. Also takes
// the screenshot that README shows (docs/report.png):
//   FAULTLINE_REPORT_PNG=$PWD/docs/report.png
//     build/reports/faultline_reports_test --gtest_filter='Browser*Screenshot*'
// (one command line).
// Without chromium the tests skip, except under CI=true where they fail.
// Every browser run is bounded by timeout(1).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "reports/html.h"

#include "harness/packet/packet_dump.h"
#include "reports/synthetic_results.h"
#include "reports/test_results.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string Chromium() {
  if (const char* env = std::getenv("FAULTLINE_CHROMIUM")) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Lines of Chromium's log that report page script problems: any console
// message (the report logs nothing itself) or an uncaught exception.
std::vector<std::string> ConsoleErrors(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      out.push_back(line);
  }
  return out;
}

struct BrowserRun {
  int status = -1;  // exit status of timeout(1)+chromium; 124: timed out
  std::string dom;  // --dump-dom output (the DOM after scripts ran)
  std::string log;  // stderr
};

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = Chromium();
    if (chromium_.empty()) {
      if (InCi()) FAIL() << "chromium is missing (ci/install-deps.sh installs it); CI=true";
      GTEST_SKIP() << "chromium is not installed (apt-get install chromium)";
    }
    std::string tmpl = (fs::temp_directory_path() / "fl-browser-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs chromium headless on `page` with `mode` ("--dump-dom" or
  // "--screenshot=PATH --window-size=W,H"), a fresh profile, no network
  // services, at most 90 s.
  BrowserRun Load(const fs::path& page, const std::string& mode) {
    static int n = 0;
    fs::path profile = dir_ / ("profile-" + std::to_string(++n));
    fs::path out = dir_ / ("out-" + std::to_string(n)), err = dir_ / ("err-" + std::to_string(n));
    std::string cmd =
        "timeout -k 5 90 '" + chromium_ +
        "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update "
        "--disable-sync --user-data-dir='" +
        profile.string() + "' --enable-logging=stderr --v=0 --virtual-time-budget=5000 " + mode +
        " 'file://" + page.string() + "' > '" + out.string() + "' 2> '" + err.string() + "'";
    BrowserRun r;
    int rc = std::system(cmd.c_str());
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.dom = ReadAll(out);
    r.log = ReadAll(err);
    return r;
  }

  std::string chromium_;
  fs::path dir_;
};

// The sample run plus a longer, realistic failing case first: handshake with
// the first SYN dropped, a data exchange with a delayed and a duplicated
// segment, states on both ends, a failing `packets:` check.
RunResult ReportRun() {
  RunResult r = testing::SampleRun();
  CaseResult c = r.cases[1];
  c.name = "first-syn-lost";
  c.variant = "ipv4";
  c.file = "cases/faults/first-syn-lost.yaml";
  c.description =
      "The client's first SYN is dropped; connect() succeeds on the retransmission, after the 1 s "
      "initial RTO.";
  c.tags = {"tcp", "faults", "handshake"};
  c.duration_ns = 1'032'000'000;
  c.start_mono_ns = 1'000'000'000;
  c.message_loc = {"cases/faults/first-syn-lost.yaml", 14, 7};
  c.message =
      "cases/faults/first-syn-lost.yaml:14:7: step 2 (client: connect c to server:8080): expected "
      "took [900ms, 1.1s] vs actual took 1.21s";
  c.faults = {"drop client->any tcp SYN nth 1", "delay 40ms server->any tcp DATA nth 1",
              "duplicate client->any tcp DATA nth 2"};
  c.steps = {testing::Step(1, "server", "server: listen 8080 as ls", true),
             testing::Step(2, "client", "client: connect c to server:8080", false),
             testing::Step(3, "server", "server: accept ls as s", true),
             testing::Step(4, "client", "client: send c \"hello\"", true),
             testing::Step(5, "server", "server: recv s 5", true),
             testing::Step(6, "client", "client: close c", true)};
  c.steps[1].expected = "took [900ms, 1.1s]";
  c.steps[1].actual = "ret 0, took 1.21s";
  c.steps[1].failure = "expected took [900ms, 1.1s] vs actual took 1.21s";
  c.steps[1].start_offset_ns = 2'000'000;
  c.steps[1].took_ns = 1'210'000'000;
  for (int i = 2; i < 6; ++i)
    c.steps[static_cast<size_t>(i)].start_offset_ns = 1'215'000'000 + i * 3'000'000;
  c.steps[4].data = "hello";
  const int64_t t = 1'000'000'000;
  auto pk = [&](uint64_t n, int64_t at, const char* from, const char* to, const char* flags,
                uint32_t seq, uint32_t ack, uint32_t len) {
    PacketRecord p = testing::Packet(n, t + at, from, to, flags);
    p.rel_seq = seq;
    p.rel_ack = ack;
    p.payload_len = len;
    return p;
  };
  PacketRecord syn1 = pk(1, 2'100'000, "client", "server", "S", 0, 0, 0);
  syn1.release_ns = 0;
  syn1.fault = 1;
  syn1.fate = PacketFate::kDrop;
  syn1.action = "drop";
  PacketRecord data_s = pk(6, 1'221'000'000, "server", "client", "P.", 1, 6, 3);
  data_s.release_ns = data_s.arrival_ns + 40'000'000;
  data_s.fault = 2;
  data_s.fate = PacketFate::kDelay;
  data_s.action = "delay 40ms";
  PacketRecord dup = pk(4, 1'218'000'000, "client", "server", "P.", 1, 1, 5);
  dup.fault = 3;
  dup.fate = PacketFate::kDuplicate;
  dup.action = "duplicate";
  PacketRecord copy = dup;
  copy.seq_no = 5;
  copy.is_copy = true;
  c.packets = {syn1,
               pk(2, 1'203'000'000, "client", "server", "S", 0, 0, 0),
               pk(3, 1'203'200'000, "server", "client", "S.", 0, 1, 0),
               pk(7, 1'203'300'000, "client", "server", ".", 1, 1, 0),
               dup,
               copy,
               pk(8, 1'218'200'000, "server", "client", ".", 1, 6, 0),
               data_s,
               pk(9, 1'224'000'000, "client", "server", "F.", 6, 1, 0),
               pk(10, 1'224'300'000, "server", "client", ".", 1, 7, 0),
               pk(11, 1'262'000'000, "client", "server", ".", 7, 4, 0)};
  c.states = {{t + 2'000'000, "client", "c", "SYN_SENT"},
              {t + 1'203'250'000, "server", "client/c", "SYN_RECV"},
              {t + 1'203'310'000, "client", "c", "ESTABLISHED"},
              {t + 1'224'100'000, "client", "c", "FIN_WAIT1"},
              {t + 1'224'400'000, "client", "c", "FIN_WAIT2"},
              {t + 1'224'500'000, "server", "s", "CLOSE_WAIT"}};
  c.packet_checks[0].description = "client > server tcp SYN, sent";
  c.packet_checks[1].description = "client > server tcp SYN, received";
  c.pcaps = {{"client", "pcap/first-syn-lost-ipv4/client.pcap"},
             {"server", "pcap/first-syn-lost-ipv4/server.pcap"}};
  r.cases.insert(r.cases.begin(), c);
  return r;
}

TEST_F(BrowserTest, ReportLoadsWithoutScriptErrorsAndShowsTheCases) {
  RunResult run = ReportRun();
  fs::path page = dir_ / "report.html";
  ASSERT_TRUE(WriteHtml(run, page.string()).ok());
  BrowserRun b = Load(page, "--dump-dom");
  ASSERT_EQ(b.status, 0) << b.log;
  EXPECT_EQ(ConsoleErrors(b.log), std::vector<std::string>{}) << b.log;
  // The page script ran to its end.
  EXPECT_NE(b.dom.find("data-ready=\"1\""), std::string::npos) << b.dom.substr(0, 2000);
  // Every case, with its outcome.
  EXPECT_EQ(Count(b.dom, "<details class=\"case\""), run.cases.size());
  for (const char* name : {"first-syn-lost [ipv4]", "handshake [ipv4]", "udp echo [ipv4]",
                           "cubic [ipv4]", "syn &lt;drop&gt; &amp; \"retry\" [ipv6]"}) {
    EXPECT_NE(b.dom.find(name), std::string::npos) << name;
  }
  EXPECT_NE(b.dom.find("5 shown"), std::string::npos);
  // The failing case is open and its ladder was drawn: host header, the
  // dropped SYN's tooltip with the fault's description, state pills, steps.
  // (drawn SVG has a numeric width; the script's source has "'+width+'")
  const std::string drawn = "<svg class=\"lbody\" width=\"";
  size_t drawn_count = 0;
  for (size_t at = b.dom.find(drawn); at != std::string::npos; at = b.dom.find(drawn, at + 1)) {
    const size_t digit = at + drawn.size();
    if (digit < b.dom.size() && b.dom[digit] >= '0' && b.dom[digit] <= '9') ++drawn_count;
  }
  EXPECT_EQ(drawn_count, 2u);  // the two failing cases
  EXPECT_NE(b.dom.find(">wire</text>"), std::string::npos);
  EXPECT_NE(b.dom.find("fault 1: drop client-&gt;any tcp SYN nth 1"), std::string::npos);
  EXPECT_NE(b.dom.find("dropped at the wire"), std::string::npos);
  EXPECT_NE(b.dom.find("data-fate=\"drop\""), std::string::npos);
  EXPECT_NE(b.dom.find("data-fate=\"duplicate\""), std::string::npos);
  EXPECT_NE(b.dom.find(">FIN_WAIT2</text>"), std::string::npos);
  EXPECT_NE(b.dom.find(">connect c to server:8080</text>"), std::string::npos);
  EXPECT_NE(b.dom.find("released after 40.000ms"), std::string::npos);
  // The failing step row is highlighted.
  EXPECT_NE(b.dom.find("<tr class=\"bad\">"), std::string::npos);
}

// (fate, stroke colour) of every drawn packet arrow, in drawing order.
std::vector<std::pair<std::string, std::string>> ArrowColours(const std::string& dom) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string arrow = "<g class=\"pkt fate-", stroke_attr = "stroke=\"";
  for (size_t p = dom.find(arrow); p != std::string::npos; p = dom.find(arrow, p + 1)) {
    size_t f = p + arrow.size();
    std::string fate = dom.substr(f, dom.find('"', f) - f);
    // The script's own source has the same text with an expression here.
    if (fate.empty() || fate.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos)
      continue;
    size_t s = dom.find(stroke_attr, f);
    if (s == std::string::npos) break;
    s += stroke_attr.size();
    out.emplace_back(fate, dom.substr(s, dom.find('"', s) - s));
  }
  return out;
}

// A ladder is drawn in windows: of a failing 100,000-packet case (2,000
// embedded) only the arrows near the top of its scroll box are in the DOM,
// the first packet's among them; the page is ready well within the budget.
TEST_F(BrowserTest, BigLadderIsDrawnInWindows) {
  RunResult run;
  run.cases.push_back(testing::BulkCase(100'000, Outcome::kFail));
  fs::path page = dir_ / "big.html";
  ASSERT_TRUE(WriteHtml(run, page.string()).ok());
  BrowserRun b = Load(page, "--dump-dom");
  ASSERT_EQ(b.status, 0) << b.log;
  EXPECT_EQ(ConsoleErrors(b.log), std::vector<std::string>{}) << b.log;
  EXPECT_NE(b.dom.find("<body data-ready=\"1\""), std::string::npos);
  const size_t arrows = Count(b.dom, "<g class=\"pkt fate-");
  EXPECT_GT(arrows, 10u);
  EXPECT_LT(arrows, 400u);
  EXPECT_NE(b.dom.find("<title>#1 +"), std::string::npos);
  EXPECT_EQ(b.dom.find("<title>#100000 +"), std::string::npos);
}

// The ladder colours an arrow by the packet's fate: a different wording of
// the action (or an action that reads like another fate) changes nothing.
TEST_F(BrowserTest, ArrowColourFollowsTheFateNotTheActionText) {
  RunResult run;
  run.kernel = "6.1.0-test";
  CaseResult c = testing::SampleRun().cases[1];  // failing: its ladder is drawn at once
  c.packets.clear();
  const int64_t t = c.start_mono_ns + 1'000'000;
  auto pk = [&](uint64_t n, PacketFate fate, int fault, const char* action) {
    PacketRecord p =
        testing::Packet(n, t + static_cast<int64_t>(n) * 1'000'000, "client", "server", "S");
    p.fate = fate;
    p.fault = fault;
    p.action = action;
    if (fate == PacketFate::kDelay) p.release_ns = p.arrival_ns + 500'000;
    return p;
  };
  c.packets = {pk(1, PacketFate::kDelay, 2, "delay 200ms"),
               pk(2, PacketFate::kDelay, 2, "slowed down by a wording change"),
               pk(3, PacketFate::kPass, 0, "reorder 2/3"), pk(4, PacketFate::kPass, 0, "pass")};
  run.cases.push_back(c);
  fs::path page = dir_ / "fate.html";
  ASSERT_TRUE(WriteHtml(run, page.string()).ok());
  BrowserRun b = Load(page, "--dump-dom");
  ASSERT_EQ(b.status, 0) << b.log;
  EXPECT_EQ(ConsoleErrors(b.log), std::vector<std::string>{}) << b.log;
  std::vector<std::pair<std::string, std::string>> arrows = ArrowColours(b.dom);
  ASSERT_EQ(arrows.size(), 4u) << b.dom.substr(0, 3000);
  EXPECT_EQ(arrows[0], (std::pair<std::string, std::string>{"delay", "#0969da"}));
  EXPECT_EQ(arrows[1], arrows[0]);
  EXPECT_EQ(arrows[2], (std::pair<std::string, std::string>{"pass", "#57606a"}));
  EXPECT_EQ(arrows[3], arrows[2]);
  // The reorder mark is the fate's too: the pass packet whose action reads
  // "reorder 2/3" is labelled without it.
  EXPECT_NE(b.dom.find(">S seq 3 ack 1 len 0</text>"), std::string::npos);
  // The tooltip carries the summary line as PacketRecordLine() (harness/packet/packet_dump.h) gives
  // it.
  std::string summary = PacketRecordLine(c.packets[1]);
  std::string escaped;
  for (char ch : summary) escaped += ch == '>' ? std::string("&gt;") : std::string(1, ch);
  EXPECT_NE(b.dom.find(escaped), std::string::npos) << escaped;
}

// The checks above can fail: a page whose script throws is caught both by
// the log and by the missing data-ready mark.
TEST_F(BrowserTest, ScriptErrorIsDetected) {
  fs::path page = dir_ / "bad.html";
  std::ofstream(page) << "<!DOCTYPE html><html><body><script>missingFunction();"
                         "document.body.setAttribute('data-ready','1');</script></body></html>";
  BrowserRun b = Load(page, "--dump-dom");
  ASSERT_EQ(b.status, 0) << b.log;
  std::vector<std::string> errors = ConsoleErrors(b.log);
  ASSERT_FALSE(errors.empty()) << b.log;
  EXPECT_NE(errors[0].find("missingFunction"), std::string::npos) << errors[0];
  EXPECT_EQ(b.dom.find("data-ready=\"1\""), std::string::npos);
}

TEST_F(BrowserTest, ScreenshotOfAReport) {
  RunResult run = ReportRun();
  fs::path page = dir_ / "report.html";
  ASSERT_TRUE(WriteHtml(run, page.string()).ok());
  fs::path png = dir_ / "report.png";
  BrowserRun b = Load(page, "--screenshot='" + png.string() + "' --window-size=1400,1000");
  ASSERT_EQ(b.status, 0) << b.log;
  EXPECT_EQ(ConsoleErrors(b.log), std::vector<std::string>{}) << b.log;
  std::string bytes = ReadAll(png);
  ASSERT_GT(bytes.size(), 20'000u) << "screenshot too small to show anything";
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  if (const char* keep = std::getenv("FAULTLINE_REPORT_PNG")) {
    std::error_code ec;
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing, ec);
    EXPECT_FALSE(ec) << keep << ": " << ec.message();
  }
}

}  // namespace
}  // namespace faultline
