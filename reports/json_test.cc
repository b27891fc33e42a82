#include "reports/json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "harness/packet/packet_dump.h"
#include "reports/test_results.h"
#include "reports/text_log.h"

namespace faultline {
namespace {

using nlohmann::json;

TEST(ReportJsonTest, IsValidJsonWithSchemaFields) {
  RunResult r = testing::SampleRun();
  std::string text = ReportJson(r);
  json j = json::parse(text);  // throws (fails the test) if invalid
  EXPECT_EQ(j["format"], "faultline-report");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["kernel"], "6.1.0-test");
  EXPECT_EQ(j["counts"]["total"], 4);
  EXPECT_EQ(j["counts"]["fail"], 1);
  ASSERT_EQ(j["cases"].size(), 4u);
  const json& fail = j["cases"][1];
  EXPECT_EQ(fail["full_name"], "syn <drop> & \"retry\" [ipv6]");
  EXPECT_EQ(fail["outcome"], "fail");
  EXPECT_EQ(fail["message_loc"]["line"], 12);
  EXPECT_EQ(fail["packets"][0]["release_ns"], 0);
  EXPECT_EQ(fail["packets"][0]["action"], "drop");
  EXPECT_EQ(fail["packets"][0]["fate"], "drop");
  EXPECT_EQ(fail["packets"][1]["fate"], "delay");
  EXPECT_EQ(fail["packets"][3]["fate"], "duplicate");
  EXPECT_EQ(j["cases"][0]["packets"][0]["fate"], "pass");
  EXPECT_EQ(fail["packets"][3]["is_copy"], true);
  // Step data with an invalid UTF-8 byte goes to data_base64.
  EXPECT_FALSE(fail["steps"][1].contains("data"));
  EXPECT_TRUE(fail["steps"][1].contains("data_base64"));
  EXPECT_EQ(j["cases"][0]["steps"][0]["data"], "");
}

TEST(ReportJsonTest, InvalidCaseFileIsAnEntry) {
  RunResult r = testing::SampleRun();
  r.cases.insert(r.cases.begin(), testing::InvalidFile());
  json j = json::parse(ReportJson(r));
  EXPECT_EQ(j["counts"]["error"], 2);
  const json& bad = j["cases"][0];
  EXPECT_EQ(bad["invalid_file"], true);
  EXPECT_EQ(bad["outcome"], "error");
  EXPECT_EQ(bad["name"], "cases/tcp/bad <x>.yaml");
  EXPECT_EQ(bad["full_name"], "cases/tcp/bad <x>.yaml");
  EXPECT_EQ(bad["variant"], "");
  EXPECT_EQ(bad["message"],
            "cases/tcp/bad <x>.yaml:2:1: unknown key 'timeot' in case (did you mean 'timeout'?)");
  EXPECT_EQ(j["cases"][1]["invalid_file"], false);
  StatusOr<RunResult> back = ParseReportJson(ReportJson(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->cases[0].invalid_file);
  EXPECT_FALSE(back->cases[1].invalid_file);
  EXPECT_EQ(ReportJson(*back), ReportJson(r));
}

TEST(ReportJsonTest, OnePacketPerLine) {
  RunResult r = testing::SampleRun();
  std::string text = ReportJson(r);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  // Four cases x 21 members, 3+4 packets, 2+2+1 steps, 3+2 states, 2 packet
  // checks, run members: well under one line per scalar, well over one line
  // per case.
  EXPECT_GT(lines, 80u);
  EXPECT_LT(lines, 160u);
  EXPECT_NE(text.find("\n    {\"n\":1,\"arrival_ns\":10000000,\"release_ns\":0,"),
            std::string::npos)
      << text;
}

TEST(ReportJsonTest, RoundTripEqual) {
  RunResult r = testing::SampleRun();
  // Control characters and NUL in text fields, any bytes in data.
  r.cases[0].name = std::string("n\0a\x1b\"\\/<>&\n\xc3\xa9", 13);
  r.cases[0].steps[0].data = std::string("\0\x01\xfe\xff", 4);
  r.cases[0].steps[1].data = "plain \xe2\x82\xac";
  r.cases[0].seed = 18'446'744'073'709'551'615ull;
  r.cases[0].packets[0].seq = 4'294'967'295u;
  r.cases[0].packets[0].arrival_ns = -5;

  StatusOr<RunResult> back = ParseReportJson(ReportJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // Every field is written, so equal documents mean equal results; spot-check
  // the tricky fields directly too.
  EXPECT_EQ(ReportJson(*back), ReportJson(r));
  ASSERT_EQ(back->cases.size(), r.cases.size());
  EXPECT_EQ(back->cases[0].name, r.cases[0].name);
  EXPECT_EQ(back->cases[0].steps[0].data, r.cases[0].steps[0].data);
  EXPECT_EQ(back->cases[0].steps[1].data, r.cases[0].steps[1].data);
  EXPECT_EQ(back->cases[1].steps[1].data, r.cases[1].steps[1].data);
  EXPECT_EQ(back->cases[0].seed, r.cases[0].seed);
  EXPECT_EQ(back->cases[0].packets[0].seq, 4'294'967'295u);
  EXPECT_EQ(back->cases[0].packets[0].arrival_ns, -5);
  EXPECT_EQ(back->cases[1].outcome, Outcome::kFail);
  EXPECT_EQ(back->cases[2].outcome, Outcome::kError);
  EXPECT_EQ(back->cases[3].outcome, Outcome::kSkip);
  EXPECT_EQ(back->cases[1].message_loc.column, 5);
  EXPECT_EQ(back->cases[1].packets[3].is_copy, true);
  EXPECT_EQ(back->cases[1].packets[0].fate, PacketFate::kDrop);
  EXPECT_EQ(back->cases[1].packets[1].fate, PacketFate::kDelay);
  EXPECT_EQ(back->cases[1].faults, r.cases[1].faults);
  ASSERT_EQ(back->cases[1].states.size(), 2u);
  EXPECT_EQ(back->cases[1].states[1].state, "SYN_RECV");
  EXPECT_EQ(back->cases[1].states[1].at_ns, 211'500'000);
  ASSERT_EQ(back->cases[1].packet_checks.size(), 2u);
  EXPECT_FALSE(back->cases[1].packet_checks[1].ok);
  EXPECT_EQ(back->cases[1].packet_checks[1].dump, r.cases[1].packet_checks[1].dump);
  EXPECT_EQ(back->cases[1].packet_checks[1].loc.line, 23);
  EXPECT_EQ(back->cases[0].start_mono_ns, 4'000'000);
  EXPECT_EQ(back->kernel, r.kernel);
  EXPECT_EQ(back->duration_ns, r.duration_ns);
  EXPECT_EQ(back->cases[0].tags, r.cases[0].tags);
}

// A scripted host is named as such in the environment's host list (it has
// no sysctls: no stack the case uses); a real host carries no such member.
TEST(ReportJsonTest, TransitionsAndNotesRoundTrip) {
  RunResult r = testing::SampleRun();
  CaseResult& c = r.cases[0];
  c.transitions = {
      {4'500'000, "client", "198.18.1.2:40000 > 198.18.2.2:8080", "FIN_WAIT1", "CLOSING"},
      {4'600'000, "client", "198.18.1.2:40000 > 198.18.2.2:8080", "CLOSING", "TIME_WAIT"}};
  c.notes = {
      "socket state history unavailable: bpf_map_create (hash): Operation not permitted; "
      "states are polled"};
  const std::string text = ReportJson(r);
  EXPECT_NE(text.find("\"transitions\""), std::string::npos) << text;
  StatusOr<RunResult> back = ParseReportJson(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->cases[0].transitions.size(), 2u);
  EXPECT_EQ(back->cases[0].transitions[1].to, "TIME_WAIT");
  EXPECT_EQ(back->cases[0].transitions[1].at_ns, 4'600'000);
  EXPECT_EQ(back->cases[0].notes, c.notes);
  EXPECT_EQ(ReportJson(*back), text);
}

TEST(ReportJsonTest, ScriptedHostIsMarkedInTheEnvironment) {
  RunResult r = testing::SampleRun();
  Environment::Host server;
  server.name = "server";
  server.sysctls.emplace_back("net.ipv4.tcp_sack", "1");
  r.cases[0].environment.hosts.push_back(server);
  r.cases[0].environment.hosts.push_back(Environment::Host{"peer", {}, true});
  const std::string text = ReportJson(r);
  json doc = json::parse(text);
  json hosts = doc["cases"][0]["environment"]["hosts"];
  ASSERT_EQ(hosts.size(), 2u) << hosts.dump();
  EXPECT_FALSE(hosts[0].contains("scripted")) << hosts.dump();
  EXPECT_EQ(hosts[1], json::parse(R"({"name":"peer","sysctls":[],"scripted":true})"));
  StatusOr<RunResult> back = ParseReportJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->cases[0].environment.hosts.size(), 2u);
  EXPECT_FALSE(back->cases[0].environment.hosts[0].scripted);
  EXPECT_TRUE(back->cases[0].environment.hosts[1].scripted);
}

// The members the packet log line shows beyond the basic ones: a merged
// report (`faultline report merge`) prints the same lines as the run did.
TEST(ReportJsonTest, PacketHeadersRoundTripAndKeepTheLogLine) {
  RunResult r = testing::SampleRun();
  PacketRecord& p = r.cases[0].packets[0];
  p.to = "";  // not a lab host: the line shows the address
  IpAddr src, dst;
  ASSERT_TRUE(IpAddr::Parse("2001:2:0:1::2", &src));
  ASSERT_TRUE(IpAddr::Parse("2001:db8::9", &dst));
  p.has_addrs = true;
  p.v6 = true;
  p.src_addr = src.bytes;
  p.dst_addr = dst.bytes;
  p.window = 502;
  const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
  std::copy(std::begin(opts), std::end(opts), p.tcp_options.begin());
  p.tcp_options_len = sizeof opts;
  PacketRecord& icmp = r.cases[0].packets[1];
  icmp.proto = "icmpv6";
  icmp.icmp_type = 2;
  icmp.icmp_mtu = 1280;

  const std::string text = ReportJson(r);
  EXPECT_NE(text.find("\"window\":502,\"tcp_options\":\"020405b401030307\",\"icmp_type\":0,"
                      "\"icmp_code\":0,\"icmp_mtu\":0,\"src\":\"2001:2:0:1::2\","
                      "\"dst\":\"2001:db8::9\""),
            std::string::npos)
      << text;
  StatusOr<RunResult> back = ParseReportJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ReportJson(*back), text);
  EXPECT_EQ(PacketLogText(back->cases[0]), PacketLogText(r.cases[0]));
  EXPECT_EQ(PacketRecordLine(back->cases[0].packets[0]),
            "client:40000 > 2001:db8::9:8080 tcp S seq 1 win 502 <mss 1460,nop,wscale 7> len 0");
  EXPECT_EQ(PacketRecordLine(back->cases[0].packets[1]),
            "server > client icmpv6 packet-too-big mtu 1280 len 0");

  json j = json::parse(text);
  j["cases"][0]["packets"][0]["tcp_options"] = "0204zz";
  StatusOr<RunResult> bad = ParseReportJson(j.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "/cases/0/packets/0/tcp_options: expected hex option bytes (at most 40)"),
            std::string::npos)
      << bad.status().message();
  j["cases"][0]["packets"][0]["tcp_options"] = "";
  j["cases"][0]["packets"][0]["dst"] = "nowhere";
  bad = ParseReportJson(j.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/cases/0/packets/0/dst: expected an IP address"),
            std::string::npos)
      << bad.status().message();
}

TEST(ReportJsonTest, CommandOutputRoundTrips) {
  RunResult r = testing::SampleRun();
  r.cases[0].steps.push_back(testing::CommandStep(3));
  StatusOr<RunResult> back = ParseReportJson(ReportJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const StepRecord& s = back->cases[0].steps.back();
  const StepRecord& want = r.cases[0].steps.back();
  EXPECT_EQ(s.argv, want.argv);
  EXPECT_EQ(s.command_end, "exit 0");
  EXPECT_EQ(s.stdout_text, want.stdout_text);
  EXPECT_EQ(s.stderr_text, want.stderr_text);
  EXPECT_EQ(s.stdout_bytes, 100000);
  // A socket step has no command member at all.
  EXPECT_FALSE(back->cases[0].steps[0].IsCommand());
  EXPECT_NE(ReportJson(r).find("\"command\""), std::string::npos);
}

// `when:`: a step not in the variant says so; other steps have no member.
TEST(ReportJsonTest, NotInVariantRoundTrips) {
  RunResult r = testing::SampleRun();
  StepRecord step;
  step.step_index = 3;
  step.not_in_variant = true;
  r.cases[0].steps.push_back(step);
  const std::string json = ReportJson(r);
  EXPECT_EQ(json.find("\"not_in_variant\""), json.rfind("\"not_in_variant\""));
  EXPECT_NE(json.find("\"not_in_variant\":true"), std::string::npos);
  StatusOr<RunResult> back = ParseReportJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->cases[0].steps.back().not_in_variant);
  EXPECT_FALSE(back->cases[0].steps.back().ran);
  EXPECT_FALSE(back->cases[0].steps[0].not_in_variant);
}

TEST(ReportJsonTest, TcpInfoSnapshotRoundTrips) {
  RunResult r = testing::SampleRun();
  StepRecord step;
  step.step_index = 3;
  step.description = "host: tcp_info snapshot fd4 for %{ }% block 1";
  step.snapshot = {{"tcpi_ca_state", 3}, {"tcpi_state", 1}};
  step.snapshot_bytes = 280;
  r.cases[0].steps.push_back(step);
  const std::string text = ReportJson(r);
  EXPECT_NE(
      text.find("\"snapshot\":{\"bytes\":280,\"values\":{\"tcpi_ca_state\":3,\"tcpi_state\":1}}"),
      std::string::npos)
      << text;
  StatusOr<RunResult> back = ParseReportJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->cases[0].steps.back().snapshot, step.snapshot);
  EXPECT_EQ(back->cases[0].steps.back().snapshot_bytes, 280u);
  EXPECT_EQ(text.find("\"snapshot\"", text.find("\"steps\"")), text.rfind("\"snapshot\""));
}

TEST(ReportJsonTest, InvalidUtf8InTextIsEscapedNotFatal) {
  RunResult r;
  CaseResult c;
  c.name = "bad\xff";
  r.cases.push_back(c);
  std::string text = ReportJson(r);
  json j = json::parse(text);
  EXPECT_EQ(j["cases"][0]["name"], "bad\\xff");
}

TEST(ParseReportJsonTest, RejectsNonJsonAndWrongFormat) {
  EXPECT_EQ(ParseReportJson("{").status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(ParseReportJson("[]").status().code(), StatusCode::kInvalidInput);
  StatusOr<RunResult> other = ParseReportJson(R"({"format":"other","version":1})");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("/format"), std::string::npos);
  StatusOr<RunResult> newer = ParseReportJson(R"({"format":"faultline-report","version":2})");
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("/version: expected 1 vs actual 2"), std::string::npos)
      << newer.status().message();
}

TEST(ParseReportJsonTest, NamesTheOffendingMember) {
  json j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][1]["packets"][2]["sport"] = "eighty";
  StatusOr<RunResult> r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/cases/1/packets/2/sport: expected an integer"),
            std::string::npos)
      << r.status().message();

  j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][0]["packets"][0]["sport"] = 70000;
  r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/cases/0/packets/0/sport"), std::string::npos);

  j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][3]["outcome"] = "flaky";
  r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/cases/3/outcome"), std::string::npos);

  j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][1]["steps"][1]["data_base64"] = "!!";
  r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/cases/1/steps/1/data_base64"), std::string::npos);
}

TEST(ParseReportJsonTest, EveryFateRoundTrips) {
  RunResult r = testing::SampleRun();
  std::vector<PacketFate> fates = {
      PacketFate::kPass,    PacketFate::kDrop,    PacketFate::kDelay,
      PacketFate::kHold,    PacketFate::kReorder, PacketFate::kDuplicate,
      PacketFate::kCorrupt, PacketFate::kInject,  PacketFate::kUnparsed};
  PacketRecord p = r.cases[0].packets[0];
  r.cases[0].packets.clear();
  for (PacketFate f : fates) {
    p.fate = f;
    r.cases[0].packets.push_back(p);
  }
  StatusOr<RunResult> back = ParseReportJson(ReportJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->cases[0].packets.size(), fates.size());
  for (size_t i = 0; i < fates.size(); ++i) {
    EXPECT_EQ(back->cases[0].packets[i].fate, fates[i]) << PacketFateName(fates[i]);
  }
}

TEST(ParseReportJsonTest, UnknownFateIsAClearError) {
  json j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][1]["packets"][0]["fate"] = "dropped";
  StatusOr<RunResult> r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(r.status().message(),
            "report JSON: /cases/1/packets/0/fate: expected one of pass, drop, delay, hold, "
            "reorder, duplicate, corrupt, inject, unparsed, scripted (not \"dropped\")");
  j["cases"][1]["packets"][0]["fate"] = "";
  EXPECT_FALSE(ParseReportJson(j.dump()).ok());
  j["cases"][1]["packets"][0]["fate"] = 1;
  r = ParseReportJson(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "report JSON: /cases/1/packets/0/fate: expected a string");
}

TEST(ParseReportJsonTest, MissingFateIsPass) {
  json j = json::parse(ReportJson(testing::SampleRun()));
  j["cases"][1]["packets"][0].erase("fate");
  StatusOr<RunResult> r = ParseReportJson(j.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cases[1].packets[0].fate, PacketFate::kPass);
  EXPECT_EQ(r->cases[1].packets[1].fate, PacketFate::kDelay);
}

TEST(ParseReportJsonTest, IgnoresUnknownMembersAndDefaultsMissingOnes) {
  StatusOr<RunResult> r = ParseReportJson(
      R"({"format":"faultline-report","version":1,"future":[1,2],
          "cases":[{"name":"x","variant":"ipv4","extra":{}}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->cases.size(), 1u);
  EXPECT_EQ(r->cases[0].FullName(), "x [ipv4]");
  EXPECT_EQ(r->cases[0].outcome, Outcome::kPass);
}

TEST(ReportJsonTest, TimingChecksKeepTheirKind) {
  RunResult r = testing::SampleRun();
  r.cases[1].packet_checks.push_back(testing::FailedTimingCheck());
  const std::string text = ReportJson(r);
  EXPECT_NE(text.find("\"kind\":\"timing\""), std::string::npos);
  StatusOr<RunResult> back = ParseReportJson(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->cases[1].packet_checks.size(), 3u);
  EXPECT_EQ(back->cases[1].packet_checks[0].kind, "packets");
  EXPECT_EQ(back->cases[1].packet_checks[2].kind, "timing");
  EXPECT_EQ(back->cases[1].packet_checks[2].failure, testing::FailedTimingCheck().failure);
}

}  // namespace
}  // namespace faultline
