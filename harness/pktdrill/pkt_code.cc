#include "harness/pktdrill/pkt_code.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>

namespace faultline::pkt {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// tcpi_* names and faultline's tcp_info field names (docs/cases.md).
std::optional<std::string> FieldName(const std::string& tcpi) {
  static const std::map<std::string, std::string> kFields = {
      {"tcpi_snd_cwnd", "snd_cwnd"},
      {"tcpi_snd_ssthresh", "ssthresh"},
      {"tcpi_lost", "lost"},
      {"tcpi_sacked", "sacked"},
      {"tcpi_unacked", "unacked"},
      {"tcpi_retrans", "retrans"},
      {"tcpi_total_retrans", "total_retrans"},
      {"tcpi_retransmits", "retransmits"},
      {"tcpi_probes", "probes"},
      {"tcpi_backoff", "backoff"}};
  auto it = kFields.find(tcpi);
  if (it == kFields.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> Number(const std::string& s) {
  if (s == "TCP_INFINITE_SSTHRESH") return 0x7fffffff;
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

// Splits "a <= b < c" into operands and operators.
void SplitComparison(const std::string& e, std::vector<std::string>* operands,
                     std::vector<std::string>* ops) {
  std::string cur;
  for (size_t i = 0; i < e.size(); ++i) {
    const char c = e[i];
    if (c == '<' || c == '>' || c == '=' || c == '!') {
      std::string op(1, c);
      if (i + 1 < e.size() && e[i + 1] == '=') op += e[++i];
      operands->push_back(Trim(cur));
      ops->push_back(op);
      cur.clear();
    } else {
      cur += c;
    }
  }
  operands->push_back(Trim(cur));
}

// Narrows `v` by "value OP bound" (value on the left).
bool Apply(const std::string& op, int64_t bound, ValueExpect* v) {
  if (op == "==") {
    v->lo = std::max(v->lo, bound);
    v->hi = std::min(v->hi, bound);
  } else if (op == "<=") {
    v->hi = std::min(v->hi, bound);
  } else if (op == "<") {
    v->hi = std::min(v->hi, bound - 1);
  } else if (op == ">=") {
    v->lo = std::max(v->lo, bound);
  } else if (op == ">") {
    v->lo = std::max(v->lo, bound + 1);
  } else {
    return false;
  }
  return true;
}

std::string Flip(const std::string& op) {
  if (op == "<=") return ">=";
  if (op == "<") return ">";
  if (op == ">=") return "<=";
  if (op == ">") return "<";
  return op;
}

// As a case writes a bound: "10", "<= 7", ">= 1", "[5000, 20000]".
std::string Text(const ValueExpect& v) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (v.lo == v.hi) return std::to_string(v.lo);
  if (v.lo == kMin) return fmt::format("<= {}", v.hi);
  if (v.hi == kMax) return fmt::format(">= {}", v.lo);
  return fmt::format("[{}, {}]", v.lo, v.hi);
}

std::optional<FieldExpect> Assertion(const std::string& stmt) {
  if (stmt.rfind("assert ", 0) != 0) return std::nullopt;
  std::string expr = stmt.substr(7);
  const size_t comma = expr.find(',');
  if (comma != std::string::npos) expr = expr.substr(0, comma);
  if (expr.find_first_of("()&|+*/%^~") != std::string::npos) return std::nullopt;
  std::vector<std::string> operands, ops;
  SplitComparison(expr, &operands, &ops);
  FieldExpect f;
  if (ops.size() == 1 && FieldName(operands[0]) && Number(operands[1])) {
    f.name = *FieldName(operands[0]);
    if (!Apply(ops[0], *Number(operands[1]), &f.expect)) return std::nullopt;
  } else if (ops.size() == 2 && FieldName(operands[1]) && Number(operands[0]) &&
             Number(operands[2]) && ops[0][0] == '<' && ops[1][0] == '<') {
    f.name = *FieldName(operands[1]);
    if (!Apply(Flip(ops[0]), *Number(operands[0]), &f.expect) ||
        !Apply(ops[1], *Number(operands[2]), &f.expect)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  f.expect.text = Text(f.expect);
  return f;
}

}  // namespace

StatusOr<std::vector<FieldExpect>> TcpInfoAssertions(const std::string& code) {
  std::vector<FieldExpect> out;
  std::string stmt;
  for (size_t i = 0; i <= code.size(); ++i) {
    if (i < code.size() && code[i] != '\n' && code[i] != ';') {
      stmt += code[i];
      continue;
    }
    const std::string s = Trim(stmt);
    stmt.clear();
    if (s.empty()) continue;
    std::optional<FieldExpect> f = Assertion(s);
    if (!f)
      return Status::Invalid(fmt::format("'{}'", s.size() > 60 ? s.substr(0, 57) + "..." : s));
    out.push_back(std::move(*f));
  }
  if (out.empty()) return Status::Invalid("an empty block");
  return out;
}

}  // namespace faultline::pkt
