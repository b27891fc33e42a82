#include "harness/runner/expect_check.h"

#include <poll.h>
#include <string.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "harness/common/errno_names.h"

namespace faultline {
namespace {

struct EventName {
  int bit;
  const char* name;
};
constexpr EventName kEvents[] = {{POLLIN, "in"},      {POLLPRI, "pri"}, {POLLOUT, "out"},
                                 {POLLERR, "err"},    {POLLHUP, "hup"}, {POLLNVAL, "nval"},
                                 {POLLRDHUP, "rdhup"}};

bool MovesBytes(Op op) {
  switch (op) {
    case Op::kSend:
    case Op::kWrite:
    case Op::kRecv:
    case Op::kRead:
    case Op::kSendto:
    case Op::kRecvfrom:
    case Op::kSendfile: return true;
    default: return false;
  }
}

bool Receives(Op op) { return op == Op::kRecv || op == Op::kRead || op == Op::kRecvfrom; }

std::string RetText(const peer::Reply& r) {
  if (r.ret == -1) return fmt::format("ret -1 {}", ErrnoName(r.err));
  return fmt::format("ret {}", r.ret);
}

std::string ErrnoList(const std::vector<int>& errs) {
  std::string s;
  for (size_t i = 0; i < errs.size(); ++i) {
    if (i) s += " or ";
    s += ErrnoName(errs[i]);
  }
  return s;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

}  // namespace

std::string QuoteBytes(const std::string& bytes, size_t max) {
  std::string s = "\"";
  size_t n = std::min(bytes.size(), max);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n': s += "\\n"; break;
      case '\r': s += "\\r"; break;
      case '\t': s += "\\t"; break;
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f)
          s += fmt::format("\\x{:02x}", c);
        else
          s += static_cast<char>(c);
    }
  }
  s += "\"";
  if (bytes.size() > max) s += fmt::format("... ({} bytes)", bytes.size());
  return s;
}

std::string ReventsNames(int revents) {
  std::vector<std::string> names;
  for (const EventName& e : kEvents) {
    if (revents & e.bit) names.emplace_back(e.name);
  }
  return names.empty() ? "none" : Join(names, ",");
}

CheckResult CheckReply(const CallStep& step, const peer::Reply& reply) {
  CheckResult out;
  const Expect& e = step.expect;
  const Op op = step.call.op;
  const Duration took(reply.end_ns - reply.start_ns);
  const std::string received(reply.data.begin(), reply.data.end());

  // The actual side: what the call did, in the terms the expectation uses.
  std::vector<std::string> actual{RetText(reply)};
  if (MovesBytes(op) && reply.ret >= 0) actual.push_back(fmt::format("bytes {}", reply.bytes));
  if (Receives(op) && reply.ret > 0 && (e.data || !step.has_expect)) {
    actual.push_back("data " + QuoteBytes(received));
  }
  if (op == Op::kGetsockopt && reply.ret == 0)
    actual.push_back(fmt::format("value {}", reply.value));
  if (op == Op::kPoll && reply.ret >= 0) actual.push_back("revents " + ReventsNames(reply.revents));
  actual.push_back("took " + FormatDuration(took));
  out.actual = Join(actual, ", ");

  auto fail = [&](const std::string& expected_part, const std::string& actual_part) {
    if (out.ok) {
      out.ok = false;
      out.failure = fmt::format("expected {} vs actual {}", expected_part, actual_part);
    }
  };

  if (!step.has_expect || e.empty()) {
    out.expected = "success";
    if (reply.ret < 0) fail("success", RetText(reply));
    return out;
  }

  std::vector<std::string> expected;
  switch (e.ret_kind) {
    case Expect::RetKind::kUnset: break;
    case Expect::RetKind::kValue:
      expected.push_back(fmt::format("ret {}", e.ret_value));
      if (reply.ret != e.ret_value) fail(expected.back(), RetText(reply));
      break;
    case Expect::RetKind::kOk:
      expected.emplace_back("ret ok");
      if (reply.ret < 0) fail("ret ok (>= 0)", RetText(reply));
      break;
    case Expect::RetKind::kError:
      expected.emplace_back("ret error");
      if (reply.ret >= 0) fail("ret error (-1)", RetText(reply));
      break;
  }
  if (!e.errnos.empty()) {
    expected.push_back("errno " + ErrnoList(e.errnos));
    bool hit =
        reply.ret == -1 && std::find(e.errnos.begin(), e.errnos.end(), reply.err) != e.errnos.end();
    if (!hit) fail(expected.back(), RetText(reply));
  }
  if (e.bytes) {
    expected.push_back("bytes " + e.bytes->ToString());
    if (reply.ret < 0)
      fail(expected.back(), RetText(reply));
    else if (!e.bytes->Contains(reply.bytes))
      fail(expected.back(), fmt::format("bytes {}", reply.bytes));
  }
  if (e.data) {
    expected.push_back("data " + QuoteBytes(*e.data));
    if (reply.ret < 0)
      fail(expected.back(), RetText(reply));
    else if (received != *e.data)
      fail(expected.back(), "data " + QuoteBytes(received));
  }
  if (e.value) {
    expected.push_back(fmt::format("value {}", *e.value));
    if (reply.ret < 0)
      fail(expected.back(), RetText(reply));
    else if (reply.value != *e.value)
      fail(expected.back(), fmt::format("value {}", reply.value));
  }
  if (e.has_revents) {
    int want = 0;
    for (const std::string& name : e.revents) {
      for (const EventName& ev : kEvents) {
        if (name == ev.name) want |= ev.bit;
      }
    }
    expected.push_back("revents " + ReventsNames(want));
    if (reply.ret < 0)
      fail(expected.back(), RetText(reply));
    else if (reply.revents != want)
      fail(expected.back(), "revents " + ReventsNames(reply.revents));
  }
  if (e.took) {
    expected.push_back("took " + e.took->ToString());
    if (!e.took->Contains(took)) fail(expected.back(), "took " + FormatDuration(took));
  }
  out.expected = Join(expected, ", ");
  return out;
}

std::string CommandEnd(const peer::Reply& reply) {
  if (reply.pid == 0) return fmt::format("could not start: {}", ErrnoName(reply.err));
  if (!reply.exited) return "still running";
  std::string s = reply.term_signal != 0
                      ? fmt::format("killed by SIG{}", sigabbrev_np(reply.term_signal)
                                                           ? sigabbrev_np(reply.term_signal)
                                                           : std::to_string(reply.term_signal))
                      : fmt::format("exit {}", reply.exit_code);
  if (reply.stopped) s += " (stopped)";
  return s;
}

namespace {

std::string StripTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Whether `text` meets `t` (already expanded).
bool TextHolds(const TextExpect& t, const std::string& expanded, const std::string& text) {
  switch (t.kind) {
    case TextExpect::Kind::kEquals: return StripTrailingNewlines(text) == expanded;
    case TextExpect::Kind::kContains: return text.find(expanded) != std::string::npos;
    case TextExpect::Kind::kMatches:
      try {
        return std::regex_search(
            text, std::regex(expanded, std::regex::ECMAScript | std::regex::multiline));
      } catch (const std::regex_error&) {
        return false;  // the loader checked the unexpanded pattern; an expansion broke it
      }
  }
  return false;
}

}  // namespace

CheckResult CheckCommand(const CallStep& step, const peer::Reply& reply, const VarLookup& vars,
                         bool by_stop_step) {
  CheckResult out;
  const Expect& e = step.expect;
  const Duration took(reply.end_ns - reply.start_ns);
  const std::string end = CommandEnd(reply);
  out.actual = fmt::format("{}, took {}", end, FormatDuration(took));
  auto fail = [&](const std::string& expected_part, const std::string& actual_part) {
    if (out.ok) {
      out.ok = false;
      out.failure = fmt::format("expected {} vs actual {}", expected_part, actual_part);
    }
  };
  const bool started = reply.pid != 0;
  if (!step.has_expect || e.empty()) {
    if (by_stop_step || step.call.op == Op::kStop) {
      out.expected = "stopped";
      if (!started) fail("stopped", end);
      return out;
    }
    out.expected = "exit 0";
    if (!started || reply.term_signal != 0 || reply.exit_code != 0) fail("exit 0", end);
    return out;
  }
  std::vector<std::string> expected;
  if (e.exit) {
    expected.push_back("exit " + e.exit->text);
    if (!started || reply.term_signal != 0 || !e.exit->Contains(reply.exit_code)) {
      fail(expected.back(), end);
    }
  }
  if (e.signal) {
    const char* abbrev = sigabbrev_np(*e.signal);
    expected.push_back(fmt::format("killed by SIG{}", abbrev ? abbrev : "?"));
    if (!started || reply.term_signal != *e.signal) fail(expected.back(), end);
  }
  auto text = [&](const std::optional<TextExpect>& t, const char* stream,
                  const std::vector<uint8_t>& bytes, int64_t total) {
    if (!t) return;
    StatusOr<std::string> want = ExpandVars(t->text, vars);
    TextExpect shown = *t;
    if (want.ok()) shown.text = *want;
    expected.push_back(fmt::format("{} {}", stream, shown.ToString()));
    const std::string got(bytes.begin(), bytes.end());
    std::string actual = fmt::format("{} {}", stream, QuoteBytes(got, 200));
    if (total > static_cast<int64_t>(got.size())) {
      actual += fmt::format(" (only the first {} of {} bytes kept)", got.size(), total);
    }
    if (!started) {
      fail(expected.back(), end);
    } else if (!want.ok()) {
      fail(expected.back(), want.status().message());
    } else if (!TextHolds(*t, *want, got)) {
      fail(expected.back(), actual);
    }
  };
  text(e.out, "stdout", reply.out, reply.out_bytes);
  text(e.err, "stderr", reply.err_out, reply.err_bytes);
  if (e.took) {
    expected.push_back("took " + e.took->ToString());
    if (!e.took->Contains(took)) fail(expected.back(), "took " + FormatDuration(took));
  }
  out.expected = Join(expected, ", ");
  return out;
}

}  // namespace faultline
