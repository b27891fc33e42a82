// expect: of a step (see docs/cases.md, "Expectations").
#include <string.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "harness/common/errno_names.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/observe_parser.h"
#include "harness/loader/format_keys.h"

namespace faultline {
namespace {

const std::vector<std::string> kExpectKeys = {"ret",    "errno",  "bytes",   "data",
                                              "took",   "value",  "revents", "exit",
                                              "signal", "stdout", "stderr"};
// stdout: / stderr: {...}
const std::vector<std::string> kOutputKeys = {"equals", "contains", "matches"};
// What a command step (run, stop) can expect.
const std::vector<std::string> kCommandExpectKeys = {"exit", "signal", "stdout", "stderr", "took"};

bool IsCommandOp(Op op) { return op == Op::kRun || op == Op::kStop; }

// "SIGTERM", ... for every signal glibc names.
const std::vector<std::string>& SignalNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int sig = 1; sig < 32; ++sig) {
      if (const char* abbrev = sigabbrev_np(sig)) v.push_back(std::string("SIG") + abbrev);
    }
    return v;
  }();
  return names;
}

std::optional<int> SignalFromName(const std::string& name) {
  for (int sig = 1; sig < 32; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == std::string("SIG") + abbrev) return sig;
  }
  return std::nullopt;
}

// stdout: TEXT | {equals: TEXT} | {contains: TEXT} | {matches: REGEX}
StatusOr<TextExpect> ReadTextExpect(const Val& v, const std::string& what, const Scope& s) {
  TextExpect t;
  if (v.node.IsScalar()) {
    t.text = v.node.Scalar();
    return t;
  }
  if (!v.node.IsMap()) {
    return s.Fail(v.loc, fmt::format("'{}' must be a string or a map {{contains: TEXT}} / "
                                     "{{matches: REGEX}} / {{equals: TEXT}}, not {}",
                                     what, Describe(v.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(v, what, s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kOutputKeys, " in " + what, s));
  if (m->size() != 1) {
    return s.Fail(v.loc,
                  fmt::format("'{}' takes exactly one of equals, contains or matches", what));
  }
  const Entry& e = m->front();
  StatusOr<std::string> text = ReadString(e.val, e.key, s);
  if (!text.ok()) return text.status();
  t.text = *text;
  t.kind = e.key == "equals"     ? TextExpect::Kind::kEquals
           : e.key == "contains" ? TextExpect::Kind::kContains
                                 : TextExpect::Kind::kMatches;
  if (t.kind == TextExpect::Kind::kMatches) {
    try {
      std::regex re(t.text, std::regex::ECMAScript | std::regex::multiline);
    } catch (const std::regex_error& err) {
      return s.Fail(e.val.loc,
                    fmt::format("'matches' is not a valid regular expression: {}", err.what()));
    }
  }
  return t;
}
const std::vector<std::string> kRevents = {"in", "out", "pri", "err", "hup", "nval", "rdhup"};

const std::vector<std::string>& ErrnoNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int e = 1; e < 200; ++e) {
      std::string n = ErrnoName(e);
      if (n.size() > 1 && !(n[1] >= '0' && n[1] <= '9')) v.push_back(n);
    }
    return v;
  }();
  return names;
}

bool Reads(Op op) { return op == Op::kRecv || op == Op::kRead || op == Op::kRecvfrom; }

StatusOr<IntRange> ReadIntRange(const Val& v, const std::string& what, const Scope& s) {
  if (v.node.IsSequence()) {
    if (v.node.size() != 2) {
      return s.Fail(v.loc, fmt::format("'{}' must be an integer or [lo, hi], not a list of {}",
                                       what, v.node.size()));
    }
    StatusOr<int64_t> lo = ReadInt(Child(v.node[0], v.loc, s), what, s, 0);
    if (!lo.ok()) return lo.status();
    StatusOr<int64_t> hi = ReadInt(Child(v.node[1], v.loc, s), what, s, 0);
    if (!hi.ok()) return hi.status();
    if (*lo > *hi) {
      return s.Fail(v.loc, fmt::format("'{}' range [{}, {}] has its low end above its high end",
                                       what, *lo, *hi));
    }
    return IntRange{*lo, *hi};
  }
  if (!LooksLikeInt(v.node)) {
    return s.Fail(
        v.loc, fmt::format("'{}' must be an integer or [lo, hi], not {}", what, Describe(v.node)));
  }
  StatusOr<int64_t> x = ReadInt(v, what, s, 0);
  if (!x.ok()) return x.status();
  return IntRange{*x, *x};
}

}  // namespace

void AddExpectFormatKeys(FormatKeys* k) {
  k->expect_keys = kExpectKeys;
  k->output_keys = kOutputKeys;
  k->revents = kRevents;
}

StatusOr<IntRange> ReadNonNegativeRange(const Val& v, const std::string& what, const Scope& s) {
  return ReadIntRange(v, what, s);
}

StatusOr<DurationRange> ReadDurationRange(const Val& v, const std::string& what, const Scope& s,
                                          bool allow_bound) {
  auto bad = [&] {
    std::string also = allow_bound ? " or a bound such as \"<= 50ms\"" : "";
    return s.Fail(v.loc, fmt::format("'{}' must be [lo, hi] durations{}, not {}", what, also,
                                     Describe(v.node)));
  };
  DurationRange r;
  if (v.node.IsSequence()) {
    if (v.node.size() != 2) return bad();
    StatusOr<Duration> lo = ReadDuration(Child(v.node[0], v.loc, s), what, s);
    if (!lo.ok()) return lo.status();
    StatusOr<Duration> hi = ReadDuration(Child(v.node[1], v.loc, s), what, s);
    if (!hi.ok()) return hi.status();
    if (*lo > *hi) {
      return s.Fail(v.loc, fmt::format("'{}' range [{}, {}] has its low end above its high end",
                                       what, FormatDuration(*lo), FormatDuration(*hi)));
    }
    r.lo = *lo;
    r.hi = *hi;
    return r;
  }
  if (!allow_bound || !v.node.IsScalar()) return bad();
  std::string t = v.node.Scalar();
  std::string op;
  for (const char* o : {"<=", ">=", "<", ">"}) {
    if (t.rfind(o, 0) == 0) {
      op = o;
      break;
    }
  }
  if (op.empty()) return bad();
  std::string rest = t.substr(op.size());
  while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
  std::optional<Duration> d = ParseDuration(rest);
  if (!d) return bad();
  if (op == "<=") r.hi = *d;
  if (op == ">=") r.lo = *d;
  if (op == "<") {
    if (*d <= Duration(0)) {
      return s.Fail(v.loc, fmt::format("'{}' bound {} can never hold", what, Describe(v.node)));
    }
    r.hi = *d - Duration(1);
  }
  if (op == ">") r.lo = *d + Duration(1);
  return r;
}

StatusOr<Expect> ParseExpect(const Val& v, Op op, const Scope& s) {
  Expect x;
  x.loc = v.loc;
  StatusOr<std::vector<Entry>> m = ReadMap(v, "expect", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kExpectKeys, " in expect", s));
  const Entry* errno_entry = nullptr;
  for (const Entry& e : *m) {
    const Val& val = e.val;
    const bool command_key = std::find(kCommandExpectKeys.begin(), kCommandExpectKeys.end(),
                                       e.key) != kCommandExpectKeys.end();
    if (IsCommandOp(op) && !command_key) {
      return s.Fail(e.key_loc, fmt::format("'{}' in expect does not apply to '{}' (a command "
                                           "has exit, signal, stdout, stderr and took)",
                                           e.key, OpName(op)));
    }
    if (!IsCommandOp(op) && command_key && e.key != "took") {
      return s.Fail(e.key_loc, fmt::format("'{}' in expect does not apply to '{}' (only to run "
                                           "and stop)",
                                           e.key, OpName(op)));
    }
    if (e.key == "exit") {
      StatusOr<ValueExpect> x_exit = ReadValueExpect(val, "exit", s);
      if (!x_exit.ok()) return x_exit.status();
      x.exit = *x_exit;
    } else if (e.key == "signal") {
      StatusOr<std::string> name = ReadString(val, "signal", s);
      if (!name.ok()) return name.status();
      std::optional<int> sig = SignalFromName(*name);
      if (!sig) {
        std::string hint = DidYouMean(*name, SignalNames());
        if (hint.empty()) hint = " (a name such as SIGTERM or SIGKILL)";
        return s.Fail(val.loc, fmt::format("unknown signal {}{}", Describe(val.node), hint));
      }
      x.signal = *sig;
    } else if (e.key == "stdout" || e.key == "stderr") {
      StatusOr<TextExpect> t = ReadTextExpect(val, e.key, s);
      if (!t.ok()) return t.status();
      (e.key == "stdout" ? x.out : x.err) = *t;
    } else if (e.key == "ret") {
      if (val.node.IsScalar() && !IsQuoted(val.node) && val.node.Scalar() == "ok") {
        x.ret_kind = Expect::RetKind::kOk;
      } else if (val.node.IsScalar() && !IsQuoted(val.node) && val.node.Scalar() == "error") {
        x.ret_kind = Expect::RetKind::kError;
      } else if (LooksLikeInt(val.node)) {
        StatusOr<int64_t> r = ReadInt(val, "ret", s);
        if (!r.ok()) return r.status();
        x.ret_kind = Expect::RetKind::kValue;
        x.ret_value = *r;
      } else {
        return s.Fail(val.loc, fmt::format("'ret' must be an integer, ok or error, not {}",
                                           Describe(val.node)));
      }
    } else if (e.key == "errno") {
      errno_entry = &e;
      std::vector<Val> names;
      if (val.node.IsSequence()) {
        StatusOr<std::vector<Val>> l = ReadList(val, "errno", s);
        if (!l.ok()) return l.status();
        if (l->empty()) return s.Fail(val.loc, "'errno' must name at least one error");
        names = *l;
      } else if (val.node.IsScalar()) {
        names.push_back(val);
      } else {
        return s.Fail(val.loc, fmt::format("'errno' must be an error name such as ECONNREFUSED or "
                                           "a list of them, not {}",
                                           Describe(val.node)));
      }
      for (const Val& n : names) {
        StatusOr<std::string> name = ReadString(n, "errno", s);
        if (!name.ok()) return name.status();
        std::optional<int> num = ErrnoFromName(*name);
        if (!num) {
          return s.Fail(n.loc, fmt::format("unknown errno {}{}", Describe(n.node),
                                           DidYouMean(*name, ErrnoNames())));
        }
        x.errnos.push_back(*num);
      }
    } else if (e.key == "bytes") {
      StatusOr<IntRange> r = ReadIntRange(val, "bytes", s);
      if (!r.ok()) return r.status();
      x.bytes = *r;
    } else if (e.key == "data") {
      if (!Reads(op)) {
        return s.Fail(e.key_loc, fmt::format("'data' in expect does not apply to '{}' (only to "
                                             "recv, read and recvfrom)",
                                             OpName(op)));
      }
      StatusOr<std::string> d = ReadString(val, "data", s);
      if (!d.ok()) return d.status();
      x.data = *d;
    } else if (e.key == "took") {
      StatusOr<DurationRange> r = ReadDurationRange(val, "took", s, true);
      if (!r.ok()) return r.status();
      x.took = *r;
    } else if (e.key == "value") {
      if (op != Op::kGetsockopt) {
        return s.Fail(e.key_loc, fmt::format("'value' in expect does not apply to '{}' (only to "
                                             "getsockopt)",
                                             OpName(op)));
      }
      if (LooksLikeBool(val.node)) {
        StatusOr<bool> b = ReadBool(val, "value", s);
        if (!b.ok()) return b.status();
        x.value = *b ? 1 : 0;
      } else {
        if (!LooksLikeInt(val.node)) {
          return s.Fail(val.loc, fmt::format("'value' must be an integer or true/false, not {}",
                                             Describe(val.node)));
        }
        StatusOr<int64_t> n = ReadInt(val, "value", s);
        if (!n.ok()) return n.status();
        x.value = *n;
      }
    } else if (e.key == "revents") {
      if (op != Op::kPoll) {
        return s.Fail(e.key_loc, fmt::format("'revents' in expect does not apply to '{}' (only to "
                                             "poll)",
                                             OpName(op)));
      }
      StatusOr<std::vector<Val>> l = ReadList(val, "revents", s);
      if (!l.ok()) return l.status();
      for (const Val& n : *l) {
        StatusOr<std::string> name = ReadString(n, "revents", s);
        if (!name.ok()) return name.status();
        if (std::find(kRevents.begin(), kRevents.end(), *name) == kRevents.end()) {
          std::string hint = DidYouMean(*name, kRevents);
          if (hint.empty()) hint = " (one of in, out, pri, err, hup, nval, rdhup)";
          return s.Fail(n.loc, fmt::format("unknown poll event {}{}", Describe(n.node), hint));
        }
        if (std::find(x.revents.begin(), x.revents.end(), *name) != x.revents.end()) {
          return s.Fail(n.loc, fmt::format("poll event '{}' is listed twice", *name));
        }
        x.revents.push_back(*name);
      }
      x.has_revents = true;
    }
  }
  if (x.exit && x.signal) {
    return s.Fail(v.loc,
                  "'exit' and 'signal' cannot both hold: a command either exits or is "
                  "killed by a signal");
  }
  if (errno_entry != nullptr) {
    if (x.ret_kind == Expect::RetKind::kOk) {
      return s.Fail(errno_entry->key_loc,
                    "'errno' cannot be combined with 'ret: ok' (an errno means the call failed)");
    }
    if (x.ret_kind == Expect::RetKind::kValue && x.ret_value >= 0) {
      return s.Fail(errno_entry->key_loc,
                    fmt::format("'errno' cannot be combined with 'ret: {}' (an errno means the "
                                "call failed)",
                                x.ret_value));
    }
  }
  return x;
}

}  // namespace faultline
