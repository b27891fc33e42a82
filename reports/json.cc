#include "reports/json.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/packet/packet_view.h"
#include "reports/text_escape.h"
#include "reports/write_file.h"

namespace faultline {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "faultline-report";
constexpr int kVersion = 1;

std::string T(const std::string& s) { return SafeText(s, /*escape_controls=*/false); }

json Loc(const SourceLoc& l) {
  return json{{"file", T(l.file)}, {"line", l.line}, {"column", l.column}};
}

json StepJson(const StepRecord& s) {
  json j{{"index", s.step_index}, {"loc", Loc(s.loc)}, {"description", T(s.description)},
         {"host", T(s.host)},     {"ran", s.ran},      {"finished", s.finished},
         {"ret", s.ret},          {"errno", s.err},    {"bytes", s.bytes}};
  if (IsValidUtf8(s.data)) {
    j["data"] = s.data;
  } else {
    j["data_base64"] = Base64Encode(s.data);
  }
  j["start_offset_ns"] = s.start_offset_ns;
  j["took_ns"] = s.took_ns;
  j["expected"] = T(s.expected);
  j["actual"] = T(s.actual);
  j["ok"] = s.ok;
  j["failure"] = T(s.failure);
  if (s.not_in_variant) j["not_in_variant"] = true;  // `when:` (only when set: older reports)
  if (s.IsCommand()) {
    json argv = json::array();
    for (const std::string& a : s.argv) argv.push_back(T(a));
    j["command"] = json{{"argv", std::move(argv)},        {"end", T(s.command_end)},
                        {"stdout", T(s.stdout_text)},     {"stderr", T(s.stderr_text)},
                        {"stdout_bytes", s.stdout_bytes}, {"stderr_bytes", s.stderr_bytes}};
  }
  if (!s.snapshot.empty()) {
    json values = json::object();
    for (const auto& [name, v] : s.snapshot) values[name] = v;
    j["snapshot"] = json{{"bytes", s.snapshot_bytes}, {"values", std::move(values)}};
  }
  return j;
}

// The record's addresses as text ("" when it has none).
std::string AddrText(const PacketRecord& p, const std::array<uint8_t, 16>& a) {
  if (!p.has_addrs) return "";
  IpAddr ip;
  ip.v6 = p.v6;
  ip.bytes = a;
  return ip.ToString();
}

std::string OptionsHex(const PacketRecord& p) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(size_t{p.tcp_options_len} * 2, '0');
  for (size_t i = 0; i < p.tcp_options_len; ++i) {
    s[2 * i] = kHex[p.tcp_options[i] >> 4];
    s[2 * i + 1] = kHex[p.tcp_options[i] & 15];
  }
  return s;
}

// A JSON string as nlohmann's dump() writes it (UTF-8 kept, controls as
// \uXXXX), for text T() has already made valid UTF-8.
void AppendJsonString(std::string_view s, fmt::memory_buffer* out) {
  out->push_back('"');
  size_t done = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch != '"' && ch != '\\' && static_cast<unsigned char>(ch) >= 0x20) continue;
    out->append(s.substr(done, i - done));
    done = i + 1;
    switch (ch) {
      case '"': out->append(std::string_view("\\\"")); break;
      case '\\': out->append(std::string_view("\\\\")); break;
      case '\b': out->append(std::string_view("\\b")); break;
      case '\f': out->append(std::string_view("\\f")); break;
      case '\n': out->append(std::string_view("\\n")); break;
      case '\r': out->append(std::string_view("\\r")); break;
      case '\t': out->append(std::string_view("\\t")); break;
      default:
        fmt::format_to(std::back_inserter(*out), "\\u{:04x}", static_cast<unsigned char>(ch));
    }
  }
  out->append(s.substr(done));
  out->push_back('"');
}

// Text as T() makes it: printable ASCII as is (no copy), the rest through
// SafeText.
void AppendText(std::string_view key, const std::string& v, fmt::memory_buffer* out) {
  out->append(key);
  const bool plain = std::all_of(v.begin(), v.end(), [](char ch) {
    return static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f;
  });
  AppendJsonString(plain ? std::string_view(v) : std::string_view(T(v)), out);
}

template <typename N>
void AppendNumber(std::string_view key, N v, fmt::memory_buffer* out) {
  out->append(key);
  const fmt::format_int digits(v);
  out->append(std::string_view(digits.data(), digits.size()));
}

void AppendBool(std::string_view key, bool v, fmt::memory_buffer* out) {
  out->append(key);
  out->append(std::string_view(v ? "true" : "false"));
}

// One packet of the packet log, as one compact JSON object, written field
// by field (a report may hold 100k of them: no DOM, no format strings).
void AppendPacketJson(const PacketRecord& p, fmt::memory_buffer* out) {
  AppendNumber("{\"n\":", p.seq_no, out);
  AppendNumber(",\"arrival_ns\":", p.arrival_ns, out);
  AppendNumber(",\"release_ns\":", p.release_ns, out);
  AppendText(",\"from\":", p.from, out);
  AppendText(",\"to\":", p.to, out);
  AppendText(",\"proto\":", p.proto, out);
  AppendText(",\"flags\":", p.flags, out);
  AppendNumber(",\"sport\":", p.sport, out);
  AppendNumber(",\"dport\":", p.dport, out);
  AppendNumber(",\"seq\":", p.seq, out);
  AppendNumber(",\"ack\":", p.ack, out);
  AppendNumber(",\"rel_seq\":", p.rel_seq, out);
  AppendNumber(",\"rel_ack\":", p.rel_ack, out);
  AppendBool(",\"has_rel\":", p.has_rel, out);
  AppendBool(",\"fragment\":", p.fragment, out);
  AppendNumber(",\"window\":", p.window, out);
  out->append(std::string_view(",\"tcp_options\":"));
  AppendJsonString(OptionsHex(p), out);
  AppendNumber(",\"icmp_type\":", unsigned{p.icmp_type}, out);
  AppendNumber(",\"icmp_code\":", unsigned{p.icmp_code}, out);
  AppendNumber(",\"icmp_mtu\":", p.icmp_mtu, out);
  out->append(std::string_view(",\"src\":"));
  AppendJsonString(AddrText(p, p.src_addr), out);
  out->append(std::string_view(",\"dst\":"));
  AppendJsonString(AddrText(p, p.dst_addr), out);
  AppendNumber(",\"payload_len\":", p.payload_len, out);
  AppendNumber(",\"wire_len\":", p.wire_len, out);
  AppendNumber(",\"fault\":", p.fault, out);
  out->append(std::string_view(",\"fate\":"));
  AppendJsonString(PacketFateName(p.fate), out);
  AppendText(",\"action\":", p.action, out);
  AppendBool(",\"is_copy\":", p.is_copy, out);
  out->push_back('}');
}

json StateJson(const StateEvent& e) {
  return json{
      {"at_ns", e.at_ns}, {"host", T(e.host)}, {"socket", T(e.socket)}, {"state", T(e.state)}};
}

json TransitionJson(const TransitionRecord& t) {
  return json{{"at_ns", t.at_ns},
              {"host", T(t.host)},
              {"socket", T(t.socket)},
              {"from", T(t.from)},
              {"to", T(t.to)}};
}

json PacketCheckJson(const PacketCheckRecord& k) {
  json dump = json::array();
  for (const std::string& line : k.dump) dump.push_back(T(line));
  return json{{"kind", T(k.kind)},
              {"index", k.index},
              {"loc", Loc(k.loc)},
              {"description", T(k.description)},
              {"ok", k.ok},
              {"failure", T(k.failure)},
              {"dump", std::move(dump)}};
}

// Counter deltas and the environment (harness/model/observe_result.h).
json CounterJson(const CounterDelta& d) {
  return json{{"host", T(d.host)},    {"name", T(d.name)},         {"delta", d.delta},
              {"checked", d.checked}, {"expected", T(d.expected)}, {"ok", d.ok}};
}

json EnvironmentJson(const Environment& e) {
  json hosts = json::array();
  for (const Environment::Host& h : e.hosts) {
    json sys = json::array();
    for (const auto& [k, v] : h.sysctls) sys.push_back(json{{"key", T(k)}, {"value", T(v)}});
    json host{{"name", T(h.name)}, {"sysctls", std::move(sys)}};
    if (h.scripted) host["scripted"] = true;
    hosts.push_back(std::move(host));
  }
  return json{{"kernel", T(e.kernel)},
              {"congestion_available", T(e.congestion_available)},
              {"hosts", std::move(hosts)}};
}

json Strings(const std::vector<std::string>& v) {
  json a = json::array();
  for (const std::string& s : v) a.push_back(T(s));
  return a;
}

// The case object's members but "packets" (its last member).
json CaseJson(const CaseResult& c) {
  json steps = json::array();
  for (const StepRecord& s : c.steps) steps.push_back(StepJson(s));
  json states = json::array();
  for (const StateEvent& e : c.states) states.push_back(StateJson(e));
  json transitions = json::array();
  for (const TransitionRecord& t : c.transitions) transitions.push_back(TransitionJson(t));
  json checks = json::array();
  for (const PacketCheckRecord& k : c.packet_checks) checks.push_back(PacketCheckJson(k));
  json counters = json::array();
  for (const CounterDelta& d : c.counters) counters.push_back(CounterJson(d));
  json pcaps = json::array();
  for (const CaseResult::Pcap& p : c.pcaps)
    pcaps.push_back({{"host", T(p.host)}, {"path", T(p.path)}});
  return json{{"name", T(c.name)},
              {"variant", T(c.variant)},
              {"full_name", T(c.FullName())},
              {"file", T(c.file)},
              {"description", T(c.description)},
              {"tags", Strings(c.tags)},
              {"outcome", OutcomeName(c.outcome)},
              {"invalid_file", c.invalid_file},
              {"message", T(c.message)},
              {"message_loc", Loc(c.message_loc)},
              {"start_unix_ms", c.start_unix_ms},
              {"duration_ns", c.duration_ns},
              {"seed", c.seed},
              {"start_mono_ns", c.start_mono_ns},
              {"pcaps", std::move(pcaps)},
              // Version 1 readers knew one pcap per case: the first host's.
              {"pcap_path", c.pcaps.empty() ? std::string() : c.pcaps.front().path},
              {"capture_dropped", c.capture_dropped},
              {"faults", Strings(c.faults)},
              {"steps", std::move(steps)},
              {"packet_checks", std::move(checks)},
              {"states", std::move(states)},
              {"transitions", std::move(transitions)},
              {"notes", Strings(c.notes)},
              {"counters", std::move(counters)},
              {"environment", EnvironmentJson(c.environment)}};
  // "packets" follows: WriteCase streams it.
}

// The run object's members but "cases" (its last member).
json RunJson(const RunResult& r) {
  return json{{"format", kFormat},
              {"version", kVersion},
              {"start_unix_ms", r.start_unix_ms},
              {"duration_ns", r.duration_ns},
              {"kernel", T(r.kernel)},
              {"command_line", T(r.command_line)},
              {"counts",
               {{"total", r.cases.size()},
                {"pass", r.Count(Outcome::kPass)},
                {"fail", r.Count(Outcome::kFail)},
                {"error", r.Count(Outcome::kError)},
                {"skip", r.Count(Outcome::kSkip)}}}};
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool IsArrayOfObjects(const json& j) { return j.is_array() && !j.empty() && j.front().is_object(); }

// Layout: the run object and each case object one member per line, arrays
// of objects one element per line, everything else on one line.
void Emit(const json& j, int depth, TextSink& out);

// The members of an object laid out one per line at `depth` (0: the run, 2:
// a case), each followed by ",\n" (the object's last member comes after).
void EmitMembers(const json& j, int depth, TextSink& out) {
  const std::string pad(static_cast<size_t>(depth) + 1, ' ');
  for (auto it = j.begin(); it != j.end(); ++it) {
    out << pad << Dump(json(it.key())) << ": ";
    Emit(it.value(), depth + 1, out);
    out << ",\n";
  }
}

void Emit(const json& j, int depth, TextSink& out) {
  const std::string pad(static_cast<size_t>(depth) + 1, ' ');
  const std::string close_pad(static_cast<size_t>(depth), ' ');
  const bool expand_object = j.is_object() && (depth == 0 || depth == 2);
  if (expand_object) {
    out << "{\n";
    size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
      out << pad << Dump(json(it.key())) << ": ";
      Emit(it.value(), depth + 1, out);
      out << (i + 1 < j.size() ? ",\n" : "\n");
    }
    out << close_pad << "}";
  } else if (IsArrayOfObjects(j)) {
    out << "[\n";
    for (size_t i = 0; i < j.size(); ++i) {
      out << pad;
      Emit(j[i], depth + 1, out);
      out << (i + 1 < j.size() ? ",\n" : "\n");
    }
    out << close_pad << "]";
  } else {
    out << Dump(j);
  }
}

// A case object (depth 2 of the document): its members, then its packets
// one line each, written as they are formatted.
void WriteCase(const CaseResult& c, TextSink& out) {
  out << "{\n";
  EmitMembers(CaseJson(c), 2, out);
  out << "   \"packets\": ";
  if (c.packets.empty()) {
    out << "[]";
  } else {
    out << "[\n";
    fmt::memory_buffer line;
    for (size_t i = 0; i < c.packets.size(); ++i) {
      line.clear();
      line.append(std::string_view("    "));
      AppendPacketJson(c.packets[i], &line);
      line.append(std::string_view(i + 1 < c.packets.size() ? ",\n" : "\n"));
      out << std::string_view(line.data(), line.size());
    }
    out << "   ]";
  }
  out << "\n  }";
}

void WriteRun(const RunResult& r, TextSink& out) {
  out << "{\n";
  EmitMembers(RunJson(r), 0, out);
  out << " \"cases\": ";
  if (r.cases.empty()) {
    out << "[]";
  } else {
    out << "[\n";
    for (size_t i = 0; i < r.cases.size(); ++i) {
      out << "  ";
      WriteCase(r.cases[i], out);
      out << (i + 1 < r.cases.size() ? ",\n" : "\n");
    }
    out << " ]";
  }
  out << "\n}\n";
}

// ------------------------------------------------------------- parsing --

// Reads members of one object, remembering the first problem with its JSON
// pointer. Missing members keep their defaults.
class Reader {
 public:
  Reader(const json& obj, std::string pointer, Status* status)
      : obj_(obj), pointer_(std::move(pointer)), status_(status) {
    if (!obj_.is_object()) Fail(pointer_, "an object");
  }

  template <typename T>
  void Get(const char* key, T* out) {
    const json* v = Find(key);
    if (v == nullptr) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (!v->is_boolean()) return Fail(Ptr(key), "a boolean");
      *out = v->get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!v->is_number_integer()) return Fail(Ptr(key), "an integer");
      if constexpr (std::is_unsigned_v<T>) {
        if (v->is_number_unsigned()) {
          uint64_t u = v->get<uint64_t>();
          if (u > std::numeric_limits<T>::max()) return Fail(Ptr(key), "an integer in range");
          *out = static_cast<T>(u);
        } else {
          int64_t s = v->get<int64_t>();
          if (s < 0 || static_cast<uint64_t>(s) > std::numeric_limits<T>::max()) {
            return Fail(Ptr(key), "a non-negative integer in range");
          }
          *out = static_cast<T>(s);
        }
      } else {
        if (v->is_number_unsigned() &&
            v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          return Fail(Ptr(key), "an integer in range");
        }
        int64_t s = v->get<int64_t>();
        if (s < std::numeric_limits<T>::min() || s > std::numeric_limits<T>::max()) {
          return Fail(Ptr(key), "an integer in range");
        }
        *out = static_cast<T>(s);
      }
    } else {
      static_assert(std::is_same_v<T, std::string>);
      if (!v->is_string()) return Fail(Ptr(key), "a string");
      *out = v->get<std::string>();
    }
  }

  void GetStrings(const char* key, std::vector<std::string>* out) {
    const json* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(Ptr(key), "an array of strings");
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) return Fail(fmt::format("{}/{}", Ptr(key), i), "a string");
      out->push_back((*v)[i].get<std::string>());
    }
  }

  // The member if it is an array (nullptr, and a failure if it is not).
  const json* Array(const char* key) {
    const json* v = Find(key);
    if (v != nullptr && !v->is_array()) {
      Fail(Ptr(key), "an array");
      return nullptr;
    }
    return v;
  }
  const json* Object(const char* key) {
    const json* v = Find(key);
    if (v != nullptr && !v->is_object()) {
      Fail(Ptr(key), "an object");
      return nullptr;
    }
    return v;
  }

  bool Has(const char* key) const { return Find(key) != nullptr; }
  std::string Ptr(const char* key) const { return pointer_ + "/" + key; }
  void Fail(const std::string& where, const std::string& what) {
    if (status_->ok())
      *status_ = Status::Invalid(
          fmt::format("report JSON: {}: expected {}", where.empty() ? "/" : where, what));
  }
  bool ok() const { return status_->ok(); }

 private:
  const json* Find(const char* key) const {
    if (!obj_.is_object()) return nullptr;
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  const json& obj_;
  std::string pointer_;
  Status* status_;
};

void ReadLoc(Reader& parent, const char* key, SourceLoc* loc, Status* st) {
  const json* j = parent.Object(key);
  if (j == nullptr) return;
  Reader r(*j, parent.Ptr(key), st);
  r.Get("file", &loc->file);
  r.Get("line", &loc->line);
  r.Get("column", &loc->column);
}

StepRecord ReadStep(const json& j, const std::string& ptr, Status* st) {
  StepRecord s;
  Reader r(j, ptr, st);
  r.Get("index", &s.step_index);
  ReadLoc(r, "loc", &s.loc, st);
  r.Get("description", &s.description);
  r.Get("host", &s.host);
  r.Get("ran", &s.ran);
  if (j.contains("not_in_variant")) r.Get("not_in_variant", &s.not_in_variant);
  r.Get("finished", &s.finished);
  r.Get("ret", &s.ret);
  r.Get("errno", &s.err);
  r.Get("bytes", &s.bytes);
  r.Get("data", &s.data);
  std::string b64;
  r.Get("data_base64", &b64);
  if (!b64.empty()) {
    std::optional<std::string> bytes = Base64Decode(b64);
    if (!bytes)
      r.Fail(r.Ptr("data_base64"), "base64 text");
    else
      s.data = *bytes;
  }
  r.Get("start_offset_ns", &s.start_offset_ns);
  r.Get("took_ns", &s.took_ns);
  r.Get("expected", &s.expected);
  r.Get("actual", &s.actual);
  r.Get("ok", &s.ok);
  r.Get("failure", &s.failure);
  if (j.is_object() && j.contains("command")) {
    Reader c(j["command"], ptr + "/command", st);
    c.GetStrings("argv", &s.argv);
    c.Get("end", &s.command_end);
    c.Get("stdout", &s.stdout_text);
    c.Get("stderr", &s.stderr_text);
    c.Get("stdout_bytes", &s.stdout_bytes);
    c.Get("stderr_bytes", &s.stderr_bytes);
  }
  if (j.is_object() && j.contains("snapshot") && j["snapshot"].is_object()) {
    const json& sn = j["snapshot"];
    if (sn.contains("bytes") && sn["bytes"].is_number_unsigned())
      s.snapshot_bytes = sn["bytes"].get<size_t>();
    if (sn.contains("values") && sn["values"].is_object()) {
      for (const auto& [name, v] : sn["values"].items()) {
        if (v.is_number_unsigned()) s.snapshot.emplace_back(name, v.get<uint64_t>());
      }
    }
  }
  return s;
}

// "fate": a PacketFateName. Absent (reports written before it): kPass.
void ReadFate(Reader& r, PacketFate* fate) {
  if (!r.Has("fate")) return;
  std::string name;
  r.Get("fate", &name);
  if (!r.ok()) return;
  if (std::optional<PacketFate> f = PacketFateFromName(name)) {
    *fate = *f;
    return;
  }
  std::string names;
  for (int i = 0; i <= static_cast<int>(PacketFate::kScripted); ++i) {
    names += std::string(i ? ", " : "") + PacketFateName(static_cast<PacketFate>(i));
  }
  r.Fail(r.Ptr("fate"), fmt::format("one of {} (not \"{}\")", names, name));
}

// "020405b4" into the record's option bytes; false if not hex pairs or over
// 40 bytes.
bool ReadOptionsHex(const std::string& hex, PacketRecord* p) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > p->tcp_options.size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    p->tcp_options[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  p->tcp_options_len = static_cast<uint8_t>(hex.size() / 2);
  return true;
}

// The header fields the packet log line shows beyond the basic ones (absent
// from reports written before they were recorded: left at their defaults).
void ReadPacketHeaders(Reader& r, PacketRecord* p) {
  r.Get("fragment", &p->fragment);
  r.Get("window", &p->window);
  std::string hex, src, dst;
  r.Get("tcp_options", &hex);
  if (!ReadOptionsHex(hex, p)) r.Fail(r.Ptr("tcp_options"), "hex option bytes (at most 40)");
  r.Get("icmp_type", &p->icmp_type);
  r.Get("icmp_code", &p->icmp_code);
  r.Get("icmp_mtu", &p->icmp_mtu);
  r.Get("src", &src);
  r.Get("dst", &dst);
  if (src.empty() && dst.empty()) return;
  IpAddr s, d;
  if (!IpAddr::Parse(src, &s)) return r.Fail(r.Ptr("src"), "an IP address");
  if (!IpAddr::Parse(dst, &d) || d.v6 != s.v6) return r.Fail(r.Ptr("dst"), "an IP address");
  p->has_addrs = true;
  p->v6 = s.v6;
  p->src_addr = s.bytes;
  p->dst_addr = d.bytes;
}

PacketRecord ReadPacket(const json& j, const std::string& ptr, Status* st) {
  PacketRecord p;
  Reader r(j, ptr, st);
  r.Get("n", &p.seq_no);
  r.Get("arrival_ns", &p.arrival_ns);
  r.Get("release_ns", &p.release_ns);
  r.Get("from", &p.from);
  r.Get("to", &p.to);
  r.Get("proto", &p.proto);
  r.Get("flags", &p.flags);
  r.Get("sport", &p.sport);
  r.Get("dport", &p.dport);
  r.Get("seq", &p.seq);
  r.Get("ack", &p.ack);
  r.Get("rel_seq", &p.rel_seq);
  r.Get("rel_ack", &p.rel_ack);
  r.Get("has_rel", &p.has_rel);
  ReadPacketHeaders(r, &p);
  r.Get("payload_len", &p.payload_len);
  r.Get("wire_len", &p.wire_len);
  r.Get("fault", &p.fault);
  ReadFate(r, &p.fate);
  r.Get("action", &p.action);
  r.Get("is_copy", &p.is_copy);
  return p;
}

StateEvent ReadState(const json& j, const std::string& ptr, Status* st) {
  StateEvent e;
  Reader r(j, ptr, st);
  r.Get("at_ns", &e.at_ns);
  r.Get("host", &e.host);
  r.Get("socket", &e.socket);
  r.Get("state", &e.state);
  return e;
}

TransitionRecord ReadTransition(const json& j, const std::string& ptr, Status* st) {
  TransitionRecord t;
  Reader r(j, ptr, st);
  r.Get("at_ns", &t.at_ns);
  r.Get("host", &t.host);
  r.Get("socket", &t.socket);
  r.Get("from", &t.from);
  r.Get("to", &t.to);
  return t;
}

PacketCheckRecord ReadPacketCheck(const json& j, const std::string& ptr, Status* st) {
  PacketCheckRecord k;
  Reader r(j, ptr, st);
  r.Get("kind", &k.kind);  // absent in reports before `timing:`: packets
  r.Get("index", &k.index);
  ReadLoc(r, "loc", &k.loc, st);
  r.Get("description", &k.description);
  r.Get("ok", &k.ok);
  r.Get("failure", &k.failure);
  r.GetStrings("dump", &k.dump);
  return k;
}

CounterDelta ReadCounter(const json& j, const std::string& ptr, Status* st) {
  CounterDelta d;
  Reader r(j, ptr, st);
  r.Get("host", &d.host);
  r.Get("name", &d.name);
  r.Get("delta", &d.delta);
  r.Get("checked", &d.checked);
  r.Get("expected", &d.expected);
  r.Get("ok", &d.ok);
  return d;
}

std::pair<std::string, std::string> ReadSysctlPair(const json& j, const std::string& ptr,
                                                   Status* st) {
  std::pair<std::string, std::string> kv;
  Reader r(j, ptr, st);
  r.Get("key", &kv.first);
  r.Get("value", &kv.second);
  return kv;
}

// Reads the array member `key` of `r`, one element with `read`.
template <typename T, typename F>
void ReadArray(Reader& r, const char* key, std::vector<T>* out, Status* st, F read) {
  const json* a = r.Array(key);
  if (a == nullptr) return;
  out->reserve(a->size());
  for (size_t i = 0; i < a->size() && st->ok(); ++i) {
    out->push_back(read((*a)[i], fmt::format("{}/{}", r.Ptr(key), i), st));
  }
}

CaseResult ReadCase(const json& j, const std::string& ptr, Status* st) {
  CaseResult c;
  Reader r(j, ptr, st);
  r.Get("name", &c.name);
  r.Get("variant", &c.variant);
  r.Get("file", &c.file);
  r.Get("description", &c.description);
  r.GetStrings("tags", &c.tags);
  std::string outcome = "pass";
  r.Get("outcome", &outcome);
  if (outcome == "pass")
    c.outcome = Outcome::kPass;
  else if (outcome == "fail")
    c.outcome = Outcome::kFail;
  else if (outcome == "error")
    c.outcome = Outcome::kError;
  else if (outcome == "skip")
    c.outcome = Outcome::kSkip;
  else
    r.Fail(r.Ptr("outcome"), "one of pass, fail, error, skip");
  r.Get("invalid_file", &c.invalid_file);
  r.Get("message", &c.message);
  ReadLoc(r, "message_loc", &c.message_loc, st);
  r.Get("start_unix_ms", &c.start_unix_ms);
  r.Get("duration_ns", &c.duration_ns);
  r.Get("seed", &c.seed);
  r.Get("start_mono_ns", &c.start_mono_ns);
  ReadArray(r, "pcaps", &c.pcaps, st, [](const json& pj, const std::string& pp, Status* pst) {
    CaseResult::Pcap p;
    Reader pr(pj, pp, pst);
    pr.Get("host", &p.host);
    pr.Get("path", &p.path);
    return p;
  });
  if (c.pcaps.empty()) {  // a report written before `pcaps`: its one pcap
    std::string old;
    r.Get("pcap_path", &old);
    if (!old.empty()) c.pcaps.push_back(CaseResult::Pcap{"", old});
  }
  r.Get("capture_dropped", &c.capture_dropped);
  r.GetStrings("faults", &c.faults);
  ReadArray(r, "steps", &c.steps, st, ReadStep);
  ReadArray(r, "packet_checks", &c.packet_checks, st, ReadPacketCheck);
  ReadArray(r, "states", &c.states, st, ReadState);
  ReadArray(r, "transitions", &c.transitions, st, ReadTransition);
  r.GetStrings("notes", &c.notes);
  ReadArray(r, "packets", &c.packets, st, ReadPacket);
  ReadArray(r, "counters", &c.counters, st, ReadCounter);
  if (const json* env = r.Object("environment")) {
    Reader er(*env, r.Ptr("environment"), st);
    er.Get("kernel", &c.environment.kernel);
    er.Get("congestion_available", &c.environment.congestion_available);
    ReadArray(er, "hosts", &c.environment.hosts, st,
              [](const json& hj, const std::string& hp, Status* hst) {
                Environment::Host h;
                Reader hr(hj, hp, hst);
                hr.Get("name", &h.name);
                ReadArray(hr, "sysctls", &h.sysctls, hst, ReadSysctlPair);
                hr.Get("scripted", &h.scripted);
                return h;
              });
  }
  return c;
}

}  // namespace

std::string ReportJson(const RunResult& r) {
  std::string out;
  StringSink sink(&out);
  WriteRun(r, sink);
  return out;
}

Status WriteJson(const RunResult& r, const std::string& path) {
  Status st = WriteStreamedFile(path, [&r](TextSink& out) { WriteRun(r, out); });
  if (!st.ok()) return st.Prefixed("json report");
  return st;
}

StatusOr<RunResult> ParseReportJson(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid("report JSON: not valid JSON");
  Status st;
  RunResult run;
  Reader r(doc, "", &st);
  if (!st.ok()) return st;
  std::string format;
  int version = 0;
  r.Get("format", &format);
  r.Get("version", &version);
  if (!st.ok()) return st;
  if (format != kFormat) {
    return Status::Invalid(
        fmt::format("report JSON: /format: expected \"{}\" vs actual \"{}\"", kFormat, format));
  }
  if (version != kVersion) {
    return Status::Invalid(
        fmt::format("report JSON: /version: expected {} vs actual {}", kVersion, version));
  }
  r.Get("start_unix_ms", &run.start_unix_ms);
  r.Get("duration_ns", &run.duration_ns);
  r.Get("kernel", &run.kernel);
  r.Get("command_line", &run.command_line);
  if (const json* cases = r.Array("cases")) {
    run.cases.reserve(cases->size());
    for (size_t i = 0; i < cases->size() && st.ok(); ++i) {
      run.cases.push_back(ReadCase((*cases)[i], fmt::format("/cases/{}", i), &st));
    }
  }
  if (!st.ok()) return st;
  return run;
}

}  // namespace faultline
