#include "harness/model/result.h"

#include <iterator>

#include <fmt/format.h>

namespace faultline {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kError: return "error";
    case Outcome::kSkip: return "skip";
  }
  return "?";
}

namespace {
constexpr const char* kFateNames[] = {"pass",    "drop",      "delay",   "hold",    "reorder",
                                      "duplicate", "corrupt", "inject", "unparsed"};
}  // namespace

const char* PacketFateName(PacketFate f) {
  const auto i = static_cast<size_t>(f);
  return i < std::size(kFateNames) ? kFateNames[i] : "?";
}

std::optional<PacketFate> PacketFateFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kFateNames); ++i)
    if (name == kFateNames[i]) return static_cast<PacketFate>(i);
  return std::nullopt;
}

int RunResult::Count(Outcome o) const {
  int n = 0;
  for (const CaseResult& c : cases) n += c.outcome == o ? 1 : 0;
  return n;
}

std::string PacketRecord::Summary() const {
  std::string s = fmt::format("{} > {} {}", from.empty() ? "?" : from, to.empty() ? "?" : to, proto);
  if (proto == "tcp") {
    s += " " + flags;
    if (has_rel) s += fmt::format(" seq {} ack {}", rel_seq, rel_ack);
    else s += fmt::format(" seq {} ack {}", seq, ack);
  }
  s += fmt::format(" len {}", payload_len);
  if (fault != 0) s += fmt::format(" [fault {}: {}]", fault, action);
  return s;
}

}  // namespace faultline
