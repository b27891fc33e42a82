#include "reports/text_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/packet/packet_dump.h"

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

std::string ShownData(const std::string& bytes) {
  if (bytes.size() <= kShownDataBytes) return QuotedBytes(bytes);
  return fmt::format("{} ({} bytes, the first {} shown)",
                     QuotedBytes(bytes.substr(0, kShownDataBytes)), bytes.size(), kShownDataBytes);
}

std::string StepLogText(const CaseResult& c) {
  std::string out;
  for (const StepRecord& s : c.steps) {
    out += fmt::format("step {} [{}] {}", s.step_index, s.host, s.description);
    if (!s.loc.file.empty()) out += fmt::format(" ({})", s.loc.ToString());
    if (s.not_in_variant) {
      out += " | not in this variant\n";
      continue;
    }
    if (!s.ran) {
      out += " | not run\n";
      continue;
    }
    out += fmt::format(" | at +{:.3f}ms", static_cast<double>(s.start_offset_ns) / 1e6);
    out += " | expected " + (s.expected.empty() ? std::string("success") : s.expected);
    if (!s.actual.empty()) out += " | actual " + s.actual;
    if (!s.data.empty()) out += " | data " + ShownData(s.data);
    if (!s.finished) out += " | did not finish";
    out += s.ok ? " | ok" : " | FAIL: " + s.failure;
    out += "\n";
    if (s.IsCommand()) {
      out += "  argv:";
      for (const std::string& a : s.argv) out += " " + QuotedBytes(a);
      out += "\n";
      if (!s.command_end.empty()) out += "  ended: " + s.command_end + "\n";
      auto stream = [&out](const char* name, const std::string& text, int64_t total) {
        if (total == 0) return;
        out += fmt::format("  {} ({} bytes{}):\n", name, total,
                           total > static_cast<int64_t>(text.size()) ? ", the first kept" : "");
        size_t start = 0;
        while (start < text.size()) {
          size_t nl = text.find('\n', start);
          if (nl == std::string::npos) nl = text.size();
          out += "    | ";
          for (char ch : text.substr(start, nl - start)) {
            const auto u = static_cast<unsigned char>(ch);
            if ((u < 0x20 && ch != '\t') || u == 0x7f)
              out += fmt::format("\\x{:02x}", u);  // no control bytes in logs (or XML)
            else
              out += ch;
          }
          out += "\n";
          start = nl + 1;
        }
      };
      stream("stdout", s.stdout_text, s.stdout_bytes);
      stream("stderr", s.stderr_text, s.stderr_bytes);
    }
  }
  return out;
}

std::string PacketLogLine(const PacketRecord& p, int64_t t0) {
  std::string out = fmt::format("#{} +{:.3f}ms {}", p.seq_no,
                                static_cast<double>(p.arrival_ns - t0) / 1e6, PacketRecordLine(p));
  if (p.is_copy) out += " | copy";
  if (p.release_ns == 0) {
    out += " | dropped";
  } else if (p.release_ns != p.arrival_ns) {
    out += fmt::format(" | released +{:.3f}ms", static_cast<double>(p.release_ns - t0) / 1e6);
  }
  out += "\n";
  return out;
}

std::string PacketLogText(const CaseResult& c) {
  const int64_t t0 = FirstPacketNs(c);
  std::string out;
  for (const PacketRecord& p : c.packets) out += PacketLogLine(p, t0);
  return out;
}

}  // namespace faultline
