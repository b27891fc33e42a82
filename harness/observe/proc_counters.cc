#include "harness/observe/proc_counters.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "harness/lab/lab.h"

namespace faultline {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

bool ToInt(const std::string& t, int64_t* v) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size();
}

StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno("cannot open " + path, errno);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Status ParseGroupedCounters(const std::string& text, Counters* out) {
  std::istringstream in(text);
  std::string names, values;
  int line = 0;
  while (std::getline(in, names)) {
    ++line;
    if (names.empty()) continue;
    if (!std::getline(in, values)) {
      return Status::Invalid(fmt::format("counters line {}: a header line without values", line));
    }
    ++line;
    std::vector<std::string> n = Split(names), v = Split(values);
    if (n.empty() || v.empty() || n[0] != v[0] || n[0].back() != ':') {
      return Status::Invalid(fmt::format("counters line {}: group '{}' vs '{}'", line,
                                         n.empty() ? "" : n[0], v.empty() ? "" : v[0]));
    }
    if (n.size() != v.size()) {
      return Status::Invalid(fmt::format("counters line {}: {} names vs {} values in group {}",
                                         line, n.size() - 1, v.size() - 1, n[0]));
    }
    std::string group = n[0].substr(0, n[0].size() - 1);
    for (size_t i = 1; i < n.size(); ++i) {
      int64_t x = 0;
      if (!ToInt(v[i], &x)) {
        return Status::Invalid(fmt::format(
            "counters line {}: value '{}' of {}.{} is not an integer", line, v[i], group, n[i]));
      }
      (*out)[group + "." + n[i]] = x;
    }
  }
  return Status::Ok();
}

Status ParseFlatCounters(const std::string& text, Counters* out) {
  std::istringstream in(text);
  std::string l;
  int line = 0;
  while (std::getline(in, l)) {
    ++line;
    std::vector<std::string> w = Split(l);
    if (w.empty()) continue;
    int64_t x = 0;
    if (w.size() != 2 || !ToInt(w[1], &x)) {
      return Status::Invalid(
          fmt::format("counters line {}: expected 'Name value', not '{}'", line, l));
    }
    (*out)[w[0]] = x;
  }
  return Status::Ok();
}

StatusOr<Counters> ReadNetnsCounters(int netns_fd) {
  Counters c;
  Status st = InNetns(netns_fd, [&]() -> Status {
    for (const char* f : {"netstat", "snmp"}) {
      StatusOr<std::string> t = ReadWhole(std::string("/proc/thread-self/net/") + f);
      if (!t.ok()) return t.status();
      FL_RETURN_IF_ERROR(ParseGroupedCounters(*t, &c).Prefixed(f));
    }
    StatusOr<std::string> t = ReadWhole("/proc/thread-self/net/snmp6");
    if (t.ok()) FL_RETURN_IF_ERROR(ParseFlatCounters(*t, &c).Prefixed("snmp6"));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return c;
}

StatusOr<std::string> ResolveCounter(const Counters& c, const std::string& name) {
  if (c.count(name) != 0) return name;
  std::vector<std::string> hits;
  for (const auto& [k, v] : c) {
    size_t dot = k.find('.');
    std::string p = dot == std::string::npos ? k : k.substr(dot + 1);
    if (p == name) hits.push_back(k);
  }
  if (hits.size() == 1) return hits[0];
  if (hits.size() > 1) {
    std::string l;
    for (const std::string& h : hits) l += (l.empty() ? "" : ", ") + h;
    return Status::Invalid(
        fmt::format("counter '{}' is in several groups ({}): write one of them", name, l));
  }
  // Did you mean: the closest plain or qualified name (edit distance).
  std::string best;
  size_t best_d = 4;
  auto dist = [](const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  for (const auto& [k, v] : c) {
    size_t dot = k.find('.');
    std::string p = dot == std::string::npos ? k : k.substr(dot + 1);
    for (const std::string& cand : {k, p}) {
      size_t d = dist(name, cand);
      if (d < best_d) {
        best_d = d;
        best = cand;
      }
    }
  }
  return Status::Invalid(
      fmt::format("no counter '{}' in /proc/net/netstat, snmp or snmp6 on this "
                  "kernel{}",
                  name, best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
}

}  // namespace faultline
