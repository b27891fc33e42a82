#include "reports/junit.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pugixml.hpp>

#include "reports/synthetic_results.h"
#include "reports/test_results.h"

#ifndef FAULTLINE_JUNIT_XSD
#error "FAULTLINE_JUNIT_XSD must name junit-10.xsd (set in reports/CMakeLists.txt)"
#endif

namespace faultline {
namespace {

namespace fs = std::filesystem;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

bool HaveXmllint() { return std::system("command -v xmllint >/dev/null 2>&1") == 0; }

// A fresh directory under the test temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fl-junit-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// xmllint's exit status and output for `file` against the schema.
int Xmllint(const std::string& file, std::string* output) {
  std::string out_file = file + ".xmllint";
  std::string cmd =
      "xmllint --noout --schema '" FAULTLINE_JUNIT_XSD "' '" + file + "' > '" + out_file + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(out_file);
  output->assign(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class JunitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    if (!HaveXmllint()) {
      if (InCi()) FAIL() << "xmllint is missing (install libxml2-utils); CI=true";
      GTEST_SKIP() << "xmllint is not installed";
    }
    // The published schema lives beside the repository (../shared/schemas, or
    // -DFAULTLINE_JUNIT_XSD=PATH); without it nothing can be validated.
    if (!fs::exists(FAULTLINE_JUNIT_XSD)) {
      GTEST_SKIP() << "no JUnit schema at " FAULTLINE_JUNIT_XSD
                      " (configure with "
                      "-DFAULTLINE_JUNIT_XSD=PATH)";
    }
  }
  TempDir dir_;
};

TEST_F(JunitTest, SampleRunValidatesAgainstSchema) {
  std::string path = dir_.path() + "/junit.xml";
  ASSERT_TRUE(WriteJunit(testing::SampleRun(), path).ok());
  std::string output;
  EXPECT_EQ(Xmllint(path, &output), 0) << output;
}

TEST_F(JunitTest, EmptyRunValidates) {
  std::string path = dir_.path() + "/empty.xml";
  ASSERT_TRUE(WriteJunit(RunResult{}, path).ok());
  std::string output;
  EXPECT_EQ(Xmllint(path, &output), 0) << output;
}

TEST_F(JunitTest, SchemaCheckCanFail) {
  // The validation step really rejects a document the schema forbids
  // (a `file` attribute on <testcase>), so the test above means something.
  std::string path = dir_.path() + "/bad.xml";
  std::ofstream(path) << "<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" "
                         "errors=\"0\"><testcase name=\"x\" file=\"y\"/></testsuite></testsuites>";
  std::string output;
  EXPECT_NE(Xmllint(path, &output), 0) << output;
}

TEST_F(JunitTest, ControlBytesAndMarkupInDataStillValidate) {
  RunResult r = testing::SampleRun();
  r.cases[0].name = std::string("n\0<&>\"'\x01\x7f\xfe", 10);
  r.cases[0].description = std::string("\x0b\x0c\x1b[0m", 6);
  r.kernel = std::string("k\0", 2);
  r.cases[0].message = "]]> <![CDATA[ x";
  r.cases[0].outcome = Outcome::kFail;
  std::string path = dir_.path() + "/special.xml";
  ASSERT_TRUE(WriteJunit(r, path).ok());
  std::string output;
  EXPECT_EQ(Xmllint(path, &output), 0) << output;
}

// Issue 17, finding 6: an invalid case file is an error testcase (the run
// exits 2; the JUnit must not say all passed).
TEST_F(JunitTest, InvalidCaseFileValidates) {
  RunResult r = testing::SampleRun();
  r.cases.insert(r.cases.begin(), testing::InvalidFile());
  std::string path = dir_.path() + "/invalid.xml";
  ASSERT_TRUE(WriteJunit(r, path).ok());
  std::string output;
  EXPECT_EQ(Xmllint(path, &output), 0) << output;
}

TEST(JunitStructureTest, InvalidCaseFileIsAnErrorTestcase) {
  RunResult r;
  r.cases.push_back(testing::InvalidFile());
  pugi::xml_document doc;
  std::string xml = JunitXml(r);
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  pugi::xml_node root = doc.child("testsuites");
  EXPECT_STREQ(root.attribute("tests").value(), "1");
  EXPECT_STREQ(root.attribute("errors").value(), "1");
  pugi::xml_node suite = root.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "cases/tcp");
  EXPECT_STREQ(suite.attribute("errors").value(), "1");
  pugi::xml_node tc = suite.child("testcase");
  EXPECT_STREQ(tc.attribute("name").value(), "cases/tcp/bad <x>.yaml");
  EXPECT_STREQ(tc.attribute("classname").value(), "tcp.bad <x>");
  pugi::xml_node err = tc.child("error");
  ASSERT_TRUE(err) << xml;
  EXPECT_STREQ(err.attribute("message").value(),
               "cases/tcp/bad <x>.yaml:2:1: unknown key 'timeot' in case (did you mean "
               "'timeout'?)");
  EXPECT_STREQ(err.attribute("type").value(), "invalid case file");
}

TEST(JunitStructureTest, SuitesCasesAndOutcomes) {
  RunResult r = testing::SampleRun();
  std::string xml = JunitXml(r);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  pugi::xml_node root = doc.child("testsuites");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("tests").value(), "4");
  EXPECT_STREQ(root.attribute("failures").value(), "1");
  EXPECT_STREQ(root.attribute("errors").value(), "1");
  EXPECT_STREQ(root.attribute("time").value(), "3.456");

  // cases/tcp (3 cases) first, then cases/udp.
  pugi::xml_node tcp = root.child("testsuite");
  ASSERT_TRUE(tcp);
  EXPECT_STREQ(tcp.attribute("name").value(), "cases/tcp");
  EXPECT_STREQ(tcp.attribute("tests").value(), "3");
  EXPECT_STREQ(tcp.attribute("failures").value(), "1");
  EXPECT_STREQ(tcp.attribute("errors").value(), "0");
  EXPECT_STREQ(tcp.attribute("skipped").value(), "1");
  pugi::xml_node udp = tcp.next_sibling("testsuite");
  ASSERT_TRUE(udp);
  EXPECT_STREQ(udp.attribute("name").value(), "cases/udp");
  EXPECT_STREQ(udp.attribute("file").value(), "cases/udp/echo.yaml");
  EXPECT_FALSE(udp.next_sibling("testsuite"));

  pugi::xml_node props = tcp.child("properties");
  EXPECT_STREQ(
      props.find_child_by_attribute("property", "name", "kernel").attribute("value").value(),
      "6.1.0-test");
  EXPECT_STREQ(props.find_child_by_attribute("property", "name", "seed").attribute("value").value(),
               "7");

  pugi::xml_node pass = tcp.child("testcase");
  EXPECT_STREQ(pass.attribute("name").value(), "handshake [ipv4]");
  EXPECT_STREQ(pass.attribute("classname").value(), "tcp.handshake");
  EXPECT_STREQ(pass.attribute("time").value(), "0.012");
  EXPECT_FALSE(pass.child("failure"));
  EXPECT_FALSE(pass.child("error"));
  EXPECT_FALSE(pass.child("skipped"));
  // A passing case's system-out is a summary (issue 20); the logs are in
  // the JSON and HTML reports.
  EXPECT_EQ(std::string(pass.child("system-out").text().get()),
            "file: cases/tcp/handshake.yaml\n"
            "seed: 7\n"
            "description: three-way handshake\n"
            "pcap client: out/handshake-ipv4/client.pcap\n"
            "pcap server: out/handshake-ipv4/server.pcap\n"
            "steps: 2, all passed\n"
            "packets: 3\n"
            "the step and packet logs are in the JSON and HTML reports\n");

  pugi::xml_node fail = pass.next_sibling("testcase");
  EXPECT_STREQ(fail.attribute("name").value(), "syn <drop> & \"retry\" [ipv6]");
  EXPECT_STREQ(fail.attribute("classname").value(), "tcp.syn_drop");
  pugi::xml_node failure = fail.child("failure");
  ASSERT_TRUE(failure);
  EXPECT_STREQ(failure.attribute("type").value(), "expectation");
  EXPECT_EQ(std::string(failure.attribute("message").value()), r.cases[1].message);
  std::string body = failure.text().get();
  EXPECT_NE(body.find("FAIL: expected ret 0 vs actual ret -1 ECONNREFUSED"), std::string::npos)
      << body;
  // NUL, ESC and the invalid byte of the received data arrive as text escapes.
  EXPECT_NE(body.find(R"(data "a<b>&\"c\x00\x01\x1b[31m\xff")"), std::string::npos) << body;
  std::string fout = fail.child("system-out").text().get();
  EXPECT_NE(fout.find("[fault 1: drop] | dropped"), std::string::npos) << fout;
  EXPECT_NE(fout.find("[fault 2: delay 200ms] | released +201.000ms"), std::string::npos) << fout;
  EXPECT_NE(fout.find("| copy"), std::string::npos) << fout;
  EXPECT_NE(fout.find("faults:\n  1: drop client->any tcp SYN nth 1\n  2: delay 200ms"),
            std::string::npos)
      << fout;
  EXPECT_NE(fout.find("packet expectations:\npackets 1 client > server tcp SYN, sent "
                      "(cases/tcp/syn_drop.yaml:20:5): ok\n"),
            std::string::npos)
      << fout;
  EXPECT_NE(fout.find("socket states:\n+0.000ms client c SYN_SENT\n+201.500ms server client/c "
                      "SYN_RECV\n"),
            std::string::npos)
      << fout;
  // The failure body ends with the failing packet check and its dump.
  EXPECT_NE(body.find("FAIL: expected count 2 vs actual 1\n    #2 +1.000000s delivered to server  "
                      "client:40000 > server:8080 tcp S seq 0 win 64240 len 0"),
            std::string::npos)
      << body;

  pugi::xml_node skip = fail.next_sibling("testcase");
  EXPECT_STREQ(skip.child("skipped").attribute("message").value(),
               "cases/tcp/cubic.yaml:1: congestion control cubic is not allowed here");

  pugi::xml_node err = udp.child("testcase").child("error");
  ASSERT_TRUE(err);
  EXPECT_STREQ(err.attribute("message").value(),
               "cases/udp/echo.yaml:1: peer client exited\nwith status 1");
}

TEST(JunitStructureTest, PassingSummaryCountsChecksAndCaptureLosses) {
  RunResult r = testing::SampleRun();
  r.cases.resize(1);
  r.cases[0].faults = {"drop client->any tcp SYN nth 1"};
  r.cases[0].packet_checks.resize(2);
  r.cases[0].capture_dropped = 4;
  r.cases[0].description.clear();
  r.cases[0].pcaps.clear();
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(JunitXml(r).c_str()));
  EXPECT_EQ(std::string(doc.select_node("//system-out").node().text().get()),
            "file: cases/tcp/handshake.yaml\n"
            "seed: 7\n"
            "faults:\n"
            "  1: drop client->any tcp SYN nth 1\n"
            "steps: 2, all passed\n"
            "packet expectations: 2, all passed\n"
            "packets: 3\n"
            "capture lost 4 packets\n"
            "the step and packet logs are in the JSON and HTML reports\n");
}

TEST(JunitStructureTest, FullPassingLogOnRequest) {
  RunResult r = testing::SampleRun();
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(JunitXml(r, JunitOptions{.full_passing_log = true}).c_str()));
  std::string out = doc.select_node("//testcase").node().child("system-out").text().get();
  EXPECT_NE(out.find("step 2 [client] client: connect c to server:8080"), std::string::npos) << out;
  EXPECT_NE(out.find("#2 +0.100ms server:8080 > client:40000 tcp S. seq 2 ack 1 win 64240 len 0\n"),
            std::string::npos)
      << out;
}

// The failing case of 100k packets keeps its whole packet log, written
// line by line.
TEST(JunitStructureTest, FailingCaseKeepsEveryPacketLine) {
  RunResult r;
  r.cases.push_back(testing::BulkCase(100'000, Outcome::kFail, 10));
  const std::string xml = JunitXml(r);
  EXPECT_NE(xml.find("\n#1 +0.000ms "), std::string::npos);
  EXPECT_NE(xml.find("\n#100000 +1999.980ms "), std::string::npos);
}

TEST(JunitStructureTest, NoRawControlCharacters) {
  RunResult r = testing::SampleRun();
  r.cases[0].name = std::string("a\0b\x1b", 4);
  std::string xml = JunitXml(r);
  for (char ch : xml) {
    auto u = static_cast<unsigned char>(ch);
    EXPECT_FALSE(u < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') << static_cast<int>(u);
  }
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_STREQ(
      doc.child("testsuites").child("testsuite").child("testcase").attribute("name").value(),
      "a\\x00b\\x1b [ipv4]");
}

TEST(JunitStructureTest, DifferentSeedsGetOnePropertyPerCase) {
  RunResult r = testing::SampleRun();
  r.cases[1].seed = 99;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(JunitXml(r).c_str()));
  pugi::xml_node props = doc.child("testsuites").child("testsuite").child("properties");
  EXPECT_FALSE(props.find_child_by_attribute("property", "name", "seed"));
  EXPECT_STREQ(
      props.find_child_by_attribute("property", "name", "seed syn <drop> & \"retry\" [ipv6]")
          .attribute("value")
          .value(),
      "99");
}

TEST(JunitWriteTest, UnwritablePathIsAnError) {
  Status st = WriteJunit(testing::SampleRun(), "/nonexistent-dir/x/junit.xml");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kSystem);
  EXPECT_NE(st.message().find("/nonexistent-dir/x/junit.xml"), std::string::npos) << st.message();
}

TEST(JunitTimingTest, TimingChecksAreNamedAsSuch) {
  RunResult r = testing::SampleRun();
  r.cases[1].packet_checks.push_back(testing::FailedTimingCheck());
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(JunitXml(r).c_str()));
  std::string out;
  for (pugi::xml_node tc : doc.select_nodes("//testcase").begin()->node().parent().children()) {
    out += tc.child("system-out").text().get();
  }
  EXPECT_NE(out.find("timing 1 from step 'connect' start to the 2nd client > any tcp SYN (sent) "
                     "(t.yaml:20:5): FAIL: expected [2.5s, 3.5s]"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace faultline
