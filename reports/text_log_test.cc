#include "reports/text_log.h"

#include <gtest/gtest.h>

#include "reports/test_results.h"

namespace faultline {
namespace {

TEST(QuotedBytesTest, EscapesNonPrintables) {
  EXPECT_EQ(QuotedBytes(std::string("a\"\\\n\r\t\0\x7f\xff", 9)), R"("a\"\\\n\r\t\x00\x7f\xff")");
}

TEST(StepLogTextTest, NotRunAndHungSteps) {
  CaseResult c;
  StepRecord ran = testing::Step(1, "client", "client: recv c", true);
  ran.finished = false;
  StepRecord not_run = testing::Step(2, "server", "server: close s", true);
  not_run.ran = false;
  c.steps = {ran, not_run};
  EXPECT_EQ(StepLogText(c),
            "step 1 [client] client: recv c (cases/tcp/handshake.yaml:11:5) | at +1.000ms | "
            "expected success | actual ret 0, took 250us | did not finish | ok\n"
            "step 2 [server] server: close s (cases/tcp/handshake.yaml:12:5) | not run\n");
}

// `when:` (docs/cases.md, "Expectations that vary by variant").
TEST(StepLogTextTest, StepNotInThisVariant) {
  CaseResult c;
  StepRecord skipped = testing::Step(2, "server", "server: close s", true);
  skipped.ran = false;
  skipped.not_in_variant = true;
  c.steps = {skipped};
  EXPECT_EQ(StepLogText(c),
            "step 2 [server] server: close s (cases/tcp/handshake.yaml:12:5) | "
            "not in this variant\n");
}

TEST(StepLogTextTest, CommandArgvEndAndOutput) {
  CaseResult c;
  c.steps = {testing::CommandStep(1)};
  EXPECT_EQ(StepLogText(c),
            "step 1 [client] client: run curl -s http://${server.url_addr}:8080/ "
            "(cases/tcp/handshake.yaml:11:5) | at +1.000ms | expected success | actual ret 0, "
            "took 250us | ok\n"
            "  argv: \"curl\" \"-s\" \"http://198.18.2.2:8080/\"\n"
            "  ended: exit 0\n"
            "  stdout (100000 bytes, the first kept):\n"
            "    | <html>200 & ok</html>\n"
            "    | line 2\n"
            "  stderr (11 bytes):\n"
            "    | warning: \\x01\n");
}

TEST(ShownDataTest, LongDataCutWithItsLength) {
  EXPECT_EQ(ShownData(std::string(512, 'a')), "\"" + std::string(512, 'a') + "\"");
  EXPECT_EQ(ShownData(std::string(512, 'a') + "b\n"),
            "\"" + std::string(512, 'a') + "\" (514 bytes, the first 512 shown)");
  CaseResult c;
  c.steps = {testing::Step(1, "server", "server: recv s 65536", true)};
  c.steps[0].data = std::string(65536, 'x');
  EXPECT_EQ(StepLogText(c),
            "step 1 [server] server: recv s 65536 (cases/tcp/handshake.yaml:11:5) | at +1.000ms | "
            "expected success | actual ret 0, took 250us | data \"" +
                std::string(512, 'x') + "\" (65536 bytes, the first 512 shown) | ok\n");
}

TEST(PacketLogTextTest, TimesRelativeToEarliestPacket) {
  CaseResult c;
  // The log is in arrival order, but the earliest time wins even if not first.
  c.packets = {testing::Packet(1, 2'000'000, "client", "server", "S"),
               testing::Packet(2, 1'500'000, "server", "client", "S.")};
  EXPECT_EQ(FirstPacketNs(c), 1'500'000);
  EXPECT_EQ(PacketLogText(c),
            "#1 +0.500ms client:40000 > server:8080 tcp S seq 1 win 64240 len 0\n"
            "#2 +0.000ms server:8080 > client:40000 tcp S. seq 2 ack 1 win 64240 len 0\n");
  EXPECT_EQ(FirstPacketNs(CaseResult{}), 0);
}

}  // namespace
}  // namespace faultline
