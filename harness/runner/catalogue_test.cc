// The `faultline list` catalogue on a small fixture directory, word for word.
#include "harness/runner/catalogue.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "faultline-catalogue-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    Write("b/zero-window.yaml",
          "name: zero-window\n"
          "description: >\n"
          "  The receiver stops reading; its window closes and the sender probes\n"
          "  it (RFC 9293 3.8.6.1) with a backoff.\n"
          "tags: [transfer, window]\n"
          "steps:\n  - client: sleep 1ms\n");
    Write("a/listen-backlog.yaml",
          "name: listen-backlog\n"
          "description: The backlog is capped at net.core.somaxconn.\n"
          "tags: [backlog]\n"
          "matrix:\n  family: [ipv4]\n  sysctl:\n    server:\n"
          "      net.core.somaxconn: [4, 128]\n"
          "steps:\n  - client: sleep 1ms\n");
    Write("a/bare.yaml", "name: bare\nfamily: ipv6\nsteps:\n  - client: sleep 1ms\n");
    StatusOr<std::vector<std::string>> files = FindCaseFiles({root_});
    ASSERT_TRUE(files.ok()) << files.status().message();
    for (const std::string& f : *files) {
      StatusOr<Case> c = LoadCaseFile(f);
      ASSERT_TRUE(c.ok()) << c.status().message();
      cases_.push_back(std::move(c).value());
    }
  }
  void TearDown() override {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // The output with the temporary directory's name replaced by "ROOT".
  std::string Rooted(std::string s) const {
    for (size_t at; (at = s.find(root_)) != std::string::npos;) s.replace(at, root_.size(), "ROOT");
    return s;
  }
  std::string root_;
  std::vector<Case> cases_;
};

TEST_F(CatalogueTest, TextIsWrappedToTheWidth) {
  EXPECT_EQ(Rooted(CatalogueText(cases_, 60)),
            "bare\n"
            "  file:     ROOT/a/bare.yaml\n"
            "  tags:     -\n"
            "  families: ipv6\n"
            "  (no description)\n"
            "\n"
            "listen-backlog\n"
            "  file:     ROOT/a/listen-backlog.yaml\n"
            "  tags:     backlog\n"
            "  families: ipv4\n"
            "  variants: ipv4,somaxconn=4, ipv4,somaxconn=128\n"
            "  The backlog is capped at net.core.somaxconn.\n"
            "\n"
            "zero-window\n"
            "  file:     ROOT/b/zero-window.yaml\n"
            "  tags:     transfer, window\n"
            "  families: ipv4, ipv6\n"
            "  The receiver stops reading; its window closes and the\n"
            "  sender probes it (RFC 9293 3.8.6.1) with a backoff.\n"
            "\n"
            "3 cases (5 variants)\n");
}

TEST_F(CatalogueTest, NarrowWidthsAreRaisedTo40) {
  std::string narrow = CatalogueText(cases_, 10);
  EXPECT_EQ(narrow, CatalogueText(cases_, 40));
  EXPECT_NE(narrow.find("  The receiver stops reading; its window\n  closes and the sender"),
            std::string::npos)
      << narrow;
}

TEST_F(CatalogueTest, Empty) { EXPECT_EQ(CatalogueText({}, 80), "0 cases (0 variants)\n"); }

TEST_F(CatalogueTest, Json) {
  EXPECT_EQ(Rooted(CatalogueJson({cases_[0], cases_[1]})),
            "[\n"
            "  {\n"
            "    \"name\": \"bare\",\n"
            "    \"file\": \"ROOT/a/bare.yaml\",\n"
            "    \"tags\": [],\n"
            "    \"families\": [\n"
            "      \"ipv6\"\n"
            "    ],\n"
            "    \"variants\": [\n"
            "      \"ipv6\"\n"
            "    ],\n"
            "    \"description\": \"\"\n"
            "  },\n"
            "  {\n"
            "    \"name\": \"listen-backlog\",\n"
            "    \"file\": \"ROOT/a/listen-backlog.yaml\",\n"
            "    \"tags\": [\n"
            "      \"backlog\"\n"
            "    ],\n"
            "    \"families\": [\n"
            "      \"ipv4\"\n"
            "    ],\n"
            "    \"variants\": [\n"
            "      \"ipv4,somaxconn=4\",\n"
            "      \"ipv4,somaxconn=128\"\n"
            "    ],\n"
            "    \"description\": \"The backlog is capped at net.core.somaxconn.\"\n"
            "  }\n"
            "]\n");
}

TEST(WrapText, Words) {
  EXPECT_EQ(WrapText("", 20, "  "), "");
  EXPECT_EQ(WrapText("  one\n two  ", 20, "  "), "  one two\n");
  EXPECT_EQ(WrapText("aaaa bbbb cccc", 11, "  "), "  aaaa bbbb\n  cccc\n");
  // A word longer than the room is kept whole on its own line.
  EXPECT_EQ(WrapText("a net.ipv4.tcp_max_syn_backlog b", 12, ""),
            "a\nnet.ipv4.tcp_max_syn_backlog\nb\n");
}

}  // namespace
}  // namespace faultline
