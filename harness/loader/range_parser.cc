// The one grammar of bounds and ranges (docs/cases.md, "Ranges and bounds").
#include "harness/loader/range_parser.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace faultline {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Everything one read needs, so the helpers below stay small.
struct RangeRead {
  const Val& v;
  const std::string& what;
  const Scope& s;
  const RangeSpec& spec;

  // "'KEY' must be FORMS, not X": the node as a whole is not a form the key takes.
  Status Bad() const {
    return s.Fail(v.loc,
                  fmt::format("'{}' must be {}, not {}", what, spec.forms, Describe(v.node)));
  }
};

std::string_view Trim(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

// A decimal integer with an optional sign. `overflow` is set for one that
// does not fit (it is then still "an integer", only out of range).
std::optional<int64_t> ParseInteger(std::string_view t, bool* overflow) {
  *overflow = false;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty() || t.front() == '+') return std::nullopt;
  int64_t x = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
  if (p != t.data() + t.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) *overflow = true;
  if (ec != std::errc()) return std::nullopt;
  return x;
}

// A duration in the spec's unit (nanoseconds or whole microseconds).
std::optional<int64_t> ParseDurationIn(RangeUnit unit, std::string_view t) {
  std::optional<Duration> d = ParseDuration(t);
  if (!d) return std::nullopt;
  if (unit == RangeUnit::kMicros) {
    // The kernel counts these in microseconds: a finer value could not be
    // compared exactly (and "< 1500ns" must not become "<= 0us").
    if (d->count() % 1000 != 0) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::microseconds>(*d).count();
  }
  return d->count();
}

// One value V as text; nullopt when it is not a value of the unit at all.
// Sets *overflow for an integer too large to hold.
std::optional<int64_t> ParseValue(RangeUnit unit, std::string_view t, bool* overflow) {
  *overflow = false;
  if (unit == RangeUnit::kInteger) return ParseInteger(t, overflow);
  return ParseDurationIn(unit, t);
}

// "a non-negative integer" / "an integer": what one integer end must be.
std::string IntegerText(int64_t min) {
  if (min == 0) return "a non-negative integer";
  if (min == kMin) return "an integer";
  return fmt::format("an integer >= {}", min);
}

// One end of [lo, hi], or the V of a bound: a value of the unit, >= spec.min.
// `text` is the value; `node` is what a message shows when it is no value.
StatusOr<int64_t> ReadEnd(const RangeRead& r, const YAML::Node& node, const SourceLoc& at,
                          std::string_view text) {
  bool overflow = false;
  std::optional<int64_t> x = ParseValue(r.spec.unit, Trim(text), &overflow);
  if (r.spec.unit != RangeUnit::kInteger) {
    if (x && *x >= r.spec.min) return *x;
    std::string hint;
    bool int_overflow = false;
    if (ParseInteger(Trim(text), &int_overflow)) hint = " (a unit is required)";
    return r.s.Fail(at, fmt::format("'{}' must be a duration such as 10s or 500ms, not {}{}",
                                    r.what, Describe(node), hint));
  }
  if (!x && !overflow) {
    return r.s.Fail(at, fmt::format("'{}' must be {}, not {}", r.what, IntegerText(r.spec.min),
                                    Describe(node)));
  }
  if (overflow || *x < r.spec.min) {
    return r.s.Fail(at, fmt::format("'{}' must be {}, not {}", r.what, IntegerText(r.spec.min),
                                    std::string(Trim(text))));
  }
  return *x;
}

// [lo, hi] from its two ends, given as nodes (a flow sequence) or as the
// parts of a "[lo, hi]" string (then `at` is the string's location).
StatusOr<ParsedRange> ReadPair(const RangeRead& r, const Val& lo_val, const Val& hi_val) {
  if (!lo_val.node.IsScalar() || !hi_val.node.IsScalar()) {
    const Val& bad = lo_val.node.IsScalar() ? hi_val : lo_val;
    return ReadEnd(r, bad.node, bad.loc, "").status();
  }
  std::string lo_text(Trim(lo_val.node.Scalar()));
  std::string hi_text(Trim(hi_val.node.Scalar()));
  StatusOr<int64_t> lo = ReadEnd(r, lo_val.node, lo_val.loc, lo_text);
  if (!lo.ok()) return lo.status();
  StatusOr<int64_t> hi = ReadEnd(r, hi_val.node, hi_val.loc, hi_text);
  if (!hi.ok()) return hi.status();
  if (*lo > *hi) {
    return r.s.Fail(r.v.loc, fmt::format("'{}' range [{}, {}] has its low end above its high end",
                                         r.what, lo_text, hi_text));
  }
  return ParsedRange{*lo, *hi, fmt::format("[{}, {}]", lo_text, hi_text)};
}

StatusOr<ParsedRange> ReadSequence(const RangeRead& r) {
  if (r.v.node.size() != 2) return r.Bad();
  return ReadPair(r, Child(r.v.node[0], r.v.loc, r.s), Child(r.v.node[1], r.v.loc, r.s));
}

// "[lo, hi]" written as a string: the same as the flow sequence.
StatusOr<ParsedRange> ReadPairString(const RangeRead& r, std::string_view t) {
  if (t.size() < 2 || t.back() != ']') return r.Bad();
  std::string_view inner = t.substr(1, t.size() - 2);
  size_t comma = inner.find(',');
  if (comma == std::string_view::npos || inner.find(',', comma + 1) != std::string_view::npos) {
    return r.Bad();
  }
  Val lo{YAML::Node(std::string(Trim(inner.substr(0, comma)))), r.v.loc};
  Val hi{YAML::Node(std::string(Trim(inner.substr(comma + 1)))), r.v.loc};
  return ReadPair(r, lo, hi);
}

// The operators, longest first so "<=" is not read as "<".
constexpr std::string_view kOperators[] = {"<=", ">=", "==", "<", ">"};

// "OP V". Strict bounds become inclusive ones exactly (V - 1 / V + 1 in the
// unit); a bound no value can satisfy is refused.
StatusOr<ParsedRange> ReadBound(const RangeRead& r, std::string_view op, std::string_view rest) {
  const bool allowed = op == "==" ? r.spec.exact : r.spec.bounds;
  bool overflow = false;
  std::string value(Trim(rest));
  if (!allowed) return r.Bad();
  if (!ParseValue(r.spec.unit, value, &overflow) && !overflow) return r.Bad();
  StatusOr<int64_t> x = ReadEnd(r, r.v.node, r.v.loc, value);
  if (!x.ok()) return x.status();
  ParsedRange p{r.spec.min, r.spec.max, fmt::format("{} {}", op, value)};
  const bool never = (op == "<" && *x == kMin) || (op == ">" && *x == kMax);
  if (op == "<=") p.hi = *x;
  if (op == ">=") p.lo = *x;
  if (op == "==") p.lo = p.hi = *x;
  if (op == "<" && !never) p.hi = *x - 1;
  if (op == ">" && !never) p.lo = *x + 1;
  if (never || p.lo > p.hi) {
    return r.s.Fail(r.v.loc, fmt::format("'{}' \"{}\" can never hold", r.what, p.text));
  }
  return p;
}

// A plain (unquoted) value: exact, where the key takes it.
std::optional<StatusOr<ParsedRange>> ReadPlainValue(const RangeRead& r, const std::string& t) {
  if (IsQuoted(r.v.node)) return std::nullopt;
  bool overflow = false;
  if (!ParseValue(r.spec.unit, t, &overflow) && !overflow) return std::nullopt;
  if (!r.spec.exact) return StatusOr<ParsedRange>(r.Bad());
  StatusOr<int64_t> x = ReadEnd(r, r.v.node, r.v.loc, t);
  if (!x.ok()) return StatusOr<ParsedRange>(x.status());
  return StatusOr<ParsedRange>(ParsedRange{*x, *x, t});
}

StatusOr<ParsedRange> ReadScalar(const RangeRead& r) {
  const std::string t = r.v.node.Scalar();
  if (std::optional<StatusOr<ParsedRange>> plain = ReadPlainValue(r, t)) return *plain;
  if (!t.empty() && t.front() == '[') return ReadPairString(r, t);
  for (std::string_view op : kOperators) {
    if (std::string_view(t).substr(0, op.size()) == op) {
      return ReadBound(r, op, std::string_view(t).substr(op.size()));
    }
  }
  return r.Bad();
}

RangeSpec MakeSpec(RangeUnit unit, bool exact, bool bounds, int64_t min, std::string forms) {
  RangeSpec spec;
  spec.unit = unit;
  spec.exact = exact;
  spec.bounds = bounds;
  spec.min = min;
  spec.forms = std::move(forms);
  return spec;
}

}  // namespace

const RangeSpec& NonNegativeIntSpec() {
  static const RangeSpec spec =
      MakeSpec(RangeUnit::kInteger, true, false, 0, "an integer or [lo, hi]");
  return spec;
}

const RangeSpec& CountSpec() {
  static const RangeSpec spec = MakeSpec(RangeUnit::kInteger, true, true, 0,
                                         "an integer, [lo, hi] or a bound such as \">= 1\"");
  return spec;
}

const RangeSpec& ValueSpec() {
  static const RangeSpec spec = MakeSpec(RangeUnit::kInteger, true, true, kMin,
                                         "an integer, [lo, hi] or a comparison such as \">= 1\"");
  return spec;
}

const RangeSpec& MicrosValueSpec() {
  static const RangeSpec spec = MakeSpec(
      RangeUnit::kMicros, true, true, 0,
      "a duration in whole microseconds, [lo, hi] of them or a comparison such as \">= 200ms\"");
  return spec;
}

const RangeSpec& DurationBoundSpec() {
  static const RangeSpec spec = MakeSpec(RangeUnit::kDuration, false, true, 0,
                                         "[lo, hi] durations or a bound such as \"<= 50ms\"");
  return spec;
}

const RangeSpec& DurationPairSpec() {
  static const RangeSpec spec =
      MakeSpec(RangeUnit::kDuration, false, false, 0, "[lo, hi] durations");
  return spec;
}

StatusOr<ParsedRange> ReadRange(const Val& v, const std::string& what, const Scope& s,
                                const RangeSpec& spec) {
  RangeRead r{v, what, s, spec};
  if (v.node.IsSequence()) return ReadSequence(r);
  if (v.node.IsScalar()) return ReadScalar(r);
  return r.Bad();
}

StatusOr<IntRange> ReadIntRange(const Val& v, const std::string& what, const Scope& s,
                                const RangeSpec& spec) {
  StatusOr<ParsedRange> p = ReadRange(v, what, s, spec);
  if (!p.ok()) return p.status();
  return IntRange{p->lo, p->hi};
}

StatusOr<DurationRange> ReadDurationRange(const Val& v, const std::string& what, const Scope& s,
                                          const RangeSpec& spec) {
  StatusOr<ParsedRange> p = ReadRange(v, what, s, spec);
  if (!p.ok()) return p.status();
  DurationRange d;
  d.lo = Duration(p->lo);
  d.hi = Duration(p->hi);
  return d;
}

}  // namespace faultline
