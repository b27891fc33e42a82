#include "harness/runner/catalogue.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/runner/runner.h"

namespace faultline {
namespace {

constexpr int kMinWidth = 40;

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> VariantNames(const Case& c) {
  std::vector<std::string> names;
  for (const Variant& v : ExpandVariants({c}, std::nullopt)) names.push_back(v.name);
  return names;
}

std::vector<std::string> FamilyNames(const Case& c) {
  std::vector<std::string> names;
  for (Family f : c.families) names.push_back(f == Family::kIPv4 ? "ipv4" : "ipv6");
  return names;
}

}  // namespace

std::string WrapText(const std::string& text, int width, const std::string& indent) {
  std::istringstream words(text);
  const size_t room = static_cast<size_t>(std::max(width, 1));
  std::string out, line, w;
  while (words >> w) {
    if (!line.empty() && indent.size() + line.size() + 1 + w.size() > room) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

std::string CatalogueText(const std::vector<Case>& cases, int width) {
  width = std::max(width, kMinWidth);
  std::string out;
  size_t variants = 0;
  for (const Case& c : cases) {
    std::vector<std::string> vs = VariantNames(c);
    variants += vs.size();
    if (!out.empty()) out += "\n";
    out += c.name + "\n";
    out += fmt::format("  file:     {}\n", c.loc.file);
    out += fmt::format("  tags:     {}\n", c.tags.empty() ? "-" : Join(c.tags, ", "));
    out += fmt::format("  families: {}\n", Join(FamilyNames(c), ", "));
    if (!c.matrix.empty()) out += fmt::format("  variants: {}\n", Join(vs, ", "));
    out += c.description.empty() ? "  (no description)\n" : WrapText(c.description, width, "  ");
  }
  if (!out.empty()) out += "\n";
  out += fmt::format("{} case{} ({} variant{})\n", cases.size(), cases.size() == 1 ? "" : "s",
                     variants, variants == 1 ? "" : "s");
  return out;
}

std::string CatalogueJson(const std::vector<Case>& cases) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Case& c : cases) {
    nlohmann::ordered_json j;
    j["name"] = c.name;
    j["file"] = c.loc.file;
    j["tags"] = c.tags;
    j["families"] = FamilyNames(c);
    j["variants"] = VariantNames(c);
    std::string d = c.description;
    while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back()))) d.pop_back();
    j["description"] = d;  // without the newline a folded YAML block ends with
    all.push_back(std::move(j));
  }
  return all.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace faultline
