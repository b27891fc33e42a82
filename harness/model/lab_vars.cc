#include "harness/model/lab_vars.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {

const std::vector<std::string>& HostVarAttributes() {
  static const std::vector<std::string> attrs = {"addr", "addr4", "addr6", "url_addr"};
  return attrs;
}

StatusOr<std::string> ExpandVars(std::string_view text, const VarLookup& lookup,
                                 size_t* error_offset) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      ++i;
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      if (error_offset) *error_offset = i;
      return Status::Invalid("unterminated ${ (no closing })");
    }
    const std::string name(text.substr(i + 2, close - i - 2));
    std::optional<std::string> value = lookup(name);
    if (!value) {
      if (error_offset) *error_offset = i;
      return Status::Invalid(fmt::format("unknown variable ${{{}}}", name));
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

VarLookup LabVarLookup(const LabVarValues& v) {
  return [v](const std::string& name) -> std::optional<std::string> {
    if (name == "family") return std::string(v.ipv6 ? "ipv6" : "ipv4");
    if (name == "workdir") return v.workdir;
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || !v.address) return std::nullopt;
    const std::string host = name.substr(0, dot);
    const std::string attr = name.substr(dot + 1);
    const auto& attrs = HostVarAttributes();
    if (std::find(attrs.begin(), attrs.end(), attr) == attrs.end()) return std::nullopt;
    const bool six = attr == "addr6" || ((attr == "addr" || attr == "url_addr") && v.ipv6);
    std::optional<std::string> a = v.address(host, six);
    if (!a) return std::nullopt;
    if (attr == "url_addr" && six) return "[" + *a + "]";
    return a;
  };
}

}  // namespace faultline
