#include "harness/model/result.h"

#include <iterator>

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
constexpr const char* kFateNames[] = {"pass",      "drop",    "delay",  "hold",    "reorder",
                                      "duplicate", "corrupt", "inject", "unparsed", "scripted"};
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

}  // namespace faultline
