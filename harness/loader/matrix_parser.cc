#include "harness/loader/matrix_parser.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/known_names.h"

namespace faultline {
namespace {

const std::vector<std::string> kMatrixKeys = {"family", "sysctl"};

bool IsMatrixSysctlKey(const std::string& k) {
  if (k.rfind("net.", 0) != 0 || k.back() == '.' || k.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(k.begin(), k.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
           ch == '-';
  });
}

StatusOr<std::vector<Family>> ParseMatrixFamily(const Val& v, const Scope& s) {
  StatusOr<std::vector<Val>> l = ReadList(v, "matrix.family", s);
  if (!l.ok()) return l.status();
  if (l->empty()) return s.Fail(v.loc, "'matrix.family' must name at least one of ipv4, ipv6");
  std::vector<Family> out;
  for (const Val& it : *l) {
    std::string t = it.node.IsScalar() ? it.node.Scalar() : "";
    Family f;
    if (t == "ipv4") {
      f = Family::kIPv4;
    } else if (t == "ipv6") {
      f = Family::kIPv6;
    } else {
      return s.Fail(it.loc, fmt::format("'matrix.family' items must be ipv4 or ipv6, not {}{}",
                                        Describe(it.node), DidYouMean(t, {"ipv4", "ipv6"})));
    }
    if (std::find(out.begin(), out.end(), f) != out.end()) {
      return s.Fail(it.loc, fmt::format("'matrix.family' lists {} twice", t));
    }
    out.push_back(f);
  }
  return out;
}

Status ParseMatrixSysctl(const Val& v, const Scope& s, std::vector<MatrixSysctl>* out) {
  StatusOr<std::vector<Entry>> hosts = ReadMap(v, "matrix.sysctl", s);
  if (!hosts.ok()) return hosts.status();
  if (hosts->empty()) {
    return s.Fail(v.loc, "'matrix.sysctl' must name at least one host with sysctls");
  }
  for (const Entry& h : *hosts) {
    StatusOr<std::vector<Entry>> keys = ReadMap(h.val, "matrix.sysctl." + h.key, s);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) {
      return s.Fail(h.val.loc,
                    fmt::format("'matrix.sysctl.{}' must list at least one sysctl", h.key));
    }
    for (const Entry& k : *keys) {
      if (!IsMatrixSysctlKey(k.key)) {
        return s.Fail(k.key_loc, fmt::format("sysctl key {} must start with 'net.' and contain "
                                             "only a-z, 0-9, '_', '-' and single dots",
                                             Describe(YAML::Node(k.key))));
      }
      FL_RETURN_IF_ERROR(CheckSysctlName(k.key, k.key_loc, s));
      MatrixSysctl m;
      m.loc = k.key_loc;
      m.host = h.key;
      m.key = k.key;
      if (!k.val.node.IsSequence()) {
        return s.Fail(k.val.loc, fmt::format("matrix sysctl '{}' must be a list of values such "
                                             "as [4, 128], not {}",
                                             k.key, Describe(k.val.node)));
      }
      StatusOr<std::vector<Val>> items = ReadList(k.val, k.key, s);
      if (!items.ok()) return items.status();
      if (items->empty()) {
        return s.Fail(k.val.loc,
                      fmt::format("matrix sysctl '{}' must list at least one value", k.key));
      }
      for (const Val& it : *items) {
        if (!it.node.IsScalar()) {
          return s.Fail(it.loc, fmt::format("matrix sysctl '{}' values must be numbers or "
                                            "strings, not {}",
                                            k.key, Describe(it.node)));
        }
        const std::string& val = it.node.Scalar();
        if (std::find(m.values.begin(), m.values.end(), val) != m.values.end()) {
          return s.Fail(it.loc,
                        fmt::format("matrix sysctl '{}' lists {} twice", k.key, Describe(it.node)));
        }
        m.values.push_back(val);
      }
      out->push_back(std::move(m));
    }
  }
  return Status::Ok();
}

}  // namespace

void AddMatrixFormatKeys(FormatKeys* k) { k->matrix_keys = kMatrixKeys; }

Status ParseMatrix(const Val& v, bool has_family_key, const Scope& s, Case* c) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "matrix", s);
  if (!m.ok()) return m.status();
  if (m->empty()) return s.Fail(v.loc, "'matrix' must have family: or sysctl: (or both)");
  FL_RETURN_IF_ERROR(CheckKeys(*m, kMatrixKeys, " in matrix", s));
  if (const Entry* f = FindKey(*m, "family")) {
    if (has_family_key) {
      return s.Fail(f->key_loc,
                    "'matrix.family' conflicts with the top-level 'family'; keep "
                    "one of them");
    }
    StatusOr<std::vector<Family>> fams = ParseMatrixFamily(f->val, s);
    if (!fams.ok()) return fams.status();
    c->families = *fams;
  }
  if (const Entry* sy = FindKey(*m, "sysctl")) {
    FL_RETURN_IF_ERROR(ParseMatrixSysctl(sy->val, s, &c->matrix));
  }
  size_t n = c->families.size();
  for (const MatrixSysctl& d : c->matrix) n *= d.values.size();
  if (n > kMaxCaseVariants) {
    return s.Fail(v.loc, fmt::format("'matrix' expands to {} variants; a case has at most {}", n,
                                     kMaxCaseVariants));
  }
  return Status::Ok();
}

Status CheckMatrixHosts(const Case& c, const Scope& s) {
  std::vector<std::string> names;
  for (const HostSpec& h : c.hosts) names.push_back(h.name);
  for (const MatrixSysctl& d : c.matrix) {
    const HostSpec* h = c.FindHost(d.host);
    if (h == nullptr) {
      return s.Fail(d.loc, fmt::format("'matrix.sysctl' names host '{}', which the case does not "
                                       "declare{}",
                                       d.host, DidYouMean(d.host, names)));
    }
    if (h->scripted) {
      return s.Fail(d.loc, fmt::format("'matrix.sysctl' names host '{}', a scripted host (it has "
                                       "no stack whose sysctls could vary)",
                                       d.host));
    }
    for (const auto& [key, value] : h->sysctls) {
      if (key == d.key) {
        return s.Fail(d.loc, fmt::format("sysctl '{}' of host '{}' is set both in hosts: and in "
                                         "matrix:; keep one of them",
                                         d.key, d.host));
      }
    }
  }
  return Status::Ok();
}

}  // namespace faultline
