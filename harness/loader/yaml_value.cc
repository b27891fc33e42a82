#include "harness/loader/yaml_value.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"

namespace faultline {
namespace {

bool IsPlainScalar(const YAML::Node& n) { return n.IsScalar() && !IsQuoted(n); }

// Parses an optionally signed decimal integer; `overflow` is set when the
// digits are fine but the value does not fit.
bool ParseInt(const std::string& t, int64_t* out, bool* overflow) {
  *overflow = false;
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  if (i == t.size()) return false;
  for (size_t j = i; j < t.size(); ++j) {
    if (t[j] < '0' || t[j] > '9') return false;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno == ERANGE) {
    *overflow = true;
    return false;
  }
  *out = v;
  return true;
}

std::string RangeText(int64_t lo, int64_t hi) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (lo == 0 && hi == kMax) return "a non-negative integer";
  if (lo == 1 && hi == kMax) return "a positive integer";
  if (hi == kMax) return fmt::format("an integer >= {}", lo);
  if (lo == kMin) return fmt::format("an integer <= {}", hi);
  return fmt::format("an integer between {} and {}", lo, hi);
}

bool ValidUtf8(const std::string& t) {
  size_t i = 0;
  while (i < t.size()) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 9;
    if (n == 9) return false;
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= t.size() || (static_cast<unsigned char>(t[i + k]) >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

Status Scope::Fail(const SourceLoc& at, const std::string& text) const {
  SourceLoc loc = at;
  loc.file = file;
  if (loc.line <= 0) {
    loc.line = 1;
    loc.column = 1;
  }
  return Status::Invalid(fmt::format("{}: {}{}", loc.ToString(), prefix, text));
}

SourceLoc Scope::LocOf(const YAML::Node& n, const SourceLoc& fallback) const {
  if (!n.IsDefined() || n.IsNull()) return fallback;
  YAML::Mark m = n.Mark();
  if (m.line < 0 || m.column < 0) return fallback;
  return SourceLoc{file, m.line + 1, m.column + 1};
}

Val Child(const YAML::Node& n, const SourceLoc& fallback, const Scope& s) {
  return Val{n, s.LocOf(n, fallback)};
}

std::string Describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "empty";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  const std::string& t = n.Scalar();
  const bool utf8 = ValidUtf8(t);
  std::string out = "'";
  size_t shown = 0;
  for (unsigned char c : t) {
    if (shown == 40) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++shown;
  }
  return out + "'";
}

bool IsQuoted(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str"; }

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

StatusOr<std::vector<Entry>> ReadMap(const Val& v, const std::string& what, const Scope& s) {
  if (!v.node.IsMap()) {
    if (what.empty()) return s.Fail(v.loc, fmt::format("expected a map, not {}", Describe(v.node)));
    return s.Fail(v.loc, fmt::format("'{}' must be a map, not {}", what, Describe(v.node)));
  }
  std::vector<Entry> out;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    YAML::Node k = it->first;
    SourceLoc kloc = s.LocOf(k, v.loc);
    if (!k.IsScalar()) {
      return s.Fail(kloc, fmt::format("keys must be names, not {}", Describe(k)));
    }
    Entry e{k.Scalar(), kloc, Child(it->second, kloc, s)};
    for (const Entry& prev : out) {
      if (prev.key == e.key) {
        return s.Fail(
            kloc, fmt::format("duplicate key '{}' (first at line {})", e.key, prev.key_loc.line));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Status CheckKeys(const std::vector<Entry>& entries, const std::vector<std::string>& allowed,
                 const std::string& in, const Scope& s) {
  for (const Entry& e : entries) {
    if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
    return s.Fail(e.key_loc, fmt::format("unknown key {}{}{}", Describe(YAML::Node(e.key)), in,
                                         DidYouMean(e.key, allowed)));
  }
  return Status::Ok();
}

const Entry* FindKey(const std::vector<Entry>& entries, std::string_view key) {
  for (const Entry& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

StatusOr<std::vector<Val>> ReadList(const Val& v, const std::string& what, const Scope& s) {
  if (!v.node.IsSequence()) {
    return s.Fail(v.loc, fmt::format("'{}' must be a list, not {}", what, Describe(v.node)));
  }
  std::vector<Val> out;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) out.push_back(Child(*it, v.loc, s));
  return out;
}

StatusOr<std::string> ReadString(const Val& v, const std::string& what, const Scope& s) {
  if (!v.node.IsScalar()) {
    return s.Fail(v.loc, fmt::format("'{}' must be a string, not {}", what, Describe(v.node)));
  }
  return v.node.Scalar();
}

bool LooksLikeInt(const YAML::Node& n) {
  if (!IsPlainScalar(n)) return false;
  int64_t x = 0;
  bool overflow = false;
  return ParseInt(n.Scalar(), &x, &overflow) || overflow;
}

StatusOr<int64_t> ReadInt(const Val& v, const std::string& what, const Scope& s, int64_t lo,
                          int64_t hi) {
  int64_t x = 0;
  bool overflow = false;
  if (!IsPlainScalar(v.node) || !(ParseInt(v.node.Scalar(), &x, &overflow) || overflow)) {
    std::string hint;
    if (v.node.IsScalar() && IsQuoted(v.node) && ParseInt(v.node.Scalar(), &x, &overflow)) {
      hint = " (a quoted string: remove the quotes)";
    }
    return s.Fail(v.loc, fmt::format("'{}' must be {}, not {}{}", what, RangeText(lo, hi),
                                     Describe(v.node), hint));
  }
  if (overflow || x < lo || x > hi) {
    return s.Fail(v.loc, fmt::format("'{}' must be {}, not {}", what, RangeText(lo, hi),
                                     Describe(v.node).substr(1, Describe(v.node).size() - 2)));
  }
  return x;
}

bool LooksLikeBool(const YAML::Node& n) {
  if (!IsPlainScalar(n)) return false;
  const std::string& t = n.Scalar();
  return t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE";
}

StatusOr<bool> ReadBool(const Val& v, const std::string& what, const Scope& s) {
  if (!LooksLikeBool(v.node)) {
    return s.Fail(v.loc, fmt::format("'{}' must be true or false, not {}", what, Describe(v.node)));
  }
  return v.node.Scalar()[0] == 't' || v.node.Scalar()[0] == 'T';
}

StatusOr<double> ReadNumber(const Val& v, const std::string& what, const Scope& s) {
  bool ok = IsPlainScalar(v.node) && !v.node.Scalar().empty();
  double x = 0;
  if (ok) {
    const std::string& t = v.node.Scalar();
    ok = std::all_of(t.begin(), t.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    });
    char* end = nullptr;
    if (ok) x = std::strtod(t.c_str(), &end);
    ok = ok && end == t.c_str() + t.size() && std::isfinite(x);
  }
  if (!ok) {
    return s.Fail(v.loc, fmt::format("'{}' must be a number, not {}", what, Describe(v.node)));
  }
  return x;
}

StatusOr<double> ReadFraction(const Val& v, const std::string& what, const Scope& s) {
  std::optional<double> x;
  if (v.node.IsScalar() && !v.node.Scalar().empty()) {
    std::string t = v.node.Scalar();
    const bool percent = t.back() == '%';
    if (percent) t.pop_back();
    const bool digits = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    char* end = nullptr;
    const double d = digits ? std::strtod(t.c_str(), &end) : -1;
    if (digits && end == t.c_str() + t.size() && (percent || !IsQuoted(v.node))) {
      x = percent ? d / 100 : d;
    }
  }
  if (!x || *x < 0 || *x > 1) {
    return s.Fail(v.loc, fmt::format("'{}' must be a number in [0, 1] or a percent such as "
                                     "\"10%\", not {}",
                                     what, Describe(v.node)));
  }
  return *x;
}

StatusOr<Duration> ReadDuration(const Val& v, const std::string& what, const Scope& s) {
  std::optional<Duration> d;
  if (v.node.IsScalar()) d = ParseDuration(v.node.Scalar());
  if (!d) {
    std::string hint;
    if (LooksLikeInt(v.node)) hint = " (a unit is required)";
    return s.Fail(v.loc, fmt::format("'{}' must be a duration such as 10s or 500ms, not {}{}", what,
                                     Describe(v.node), hint));
  }
  return *d;
}

}  // namespace faultline
