#include "harness/runner/expect_check.h"

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "harness/common/cmsg.h"
#include "harness/common/errno_names.h"
#include "harness/common/text_pattern.h"
#include "harness/runner/request.h"

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
    case Op::kSendfile:
    case Op::kSplice:
    case Op::kSendmsg:
    case Op::kRecvmsg:
    case Op::kWritev:
    case Op::kReadv: return true;
    default: return false;
  }
}

bool Receives(Op op) {
  return op == Op::kRecv || op == Op::kRead || op == Op::kRecvfrom || op == Op::kRecvmsg ||
         op == Op::kReadv;
}

// Calls whose reply carries a value (getsockopt, fcntl getfl, ioctl).
bool HasValue(const SocketCall& c) {
  return c.op == Op::kGetsockopt || c.op == Op::kIoctl ||
         (c.op == Op::kFcntl && c.fcntl_cmd != "setfl");
}

std::string EpollNames(uint32_t events) {
  std::vector<std::string> names;
  for (const std::string& n : kEpollEventNames) {
    if (events & EpollEventBit(n)) names.push_back(n);
  }
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ",") + n;
  return s.empty() ? "none" : s;
}

std::string MsgFlagNames(int flags) {
  std::vector<std::pair<int, const char*>> known = {{MSG_TRUNC, "MSG_TRUNC"},
                                                    {MSG_CTRUNC, "MSG_CTRUNC"},
                                                    {MSG_EOR, "MSG_EOR"},
                                                    {MSG_OOB, "MSG_OOB"},
                                                    {MSG_ERRQUEUE, "MSG_ERRQUEUE"}};
  std::string s;
  for (const auto& [bit, name] : known) {
    if (flags & bit) {
      s += (s.empty() ? "" : "|") + std::string(name);
      flags &= ~bit;
    }
  }
  if (flags != 0) s += fmt::format("{}{:#x}", s.empty() ? "" : "|", flags);
  return s;
}

// The control messages of a recvmsg's reply, decoded.
std::vector<CmsgFields> ReplyCmsgs(const peer::Reply& r) {
  std::vector<CmsgFields> out;
  for (const RawCmsg& c : ParseControl(r.control.data(), r.control.size())) {
    out.push_back(DecodeCmsg(c));
  }
  return out;
}

std::string CmsgList(const std::vector<CmsgFields>& cmsgs) {
  std::string s = "[";
  for (size_t i = 0; i < cmsgs.size(); ++i) s += (i ? ", " : "") + cmsgs[i].ToString();
  return s + "]";
}

bool NamesAddress(Op op) { return op == Op::kGetsockname || op == Op::kGetpeername; }

// The address a getsockname / getpeername returned: "198.18.1.2:40000",
// "[2001:2:0:1::2]:40000".
std::string AddrText(const peer::Reply& r, Op op) {
  const bool peer = op == Op::kGetpeername;
  const std::string& a = peer ? r.remote_addr : r.local_addr;
  const uint16_t port = peer ? r.remote_port : r.local_port;
  if (a.find(':') != std::string::npos) return fmt::format("[{}]:{}", a, port);
  return fmt::format("{}:{}", a, port);
}

// inet_ntop's form of an address; an IPv4-mapped IPv6 address
// (::ffff:198.18.1.2) as its IPv4 address.
std::string NormalAddr(const std::string& text) {
  in6_addr a6{};
  in_addr a4{};
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      std::memcpy(&a4, &a6.s6_addr[12], sizeof a4);
      return inet_ntop(AF_INET, &a4, buf, sizeof buf) ? buf : text;
    }
    return inet_ntop(AF_INET6, &a6, buf, sizeof buf) ? buf : text;
  }
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    return inet_ntop(AF_INET, &a4, buf, sizeof buf) ? buf : text;
  }
  return text;
}

bool AddrHolds(const AddrExpect& a, const peer::Reply& r, Op op) {
  const bool peer = op == Op::kGetpeername;
  const std::string actual = NormalAddr(peer ? r.remote_addr : r.local_addr);
  const uint16_t port = peer ? r.remote_port : r.local_port;
  if (!a.any_port && port != a.endpoint.port) return false;
  switch (a.endpoint.kind) {
    case Endpoint::Kind::kAny: return actual == "0.0.0.0" || actual == "::";
    case Endpoint::Kind::kLiteral: return actual == NormalAddr(a.endpoint.literal);
    case Endpoint::Kind::kHost: return !a.resolved.empty() && actual == NormalAddr(a.resolved);
  }
  return false;
}

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

std::string EpollReadyList(const std::vector<std::string>& fds,
                           const std::vector<uint32_t>& events) {
  std::string s = "[";
  for (size_t i = 0; i < fds.size() && i < events.size(); ++i) {
    if (i) s += ", ";
    s += fmt::format("{} {}", fds[i].empty() ? "?" : fds[i], EpollNames(events[i]));
  }
  return s + "]";
}

std::string ReventsNames(int revents) {
  std::vector<std::string> names;
  for (const EventName& e : kEvents) {
    if (revents & e.bit) names.emplace_back(e.name);
  }
  return names.empty() ? "none" : Join(names, ",");
}

namespace {

// One byte for DataDifference: "0x6c 'l'", "0x0a", or the end of the data.
std::string ByteText(const std::string& b, size_t off) {
  if (off >= b.size()) return fmt::format("the end of the data ({} bytes)", b.size());
  unsigned char c = static_cast<unsigned char>(b[off]);
  if (c >= 0x20 && c < 0x7f && c != '\'') return fmt::format("0x{:02x} '{}'", c, char(c));
  return fmt::format("0x{:02x}", c);
}

// "  expected 00000010  68 65 6c ...  |hel...|" for bytes [row, row + 16).
std::string HexRow(const char* side, const std::string& b, size_t row) {
  std::string hex, text;
  for (size_t i = row; i < row + 16; ++i) {
    if (i < b.size()) {
      unsigned char c = static_cast<unsigned char>(b[i]);
      hex += fmt::format("{:02x} ", c);
      text += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
    } else {
      hex += "   ";
    }
  }
  return fmt::format("  {:<8} {:08x}  {} |{}|", side, row, hex, text);
}

}  // namespace

std::string DataDifference(const std::string& expected, const std::string& actual) {
  size_t off = 0;
  while (off < expected.size() && off < actual.size() && expected[off] == actual[off]) ++off;
  std::string out = fmt::format("first difference at offset {}: expected {} vs actual {}", off,
                                ByteText(expected, off), ByteText(actual, off));
  const size_t at = off / 16 * 16;
  const size_t end = std::max(expected.size(), actual.size());
  for (size_t row = at >= 16 ? at - 16 : 0; row <= at + 16 && row < std::max<size_t>(end, 1);
       row += 16) {
    out += "\n" + HexRow("expected", expected, row) + "\n" + HexRow("actual", actual, row);
  }
  return out;
}

namespace {

// Every mismatch of a check, "expected X vs actual Y" each, in the order the
// expectation lists them. A failed call (ret -1) fails every field that
// only a successful call has, for one reason: it is named once. `detail`
// (lines such as a hex dump) goes after all of them.
struct Mismatch {
  std::vector<std::string> parts;
  std::vector<std::string> actuals;
  std::string details;
  void Note(const std::string& expected_part, const std::string& actual_part,
            const std::string& detail = "") {
    if (actual_part.rfind("ret ", 0) == 0 &&
        std::find(actuals.begin(), actuals.end(), actual_part) != actuals.end()) {
      return;
    }
    parts.push_back(fmt::format("expected {} vs actual {}", expected_part, actual_part));
    actuals.push_back(actual_part);
    details += detail;
  }
  bool empty() const { return parts.empty(); }
  std::string Message() const { return Join(parts, "; ") + details; }
};

// What the call did, in the terms the expectation uses.
std::string ReplyActual(const CallStep& step, const peer::Reply& reply, const std::string& received,
                        Duration took) {
  const Op op = step.call.op;
  std::vector<std::string> actual{RetText(reply)};
  if (MovesBytes(op) && reply.ret >= 0) actual.push_back(fmt::format("bytes {}", reply.bytes));
  if (Receives(op) && reply.ret > 0 && (step.expect.data || !step.has_expect)) {
    actual.push_back("data " + QuoteBytes(received));
  }
  if (HasValue(step.call) && reply.ret >= 0) actual.push_back(fmt::format("value {}", reply.value));
  if (op == Op::kRecvmsg && reply.ret >= 0 && reply.msg_flags != 0) {
    actual.push_back("msg_flags " + MsgFlagNames(reply.msg_flags));
  }
  if (op == Op::kRecvmsg && reply.ret >= 0 && step.expect.cmsgs) {
    actual.push_back("cmsgs " + CmsgList(ReplyCmsgs(reply)));
  }
  if (op == Op::kEpollWait && reply.ret >= 0) {
    actual.push_back("epoll " + EpollReadyList(reply.epoll_fds, reply.epoll_events));
  }
  if (op == Op::kPoll && reply.ret >= 0) actual.push_back("revents " + ReventsNames(reply.revents));
  if (NamesAddress(op) && reply.ret >= 0) actual.push_back("addr " + AddrText(reply, op));
  actual.push_back("took " + FormatDuration(took));
  return Join(actual, ", ");
}

// ret: and errno: of `e`.
void CheckRet(const Expect& e, const peer::Reply& reply, std::vector<std::string>* expected,
              Mismatch* m) {
  switch (e.ret_kind) {
    case Expect::RetKind::kUnset: break;
    case Expect::RetKind::kValue:
      expected->push_back(fmt::format("ret {}", e.ret_value));
      if (reply.ret != e.ret_value) m->Note(expected->back(), RetText(reply));
      break;
    case Expect::RetKind::kOk:
      expected->emplace_back("ret ok");
      if (reply.ret < 0) m->Note("ret ok (>= 0)", RetText(reply));
      break;
    case Expect::RetKind::kError:
      expected->emplace_back("ret error");
      if (reply.ret >= 0) m->Note("ret error (-1)", RetText(reply));
      break;
  }
  if (!e.errnos.empty()) {
    expected->push_back("errno " + ErrnoList(e.errnos));
    bool hit =
        reply.ret == -1 && std::find(e.errnos.begin(), e.errnos.end(), reply.err) != e.errnos.end();
    if (!hit) m->Note(expected->back(), RetText(reply));
  }
}

// A field that only a successful call has: `expected` is its text, `holds`
// whether it matched, `actual` its actual text.
void CheckField(const peer::Reply& reply, std::string expected_part, bool holds,
                const std::string& actual_part, std::vector<std::string>* expected, Mismatch* m,
                const std::string& detail = "") {
  expected->push_back(std::move(expected_part));
  if (reply.ret < 0)
    m->Note(expected->back(), RetText(reply));
  else if (!holds)
    m->Note(expected->back(), actual_part, detail);
}

// bytes:, data:, value:, revents: of `e`.
void CheckValues(const Expect& e, Op op, const peer::Reply& reply, const std::string& received,
                 std::vector<std::string>* expected, Mismatch* m) {
  if (e.bytes) {
    CheckField(reply, "bytes " + e.bytes->ToString(), e.bytes->Contains(reply.bytes),
               fmt::format("bytes {}", reply.bytes), expected, m);
  }
  if (e.data) {
    const bool holds = received == *e.data;
    CheckField(reply, "data " + QuoteBytes(*e.data), holds, "data " + QuoteBytes(received),
               expected, m, holds ? "" : "\n" + DataDifference(*e.data, received));
  }
  if (e.value) {
    CheckField(reply, fmt::format("value {}", *e.value), reply.value == *e.value,
               fmt::format("value {}", reply.value), expected, m);
  }
  if (e.addr) {
    std::string want = "addr " + e.addr->ToString();
    if (!e.addr->resolved.empty()) want += fmt::format(" ({})", e.addr->resolved);
    CheckField(reply, want, AddrHolds(*e.addr, reply, op), "addr " + AddrText(reply, op), expected,
               m);
  }
  if (e.cmsgs) {
    const std::vector<CmsgFields> got = ReplyCmsgs(reply);
    bool holds = got.size() == e.cmsgs->size();
    for (size_t i = 0; holds && i < got.size(); ++i) holds = CmsgHolds((*e.cmsgs)[i], got[i]);
    CheckField(reply, "cmsgs " + CmsgList(*e.cmsgs), holds, "cmsgs " + CmsgList(got), expected, m);
  }
  if (e.has_epoll) {
    std::vector<std::string> fds;
    std::vector<uint32_t> events;
    for (const auto& [fd, names] : e.epoll) {
      fds.push_back(fd);
      uint32_t bits = 0;
      for (const std::string& n : names) bits |= EpollEventBit(n);
      events.push_back(bits);
    }
    const bool holds = fds == reply.epoll_fds && events == reply.epoll_events;
    CheckField(reply, "epoll " + EpollReadyList(fds, events), holds,
               "epoll " + EpollReadyList(reply.epoll_fds, reply.epoll_events), expected, m);
  }
  if (e.has_revents) {
    int want = 0;
    for (const std::string& name : e.revents) {
      for (const EventName& ev : kEvents) {
        if (name == ev.name) want |= ev.bit;
      }
    }
    CheckField(reply, "revents " + ReventsNames(want), reply.revents == want,
               "revents " + ReventsNames(reply.revents), expected, m);
  }
}

Verdict MakeVerdict(std::string expected, std::string actual, const Mismatch& m) {
  if (m.empty()) return Verdict::Pass(std::move(expected), std::move(actual));
  return Verdict::Fail(std::move(expected), std::move(actual), m.Message());
}

}  // namespace

Verdict CheckReply(const CallStep& step, const peer::Reply& reply) {
  const Expect& e = step.expect;
  const Duration took(reply.end_ns - reply.start_ns);
  const std::string received(reply.data.begin(), reply.data.end());
  std::string actual = ReplyActual(step, reply, received, took);
  Mismatch m;
  if (!step.has_expect || e.empty()) {
    if (reply.ret < 0) m.Note("success", RetText(reply));
    return MakeVerdict("success", std::move(actual), m);
  }
  std::vector<std::string> expected;
  CheckRet(e, reply, &expected, &m);
  CheckValues(e, step.call.op, reply, received, &expected, &m);
  if (e.took) {
    expected.push_back("took " + e.took->ToString());
    if (!e.took->Contains(took)) m.Note(expected.back(), "took " + FormatDuration(took));
  }
  return MakeVerdict(Join(expected, ", "), std::move(actual), m);
}

void ResolveAddrExpect(Expect* e, Family family, const std::vector<HostAddrs>& hosts) {
  if (!e->addr || e->addr->endpoint.kind != Endpoint::Kind::kHost) return;
  for (const HostAddrs& h : hosts) {
    if (h.name == e->addr->endpoint.host) {
      e->addr->resolved = family == Family::kIPv4 ? h.addr4 : h.addr6;
    }
  }
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
      // Linear in the text (RE2). The loader checked the unexpanded pattern;
      // one an expansion broke is found nowhere.
      return PatternFound(expanded, text);
  }
  return false;
}

}  // namespace

Verdict CheckCommand(const CallStep& step, const peer::Reply& reply, const VarLookup& vars,
                     bool by_stop_step) {
  const Expect& e = step.expect;
  const Duration took(reply.end_ns - reply.start_ns);
  const std::string end = CommandEnd(reply);
  std::string actual_text = fmt::format("{}, took {}", end, FormatDuration(took));
  Mismatch m;
  auto fail = [&](const std::string& expected_part, const std::string& actual_part) {
    m.Note(expected_part, actual_part);
  };
  const bool started = reply.pid != 0;
  if (!step.has_expect || e.empty()) {
    if (by_stop_step || step.call.op == Op::kStop) {
      if (!started) fail("stopped", end);
      return MakeVerdict("stopped", std::move(actual_text), m);
    }
    if (!started || reply.term_signal != 0 || reply.exit_code != 0) fail("exit 0", end);
    return MakeVerdict("exit 0", std::move(actual_text), m);
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
    // In a pattern the values of ${...} stand for themselves.
    const VarLookup quoted = [&vars](const std::string& name) -> std::optional<std::string> {
      std::optional<std::string> v = vars(name);
      if (v) *v = QuoteForPattern(*v);
      return v;
    };
    StatusOr<std::string> want =
        ExpandVars(t->text, t->kind == TextExpect::Kind::kMatches ? quoted : vars);
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
  return MakeVerdict(Join(expected, ", "), std::move(actual_text), m);
}

}  // namespace faultline
