// The range/bound grammar (range_parser.h): every accepted form with what it
// parses to, and every rejected form with its exact message, for each spec.
#include "harness/loader/range_parser.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace faultline {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMs = 1000000;  // nanoseconds

enum class Spec { kNonNegative, kCount, kValue, kMicros, kDurationBound, kDurationPair };

const RangeSpec& SpecOf(Spec s) {
  switch (s) {
    case Spec::kNonNegative: return NonNegativeIntSpec();
    case Spec::kCount: return CountSpec();
    case Spec::kValue: return ValueSpec();
    case Spec::kMicros: return MicrosValueSpec();
    case Spec::kDurationBound: return DurationBoundSpec();
    case Spec::kDurationPair: return DurationPairSpec();
  }
  return ValueSpec();
}

// Reads `yaml` as the value of key `k` (it starts at a.yaml:1:4).
StatusOr<ParsedRange> Read(Spec spec, const std::string& yaml) {
  Scope s{"a.yaml", "step 1: "};
  const YAML::Node doc = YAML::Load("k: " + yaml);
  const YAML::Node n = doc["k"];
  return ReadRange(Val{n, s.LocOf(n, SourceLoc{"a.yaml", 1, 1})}, "k", s, SpecOf(spec));
}

struct Good {
  const char* name;
  Spec spec;
  const char* yaml;
  int64_t lo;
  int64_t hi;
  const char* text;
};

const Good kGood[] = {
    // Integers, N | [lo, hi] (bytes, length, seq, ack, win).
    {"int_exact", Spec::kNonNegative, "3", 3, 3, "3"},
    {"int_zero", Spec::kNonNegative, "0", 0, 0, "0"},
    {"int_eq", Spec::kNonNegative, "\"== 3\"", 3, 3, "== 3"},
    {"int_pair", Spec::kNonNegative, "[1, 5]", 1, 5, "[1, 5]"},
    {"int_pair_equal", Spec::kNonNegative, "[4, 4]", 4, 4, "[4, 4]"},
    {"int_pair_string", Spec::kNonNegative, "\"[1,5]\"", 1, 5, "[1, 5]"},
    {"int_pair_quoted_ends", Spec::kNonNegative, "[\"1\", \"5\"]", 1, 5, "[1, 5]"},
    // count: every form, 0 <= lo.
    {"count_ge", Spec::kCount, "\">= 1\"", 1, kMax, ">= 1"},
    {"count_ge_no_space", Spec::kCount, "\">=2\"", 2, kMax, ">= 2"},
    {"count_gt", Spec::kCount, "\"> 1\"", 2, kMax, "> 1"},
    {"count_le", Spec::kCount, "\"<= 5\"", 0, 5, "<= 5"},
    {"count_lt", Spec::kCount, "\"< 5\"", 0, 4, "< 5"},
    {"count_lt_one", Spec::kCount, "\"< 1\"", 0, 0, "< 1"},
    {"count_eq", Spec::kCount, "\"==2\"", 2, 2, "== 2"},
    {"count_exact", Spec::kCount, "7", 7, 7, "7"},
    {"count_pair", Spec::kCount, "[2, 3]", 2, 3, "[2, 3]"},
    // Values (exit, counters, queue/tcp_info fields): negative allowed.
    {"value_negative", Spec::kValue, "-1", -1, -1, "-1"},
    {"value_lt_zero", Spec::kValue, "\"< 0\"", kMin, -1, "< 0"},
    {"value_ge_negative", Spec::kValue, "\">= -3\"", -3, kMax, ">= -3"},
    {"value_le", Spec::kValue, "\"<= 5\"", kMin, 5, "<= 5"},
    {"value_pair_negative", Spec::kValue, "[-2, 2]", -2, 2, "[-2, 2]"},
    {"value_eq_spaces", Spec::kValue, "\"==   0 \"", 0, 0, "== 0"},
    // rto/rtt: durations kept in microseconds.
    {"micros_exact", Spec::kMicros, "200ms", 200000, 200000, "200ms"},
    {"micros_lt", Spec::kMicros, "\"< 200ms\"", 0, 199999, "< 200ms"},
    {"micros_gt", Spec::kMicros, "\"> 1s\"", 1000001, kMax, "> 1s"},
    {"micros_pair", Spec::kMicros, "[200ms, 1s]", 200000, 1000000, "[200ms, 1s]"},
    {"micros_eq", Spec::kMicros, "\"== 1s\"", 1000000, 1000000, "== 1s"},
    // took, gaps: [lo, hi] durations or a bound, in nanoseconds.
    {"duration_le", Spec::kDurationBound, "\"<= 50ms\"", 0, 50 * kMs, "<= 50ms"},
    {"duration_lt", Spec::kDurationBound, "\"< 50ms\"", 0, 50 * kMs - 1, "< 50ms"},
    {"duration_ge", Spec::kDurationBound, "\">= 1s\"", 1000 * kMs, kMax, ">= 1s"},
    {"duration_gt", Spec::kDurationBound, "\"> 1s\"", 1000 * kMs + 1, kMax, "> 1s"},
    {"duration_pair", Spec::kDurationBound, "[900ms, 1.6s]", 900 * kMs, 1600 * kMs,
     "[900ms, 1.6s]"},
    {"duration_pair_string", Spec::kDurationBound, "\"[0s, 2s]\"", 0, 2000 * kMs, "[0s, 2s]"},
    // window: [lo, hi] durations only.
    {"window_pair", Spec::kDurationPair, "[0s, 2s]", 0, 2000 * kMs, "[0s, 2s]"},
};

class RangeGood : public ::testing::TestWithParam<Good> {};

TEST_P(RangeGood, Parses) {
  StatusOr<ParsedRange> r = Read(GetParam().spec, GetParam().yaml);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->lo, GetParam().lo);
  EXPECT_EQ(r->hi, GetParam().hi);
  EXPECT_EQ(r->text, GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(All, RangeGood, ::testing::ValuesIn(kGood),
                         [](const ::testing::TestParamInfo<Good>& i) { return i.param.name; });

struct Bad {
  const char* name;
  Spec spec;
  const char* yaml;
  const char* message;
};

const Bad kBad[] = {
    // Integers, N | [lo, hi].
    {"int_negative", Spec::kNonNegative, "-1",
     "a.yaml:1:4: step 1: 'k' must be a non-negative integer, not -1"},
    {"int_overflow", Spec::kNonNegative, "99999999999999999999",
     "a.yaml:1:4: step 1: 'k' must be a non-negative integer, not 99999999999999999999"},
    {"int_word", Spec::kNonNegative, "x",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not 'x'"},
    {"int_quoted", Spec::kNonNegative, "\"3\"",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not '3'"},
    {"int_bound", Spec::kNonNegative, "\">= 1\"",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not '>= 1'"},
    {"int_map", Spec::kNonNegative, "{a: 1}",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not a map"},
    {"int_empty", Spec::kNonNegative, "",
     "a.yaml:1:1: step 1: 'k' must be an integer or [lo, hi], not empty"},
    {"int_pair_reversed", Spec::kNonNegative, "[5, 1]",
     "a.yaml:1:4: step 1: 'k' range [5, 1] has its low end above its high end"},
    {"int_pair_three", Spec::kNonNegative, "[1, 2, 3]",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not a list"},
    {"int_pair_one", Spec::kNonNegative, "[1]",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not a list"},
    {"int_pair_bad_end", Spec::kNonNegative, "[1, x]",
     "a.yaml:1:8: step 1: 'k' must be a non-negative integer, not 'x'"},
    {"int_pair_negative_end", Spec::kNonNegative, "[-1, 3]",
     "a.yaml:1:5: step 1: 'k' must be a non-negative integer, not -1"},
    {"int_pair_nested", Spec::kNonNegative, "[[1], 3]",
     "a.yaml:1:5: step 1: 'k' must be a non-negative integer, not a list"},
    {"int_pair_string_open", Spec::kNonNegative, "\"[1, 2\"",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not '[1, 2'"},
    {"int_pair_string_three", Spec::kNonNegative, "\"[1, 2, 3]\"",
     "a.yaml:1:4: step 1: 'k' must be an integer or [lo, hi], not '[1, 2, 3]'"},
    {"int_pair_string_bad_end", Spec::kNonNegative, "\"[1, x]\"",
     "a.yaml:1:4: step 1: 'k' must be a non-negative integer, not 'x'"},
    {"int_pair_string_reversed", Spec::kNonNegative, "\"[9,1]\"",
     "a.yaml:1:4: step 1: 'k' range [9, 1] has its low end above its high end"},
    // count.
    {"count_lt_zero", Spec::kCount, "\"< 0\"", "a.yaml:1:4: step 1: 'k' \"< 0\" can never hold"},
    {"count_le_negative", Spec::kCount, "\"<= -1\"",
     "a.yaml:1:4: step 1: 'k' must be a non-negative integer, not -1"},
    {"count_bound_word", Spec::kCount, "\">= x\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, [lo, hi] or a bound such as \">= 1\", not "
     "'>= x'"},
    {"count_not_equal", Spec::kCount, "\"!= 1\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, [lo, hi] or a bound such as \">= 1\", not "
     "'!= 1'"},
    {"count_bound_duration", Spec::kCount, "\">= 1s\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, [lo, hi] or a bound such as \">= 1\", not "
     "'>= 1s'"},
    {"count_arrow", Spec::kCount, "\"=> 1\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, [lo, hi] or a bound such as \">= 1\", not "
     "'=> 1'"},
    // Values.
    {"value_quoted", Spec::kValue, "\"3\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, [lo, hi] or a comparison such as \">= 1\", not "
     "'3'"},
    {"value_gt_max", Spec::kValue, "\"> 9223372036854775807\"",
     "a.yaml:1:4: step 1: 'k' \"> 9223372036854775807\" can never hold"},
    {"value_lt_min", Spec::kValue, "\"< -9223372036854775808\"",
     "a.yaml:1:4: step 1: 'k' \"< -9223372036854775808\" can never hold"},
    {"value_overflow", Spec::kValue, "\">= 99999999999999999999\"",
     "a.yaml:1:4: step 1: 'k' must be an integer, not 99999999999999999999"},
    {"value_pair_reversed", Spec::kValue, "[3, 1]",
     "a.yaml:1:4: step 1: 'k' range [3, 1] has its low end above its high end"},
    // rto/rtt.
    {"micros_no_unit", Spec::kMicros, "200",
     "a.yaml:1:4: step 1: 'k' must be a duration in whole microseconds, [lo, hi] of them or a "
     "comparison such as "
     "\">= 200ms\", not '200'"},
    {"micros_quoted", Spec::kMicros, "\"200ms\"",
     "a.yaml:1:4: step 1: 'k' must be a duration in whole microseconds, [lo, hi] of them or a "
     "comparison such as "
     "\">= 200ms\", not '200ms'"},
    {"micros_sub_microsecond", Spec::kMicros, "\"< 1500ns\"",
     "a.yaml:1:4: step 1: 'k' must be a duration in whole microseconds, [lo, hi] of them or a "
     "comparison such as \">= 200ms\", not '< 1500ns'"},
    {"micros_lt_zero", Spec::kMicros, "\"< 0us\"",
     "a.yaml:1:4: step 1: 'k' \"< 0us\" can never hold"},
    {"micros_pair_reversed", Spec::kMicros, "[1s, 200ms]",
     "a.yaml:1:4: step 1: 'k' range [1s, 200ms] has its low end above its high end"},
    // took, gaps.
    {"duration_exact", Spec::kDurationBound, "1s",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations or a bound such as \"<= 50ms\", not "
     "'1s'"},
    {"duration_eq", Spec::kDurationBound, "\"== 1s\"",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations or a bound such as \"<= 50ms\", not "
     "'== 1s'"},
    {"duration_words", Spec::kDurationBound, "\"about 1s\"",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations or a bound such as \"<= 50ms\", not "
     "'about 1s'"},
    {"duration_bound_no_unit", Spec::kDurationBound, "\"<= 50\"",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations or a bound such as \"<= 50ms\", not "
     "'<= 50'"},
    {"duration_lt_zero", Spec::kDurationBound, "\"< 0s\"",
     "a.yaml:1:4: step 1: 'k' \"< 0s\" can never hold"},
    {"duration_pair_reversed", Spec::kDurationBound, "[2s, 1s]",
     "a.yaml:1:4: step 1: 'k' range [2s, 1s] has its low end above its high end"},
    {"duration_pair_no_unit", Spec::kDurationBound, "[1s, 100]",
     "a.yaml:1:9: step 1: 'k' must be a duration such as 10s or 500ms, not '100' (a unit is "
     "required)"},
    {"duration_pair_word", Spec::kDurationBound, "[1s, soon]",
     "a.yaml:1:9: step 1: 'k' must be a duration such as 10s or 500ms, not 'soon'"},
    {"duration_pair_three", Spec::kDurationBound, "[1s, 2s, 3s]",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations or a bound such as \"<= 50ms\", not a "
     "list"},
    // window.
    {"window_bound", Spec::kDurationPair, "\"<= 1s\"",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations, not '<= 1s'"},
    {"window_exact", Spec::kDurationPair, "1s",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations, not '1s'"},
    {"window_one", Spec::kDurationPair, "[1s]",
     "a.yaml:1:4: step 1: 'k' must be [lo, hi] durations, not a list"},
};

class RangeBad : public ::testing::TestWithParam<Bad> {};

TEST_P(RangeBad, ExactMessage) {
  StatusOr<ParsedRange> r = Read(GetParam().spec, GetParam().yaml);
  ASSERT_FALSE(r.ok()) << "parsed as [" << r->lo << ", " << r->hi << "]";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(r.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(All, RangeBad, ::testing::ValuesIn(kBad),
                         [](const ::testing::TestParamInfo<Bad>& i) { return i.param.name; });

// The wrappers into the model's types.
TEST(RangeParser, IntoModelTypes) {
  Scope s{"a.yaml", ""};
  const YAML::Node doc = YAML::Load("a: [1, 5]\nb: \"< 50ms\"\n");
  StatusOr<IntRange> i = ReadIntRange(Val{doc["a"], {}}, "a", s, NonNegativeIntSpec());
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->ToString(), "[1, 5]");
  StatusOr<DurationRange> d = ReadDurationRange(Val{doc["b"], {}}, "b", s, DurationBoundSpec());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->lo, Duration(0));
  EXPECT_EQ(d->hi, std::chrono::milliseconds(50) - Duration(1));
}

}  // namespace
}  // namespace faultline
