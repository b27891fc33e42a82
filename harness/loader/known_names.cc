#include "harness/loader/known_names.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/model/observe.h"

namespace faultline {
namespace {

// net.ipv4.conf.eth0.rp_filter -> {net.ipv4.conf.*.rp_filter, eth0}.
std::pair<std::string, std::string> WildcardInterface(const std::string& key) {
  for (const char* p : {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh.",
                        "net.mpls.conf."}) {
    std::string prefix = p;
    if (key.rfind(prefix, 0) != 0) continue;
    size_t dot = key.find('.', prefix.size());
    if (dot == std::string::npos || dot == prefix.size()) return {key, ""};
    return {prefix + "*" + key.substr(dot), key.substr(prefix.size(), dot - prefix.size())};
  }
  return {key, ""};
}

bool Listed(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

// "InType3", "OutType0" after `prefix`.
bool IsIcmpTypeCounter(const std::string& n, const std::string& prefix) {
  for (const char* dir : {"InType", "OutType"}) {
    std::string p = prefix + dir;
    if (n.size() > p.size() && n.size() <= p.size() + 3 && n.rfind(p, 0) == 0 &&
        std::all_of(n.begin() + static_cast<long>(p.size()), n.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& PlainCounters() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const std::string& q : KnownCounters()) {
      size_t dot = q.find('.');
      std::string plain = dot == std::string::npos ? q : q.substr(dot + 1);
      if (seen.insert(plain).second) out.push_back(plain);
    }
    return out;
  }();
  return names;
}

// ClosestName, but only when the difference is small against the name's
// length: "X" is not a misspelling of "TW".
std::string Closest(const std::string& word, const std::vector<std::string>& names) {
  std::string c = ClosestName(word, names);
  if (c.empty() || EditDistance(word, c) * 3 > static_cast<int>(word.size())) return "";
  return c;
}

}  // namespace

std::string MisspeltSysctl(const std::string& key) {
  auto [pattern, iface] = WildcardInterface(key);
  if (Listed(KnownSysctls(), pattern)) return "";
  std::string close = Closest(pattern, KnownSysctls());
  if (close.empty() || iface.empty()) return close;
  size_t star = close.find(".*.");
  return star == std::string::npos ? close
                                   : close.substr(0, star + 1) + iface + close.substr(star + 2);
}

std::string MisspeltCounter(const std::string& name) {
  if (IsIcmpTypeCounter(name, "IcmpMsg.") || IsIcmpTypeCounter(name, "") ||
      IsIcmpTypeCounter(name, "Icmp6")) {
    return "";
  }
  bool qualified = name.find('.') != std::string::npos;
  const std::vector<std::string>& names = qualified ? KnownCounters() : PlainCounters();
  if (Listed(names, name) || (qualified && Listed(PlainCounters(), name))) return "";
  return Closest(name, names);
}

namespace {

// The family-neutral names of the listed IPv4 counters of `group` ("" for
// all four groups) that have an IPv6 counterpart in the list: "Udp*.NoPorts".
std::vector<std::string> NeutralCounters(const std::string& group) {
  std::vector<std::string> out;
  for (const std::string& q : KnownCounters()) {
    size_t dot = q.find('.');
    if (dot == std::string::npos || (!group.empty() && q.substr(0, dot) != group)) continue;
    std::string neutral = q.substr(0, dot) + "*" + q.substr(dot);
    std::string v6 = CounterForFamily(neutral, true);
    if (!v6.empty() && Listed(KnownCounters(), v6)) out.push_back(neutral);
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

Status CheckNeutralCounter(const std::string& name, bool ipv6, const SourceLoc& at,
                           const Scope& s) {
  const std::string group = name.substr(0, name.find("*."));
  const std::string field = name.substr(name.find("*.") + 2);
  const std::string v4 = CounterForFamily(name, false);
  if (v4.empty()) {
    std::string hint;
    if (Listed(KnownCounters(), group + "." + field)) {
      hint = fmt::format(" ('{}.{}' counts both families)", group, field);
    }
    return s.Fail(at, fmt::format("counter '{}': only Ip*, Icmp*, Udp* and UdpLite* name a "
                                  "counter of each family{}",
                                  name, hint));
  }
  if (!Listed(KnownCounters(), v4)) {
    std::string near = Closest(name, NeutralCounters(""));
    if (near.empty()) return Status::Ok();  // a newer kernel's: the lab decides
    return s.Fail(at, fmt::format("unknown counter '{}' (did you mean '{}'?)", name, near));
  }
  if (ipv6 && !Listed(KnownCounters(), CounterForFamily(name, true))) {
    return s.Fail(at, fmt::format("counter '{}' has no IPv6 counterpart (those of {}* that "
                                  "have one: {})",
                                  name, group, JoinNames(NeutralCounters(group))));
  }
  return Status::Ok();
}

}  // namespace

Status CheckCounterName(const std::string& name, bool ipv6, const SourceLoc& at, const Scope& s) {
  if (IsFamilyNeutralCounter(name)) return CheckNeutralCounter(name, ipv6, at, s);
  if (std::string near = MisspeltCounter(name); !near.empty()) {
    return s.Fail(at, fmt::format("unknown counter '{}' (did you mean '{}'?)", name, near));
  }
  return Status::Ok();
}

Status CheckSysctlName(const std::string& key, const SourceLoc& at, const Scope& s) {
  std::string near = MisspeltSysctl(key);
  if (near.empty()) return Status::Ok();
  return s.Fail(at, fmt::format("unknown sysctl '{}' (did you mean '{}'?)", key, near));
}

}  // namespace faultline
