#include "harness/common/duration.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace faultline {

std::optional<Duration> ParseDuration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || i == text.size()) return std::nullopt;
  std::string number(text.substr(0, i));
  if (number.front() == '.' || number.back() == '.') return std::nullopt;
  if (std::count(number.begin(), number.end(), '.') > 1) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
  std::string_view unit = text.substr(i);
  double scale = 0;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s") scale = 1e9;
  else if (unit == "m") scale = 60e9;
  else return std::nullopt;
  double ns = value * scale;
  if (ns > 1e18) return std::nullopt;  // beyond any sane case (~31 years)
  return Duration(static_cast<int64_t>(std::llround(ns)));
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  auto trim = [](double v, const char* unit) {
    std::string s = fmt::format("{:.3f}", v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + unit;
  };
  int64_t mag = ns < 0 ? -ns : ns;
  if (mag < 1'000) return fmt::format("{}ns", ns);
  if (mag < 1'000'000) return trim(static_cast<double>(ns) / 1e3, "us");
  if (mag < 1'000'000'000) return trim(static_cast<double>(ns) / 1e6, "ms");
  return trim(static_cast<double>(ns) / 1e9, "s");
}

std::string DurationRange::ToString() const {
  if (lo == Duration(0) && hi == Duration::max()) return "any";
  if (lo == Duration(0)) return "<= " + FormatDuration(hi);
  if (hi == Duration::max()) return ">= " + FormatDuration(lo);
  return fmt::format("[{}, {}]", FormatDuration(lo), FormatDuration(hi));
}

}  // namespace faultline
