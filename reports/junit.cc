#include "reports/junit.h"

#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <pugixml.hpp>
#include <set>
#include <sstream>
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

void AddProperty(pugi::xml_node props, const std::string& name, const std::string& value) {
  pugi::xml_node p = props.append_child("property");
  p.append_attribute("name") = X(name).c_str();
  p.append_attribute("value") = X(value).c_str();
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
void AddInvalidFile(pugi::xml_node tc, const CaseResult& c) {
  pugi::xml_node n = tc.append_child("error");
  n.append_attribute("message") = X(c.message).c_str();
  n.append_attribute("type") = "invalid case file";
  n.text() = X(c.message + "\n").c_str();
  tc.append_child("system-out").text() = X(fmt::format("file: {}\n", c.file)).c_str();
}

void AddCase(pugi::xml_node suite, const CaseResult& c) {
  pugi::xml_node tc = suite.append_child("testcase");
  tc.append_attribute("name") = X(c.FullName()).c_str();
  tc.append_attribute("classname") = X(ClassName(c)).c_str();
  tc.append_attribute("time") = Seconds(c.duration_ns).c_str();
  if (c.invalid_file) return AddInvalidFile(tc, c);

  const std::string steps = StepLogText(c);
  const std::string checks = PacketChecksText(c);
  const char* tag = nullptr;
  const char* type = nullptr;
  switch (c.outcome) {
    case Outcome::kPass: break;
    case Outcome::kFail: tag = "failure", type = "expectation"; break;
    case Outcome::kError: tag = "error", type = "harness"; break;
    case Outcome::kSkip: tag = "skipped"; break;
  }
  if (tag != nullptr) {
    pugi::xml_node n = tc.append_child(tag);
    n.append_attribute("message") = X(LocatedMessage(c)).c_str();
    if (type != nullptr) {
      n.append_attribute("type") = type;
      n.text() = X(checks.empty() ? steps : steps + checks).c_str();
    }
  }

  std::string out = fmt::format("file: {}\nseed: {}\n", c.file, c.seed);
  if (!c.description.empty()) out += "description: " + c.description + "\n";
  for (const CaseResult::Pcap& p : c.pcaps) out += "pcap " + p.host + ": " + p.path + "\n";
  if (!c.faults.empty()) {
    out += "faults:\n";
    for (size_t i = 0; i < c.faults.size(); ++i)
      out += fmt::format("  {}: {}\n", i + 1, c.faults[i]);
  }
  out += "\nsteps:\n" + steps;
  if (!checks.empty()) out += "\npacket expectations:\n" + checks;
  if (!c.states.empty()) {
    const int64_t t0 = FirstPacketNs(c);
    out += "\nsocket states:\n";
    for (const StateEvent& e : c.states) {
      out += fmt::format("{:+.3f}ms {} {} {}\n", static_cast<double>(e.at_ns - t0) / 1e6, e.host,
                         e.socket, e.state);
    }
  }
  out += fmt::format("\npackets ({}):\n", c.packets.size()) + PacketLogText(c);
  if (c.capture_dropped > 0) out += fmt::format("capture lost {} packets\n", c.capture_dropped);
  tc.append_child("system-out").text() = X(out).c_str();
}

struct Suite {
  std::string name;
  std::vector<const CaseResult*> cases;
};

}  // namespace

std::string JunitXml(const RunResult& r) {
  std::vector<Suite> suites;
  std::map<std::string, size_t> index;
  for (const CaseResult& c : r.cases) {
    std::string name = SuiteName(c);
    auto [it, added] = index.emplace(name, suites.size());
    if (added) suites.push_back({name, {}});
    suites[it->second].cases.push_back(&c);
  }

  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("testsuites");
  root.append_attribute("name") = "faultline";
  root.append_attribute("time") = Seconds(r.duration_ns).c_str();
  root.append_attribute("tests") = std::to_string(r.cases.size()).c_str();
  root.append_attribute("failures") = std::to_string(r.Count(Outcome::kFail)).c_str();
  root.append_attribute("errors") = std::to_string(r.Count(Outcome::kError)).c_str();

  for (const Suite& s : suites) {
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

    pugi::xml_node suite = root.append_child("testsuite");
    suite.append_attribute("name") = X(s.name).c_str();
    suite.append_attribute("tests") = std::to_string(s.cases.size()).c_str();
    suite.append_attribute("failures") = std::to_string(failures).c_str();
    suite.append_attribute("errors") = std::to_string(errors).c_str();
    suite.append_attribute("skipped") = std::to_string(skipped).c_str();
    suite.append_attribute("time") = Seconds(ns).c_str();
    suite.append_attribute("timestamp") = IsoTimestamp(start_ms).c_str();
    if (files.size() == 1) suite.append_attribute("file") = X(*files.begin()).c_str();

    pugi::xml_node props = suite.append_child("properties");
    AddProperty(props, "kernel", r.kernel);
    if (seeds.size() == 1) {
      AddProperty(props, "seed", std::to_string(*seeds.begin()));
    } else {
      for (const CaseResult* c : s.cases) {
        AddProperty(props, "seed " + c->FullName(), std::to_string(c->seed));
      }
    }
    AddProperty(props, "command_line", r.command_line);

    for (const CaseResult* c : s.cases) AddCase(suite, *c);
  }

  std::ostringstream os;
  doc.save(os, "  ", pugi::format_indent, pugi::encoding_utf8);
  return os.str();
}

Status WriteJunit(const RunResult& r, const std::string& path) {
  Status st = WriteWholeFile(path, JunitXml(r));
  if (!st.ok()) return st.Prefixed("junit report");
  return st;
}

}  // namespace faultline
