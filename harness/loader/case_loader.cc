#include "harness/loader/case_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "harness/common/unique_fd.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/endpoint_parse.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/known_names.h"
#include "harness/loader/matrix_parser.h"
#include "harness/loader/observe_parser.h"
#include "harness/loader/offloads_check.h"
#include "harness/loader/packet_fields_parser.h"
#include "harness/loader/packets_parser.h"
#include "harness/loader/timing_parser.h"
#include "harness/loader/when_parser.h"
#include "harness/loader/yaml_value.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

// The address plan gives host i the subnet 198.18.i.0/24, i in 1..250 (the
// lab's kLabMaxHosts; the loader does not depend on the lab module).
constexpr size_t kMaxHosts = 250;

const std::vector<std::string> kTopKeys = {
    "name",     "description", "tags",  "family",    "timeout", "seed",
    "hosts",    "faults",      "steps", "matrix",    "packets", "timing",
    "counters", "requires",    "xfail", "tolerance", "capture"};
const std::vector<std::string> kHostKeys = {"sysctl", "mtu", "offloads", "scripted", "ignore"};

bool IsTag(const std::string& t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsSysctlKey(const std::string& k) {
  if (k.rfind("net.", 0) != 0 || k.back() == '.' || k.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

StatusOr<std::vector<Family>> ParseFamily(const Val& v, const Scope& s) {
  std::vector<Val> items;
  if (v.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(v, "family", s);
    if (!l.ok()) return l.status();
    if (l->empty()) return s.Fail(v.loc, "'family' must name at least one of ipv4, ipv6");
    items = *l;
  } else {
    items.push_back(v);
  }
  std::vector<Family> out;
  for (const Val& it : items) {
    std::string t = it.node.IsScalar() ? it.node.Scalar() : "";
    Family f;
    if (t == "ipv4")
      f = Family::kIPv4;
    else if (t == "ipv6")
      f = Family::kIPv6;
    else {
      return s.Fail(it.loc, fmt::format("'family' must be ipv4, ipv6 or [ipv4, ipv6], not {}{}",
                                        Describe(it.node), DidYouMean(t, {"ipv4", "ipv6"})));
    }
    if (std::find(out.begin(), out.end(), f) != out.end()) {
      return s.Fail(it.loc, fmt::format("'family' lists {} twice", t));
    }
    out.push_back(f);
  }
  return out;
}

// A scripted host's keys: ignore: (only there); no sysctl: or offloads:.
Status ParseScripted(const std::vector<Entry>& m, const Scope& s, HostSpec* h) {
  for (const Entry& k : m) {
    if (h->scripted && (k.key == "sysctl" || k.key == "offloads")) {
      return s.Fail(k.key_loc, fmt::format("'{}' does not apply to a scripted host (it has no "
                                           "stack that would use it)",
                                           k.key));
    }
    if (k.key != "ignore") continue;
    if (!h->scripted) {
      return s.Fail(k.key_loc, "'ignore' applies only to a scripted host (add scripted: true)");
    }
    StatusOr<std::vector<Val>> items = ReadList(k.val, "ignore", s);
    if (!items.ok()) return items.status();
    for (const Val& it : *items) {
      StatusOr<PacketFields> f = ParsePacketFields(it, PacketUse::kExpected, "ignore", s);
      if (!f.ok()) return f.status();
      if (f->empty()) {
        return s.Fail(it.loc,
                      "an 'ignore' item must say which packets (an empty one would "
                      "ignore every packet)");
      }
      h->ignore.push_back(std::move(f).value());
    }
  }
  return Status::Ok();
}

StatusOr<HostSpec> ParseHost(const Entry& e, const std::vector<Family>& families,
                             const Scope& top) {
  HostSpec h;
  h.name = e.key;
  h.loc = e.key_loc;
  if (e.key == "any" || e.key == "wire") {
    return top.Fail(e.key_loc, fmt::format("host name '{}' is reserved (any and wire cannot be "
                                           "hosts)",
                                           e.key));
  }
  if (!IsHostName(e.key)) {
    return top.Fail(e.key_loc, fmt::format("host name {} must match [a-z][a-z0-9_-]* and be at "
                                           "most 12 characters",
                                           Describe(YAML::Node(e.key))));
  }
  Scope s{top.file, fmt::format("host '{}': ", e.key)};
  if (e.val.node.IsNull()) return h;
  if (!e.val.node.IsMap()) {
    return s.Fail(e.val.loc, fmt::format("a host must be a map with sysctl: and mtu: (or empty), "
                                         "not {}",
                                         Describe(e.val.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, "", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kHostKeys, "", s));
  for (const Entry& k : *m) {
    if (k.key == "sysctl") {
      StatusOr<std::vector<Entry>> sm = ReadMap(k.val, "sysctl", s);
      if (!sm.ok()) return sm.status();
      for (const Entry& kv : *sm) {
        if (!IsSysctlKey(kv.key)) {
          return s.Fail(kv.key_loc, fmt::format("sysctl key {} must start with 'net.' and "
                                                "contain only a-z, 0-9, '_', '-' and single dots",
                                                Describe(YAML::Node(kv.key))));
        }
        FL_RETURN_IF_ERROR(CheckSysctlName(kv.key, kv.key_loc, s));
        if (!kv.val.node.IsScalar()) {
          return s.Fail(kv.val.loc, fmt::format("sysctl '{}' must have a number or string value, "
                                                "not {}",
                                                kv.key, Describe(kv.val.node)));
        }
        h.sysctls.emplace_back(kv.key, kv.val.node.Scalar());
        h.sysctl_locs.push_back(kv.key_loc);
      }
    } else if (k.key == "mtu") {
      StatusOr<int64_t> mtu = ReadInt(k.val, "mtu", s, 576, 9000);
      if (!mtu.ok()) return mtu.status();
      bool v6 = std::find(families.begin(), families.end(), Family::kIPv6) != families.end();
      if (v6 && *mtu < 1280) {
        return s.Fail(k.val.loc, fmt::format("'mtu' must be at least 1280 when the case runs on "
                                             "ipv6, not {} (or set family: ipv4)",
                                             *mtu));
      }
      h.mtu = static_cast<int>(*mtu);
    } else if (k.key == "offloads") {
      StatusOr<bool> on = ReadBool(k.val, "offloads", s);
      if (!on.ok()) return on.status();
      h.offloads = *on;
    } else if (k.key == "scripted") {
      StatusOr<bool> on = ReadBool(k.val, "scripted", s);
      if (!on.ok()) return on.status();
      h.scripted = *on;
    }
  }
  FL_RETURN_IF_ERROR(ParseScripted(*m, s, &h));
  return h;
}

StatusOr<std::string> ReadName(const Entry& e, const Scope& top) {
  StatusOr<std::string> name = ReadString(e.val, "name", top);
  if (!name.ok()) return name.status();
  if (name->empty()) return top.Fail(e.val.loc, "'name' must not be empty");
  if (std::any_of(name->begin(), name->end(),
                  [](char ch) { return static_cast<unsigned char>(ch) < 0x20; })) {
    return top.Fail(e.val.loc, "'name' must be one line of printable text");
  }
  return name;
}

StatusOr<std::vector<std::string>> ParseTags(const Val& v, const Scope& top) {
  StatusOr<std::vector<Val>> l = ReadList(v, "tags", top);
  if (!l.ok()) return l.status();
  std::vector<std::string> tags;
  for (const Val& t : *l) {
    StatusOr<std::string> tag = ReadString(t, "tags", top);
    if (!tag.ok()) return tag.status();
    if (!IsTag(*tag)) {
      return top.Fail(t.loc,
                      fmt::format("tag {} must contain only a-z, 0-9 and '-'", Describe(t.node)));
    }
    tags.push_back(*tag);
  }
  return tags;
}

StatusOr<Duration> ParseTimeout(const Val& v, const Scope& top) {
  StatusOr<Duration> d = ReadDuration(v, "timeout", top);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0) || *d > std::chrono::minutes(10)) {
    return top.Fail(v.loc, fmt::format("'timeout' must be longer than 0s and at most 10m, "
                                       "not {}",
                                       Describe(v.node)));
  }
  return d;
}

// capture: {full: BOOL}.
Status ParseCapture(const Val& v, const Scope& top, Case* c) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "capture", top);
  if (!m.ok()) return m.status();
  Scope s{top.file, "capture: "};
  FL_RETURN_IF_ERROR(CheckKeys(*m, {"full"}, "", s));
  if (const Entry* full = FindKey(*m, "full")) {
    StatusOr<bool> b = ReadBool(full->val, "full", s);
    if (!b.ok()) return b.status();
    c->capture_full = *b;
  }
  return Status::Ok();
}

// hosts: (or the default client and server at `c->loc`).
Status ParseHosts(const Entry* e, const Scope& top, Case* c) {
  if (e == nullptr) {
    for (const char* n : {"client", "server"}) {
      HostSpec h;
      h.name = n;
      h.loc = c->loc;
      c->hosts.push_back(h);
    }
    return Status::Ok();
  }
  StatusOr<std::vector<Entry>> hm = ReadMap(e->val, "hosts", top);
  if (!hm.ok()) return hm.status();
  if (hm->empty()) return top.Fail(e->val.loc, "'hosts' must declare at least one host");
  if (hm->size() > kMaxHosts) {
    return top.Fail(e->val.loc, fmt::format("'hosts' declares {} hosts; a lab has at most {}",
                                            hm->size(), kMaxHosts));
  }
  for (const Entry& he : *hm) {
    StatusOr<HostSpec> h = ParseHost(he, c->families, top);
    if (!h.ok()) return h.status();
    c->hosts.push_back(std::move(h).value());
  }
  return Status::Ok();
}

// The errors of one file: each top-level key is read even when another had
// an error, unless it depends on it (steps need hosts:, faults and timing
// need steps:), so that one load names every independent mistake.
struct FileErrors {
  std::vector<std::string> messages;
  // Notes `st` when it is an error; whether it was not.
  bool Add(const Status& st) {
    if (!st.ok()) messages.push_back(st.message());
    return st.ok();
  }
  Status Combined(const std::string& file) const;
};

// "FILE:LINE:COL: ..." -> {LINE, COL}; unlocated messages sort last.
std::pair<long, long> MessageLoc(const std::string& file, const std::string& m) {
  if (m.rfind(file + ":", 0) != 0) return {LONG_MAX, LONG_MAX};
  const char* p = m.c_str() + file.size() + 1;
  char* end = nullptr;
  long line = std::strtol(p, &end, 10);
  if (end == p || *end != ':') return {LONG_MAX, LONG_MAX};
  long col = std::strtol(end + 1, &end, 10);
  return {line, col};
}

// At most this many errors of one file are listed (the rest counted).
constexpr size_t kMaxFileErrors = 10;

// One error: its message. Several: in file order, one a line, at most
// kMaxFileErrors of them, then "(and N more errors)".
Status FileErrors::Combined(const std::string& file) const {
  if (messages.empty()) return Status::Ok();
  std::vector<std::string> m = messages;
  std::stable_sort(m.begin(), m.end(), [&file](const std::string& a, const std::string& b) {
    return MessageLoc(file, a) < MessageLoc(file, b);
  });
  std::string out;
  for (size_t i = 0; i < m.size() && i < kMaxFileErrors; ++i) out += (i ? "\n" : "") + m[i];
  if (m.size() > kMaxFileErrors) {
    out += fmt::format("\n(and {} more errors)", m.size() - kMaxFileErrors);
  }
  return Status::Invalid(out);
}

// name:, description:, tags:, family:, matrix: (into `c`, errors into `errs`).
void ParseCaseLabels(const std::vector<Entry>& m, const Scope& top, Case* c, FileErrors* errs) {
  const Entry* e = FindKey(m, "name");
  StatusOr<std::string> name = ReadName(*e, top);
  if (errs->Add(name.status())) c->name = *name;
  if ((e = FindKey(m, "description"))) {
    StatusOr<std::string> d = ReadString(e->val, "description", top);
    if (errs->Add(d.status())) c->description = *d;
  }
  if ((e = FindKey(m, "tags"))) {
    StatusOr<std::vector<std::string>> tags = ParseTags(e->val, top);
    if (errs->Add(tags.status())) c->tags = std::move(tags).value();
  }
  if ((e = FindKey(m, "family"))) {
    StatusOr<std::vector<Family>> f = ParseFamily(e->val, top);
    if (errs->Add(f.status())) c->families = *f;
  }
  if ((e = FindKey(m, "matrix"))) {
    errs->Add(ParseMatrix(e->val, FindKey(m, "family") != nullptr, top, c));
  }
}

// The keys up to hosts: (what steps and faults need to know), in this order.
// False when hosts: had an error (the rest would name hosts it lacks).
bool ParseCaseHead(const std::vector<Entry>& m, const Scope& top, Case* c, FileErrors* errs) {
  ParseCaseLabels(m, top, c, errs);
  const Entry* e = nullptr;
  if ((e = FindKey(m, "timeout"))) {
    StatusOr<Duration> d = ParseTimeout(e->val, top);
    if (errs->Add(d.status())) c->timeout = *d;
  }
  if ((e = FindKey(m, "seed"))) {
    StatusOr<int64_t> seed = ReadInt(e->val, "seed", top, 0);
    if (errs->Add(seed.status())) c->seed = static_cast<uint64_t>(*seed);
  }
  if ((e = FindKey(m, "tolerance"))) {
    StatusOr<Duration> d = ReadDuration(e->val, "tolerance", top);
    if (d.ok() && *d <= Duration(0)) {
      errs->Add(top.Fail(e->val.loc, fmt::format("'tolerance' must be longer than 0s, not {}",
                                                 Describe(e->val.node))));
    } else if (errs->Add(d.status())) {
      c->tolerance = *d;
    }
  }
  if ((e = FindKey(m, "capture"))) errs->Add(ParseCapture(e->val, top, c));
  if (!errs->Add(ParseHosts(FindKey(m, "hosts"), top, c))) return false;
  // After any error the matrix may be partly read: checked only on its own.
  if (errs->messages.empty()) errs->Add(CheckMatrixHosts(*c, top));
  return true;
}

// steps:, then faults: and timing: (which name steps) unless steps: had an
// error; fault steps need both.
void ParseStepsAndFaults(const std::vector<Entry>& m, const CaseContext& cx, Case* c,
                         FileErrors* errs) {
  const Entry* e = FindKey(m, "steps");
  StatusOr<std::vector<Step>> steps = ParseSteps(e->val, cx);
  if (!errs->Add(steps.status())) return;
  c->steps = std::move(steps).value();
  bool faults_ok = true;
  if ((e = FindKey(m, "faults"))) {
    StatusOr<std::vector<Fault>> faults = ParseFaults(e->val, cx, c->steps);
    faults_ok = errs->Add(faults.status());
    if (faults_ok) {
      c->faults = std::move(faults).value();
      faults_ok = errs->Add(CheckOffloadFaults(*c, cx.file));
    }
  }
  const Entry* fe = FindKey(m, "faults");
  if (faults_ok) {
    errs->Add(ResolveFaultSteps(FindKey(m, "steps")->val, fe != nullptr ? &fe->val : nullptr, cx,
                                c->faults, &c->steps));
  }
  if ((e = FindKey(m, "timing"))) {
    StatusOr<std::vector<TimingExpect>> timing = ParseTiming(e->val, cx, c->steps);
    if (errs->Add(timing.status())) c->timing = std::move(timing).value();
  }
}

// steps:, faults:, timing: (above), packets:, counters:, requires:, xfail:.
void ParseCaseBody(const std::vector<Entry>& m, const CaseContext& cx, const Scope& top, Case* c,
                   FileErrors* errs) {
  ParseStepsAndFaults(m, cx, c, errs);
  const Entry* e = nullptr;
  if ((e = FindKey(m, "packets"))) {
    StatusOr<std::vector<PacketExpect>> packets = ParsePackets(e->val, cx);
    if (errs->Add(packets.status())) c->packets = std::move(packets).value();
  }
  if ((e = FindKey(m, "counters"))) {  // observe_parser.cc
    StatusOr<std::vector<CounterExpect>> counters = ParseCounters(e->val, cx, top);
    if (errs->Add(counters.status())) c->counters = std::move(counters).value();
  }
  if ((e = FindKey(m, "requires"))) {
    StatusOr<Requirements> r = ParseRequires(e->val, top);
    if (errs->Add(r.status())) c->requirements = std::move(r).value();
  }
  if ((e = FindKey(m, "xfail"))) {
    StatusOr<ExpectedFailure> x = ParseXfail(e->val, top);
    if (errs->Add(x.status())) c->xfail = std::move(x).value();
  }
}

StatusOr<Case> ParseCase(const YAML::Node& root, const std::string& file) {
  Scope top{file, ""};
  Case c;
  c.loc = SourceLoc{file, 1, 1};
  Val rv{root, top.LocOf(root, c.loc)};
  if (!root.IsMap()) {
    return top.Fail(rv.loc, fmt::format("a case must be a map with keys such as name: and steps:, "
                                        "not {}",
                                        Describe(root)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(rv, "", top);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kTopKeys, " in case", top));
  for (const char* req : {"name", "steps"}) {
    if (FindKey(*m, req) == nullptr) {
      return top.Fail(rv.loc, fmt::format("missing required key '{}' in case", req));
    }
  }
  FileErrors errs;
  if (!ParseCaseHead(*m, top, &c, &errs)) return errs.Combined(file);
  CaseContext cx;
  cx.file = file;
  cx.families = c.families;
  for (const HostSpec& h : c.hosts) {
    cx.hosts.push_back(h.name);
    if (h.scripted) cx.scripted.push_back(h.name);
  }
  cx.matrix = c.matrix;
  cx.variants = c.Variants();
  ParseCaseBody(*m, cx, top, &c, &errs);
  if (errs.messages.empty()) errs.Add(CheckWhen(c, cx.variants));  // when_parser.h
  if (!errs.messages.empty()) return errs.Combined(file);
  return c;
}

// Reads YAML events only to find where a second document starts, if there
// is one. Parses at most two documents, whatever the input.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  std::vector<YAML::Mark> starts;
};

std::optional<YAML::Mark> SecondDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.starts.size() < 2) return std::nullopt;
  return counter.starts[1];
}

Status MarkError(const std::string& file, const YAML::Mark& mark, const std::string& text) {
  SourceLoc loc{file, 1, 1};
  if (mark.line >= 0 && mark.column >= 0) loc = SourceLoc{file, mark.line + 1, mark.column + 1};
  return Status::Invalid(fmt::format("{}: {}", loc.ToString(), text));
}

// What is at `path` when it is not a regular file, for messages.
const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";
}

std::string NotRegular(const std::string& path, mode_t mode) {
  return fmt::format("{}: is {}; a case file must be a regular file", path, FileKind(mode));
}

// stat failed: "no such file or directory", "too many levels of symbolic
// links (a symlink loop?)", ...
std::string PathError(const std::string& path, int err) {
  if (err == ENOENT) return fmt::format("{}: no such file or directory", path);
  if (err == ELOOP) {
    return fmt::format("{}: too many levels of symbolic links (a symlink loop?)", path);
  }
  std::string why = std::strerror(err);
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  return fmt::format("{}: {}", path, why);
}

Status TooLarge(const std::string& path) {
  return Status::Invalid(
      fmt::format("{}:1:1: the file is larger than {} bytes ({} MiB), the "
                  "limit for a case file",
                  path, kMaxCaseFileBytes, kMaxCaseFileBytes >> 20));
}

}  // namespace

void AddCaseFormatKeys(FormatKeys* k) {
  k->case_keys = kTopKeys;
  k->host_keys = kHostKeys;
}

StatusOr<Case> LoadCaseText(const std::string& text, const std::string& file) {
  try {
    size_t nul = text.find('\0');
    if (nul != std::string::npos) {
      int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + nul, '\n'));
      size_t bol = text.rfind('\n', nul);
      int col = static_cast<int>(bol == std::string::npos ? nul + 1 : nul - bol);
      return Status::Invalid(fmt::format("{}:{}:{}: not a text file (NUL byte)", file, line, col));
    }
    std::vector<YAML::Node> docs;
    try {
      // Not YAML::LoadAll: yaml-cpp 0.7 can loop forever on some malformed
      // input there (found by tests/fuzz/loader_fuzz). Count documents with
      // a bound first, then load the first one.
      std::optional<YAML::Mark> second = SecondDocument(text);
      if (second) {
        return MarkError(file, *second,
                         "a case file holds one YAML document; this is a second one");
      }
      YAML::Node doc = YAML::Load(text);
      if (doc.IsDefined()) docs.push_back(doc);
    } catch (const YAML::DeepRecursion& ex) {
      return MarkError(file, ex.mark, "malformed YAML: nested too deeply");
    } catch (const YAML::Exception& ex) {
      return MarkError(file, ex.mark, "malformed YAML: " + ex.msg);
    }
    if (docs.empty() || docs[0].IsNull()) {
      return Status::Invalid(
          fmt::format("{}:1:1: the file holds no case (expected a map with "
                      "keys such as name: and steps:)",
                      file));
    }
    return ParseCase(docs[0], file);
  } catch (const YAML::Exception& ex) {
    return MarkError(file, ex.mark, "malformed YAML: " + ex.msg);
  } catch (const std::exception& ex) {
    return Status::Invalid(fmt::format("{}:1:1: cannot load the case: {}", file, ex.what()));
  } catch (...) {
    return Status::Invalid(fmt::format("{}:1:1: cannot load the case", file));
  }
}

bool IsPacketdrillPath(const std::string& path) { return fs::path(path).extension() == ".pkt"; }

StatusOr<Case> LoadCaseFile(const std::string& path, const PktRunOptions& pkt) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Invalid(fmt::format("{}: cannot open the file", path));
    return Status::Invalid(PathError(path, errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::Invalid(fmt::format("{}: is a directory, not a case file", path));
  }
  if (!S_ISREG(st.st_mode)) return Status::Invalid(NotRegular(path, st.st_mode));
  if (static_cast<uint64_t>(st.st_size) > kMaxCaseFileBytes) return TooLarge(path);
  // O_NONBLOCK: should the file have been replaced by a FIFO since stat,
  // open does not wait for a writer (and fstat below refuses it).
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd)
    return Status::Invalid(fmt::format("{}: cannot open the file: {}", path, std::strerror(errno)));
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::Invalid(NotRegular(path, st.st_mode));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Status::Invalid(
          fmt::format("{}: cannot read the file: {}", path, std::strerror(errno)));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxCaseFileBytes) return TooLarge(path);  // grew while read
  }
  if (IsPacketdrillPath(path)) return LoadPacketdrillText(text, path, pkt);
  return LoadCaseText(text, path);
}

StatusOr<std::vector<std::string>> FindCaseFiles(const std::vector<std::string>& paths) {
  std::set<std::string> out;
  for (const std::string& p : paths) {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0) return Status::Invalid(PathError(p, errno));
    if (!S_ISDIR(st.st_mode)) {
      if (!S_ISREG(st.st_mode)) return Status::Invalid(NotRegular(p, st.st_mode));
      out.insert(fs::path(p).lexically_normal().string());
      continue;
    }
    std::error_code ec;
    fs::recursive_directory_iterator it(p, fs::directory_options::none, ec);
    if (ec)
      return Status::Invalid(fmt::format("{}: cannot list the directory: {}", p, ec.message()));
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::path& f = it->path();
      std::string ext = f.extension().string();
      if (ext != ".yaml" && ext != ".yml" && ext != ".pkt") continue;
      std::error_code fec;
      if (!fs::is_regular_file(f, fec)) continue;
      out.insert(f.lexically_normal().string());
    }
    if (ec)
      return Status::Invalid(fmt::format("{}: cannot list the directory: {}", p, ec.message()));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace faultline
