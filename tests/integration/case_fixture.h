// A GoogleTest fixture that runs one case, given as YAML text, in a real lab.
// Needs root (network namespaces); skips otherwise.
#pragma once

#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/runner/case_runner.h"

namespace faultline {

class CaseFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to build network namespaces";
    options_.faultline_bin = FAULTLINE_BIN;
  }

  // Loads `yaml` as the file "t.yaml" and runs its `family` variant. The
  // loaded case stays in case_ until the next Run.
  CaseResult Run(const std::string& yaml, Family family = Family::kIPv4) {
    StatusOr<Case> c = LoadCaseText(yaml, "t.yaml");
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return {};
    case_ = std::move(c).value();
    return RunCaseVariant(case_, family, options_);
  }

  CaseRunOptions options_;
  Case case_;
};

}  // namespace faultline
