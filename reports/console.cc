#include "reports/console.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace faultline {
namespace {

constexpr const char* kReset = "\x1b[0m";

const char* Word(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "PASS";
    case Outcome::kFail: return "FAIL";
    case Outcome::kError: return "ERROR";
    case Outcome::kSkip: return "SKIP";
  }
  return "?";
}

const char* Color(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "\x1b[32m";     // green
    case Outcome::kFail: return "\x1b[1;31m";   // bold red
    case Outcome::kError: return "\x1b[1;35m";  // bold magenta
    case Outcome::kSkip: return "\x1b[33m";     // yellow
  }
  return "";
}

// Control bytes (and DEL) as \xNN; `keep_newline` leaves '\n' alone.
std::string Printable(const std::string& s, bool keep_newline) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if ((u < 0x20 && !(keep_newline && ch == '\n') && ch != '\t') || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string StatusWord(Outcome o, bool color) {
  if (!color) return Word(o);
  return fmt::format("{}{}{}", Color(o), Word(o), kReset);
}

// The message with its location in front (unless it already starts with it),
// each line indented by four spaces, ending in "\n".
std::string IndentedMessage(const CaseResult& c) {
  std::string msg = c.message;
  std::string loc = c.message_loc.file.empty() ? "" : c.message_loc.ToString();
  if (!loc.empty() && msg.rfind(loc, 0) != 0) msg = loc + ": " + msg;
  if (msg.empty()) msg = "(no message)";
  msg = Printable(msg, /*keep_newline=*/true);
  std::string out;
  size_t pos = 0;
  while (pos <= msg.size()) {
    size_t nl = msg.find('\n', pos);
    if (nl == std::string::npos) nl = msg.size();
    out += "    " + msg.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return out;
}

}  // namespace

std::string ConsoleDuration(int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns < 1'000'000'000) return fmt::format("{:.1f}ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
}

std::string ConsoleCaseLine(const CaseResult& c, bool color) {
  std::string line = fmt::format("{}  {}  {}\n", StatusWord(c.outcome, color),
                                 ConsoleDuration(c.duration_ns), Printable(c.FullName(), false));
  if (c.outcome != Outcome::kPass) line += IndentedMessage(c);
  return line;
}

std::string ConsoleSummary(const RunResult& r, bool color) {
  const int passed = r.Count(Outcome::kPass);
  const int failed = r.Count(Outcome::kFail);
  const int errors = r.Count(Outcome::kError);
  const int skipped = r.Count(Outcome::kSkip);

  std::string out = "\n";
  out += fmt::format("Ran {} case{} in {}", r.cases.size(), r.cases.size() == 1 ? "" : "s",
                     ConsoleDuration(r.duration_ns));
  if (!r.kernel.empty()) out += fmt::format(" (kernel {})", Printable(r.kernel, false));
  out += "\n";

  if (!r.cases.empty()) {
    std::vector<const CaseResult*> by_time;
    by_time.reserve(r.cases.size());
    for (const CaseResult& c : r.cases) by_time.push_back(&c);
    const size_t n = std::min<size_t>(5, by_time.size());
    // Stable: equal durations keep run order, so the output is deterministic.
    std::stable_sort(by_time.begin(), by_time.end(), [](const CaseResult* a, const CaseResult* b) {
      return a->duration_ns > b->duration_ns;
    });
    out += fmt::format("Slowest {}:\n", n);
    for (size_t i = 0; i < n; ++i) {
      out += fmt::format("  {:>8}  {}\n", ConsoleDuration(by_time[i]->duration_ns),
                         Printable(by_time[i]->FullName(), false));
    }
  }

  if (failed + errors > 0) {
    out += "Failures:\n";
    for (const CaseResult& c : r.cases) {
      if (c.outcome != Outcome::kFail && c.outcome != Outcome::kError) continue;
      out += fmt::format("{}  {}\n", StatusWord(c.outcome, color), Printable(c.FullName(), false));
      out += IndentedMessage(c);
    }
  }

  out += fmt::format("{} passed, {} failed", passed, failed);
  if (errors > 0) out += fmt::format(", {} error{}", errors, errors == 1 ? "" : "s");
  if (skipped > 0) out += fmt::format(", {} skipped", skipped);
  out += "\n";
  return out;
}

}  // namespace faultline
