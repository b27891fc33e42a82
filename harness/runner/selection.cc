#include "harness/runner/selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace faultline {
namespace {

bool ParseInt(const std::string& s, int* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// fnmatch, and again with '[' and ']' taken literally, so that the full
// name "tcp-echo [ipv4]" (or "* [ipv6]") selects what it reads as.
bool Glob(const std::string& pattern, const std::string& text) {
  if (fnmatch(pattern.c_str(), text.c_str(), 0) == 0) return true;
  if (pattern.find('[') == std::string::npos) return false;
  std::string literal;
  for (char ch : pattern) {
    if (ch == '[' || ch == ']') literal += '\\';
    literal += ch;
  }
  return fnmatch(literal.c_str(), text.c_str(), 0) == 0;
}

}  // namespace

StatusOr<Shard> ParseShard(const std::string& text) {
  size_t slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !ParseInt(text.substr(0, slash), &s.index) ||
      !ParseInt(text.substr(slash + 1), &s.count)) {
    return Status::Invalid(fmt::format("--shard must be K/N such as 2/4, not '{}'", text));
  }
  if (s.count < 1 || s.count > 10000 || s.index < 1 || s.index > s.count) {
    return Status::Invalid(fmt::format("--shard {}: K must be in 1..N and N in 1..10000", text));
  }
  return s;
}

int ShardOf(const std::string& full_name, int count) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : full_name) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % static_cast<uint64_t>(count)) + 1;
}

bool Selected(const Variant& v, const Selection& s) {
  const Case& c = *v.c;
  if (!s.filters.empty()) {
    const std::string full = v.FullName();
    bool any = std::any_of(s.filters.begin(), s.filters.end(), [&](const std::string& g) {
      return Glob(g, c.name) || Glob(g, full) || Glob(g, c.loc.file);
    });
    if (!any) return false;
  }
  if (!s.tags.empty()) {
    bool any = std::any_of(s.tags.begin(), s.tags.end(), [&](const std::string& t) {
      return std::find(c.tags.begin(), c.tags.end(), t) != c.tags.end();
    });
    if (!any) return false;
  }
  return s.shard.count <= 1 || ShardOf(v.FullName(), s.shard.count) == s.shard.index;
}

std::vector<Variant> Select(const std::vector<Variant>& all, const Selection& s) {
  std::vector<Variant> out;
  for (const Variant& v : all) {
    if (Selected(v, s)) out.push_back(v);
  }
  return out;
}

}  // namespace faultline
