#include "reports/text_log.h"

#include <fmt/format.h>

#include <algorithm>

namespace faultline {

int64_t FirstPacketNs(const CaseResult& c) {
  if (c.packets.empty()) return 0;
  int64_t first = c.packets.front().arrival_ns;
  for (const PacketRecord& p : c.packets) first = std::min(first, p.arrival_ns);
  return first;
}

std::string QuotedBytes(const std::string& bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += fmt::format("\\x{:02x}", u);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string StepLogText(const CaseResult& c) {
  std::string out;
  for (const StepRecord& s : c.steps) {
    out += fmt::format("step {} [{}] {}", s.step_index, s.host, s.description);
    if (!s.loc.file.empty()) out += fmt::format(" ({})", s.loc.ToString());
    if (!s.ran) {
      out += " | not run\n";
      continue;
    }
    out += fmt::format(" | at +{:.3f}ms", static_cast<double>(s.start_offset_ns) / 1e6);
    out += " | expected " + (s.expected.empty() ? std::string("success") : s.expected);
    if (!s.actual.empty()) out += " | actual " + s.actual;
    if (!s.data.empty()) out += " | data " + QuotedBytes(s.data);
    if (!s.finished) out += " | did not finish";
    out += s.ok ? " | ok" : " | FAIL: " + s.failure;
    out += "\n";
  }
  return out;
}

std::string PacketLogText(const CaseResult& c) {
  const int64_t t0 = FirstPacketNs(c);
  std::string out;
  for (const PacketRecord& p : c.packets) {
    out += fmt::format("#{} +{:.3f}ms {}", p.seq_no, static_cast<double>(p.arrival_ns - t0) / 1e6,
                       p.Summary());
    if (p.is_copy) out += " | copy";
    if (p.release_ns == 0) {
      out += " | dropped";
    } else if (p.release_ns != p.arrival_ns) {
      out += fmt::format(" | released +{:.3f}ms", static_cast<double>(p.release_ns - t0) / 1e6);
    }
    out += "\n";
  }
  return out;
}

}  // namespace faultline
