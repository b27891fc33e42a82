// expect: of a step (see docs/cases.md, "Expectations").
#include <string.h>

#include <algorithm>

#include <fmt/format.h>

#include "harness/common/errno_names.h"
#include "harness/common/text_pattern.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/observe_parser.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

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

}  // namespace

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
    if (Status st = CheckPattern(t.text); !st.ok()) {
      return s.Fail(e.val.loc, fmt::format("'matches' is not a valid regular expression (RE2 "
                                           "syntax): {}",
                                           st.message()));
    }
  }
  return t;
}

namespace {

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

bool Reads(Op op) {
  return op == Op::kRecv || op == Op::kRead || op == Op::kRecvfrom || op == Op::kRecvmsg ||
         op == Op::kReadv;
}

// The events epoll_wait can report (et and oneshot are only requested).
const std::vector<std::string> kEpollReady = {"in", "out", "pri", "err", "hup", "rdhup"};
const std::vector<std::string> kEpollItemKeys = {"fd", "events"};

// A key that applies to one operation only: "'KEY' in expect does not
// apply to 'OP' (only to ONLY)".
Status OnlyFor(const Entry& e, Op op, bool applies, const char* only, const Scope& s) {
  if (applies) return Status::Ok();
  return s.Fail(e.key_loc, fmt::format("'{}' in expect does not apply to '{}' (only to {})", e.key,
                                       OpName(op), only));
}

Status ReadExit(const Entry& e, Op, const Scope& s, Expect* x) {
  StatusOr<ValueExpect> exit = ReadValueExpect(e.val, "exit", s);
  if (!exit.ok()) return exit.status();
  x->exit = *exit;
  return Status::Ok();
}

Status ReadSignal(const Entry& e, Op, const Scope& s, Expect* x) {
  StatusOr<std::string> name = ReadString(e.val, "signal", s);
  if (!name.ok()) return name.status();
  std::optional<int> sig = SignalFromName(*name);
  if (!sig) {
    std::string hint = DidYouMean(*name, SignalNames());
    if (hint.empty()) hint = " (a name such as SIGTERM or SIGKILL)";
    return s.Fail(e.val.loc, fmt::format("unknown signal {}{}", Describe(e.val.node), hint));
  }
  x->signal = *sig;
  return Status::Ok();
}

Status ReadOutput(const Entry& e, Op, const Scope& s, Expect* x) {
  StatusOr<TextExpect> t = ReadTextExpect(e.val, e.key, s);
  if (!t.ok()) return t.status();
  (e.key == "stdout" ? x->out : x->err) = *t;
  return Status::Ok();
}

Status ReadRet(const Entry& e, Op, const Scope& s, Expect* x) {
  const YAML::Node& n = e.val.node;
  const bool word = n.IsScalar() && !IsQuoted(n);
  if (word && n.Scalar() == "ok") {
    x->ret_kind = Expect::RetKind::kOk;
  } else if (word && n.Scalar() == "error") {
    x->ret_kind = Expect::RetKind::kError;
  } else if (LooksLikeInt(n)) {
    StatusOr<int64_t> r = ReadInt(e.val, "ret", s);
    if (!r.ok()) return r.status();
    x->ret_kind = Expect::RetKind::kValue;
    x->ret_value = *r;
  } else {
    return s.Fail(e.val.loc,
                  fmt::format("'ret' must be an integer, ok or error, not {}", Describe(n)));
  }
  return Status::Ok();
}

Status ReadErrno(const Entry& e, Op, const Scope& s, Expect* x) {
  std::vector<Val> names;
  if (e.val.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(e.val, "errno", s);
    if (!l.ok()) return l.status();
    if (l->empty()) return s.Fail(e.val.loc, "'errno' must name at least one error");
    names = *l;
  } else if (e.val.node.IsScalar()) {
    names.push_back(e.val);
  } else {
    return s.Fail(e.val.loc, fmt::format("'errno' must be an error name such as ECONNREFUSED or "
                                         "a list of them, not {}",
                                         Describe(e.val.node)));
  }
  for (const Val& n : names) {
    StatusOr<std::string> name = ReadString(n, "errno", s);
    if (!name.ok()) return name.status();
    std::optional<int> num = ErrnoFromName(*name);
    if (!num) {
      return s.Fail(n.loc, fmt::format("unknown errno {}{}", Describe(n.node),
                                       DidYouMean(*name, ErrnoNames())));
    }
    x->errnos.push_back(*num);
  }
  return Status::Ok();
}

Status ReadBytes(const Entry& e, Op, const Scope& s, Expect* x) {
  StatusOr<IntRange> r = ReadIntRange(e.val, "bytes", s, NonNegativeIntSpec());
  if (!r.ok()) return r.status();
  x->bytes = *r;
  return Status::Ok();
}

Status ReadData(const Entry& e, Op op, const Scope& s, Expect* x) {
  FL_RETURN_IF_ERROR(OnlyFor(e, op, Reads(op), "recv, read, recvfrom, recvmsg and readv", s));
  StatusOr<std::string> d = ReadString(e.val, "data", s);
  if (!d.ok()) return d.status();
  x->data = *d;
  return Status::Ok();
}

Status ReadTook(const Entry& e, Op, const Scope& s, Expect* x) {
  StatusOr<DurationRange> r = ReadDurationRange(e.val, "took", s, DurationBoundSpec());
  if (!r.ok()) return r.status();
  x->took = *r;
  return Status::Ok();
}

Status ReadValue(const Entry& e, Op op, const Scope& s, Expect* x) {
  const bool has_value = op == Op::kGetsockopt || op == Op::kFcntl || op == Op::kIoctl;
  FL_RETURN_IF_ERROR(OnlyFor(e, op, has_value, "getsockopt, fcntl and ioctl", s));
  if (LooksLikeBool(e.val.node)) {
    StatusOr<bool> b = ReadBool(e.val, "value", s);
    if (!b.ok()) return b.status();
    x->value = *b ? 1 : 0;
    return Status::Ok();
  }
  if (!LooksLikeInt(e.val.node)) {
    return s.Fail(e.val.loc, fmt::format("'value' must be an integer or true/false, not {}",
                                         Describe(e.val.node)));
  }
  StatusOr<int64_t> n = ReadInt(e.val, "value", s);
  if (!n.ok()) return n.status();
  x->value = *n;
  return Status::Ok();
}

// addr: ENDPOINT (getsockname, getpeername). Only the form is checked
// here; the step parser reads the endpoint against the case's hosts
// (ReadAddrExpect).
Status ReadAddr(const Entry& e, Op op, const Scope& s, Expect* x) {
  const bool names = op == Op::kGetsockname || op == Op::kGetpeername;
  FL_RETURN_IF_ERROR(OnlyFor(e, op, names, "getsockname and getpeername", s));
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc, fmt::format("'addr' must be an endpoint such as server:8080 or "
                                         "server:* (any port), not {}",
                                         Describe(e.val.node)));
  }
  x->addr = AddrExpect{};
  return Status::Ok();
}

Status ReadRevents(const Entry& e, Op op, const Scope& s, Expect* x) {
  FL_RETURN_IF_ERROR(OnlyFor(e, op, op == Op::kPoll, "poll", s));
  StatusOr<std::vector<Val>> l = ReadList(e.val, "revents", s);
  if (!l.ok()) return l.status();
  for (const Val& n : *l) {
    StatusOr<std::string> name = ReadString(n, "revents", s);
    if (!name.ok()) return name.status();
    if (std::find(kRevents.begin(), kRevents.end(), *name) == kRevents.end()) {
      std::string hint = DidYouMean(*name, kRevents);
      if (hint.empty()) hint = " (one of in, out, pri, err, hup, nval, rdhup)";
      return s.Fail(n.loc, fmt::format("unknown poll event {}{}", Describe(n.node), hint));
    }
    if (std::find(x->revents.begin(), x->revents.end(), *name) != x->revents.end()) {
      return s.Fail(n.loc, fmt::format("poll event '{}' is listed twice", *name));
    }
    x->revents.push_back(*name);
  }
  x->has_revents = true;
  return Status::Ok();
}

// One {fd: NAME, events: [...]} of epoll:.
Status ReadEpollItem(const Val& item, const Scope& s, Expect* x) {
  StatusOr<std::vector<Entry>> m = ReadMap(item, "epoll", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kEpollItemKeys, " in an epoll entry", s));
  const Entry* fd = FindKey(*m, "fd");
  const Entry* events = FindKey(*m, "events");
  if (fd == nullptr) return s.Fail(item.loc, "missing required key 'fd' in an epoll entry");
  if (events == nullptr) return s.Fail(item.loc, "missing required key 'events' in an epoll entry");
  if (!fd->val.node.IsScalar() || !IsIdentifier(fd->val.node.Scalar())) {
    return s.Fail(fd->val.loc,
                  fmt::format("'fd' must name a socket, not {}", Describe(fd->val.node)));
  }
  StatusOr<std::vector<Val>> l = ReadList(events->val, "events", s);
  if (!l.ok()) return l.status();
  std::vector<std::string> names;
  for (const Val& n : *l) {
    StatusOr<std::string> name = ReadString(n, "events", s);
    if (!name.ok()) return name.status();
    if (*name == "et" || *name == "oneshot") {
      return s.Fail(n.loc, fmt::format("epoll event '{}' is a request flag of epoll_ctl, never in "
                                       "the ready list (one of in, out, pri, err, hup, rdhup)",
                                       *name));
    }
    if (std::find(kEpollReady.begin(), kEpollReady.end(), *name) == kEpollReady.end()) {
      std::string hint = DidYouMean(*name, kEpollReady);
      if (hint.empty()) hint = " (one of in, out, pri, err, hup, rdhup)";
      return s.Fail(n.loc, fmt::format("unknown epoll event {}{}", Describe(n.node), hint));
    }
    if (std::find(names.begin(), names.end(), *name) != names.end()) {
      return s.Fail(n.loc, fmt::format("epoll event '{}' is listed twice", *name));
    }
    names.push_back(*name);
  }
  x->epoll.emplace_back(fd->val.node.Scalar(), std::move(names));
  return Status::Ok();
}

// epoll: [{fd: NAME, events: [in, ...]}, ...], the ready list in order.
Status ReadEpoll(const Entry& e, Op op, const Scope& s, Expect* x) {
  FL_RETURN_IF_ERROR(OnlyFor(e, op, op == Op::kEpollWait, "epoll_wait", s));
  StatusOr<std::vector<Val>> l = ReadList(e.val, "epoll", s);
  if (!l.ok()) return l.status();
  for (const Val& item : *l) FL_RETURN_IF_ERROR(ReadEpollItem(item, s, x));
  x->has_epoll = true;
  return Status::Ok();
}

// One {kind: recverr|timestamping|inq, FIELD: VALUE, ...} of cmsgs:; a
// value is an integer or a constant (SO_EE_ORIGIN_ZEROCOPY, ENOMSG, ...).
Status ReadCmsgItem(const Val& item, const Scope& s, CmsgFields* out) {
  StatusOr<std::vector<Entry>> m = ReadMap(item, "cmsgs", s);
  if (!m.ok()) return m.status();
  const Entry* kind = FindKey(*m, "kind");
  if (kind == nullptr) return s.Fail(item.loc, "missing required key 'kind' in a cmsgs entry");
  StatusOr<std::string> k = ReadString(kind->val, "kind", s);
  if (!k.ok()) return k.status();
  const std::vector<std::string>& kinds = CmsgKinds();
  if (std::find(kinds.begin(), kinds.end(), *k) == kinds.end()) {
    std::string hint = DidYouMean(*k, kinds);
    if (hint.empty()) hint = " (one of recverr, timestamping, inq)";
    return s.Fail(kind->val.loc,
                  fmt::format("unknown control message kind {}{}", Describe(kind->val.node), hint));
  }
  out->kind = *k;
  std::vector<std::string> keys = CmsgKindFields(*k);
  keys.insert(keys.begin(), "kind");
  FL_RETURN_IF_ERROR(CheckKeys(*m, keys, " in a " + *k + " cmsg", s));
  for (const Entry& e : *m) {
    if (e.key == "kind") continue;
    std::optional<int64_t> v;
    if (LooksLikeInt(e.val.node)) {
      StatusOr<int64_t> n = ReadInt(e.val, e.key, s);
      if (!n.ok()) return n.status();
      v = *n;
    } else if (e.val.node.IsScalar()) {
      v = CmsgConstant(e.val.node.Scalar());
    }
    if (!v) {
      return s.Fail(e.val.loc, fmt::format("'{}' must be an integer or a constant such as "
                                           "SO_EE_ORIGIN_ZEROCOPY or ENOMSG, not {}",
                                           e.key, Describe(e.val.node)));
    }
    out->fields.emplace_back(e.key, *v);
  }
  return Status::Ok();
}

// cmsgs: [{kind: ..., ...}, ...], the control messages in order (recvmsg).
Status ReadCmsgs(const Entry& e, Op op, const Scope& s, Expect* x) {
  FL_RETURN_IF_ERROR(OnlyFor(e, op, op == Op::kRecvmsg, "recvmsg", s));
  StatusOr<std::vector<Val>> l = ReadList(e.val, "cmsgs", s);
  if (!l.ok()) return l.status();
  std::vector<CmsgFields> cmsgs;
  for (const Val& item : *l) FL_RETURN_IF_ERROR(ReadCmsgItem(item, s, &cmsgs.emplace_back()));
  x->cmsgs = std::move(cmsgs);
  return Status::Ok();
}

// The keys of expect:, in the order the format lists them, each with its reader.
struct ExpectKey {
  const char* name;
  Status (*read)(const Entry& e, Op op, const Scope& s, Expect* x);
};
const ExpectKey kExpectTable[] = {
    {"ret", ReadRet},       {"errno", ReadErrno},   {"bytes", ReadBytes},     {"data", ReadData},
    {"took", ReadTook},     {"value", ReadValue},   {"revents", ReadRevents}, {"exit", ReadExit},
    {"signal", ReadSignal}, {"stdout", ReadOutput}, {"stderr", ReadOutput},   {"epoll", ReadEpoll},
    {"cmsgs", ReadCmsgs},   {"addr", ReadAddr},
};

const std::vector<std::string>& ExpectKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v;
    for (const ExpectKey& k : kExpectTable) v.push_back(k.name);
    return v;
  }();
  return keys;
}

// Command steps (run, stop) take the command keys only; socket calls take
// every key but those (took is both).
Status CheckCommandKey(const Entry& e, Op op, const Scope& s) {
  const bool command_key = std::find(kCommandExpectKeys.begin(), kCommandExpectKeys.end(), e.key) !=
                           kCommandExpectKeys.end();
  if (IsCommandOp(op) && !command_key) {
    return s.Fail(e.key_loc, fmt::format("'{}' in expect does not apply to '{}' (a command "
                                         "has exit, signal, stdout, stderr and took)",
                                         e.key, OpName(op)));
  }
  if (!IsCommandOp(op) && command_key && e.key != "took") {
    return OnlyFor(e, op, false, "run and stop", s);
  }
  return Status::Ok();
}

// What single keys cannot see: exit with signal, errno with a success ret.
Status CheckCombinations(const Val& v, const Expect& x, const Entry* errno_entry, const Scope& s) {
  if (x.exit && x.signal) {
    return s.Fail(v.loc,
                  "'exit' and 'signal' cannot both hold: a command either exits or is "
                  "killed by a signal");
  }
  if (errno_entry == nullptr) return Status::Ok();
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
  return Status::Ok();
}

}  // namespace

void AddExpectFormatKeys(FormatKeys* k) {
  k->expect_keys = ExpectKeys();
  k->output_keys = kOutputKeys;
  k->revents = kRevents;
}

StatusOr<Expect> ParseExpect(const Val& v, Op op, const Scope& s) {
  Expect x;
  x.loc = v.loc;
  StatusOr<std::vector<Entry>> m = ReadMap(v, "expect", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, ExpectKeys(), " in expect", s));
  for (const Entry& e : *m) {
    FL_RETURN_IF_ERROR(CheckCommandKey(e, op, s));
    for (const ExpectKey& k : kExpectTable) {
      if (e.key == k.name) FL_RETURN_IF_ERROR(k.read(e, op, s, &x));
    }
  }
  FL_RETURN_IF_ERROR(CheckCombinations(v, x, FindKey(*m, "errno"), s));
  return x;
}

}  // namespace faultline
