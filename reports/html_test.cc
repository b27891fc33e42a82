#include "reports/html.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness/packet/packet_dump.h"
#include "reports/test_results.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(HtmlReportTest, SelfContainedNoNetworkFetch) {
  std::string html = HtmlReport(testing::SampleRun());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("fetch("), std::string::npos);
  EXPECT_EQ(html.find("XMLHttpRequest"), std::string::npos);
  // The only hrefs are the pcap links (one per host), and they are relative.
  int hrefs = 0;
  for (size_t p = html.find("href=\""); p != std::string::npos; p = html.find("href=\"", p + 1)) {
    size_t b = p + 6;
    EXPECT_EQ(html.substr(b, html.find('"', b) - b),
              hrefs % 2 == 0 ? "out/handshake-ipv4/client.pcap" : "out/handshake-ipv4/server.pcap");
    ++hrefs;
  }
  EXPECT_EQ(hrefs, 6);  // pass, error and skip cases share the sample pcaps
}

TEST(HtmlReportTest, ContainsEveryCaseAndSummary) {
  RunResult r = testing::SampleRun();
  std::string html = HtmlReport(r);
  EXPECT_EQ(Count(html, "<details class=\"case\""), 4u);
  EXPECT_NE(html.find("handshake [ipv4]"), std::string::npos);
  EXPECT_NE(html.find("udp echo [ipv4]"), std::string::npos);
  EXPECT_NE(html.find("cubic [ipv4]"), std::string::npos);
  EXPECT_NE(html.find("syn &lt;drop&gt; &amp; &quot;retry&quot; [ipv6]"), std::string::npos);
  EXPECT_NE(html.find("kernel <code>6.1.0-test</code>"), std::string::npos);
  EXPECT_NE(html.find("faultline run cases/ --seed 7"), std::string::npos);
  EXPECT_NE(html.find("duration 3.46s"), std::string::npos);
  for (const char* st : {"pass", "fail", "error", "skip"}) {
    EXPECT_NE(html.find(std::string("data-outcome=\"") + st + "\""), std::string::npos) << st;
    EXPECT_NE(html.find(std::string("class=\"st\" value=\"") + st + "\""), std::string::npos);
  }
  // Tag filter offers each tag once.
  for (const char* tag : {"tcp", "smoke", "faults", "udp", "cc"}) {
    EXPECT_EQ(Count(html, std::string("<option value=\"") + tag + "\">"), 1u) << tag;
  }
  // One embedded packet data block per case; failing row highlighted.
  EXPECT_EQ(Count(html, "<script type=\"application/json\" id=\"pk-"), 4u);
  EXPECT_EQ(Count(html, "<tr class=\"bad\">"), 2u);  // the failing step and packets: check
  EXPECT_EQ(Count(html, "<tr class=\"notrun\">"), 1u);
}

TEST(HtmlReportTest, InvalidCaseFileIsAnErrorRow) {
  RunResult r = testing::SampleRun();
  r.cases.insert(r.cases.begin(), testing::InvalidFile());
  std::string html = HtmlReport(r);
  EXPECT_EQ(Count(html, "<details class=\"case\""), 5u);
  EXPECT_NE(html.find("<details class=\"case\" id=\"case-0\" data-outcome=\"error\" "
                      "data-tags=\"[]\" data-name=\"cases/tcp/bad &lt;x&gt;.yaml\" open>"),
            std::string::npos)
      << html.substr(0, 4000);
  EXPECT_NE(html.find("<div class=\"msg mono\">cases/tcp/bad &lt;x&gt;.yaml:2:1: unknown key "
                      "&#39;timeot&#39; in case (did you mean &#39;timeout&#39;?)</div>\n<p "
                      "class=\"muted\">invalid case file: it did not load, nothing ran</p>"),
            std::string::npos);
  // No ladder for it: the four cases that ran have theirs.
  EXPECT_EQ(Count(html, "<script type=\"application/json\" id=\"pk-"), 4u);
  EXPECT_EQ(Count(html, "id=\"pk-0\""), 0u);
}

TEST(HtmlReportTest, ShowsEachCaseDescription) {
  RunResult r = testing::SampleRun();
  r.cases[0].description = "Linux retransmits the SYN after 1 s (RFC 6298).";
  r.cases[1].description.clear();
  std::string html = HtmlReport(r);
  size_t at = html.find("<p>Linux retransmits the SYN after 1 s (RFC 6298).</p>");
  ASSERT_NE(at, std::string::npos);
  // In the first case's body, after its summary line and before the next case.
  EXPECT_GT(at, html.find("id=\"case-0\""));
  EXPECT_LT(at, html.find("id=\"case-1\""));
}

TEST(HtmlReportTest, ShowsACommandsOutputEscaped) {
  RunResult r = testing::SampleRun();
  r.cases[0].steps.push_back(testing::CommandStep(3));
  std::string html = HtmlReport(r);
  EXPECT_NE(html.find("<summary>command: exit 0</summary>"), std::string::npos);
  EXPECT_NE(html.find("<div>stdout (100000 bytes, the first kept)</div><pre class=\"out\">"
                      "&lt;html&gt;200 &amp; ok&lt;/html&gt;\nline 2\n</pre>"),
            std::string::npos);
  EXPECT_NE(html.find("&quot;http://198.18.2.2:8080/&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<html>200"), std::string::npos);
}

TEST(HtmlReportTest, ShowsAStepNotInThisVariant) {
  RunResult r = testing::SampleRun();
  StepRecord step;
  step.step_index = 3;
  step.not_in_variant = true;
  r.cases[0].steps.push_back(step);
  std::string html = HtmlReport(r);
  EXPECT_NE(html.find("<td>not in this variant</td>"), std::string::npos);
}

TEST(HtmlReportTest, ShowsATcpInfoSnapshot) {
  RunResult r = testing::SampleRun();
  StepRecord step;
  step.step_index = 3;
  step.ran = step.finished = true;
  step.snapshot = {{"tcpi_state", 1}, {"tcpi_snd_mss", 1448}};
  step.snapshot_bytes = 280;
  r.cases[0].steps.push_back(step);
  std::string html = HtmlReport(r);
  EXPECT_NE(html.find("<summary>tcp_info (280 bytes)</summary><pre class=\"out\">tcpi_state = 1\n"
                      "tcpi_snd_mss = 1448\n</pre>"),
            std::string::npos);
}

TEST(HtmlReportTest, EscapesNamesDataAndScriptBreakouts) {
  RunResult r = testing::SampleRun();
  r.cases[0].name = "<script>alert(1)</script>";
  r.cases[0].description = "<img onerror=x>";
  r.cases[0].tags = {"\"><b>"};
  r.cases[0].packets[0].action = "</script><script>alert(2)</script>";
  r.cases[0].packets[0].from = "<!--";
  r.cases[0].steps[0].data = std::string("\0<b>\x1b", 5);
  r.command_line = "faultline run '<x>' & y";
  std::string html = HtmlReport(r);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("\"><b>"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; [ipv4]"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(2)"), std::string::npos);
  EXPECT_NE(html.find("faultline run &#39;&lt;x&gt;&#39; &amp; y"), std::string::npos);
  // Exactly our own script elements: 4 data blocks + 1 code block.
  EXPECT_EQ(Count(html, "<script"), 5u);
  EXPECT_EQ(Count(html, "</script>"), 5u);
  // No raw NUL or ESC anywhere.
  EXPECT_EQ(html.find('\0'), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_NE(html.find("data &quot;\\x00&lt;b&gt;\\x1b&quot;"), std::string::npos);
}

TEST(HtmlReportTest, LadderDataRelativeTimesDropsAndHolds) {
  RunResult r = testing::SampleRun();
  std::string html = HtmlReport(r);
  // Case 1: times from the case start (start_mono_ns 4ms; first packet at
  // 10ms): dropped packet (release -1), delayed one released 201ms after the
  // first packet, a copy flagged 1. Hosts: client first.
  size_t start = html.find("id=\"pk-1\">");
  ASSERT_NE(start, std::string::npos);
  std::string data = html.substr(start, html.find("</script>", start) - start);
  EXPECT_NE(data.find("\"hosts\":[\"client\",\"server\"]"), std::string::npos) << data;
  // ..., action, copy, rel, fate, then the summary line (checked below).
  EXPECT_NE(data.find("[1,6000000,-1,0,1,\"tcp\",\"S\",1,1,0,1,\"drop\",0,1,\"drop\","),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("[2,7000000,207000000,0,1,\"tcp\",\"S\",2,1,0,2,\"delay 200ms\",0,1,"
                      "\"delay\","),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("[4,208000000,208000000,1,0,\"tcp\",\"S.\",3,1,0,3,\"duplicate\",1,1,"
                      "\"duplicate\","),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("\"gap_after\":-1"), std::string::npos);
  // Fault descriptions for the tooltip, state changes, and steps at their
  // start (2ms = start_offset_ns 2ms + start_mono_ns 4ms - origin 4ms).
  EXPECT_NE(data.find("\"faults\":[\"drop client-\\u003eany tcp SYN nth 1\","), std::string::npos)
      << data;
  EXPECT_NE(data.find("\"st\":[[6000000,0,\"c\",\"SYN_SENT\"],[207500000,1,\"client/c\","
                      "\"SYN_RECV\"]]"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("[2000000,0,\"connect c to server:8080\",0]"), std::string::npos) << data;
  // Step table "at" column, packet checks with the dump, numbered faults.
  EXPECT_NE(html.find("<td class=\"mono\">+2.000ms</td>"), std::string::npos);
  EXPECT_NE(html.find("expected count 2 vs actual 1<div class=\"dump mono\">#2 +1.000000s "
                      "delivered to server  client:40000 &gt; server:8080 tcp S seq 0 win 64240 "
                      "len 0</div>"),
            std::string::npos);
  EXPECT_NE(html.find("2: delay 200ms client-&gt;any tcp SYN nth 2"), std::string::npos);
}

// The state history's transitions are state markers on the host's column.
TEST(HtmlReportTest, TransitionsAreStateMarkers) {
  RunResult r = testing::SampleRun();
  r.cases[1].transitions = {
      {9'000'000, "client", "198.18.1.2:40000 > 198.18.2.2:8080", "FIN_WAIT1", "CLOSING"}};
  std::string html = HtmlReport(r);
  size_t start = html.find("id=\"pk-1\">");
  ASSERT_NE(start, std::string::npos);
  std::string data = html.substr(start, html.find("</script>", start) - start);
  EXPECT_NE(data.find("[5000000,0,\"198.18.1.2:40000 \\u003e 198.18.2.2:8080 FIN_WAIT1 -\\u003e "
                      "CLOSING\",\"CLOSING\"]]"),
            std::string::npos)
      << data;
}

// The ladder's data as the page script receives it.
nlohmann::json LadderPackets(const std::string& html, int i) {
  const std::string open = "id=\"pk-" + std::to_string(i) + "\">";
  size_t start = html.find(open);
  if (start == std::string::npos) return nullptr;
  start += open.size();
  nlohmann::json d =
      nlohmann::json::parse(html.substr(start, html.find("</script>", start) - start), nullptr,
                            /*allow_exceptions=*/false);
  return d.is_discarded() ? nlohmann::json() : d["p"];
}

TEST(HtmlReportTest, LadderCarriesFateAndSummaryAsTheyAre) {
  RunResult r = testing::SampleRun();
  nlohmann::json p = LadderPackets(HtmlReport(r), 1);
  ASSERT_TRUE(p.is_array());
  ASSERT_EQ(p.size(), r.cases[1].packets.size());
  for (size_t k = 0; k < p.size(); ++k) {
    const PacketRecord& want = r.cases[1].packets[k];
    EXPECT_EQ(p[k][14], PacketFateName(want.fate)) << k;
    EXPECT_EQ(p[k][15], PacketRecordLine(want)) << k;  // whatever the one dump line says
  }
}

// The script colours by the fate alone: a different wording of the action
// changes only the action member of the data, never the fate it reads.
TEST(HtmlReportTest, ActionWordingDoesNotReachTheFate) {
  RunResult a = testing::SampleRun();
  RunResult b = a;
  for (PacketRecord& pk : b.cases[1].packets) pk.action = "reorder 2/3 (was: " + pk.action + ")";
  nlohmann::json pa = LadderPackets(HtmlReport(a), 1), pb = LadderPackets(HtmlReport(b), 1);
  ASSERT_TRUE(pa.is_array());
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t k = 0; k < pa.size(); ++k) {
    EXPECT_NE(pa[k][11], pb[k][11]);
    EXPECT_EQ(pa[k][14], pb[k][14]) << k;
  }
  // And the script has no regular expression over the action (p[11]).
  const std::string html = HtmlReport(a);
  EXPECT_EQ(html.find(".test(a)"), std::string::npos);
  EXPECT_EQ(html.find(".test(p[11])"), std::string::npos);
}

TEST(HtmlReportTest, NoCaseStartMeansFirstEventOrigin) {
  RunResult r = testing::SampleRun();
  r.cases[1].start_mono_ns = 0;
  std::string html = HtmlReport(r);
  size_t start = html.find("id=\"pk-1\">");
  std::string data = html.substr(start, html.find("</script>", start) - start);
  EXPECT_NE(data.find("[1,0,-1,0,1,\"tcp\""), std::string::npos) << data;
  EXPECT_NE(data.find("\"sp\":[]"), std::string::npos) << data;  // no origin for steps
}

CaseResult BigCase(int packets) {
  CaseResult c;
  c.name = "big";
  c.variant = "ipv4";
  for (int i = 0; i < packets; ++i) {
    c.packets.push_back(testing::Packet(static_cast<uint64_t>(i + 1), 1'000'000 + i * 1000,
                                        i % 2 ? "server" : "client", i % 2 ? "client" : "server",
                                        "."));
  }
  return c;
}

std::string LadderData(const std::string& html, int i) {
  size_t s = html.find("id=\"pk-" + std::to_string(i) + "\">");
  return html.substr(s, html.find("</script>", s) - s);
}

TEST(HtmlReportTest, CaseOf2000PacketsIsDrawnWhole) {
  RunResult r;
  r.cases.push_back(BigCase(2000));
  std::string html = HtmlReport(r);
  std::string data = LadderData(html, 0);
  EXPECT_NE(data.find("\"gap_after\":-1"), std::string::npos);
  EXPECT_NE(data.find("[1000,"), std::string::npos);
  EXPECT_NE(data.find("[2000,"), std::string::npos);
  EXPECT_EQ(html.find("the ladder shows the first"), std::string::npos);
}

TEST(HtmlReportTest, CaseOverTheCapIsCappedWithNote) {
  RunResult r;
  r.cases.push_back(BigCase(3000));
  std::string html = HtmlReport(r);
  std::string data = LadderData(html, 0);
  EXPECT_NE(html.find("the ladder shows the first 1000 and the last 1000"), std::string::npos);
  EXPECT_NE(data.find("\"gap_after\":1000"), std::string::npos);
  EXPECT_NE(data.find("\"total\":3000"), std::string::npos);
  EXPECT_NE(data.find("[1000,"), std::string::npos);
  EXPECT_EQ(data.find("[1001,"), std::string::npos);
  EXPECT_EQ(data.find("[2000,"), std::string::npos);
  EXPECT_NE(data.find("[2001,"), std::string::npos);
}

TEST(HtmlReportTest, BigRunSharesThePageBudgetFailingCasesFirst) {
  RunResult r;
  for (int k = 0; k < 500; ++k) r.cases.push_back(BigCase(2000));
  r.cases[7].outcome = Outcome::kFail;
  std::vector<size_t> caps = HtmlLadderCaps(r);
  ASSERT_EQ(caps.size(), 500u);
  EXPECT_EQ(caps[7], kHtmlLadderMaxPackets);
  // (250,000 - 2,000) / 499 = 496.99 -> 496 each.
  EXPECT_EQ(caps[0], 496u);
  EXPECT_EQ(caps[499], 496u);

  std::string html = HtmlReport(r);
  EXPECT_EQ(Count(html, "<details class=\"case\""), 500u);
  EXPECT_NE(html.find("the ladder shows the first 248 and the last 248"), std::string::npos);
  EXPECT_NE(LadderData(html, 0).find("\"gap_after\":248"), std::string::npos);
  EXPECT_NE(LadderData(html, 7).find("\"gap_after\":-1"), std::string::npos);
  EXPECT_EQ(LadderData(html, 0).find("[1000,"), std::string::npos);
  EXPECT_NE(LadderData(html, 0).find("[1753,"), std::string::npos);
  // Bounded size: ~140 bytes per embedded packet at most (the fate and the
  // one-line dump for the tooltip, with window and options, take ~70).
  EXPECT_LT(html.size(), kHtmlPacketBudget * 140u) << html.size();  // < 35 MB
}

TEST(HtmlReportTest, SmallRunsAreNeverCapped) {
  RunResult r;
  for (int k = 0; k < 100; ++k) r.cases.push_back(BigCase(1500));
  for (size_t cap : HtmlLadderCaps(r)) EXPECT_EQ(cap, kHtmlLadderMaxPackets);
}

TEST(WriteHtmlTest, PcapLinkRelativeToReportDirectory) {
  std::string tmpl = (fs::temp_directory_path() / "fl-html-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  fs::path dir(tmpl);
  fs::create_directories(dir / "out" / "pcaps");
  RunResult r = testing::SampleRun();
  r.cases[0].pcaps = {{"client", (dir / "out" / "pcaps" / "a b#1" / "client.pcap").string()},
                      {"se<r>ver", (dir / "out" / "pcaps" / "a b#1" / "s.pcap").string()}};
  std::string path = (dir / "out" / "report.html").string();
  ASSERT_TRUE(WriteHtml(r, path).ok());
  std::ifstream in(path);
  std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(html.find("pcap: <a href=\"pcaps/a%20b%231/client.pcap\">client</a> "
                      "<a href=\"pcaps/a%20b%231/s.pcap\">se&lt;r&gt;ver</a>"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  fs::remove_all(dir);
}

TEST(WriteHtmlTest, UnwritablePathIsAnError) {
  Status st = WriteHtml(testing::SampleRun(), "/nonexistent-dir/x/report.html");
  EXPECT_EQ(st.code(), StatusCode::kSystem);
  EXPECT_NE(st.message().find("/nonexistent-dir/x/report.html"), std::string::npos);
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

// The ladder's column of a scripted host is titled "peer (scripted)": known
// from the environment, or from the wire's log when there is none (a packet
// taken off toward it, or one the case sent from it).
TEST(HtmlReportTest, ScriptedHostsColumnSaysSo) {
  RunResult r = testing::SampleRun();
  CaseResult& c = r.cases[1];
  c.packets.clear();
  c.packets.push_back(testing::Packet(1, 10'000'000, "peer", "server", "S"));
  c.packets.back().fate = PacketFate::kScripted;
  c.packets.back().action = "scripted send";
  c.packets.push_back(testing::Packet(2, 11'000'000, "server", "peer", "S."));
  c.packets.back().fate = PacketFate::kScripted;
  c.packets.back().action = "scripted take";
  const std::string from_log = LadderData(HtmlReport(r), 1);
  EXPECT_NE(from_log.find("\"peer (scripted)\""), std::string::npos) << from_log;
  EXPECT_EQ(from_log.find("\"server (scripted)\""), std::string::npos) << from_log;
  // Only the take: still the scripted host's column.
  c.packets.erase(c.packets.begin());
  EXPECT_NE(LadderData(HtmlReport(r), 1).find("\"peer (scripted)\""), std::string::npos);
  // No packets toward it at all: the environment says so.
  c.packets.clear();
  c.environment.hosts.push_back(Environment::Host{"peer", {}, true});
  c.steps.push_back(testing::Step(9, "peer", "peer: send tcp S", true));
  EXPECT_NE(LadderData(HtmlReport(r), 1).find("\"peer (scripted)\""), std::string::npos);
}

TEST(HtmlReportTest, ScriptedFateHasItsOwnColourAndMarker) {
  std::string html = HtmlReport(testing::SampleRun());
  EXPECT_NE(html.find("if(f==='scripted')return '#1a7f37';"), std::string::npos);
  EXPECT_NE(html.find("if(p[14]==='scripted')s='\\u270e '+s;"), std::string::npos);
}

TEST(HtmlReportTest, TimingChecksShareTheChecksTable) {
  RunResult r = testing::SampleRun();
  r.cases[1].packet_checks.push_back(testing::FailedTimingCheck());
  const std::string html = HtmlReport(r);
  EXPECT_NE(html.find("<td title=\"t.yaml:20:5\">timing 1</td>"), std::string::npos);
  EXPECT_NE(html.find("<td title=\"cases/tcp/syn_drop.yaml:20:5\">1</td>"), std::string::npos);
}

// 64 KB of received data: the step table shows its first 512 bytes and
// its length, not all of it.
TEST(HtmlStepTableTest, LongDataIsCutWithItsLength) {
  RunResult r = testing::SampleRun();
  r.cases[0].steps[1].data = std::string(65536, 'z');
  const std::string html = HtmlReport(r);
  EXPECT_NE(html.find("<div class=\"data mono\">data &quot;" + std::string(512, 'z') +
                      "&quot; (65536 bytes, the first 512 shown)</div>"),
            std::string::npos);
  EXPECT_EQ(html.find(std::string(513, 'z')), std::string::npos);
}

}  // namespace
}  // namespace faultline
