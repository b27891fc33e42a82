#include "reports/junit.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/text_escape.h"
#include "reports/text_log.h"
#include "reports/write_file.h"

namespace faultline {
namespace {

std::string X(const std::string& s) { return SafeText(s, /*escape_controls=*/true); }

std::string Seconds(int64_t ns) {
  if (ns < 0) ns = 0;
  return fmt::format("{:.3f}", static_cast<double>(ns) / 1e9);
}

// "2026-11-22T08:00:00" (UTC, as xUnit tools expect: no zone suffix).
std::string IsoTimestamp(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string SuiteName(const CaseResult& c) {
  std::string dir = std::filesystem::path(c.file).parent_path().string();
  return dir.empty() ? "." : dir;
}

// "DIR.FILE-STEM": the last directory component and the file's stem.
std::string ClassName(const CaseResult& c) {
  std::filesystem::path p(c.file);
  std::string dir = p.parent_path().filename().string();
  std::string stem = p.stem().string();
  if (stem.empty()) stem = c.name;
  if (dir.empty() || dir == "." || dir == "..") return stem;
  return dir + "." + stem;
}

// The message with its location in front unless it already has it.
std::string LocatedMessage(const CaseResult& c) {
  std::string loc = c.message_loc.file.empty() ? "" : c.message_loc.ToString();
  if (!loc.empty() && c.message.rfind(loc, 0) != 0) return loc + ": " + c.message;
  return c.message;
}

// XML as pugixml writes it (format_indent): in text & < > are escaped, in
// attribute values & < " and every control character (as "&#NN;"). X()
// has turned other control bytes into "\xNN" text already.
void Escaped(std::string_view s, bool attr, TextSink& out) {
  size_t done = 0;
  auto put = [&](size_t i, std::string_view with) {
    out << s.substr(done, i - done) << with;
    done = i + 1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '&') {
      put(i, "&amp;");
    } else if (s[i] == '<') {
      put(i, "&lt;");
    } else if (s[i] == '>' && !attr) {
      put(i, "&gt;");
    } else if (s[i] == '"' && attr) {
      put(i, "&quot;");
    } else if (u < 0x20 && (attr || (s[i] != '\t' && s[i] != '\n' && s[i] != '\r'))) {
      put(i, fmt::format("&#{}{};", u / 10, u % 10));
    }
  }
  out << s.substr(done);
}

// Text X() would keep as it is: printable ASCII, tabs and newlines (a
// packet log line), so the copy through SafeText is skipped.
bool PlainText(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return (u >= 0x20 && u < 0x7f) || ch == '\n' || ch == '\t';
  });
}

void Text(const std::string& s, TextSink& out) {
  if (PlainText(s)) return Escaped(s, false, out);
  Escaped(X(s), false, out);
}

// `<name a="v" ...` (the caller closes it with ">" or " />").
void Open(TextSink& out, int depth, const char* name,
          std::initializer_list<std::pair<const char*, std::string>> attrs) {
  out << std::string(static_cast<size_t>(depth) * 2, ' ') << "<" << name;
  for (const auto& [key, value] : attrs) {
    out << " " << key << "=\"";
    Escaped(X(value), true, out);
    out << "\"";
  }
}

void Property(TextSink& out, const std::string& name, const std::string& value) {
  Open(out, 3, "property", {{"name", name}, {"value", value}});
  out << " />\n";
}

// `packets:` and `timing:` expectations, one line each; failing ones
// followed by their dump.
std::string PacketChecksText(const CaseResult& c) {
  std::string out;
  for (const PacketCheckRecord& k : c.packet_checks) {
    out += fmt::format("{} {} {} ({}): {}\n", k.kind, k.index, k.description, k.loc.ToString(),
                       k.ok ? "ok" : "FAIL: " + k.failure);
    if (!k.ok) {
      for (const std::string& line : k.dump) out += "    " + line + "\n";
    }
  }
  return out;
}

// A case file that did not load: an error testcase named after the file.
void InvalidFileBody(const CaseResult& c, TextSink& out) {
  Open(out, 3, "error", {{"message", c.message}, {"type", "invalid case file"}});
  out << ">";
  Text(c.message + "\n", out);
  out << "</error>\n      <system-out>";
  Text(fmt::format("file: {}\n", c.file), out);
  out << "</system-out>\n";
}

// What every system-out starts with: the file, seed, pcaps and faults.
std::string CaseHeader(const CaseResult& c) {
  std::string out = fmt::format("file: {}\nseed: {}\n", c.file, c.seed);
  if (!c.description.empty()) out += "description: " + c.description + "\n";
  for (const CaseResult::Pcap& p : c.pcaps) out += "pcap " + p.host + ": " + p.path + "\n";
  if (!c.faults.empty()) {
    out += "faults:\n";
    for (size_t i = 0; i < c.faults.size(); ++i)
      out += fmt::format("  {}: {}\n", i + 1, c.faults[i]);
  }
  return out;
}

// A passing case's system-out: the header and counts (the logs are in the
// JSON and HTML reports).
std::string PassingSummary(const CaseResult& c) {
  std::string out = CaseHeader(c);
  out += fmt::format("steps: {}, all passed\n", c.steps.size());
  if (!c.packet_checks.empty()) {
    out += fmt::format("packet expectations: {}, all passed\n", c.packet_checks.size());
  }
  out += fmt::format("packets: {}\n", c.packets.size());
  if (c.capture_dropped > 0) out += fmt::format("capture lost {} packets\n", c.capture_dropped);
  out += "the step and packet logs are in the JSON and HTML reports\n";
  return out;
}

// The whole log: header, steps, checks, socket states and every packet,
// the packets written line by line.
void FullLog(const CaseResult& c, const std::string& steps, const std::string& checks,
             TextSink& out) {
  std::string head = CaseHeader(c) + "\nsteps:\n" + steps;
  if (!checks.empty()) head += "\npacket expectations:\n" + checks;
  if (!c.states.empty()) {
    const int64_t t0 = FirstPacketNs(c);
    head += "\nsocket states:\n";
    for (const StateEvent& e : c.states) {
      head += fmt::format("{:+.3f}ms {} {} {}\n", static_cast<double>(e.at_ns - t0) / 1e6, e.host,
                          e.socket, e.state);
    }
  }
  head += fmt::format("\npackets ({}):\n", c.packets.size());
  Text(head, out);
  const int64_t t0 = FirstPacketNs(c);
  for (const PacketRecord& p : c.packets) Text(PacketLogLine(p, t0), out);
  if (c.capture_dropped > 0) Text(fmt::format("capture lost {} packets\n", c.capture_dropped), out);
}

void WriteCase(const CaseResult& c, const JunitOptions& opts, TextSink& out) {
  Open(out, 2, "testcase",
       {{"name", c.FullName()}, {"classname", ClassName(c)}, {"time", Seconds(c.duration_ns)}});
  out << ">\n";
  if (c.invalid_file) {
    InvalidFileBody(c, out);
    out << "    </testcase>\n";
    return;
  }
  const bool full = c.outcome != Outcome::kPass || opts.full_passing_log;
  const std::string steps = full ? StepLogText(c) : "";
  const std::string checks = full ? PacketChecksText(c) : "";
  const char* tag = nullptr;
  const char* type = nullptr;
  switch (c.outcome) {
    case Outcome::kPass: break;
    case Outcome::kFail: tag = "failure", type = "expectation"; break;
    case Outcome::kError: tag = "error", type = "harness"; break;
    case Outcome::kSkip: tag = "skipped"; break;
  }
  if (tag != nullptr && type != nullptr) {
    Open(out, 3, tag, {{"message", LocatedMessage(c)}, {"type", type}});
    out << ">";
    Text(checks.empty() ? steps : steps + checks, out);
    out << "</" << tag << ">\n";
  } else if (tag != nullptr) {
    Open(out, 3, tag, {{"message", LocatedMessage(c)}});
    out << " />\n";
  }
  out << "      <system-out>";
  if (full) {
    FullLog(c, steps, checks, out);
  } else {
    Text(PassingSummary(c), out);
  }
  out << "</system-out>\n    </testcase>\n";
}

struct Suite {
  std::string name;
  std::vector<const CaseResult*> cases;
};

void WriteSuite(const RunResult& r, const Suite& s, const JunitOptions& opts, TextSink& out) {
  int failures = 0, errors = 0, skipped = 0;
  int64_t ns = 0;
  int64_t start_ms = s.cases.front()->start_unix_ms;
  std::set<std::string> files;
  std::set<uint64_t> seeds;
  for (const CaseResult* c : s.cases) {
    failures += c->outcome == Outcome::kFail;
    errors += c->outcome == Outcome::kError;
    skipped += c->outcome == Outcome::kSkip;
    ns += c->duration_ns;
    if (c->start_unix_ms != 0 && (start_ms == 0 || c->start_unix_ms < start_ms)) {
      start_ms = c->start_unix_ms;
    }
    files.insert(c->file);
    seeds.insert(c->seed);
  }
  if (start_ms == 0) start_ms = r.start_unix_ms;
  Open(out, 1, "testsuite",
       {{"name", s.name},
        {"tests", std::to_string(s.cases.size())},
        {"failures", std::to_string(failures)},
        {"errors", std::to_string(errors)},
        {"skipped", std::to_string(skipped)},
        {"time", Seconds(ns)},
        {"timestamp", IsoTimestamp(start_ms)}});
  if (files.size() == 1) {
    out << " file=\"";
    Escaped(X(*files.begin()), true, out);
    out << "\"";
  }
  out << ">\n    <properties>\n";
  Property(out, "kernel", r.kernel);
  if (seeds.size() == 1) {
    Property(out, "seed", std::to_string(*seeds.begin()));
  } else {
    for (const CaseResult* c : s.cases) {
      Property(out, "seed " + c->FullName(), std::to_string(c->seed));
    }
  }
  Property(out, "command_line", r.command_line);
  out << "    </properties>\n";
  for (const CaseResult* c : s.cases) WriteCase(*c, opts, out);
  out << "  </testsuite>\n";
}

void WriteRun(const RunResult& r, const JunitOptions& opts, TextSink& out) {
  std::vector<Suite> suites;
  std::map<std::string, size_t> index;
  for (const CaseResult& c : r.cases) {
    std::string name = SuiteName(c);
    auto [it, added] = index.emplace(name, suites.size());
    if (added) suites.push_back({name, {}});
    suites[it->second].cases.push_back(&c);
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  Open(out, 0, "testsuites",
       {{"name", "faultline"},
        {"time", Seconds(r.duration_ns)},
        {"tests", std::to_string(r.cases.size())},
        {"failures", std::to_string(r.Count(Outcome::kFail))},
        {"errors", std::to_string(r.Count(Outcome::kError))}});
  if (suites.empty()) {
    out << " />\n";
    return;
  }
  out << ">\n";
  for (const Suite& s : suites) WriteSuite(r, s, opts, out);
  out << "</testsuites>\n";
}

}  // namespace

std::string JunitXml(const RunResult& r, const JunitOptions& opts) {
  std::string out;
  StringSink sink(&out);
  WriteRun(r, opts, sink);
  return out;
}

Status WriteJunit(const RunResult& r, const std::string& path, const JunitOptions& opts) {
  Status st = WriteStreamedFile(path, [&](TextSink& out) { WriteRun(r, opts, out); });
  if (!st.ok()) return st.Prefixed("junit report");
  return st;
}

}  // namespace faultline
