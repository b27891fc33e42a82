// FindCaseFiles and LoadCaseFile on a real temporary directory tree.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FindCaseFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "faultline-loader-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  std::string Write(const std::string& rel, const std::string& text = "name: x\n") {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string root_;
};

TEST_F(FindCaseFilesTest, RecursesSortsAndFilters) {
  std::string b = Write("b.yaml");
  std::string a = Write("sub/deeper/a.yml");
  std::string c = Write("sub/c.yaml");
  Write("notes.txt");
  Write("sub/data.json");
  Write("sub/yaml");  // no extension
  fs::create_directories(fs::path(root_) / "empty");
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(b, c, a));  // plain string order
}

TEST_F(FindCaseFilesTest, ExplicitFilesAndDuplicates) {
  std::string a = Write("a.yaml");
  std::string t = Write("other.txt");
  StatusOr<std::vector<std::string>> f =
      FindCaseFiles({t, a, root_ + "/./a.yaml", root_ + "/a.yaml", root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(*f, ElementsAre(a, t));  // explicit files are taken whatever their name
}

TEST_F(FindCaseFilesTest, EmptyDirectoryIsNotAnError) {
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->empty());
  f = FindCaseFiles({});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
}

TEST_F(FindCaseFilesTest, MissingPathIsAnError) {
  std::string missing = root_ + "/nope";
  StatusOr<std::vector<std::string>> f = FindCaseFiles({root_, missing});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(f.status().message(), missing + ": no such file or directory");
}

TEST_F(FindCaseFilesTest, LoadCaseFileUsesThePathInMessages) {
  std::string p = Write("c.yaml", "name: c\nsteps:\n  - client: slep 1s\n");
  StatusOr<Case> c = LoadCaseFile(p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            p + ":3:13: step 1: unknown operation 'slep' (did you mean 'sleep'?)");
  std::string ok = Write("ok.yaml", "name: ok\nsteps:\n  - client: sleep 1s\n");
  StatusOr<Case> good = LoadCaseFile(ok);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->loc.file, ok);
  EXPECT_EQ(good->steps[0].loc.file, ok);
}

TEST_F(FindCaseFilesTest, LoadCaseFileErrors) {
  StatusOr<Case> c = LoadCaseFile(root_ + "/missing.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), root_ + "/missing.yaml: cannot open the file");
  c = LoadCaseFile(root_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), root_ + ": is a directory, not a case file");
  std::string big = Write("big.yaml", std::string(5 * 1024 * 1024, '#'));
  c = LoadCaseFile(big);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("is larger than"));
}

// The case library that ships with faultline must load.
TEST(ShippedCasesTest, AllLoad) {
  fs::path cases = fs::path(__FILE__).parent_path().parent_path().parent_path() / "cases";
  if (!fs::is_directory(cases)) GTEST_SKIP() << "no case library at " << cases;
  StatusOr<std::vector<std::string>> files = FindCaseFiles({cases.string()});
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_FALSE(files->empty());
  for (const std::string& f : *files) {
    StatusOr<Case> c = LoadCaseFile(f);
    EXPECT_TRUE(c.ok()) << c.status().message();
  }
}

}  // namespace
}  // namespace faultline
