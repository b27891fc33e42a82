// Inputs the fuzzer (tests/fuzz/loader_fuzz) found, kept as regression tests.
#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

// yaml-cpp 0.7's LoadAll never returns on this input (an unterminated
// quoted scalar that runs into later lines); the loader must answer at once.
constexpr const char* kLoadAllHang = R"yaml(, data: "good"}
  - client: {recv: c, expect: {data: "goodp]
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {dup: c, as: d}
  - client: close d
  - client: {send: c, data: "still here"}
  - server: {recv: s, expect: : {send: s, data: "good"}
  - client: {recv: c, expect: {data: "goodp]
steps:
  - server: listen 8080
  - client: {connect: "server:8080", as: c}
  - server: {accept: ls, as: s}
  - client: {dup: c, as: d}
  - client: close d
  - client: {send: c, data: "still here"}
  - server: {recv: s, expect: {data: "still here"}}
  - server: {send: s, data: "good"}
  - client: {recv: c, expect: {data: "good"}}
  - client: close c
  - server: {recv: s, expect: {ret: 0}}
)yaml";

TEST(LoaderRegressionTest, MalformedInputThatHungLoadAll) {
  StatusOr<Case> c = LoadCaseText(kLoadAllHang, "hang.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message().rfind("hang.yaml:", 0), 0u) << c.status().message();
}

TEST(LoaderRegressionTest, SecondDocumentIsStillFound) {
  StatusOr<Case> c =
      LoadCaseText("name: a\nsteps:\n  - server: listen 80\n---\nname: b\n", "two.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "two.yaml:4:1: a case file holds one YAML document; this is a second one");
}

}  // namespace
}  // namespace faultline
