// Observation steps, counters:, requires: and xfail: (docs/cases.md, "Observations").
#include "harness/loader/observe_parser.h"
#include "harness/loader/when_parser.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/known_names.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

const std::vector<std::string> kObserveOps = {"state", "queue", "tcp_info", "counters"};
// The keys of an observation step besides its op: `state` takes `is`,
// `queue` and `tcp_info` take `expect`, `counters` its names and `since`.
const std::vector<std::string>& ObserveKeys(const std::string& op) {
  static const std::vector<std::string> state = {"within", "is",   "through",
                                                 "since",  "took", "stays"};
  static const std::vector<std::string> counters = {"within", "since", "took"};
  static const std::vector<std::string> other = {"within", "expect", "took"};
  return op == "state" ? state : op == "counters" ? counters : other;
}
const std::vector<std::string> kRequiresKeys = {"kernel", "sysctl", "congestion", "reason"};
const std::vector<std::string> kXfailKeys = {"kernel_below", "reason"};
const std::vector<std::string> kQueueFields = {"queued", "backlog"};
// state/queue/tcp_info: {PORT-KEY: N}, a real program's sockets by port.
const std::vector<std::string> kPortSelectKeys = {"port", "local_port", "remote_port"};
// tcp_info fields; rto and rtt are durations (the kernel's microseconds).
const std::vector<std::string> kTcpInfoFields = {
    "retransmits", "total_retrans", "unacked", "lost",     "retrans",  "sacked", "probes",
    "backoff",     "rto",           "rtt",     "snd_cwnd", "ssthresh", "recv_q", "send_q"};

bool IsDurationField(const std::string& f) { return f == "rto" || f == "rtt"; }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// Letters, digits, _ and .; a * only before the dot of a family-neutral
// name ("Udp*.NoPorts").
bool IsCounterName(const std::string& n) {
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool star = c == '*' && i > 0 && i + 1 < n.size() && n[i + 1] == '.';
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && !star) {
      return false;
    }
  }
  return !n.empty() && n.size() <= 64 && n.front() != '.' && n.back() != '.' &&
         std::count(n.begin(), n.end(), '*') <= 1;
}

bool HasIpv6(const CaseContext& cx) {
  return std::find(cx.families.begin(), cx.families.end(), Family::kIPv6) != cx.families.end();
}

// An IPv6 variant of the case in which `when` holds (unset: any).
bool HasIpv6Where(const CaseContext& cx, const std::optional<When>& when) {
  if (!when) return HasIpv6(cx);
  for (const VariantValues& v : cx.variants) {
    if (v.family == Family::kIPv6 && when->Holds(FamilyName(v.family), v.values)) return true;
  }
  return false;
}

bool IsNetSysctl(const std::string& k) {
  if (k.rfind("net.", 0) != 0 || k.back() == '.' || k.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

StatusOr<std::vector<std::string>> ReadNames(const Val& v, const std::string& what,
                                             const Scope& s) {
  std::vector<Val> items;
  if (v.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(v, what, s);
    if (!l.ok()) return l.status();
    items = *l;
  } else {
    items.push_back(v);
  }
  std::vector<std::string> out;
  for (const Val& it : items) {
    StatusOr<std::string> t = ReadString(it, what, s);
    if (!t.ok()) return t.status();
    out.push_back(*t);
  }
  return out;
}

}  // namespace

// A counter written as a map: {value: V, when: {...}} (when_parser.h).
const std::vector<std::string> kCounterKeys = {"value", "when"};

void AddObserveFormatKeys(FormatKeys* k) {
  k->counter_keys = kCounterKeys;
  k->observe_ops.clear();
  for (const std::string& op : kObserveOps) {
    k->observe_ops.push_back(NamedKeys{op, ObserveKeys(op)});
  }
  k->queue_fields = kQueueFields;
  k->port_select_keys = kPortSelectKeys;
  k->tcp_info_fields = kTcpInfoFields;
  k->requires_keys = kRequiresKeys;
  k->xfail_keys = kXfailKeys;
  k->tcp_states = TcpStateNames();
}

bool IsKernelVersion(const std::string& v) {
  int parts = 0;
  size_t i = 0;
  while (i < v.size()) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == start || i - start > 6) return false;
    ++parts;
    if (i == v.size()) break;
    if (v[i] != '.') return false;
    ++i;
    if (i == v.size()) return false;
  }
  return parts >= 1 && parts <= 3;
}

StatusOr<ValueExpect> ReadValueExpect(const Val& v, const std::string& what, const Scope& s,
                                      bool duration_us) {
  StatusOr<ParsedRange> r = ReadRange(v, what, s, duration_us ? MicrosValueSpec() : ValueSpec());
  if (!r.ok()) return r.status();
  ValueExpect x;
  x.lo = r->lo;
  x.hi = r->hi;
  x.text = r->text;
  return x;
}

StatusOr<Duration> ReadWithin(const Val& v, const Scope& s) {
  StatusOr<Duration> d = ReadDuration(v, "within", s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0) || *d > std::chrono::minutes(10)) {
    return s.Fail(v.loc, fmt::format("'within' must be longer than 0s and at most 10m, not {}",
                                     Describe(v.node)));
  }
  return d;
}

bool IsObserveStep(const Val& host_value) {
  if (!host_value.node.IsMap()) return false;
  for (const auto& kv : host_value.node) {
    if (!kv.first.IsScalar()) continue;
    const std::string& k = kv.first.Scalar();
    if (std::find(kObserveOps.begin(), kObserveOps.end(), k) != kObserveOps.end()) return true;
  }
  return false;
}

namespace {

// The observation op of a step's map (IsObserveStep held: there is one).
StatusOr<const Entry*> FindObserveOp(const std::vector<Entry>& m, const Scope& s) {
  const Entry* op = nullptr;
  for (const Entry& e : m) {
    if (std::find(kObserveOps.begin(), kObserveOps.end(), e.key) == kObserveOps.end()) continue;
    if (op != nullptr) {
      return s.Fail(e.key_loc,
                    fmt::format("'{}' and '{}' cannot be combined in one step", op->key, e.key));
    }
    op = &e;
  }
  return op;
}

// OP: {port | local_port | remote_port: N}: a real program's sockets by port.
Status ReadPortSelector(const Entry& op, const Scope& s, ObserveStep* o) {
  StatusOr<std::vector<Entry>> pm = ReadMap(op.val, op.key, s);
  if (!pm.ok()) return pm.status();
  FL_RETURN_IF_ERROR(CheckKeys(*pm, kPortSelectKeys, fmt::format(" in '{}'", op.key), s));
  if (pm->size() != 1) {
    return s.Fail(op.val.loc, fmt::format("'{}' selects sockets by exactly one of port, "
                                          "local_port or remote_port",
                                          op.key));
  }
  const Entry& pe = pm->front();
  StatusOr<int64_t> port = ReadInt(pe.val, pe.key, s, 1, 65535);
  if (!port.ok()) return port.status();
  ObserveStep::PortSelector sel;
  sel.port = static_cast<uint16_t>(*port);
  sel.side = pe.key == "local_port"    ? ObserveStep::PortSelector::Side::kLocal
             : pe.key == "remote_port" ? ObserveStep::PortSelector::Side::kRemote
                                       : ObserveStep::PortSelector::Side::kAny;
  o->port = sel;
  return Status::Ok();
}

// OP: NAME | PEER/NAME: a socket an earlier step created.
Status ReadSocketName(const std::string& host, const Entry& op, const CaseContext& cx,
                      const KnownSocket& known, const Scope& s, ObserveStep* o) {
  std::string target = op.val.node.Scalar();
  std::string owner = host;
  size_t slash = target.find('/');
  if (slash != std::string::npos) {
    owner = target.substr(0, slash);
    target = target.substr(slash + 1);
    if (std::find(cx.hosts.begin(), cx.hosts.end(), owner) == cx.hosts.end()) {
      return s.Fail(op.val.loc,
                    fmt::format("'{}' is not a declared host{}", owner, HostHint(owner, cx.hosts)));
    }
    if (std::find(cx.scripted.begin(), cx.scripted.end(), owner) != cx.scripted.end()) {
      return s.Fail(op.val.loc, fmt::format("'{}' is a scripted host: it has no sockets to "
                                            "observe (its side is the case's packets)",
                                            owner));
    }
    if (owner == host) {
      return s.Fail(op.val.loc, fmt::format("'{}/{}' names a socket of this step's own host: "
                                            "write '{}: {}'",
                                            owner, target, op.key, target));
    }
    o->peer_host = owner;
  }
  if (!IsIdentifier(target)) {
    return s.Fail(op.val.loc, fmt::format("{} is not a socket name (letters, digits and _, not "
                                          "starting with a digit)",
                                          Describe(op.val.node)));
  }
  if (!known(owner, target)) {
    return s.Fail(op.val.loc, fmt::format("'{}' is not a socket created by an earlier step on "
                                          "host '{}'",
                                          target, owner));
  }
  o->fd = target;
  if (o->kind == ObserveKind::kQueue && !o->peer_host.empty()) {
    return s.Fail(op.val.loc, "'queue' takes a listening socket of this host, not HOST/NAME");
  }
  return Status::Ok();
}

// The socket: NAME, PEER/NAME, or {port | local_port | remote_port: N}.
Status ReadObservedSocket(const std::string& host, const Entry& op, const CaseContext& cx,
                          const KnownSocket& known, const Scope& s, ObserveStep* o) {
  if (op.val.node.IsMap()) return ReadPortSelector(op, s, o);
  if (!op.val.node.IsScalar()) {
    return s.Fail(op.val.loc, fmt::format("'{}' must name a socket (NAME, or HOST/NAME for this "
                                          "host's end of HOST's socket NAME), not {}",
                                          op.key, Describe(op.val.node)));
  }
  return ReadSocketName(host, op, cx, known, s, o);
}

// One name of `is:`; the hint for a wrong one.
Status ReadState(const Val& it, const Scope& s, ObserveStep* o) {
  const std::vector<std::string>& names = TcpStateNames();
  std::string n = it.node.IsScalar() ? it.node.Scalar() : "";
  if (std::find(names.begin(), names.end(), n) == names.end()) {
    std::string upper = n;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string hint = DidYouMean(upper == "GONE" ? "gone" : upper, names);
    if (std::find(names.begin(), names.end(), upper) != names.end()) {
      hint = fmt::format(" (state names are upper case: {})", upper);
    }
    if (hint.empty()) hint = fmt::format(" (one of {})", Join(names));
    return s.Fail(it.loc, fmt::format("unknown TCP state {}{}", Describe(it.node), hint));
  }
  if (std::find(o->states.begin(), o->states.end(), n) != o->states.end()) {
    return s.Fail(it.loc, fmt::format("state '{}' is listed twice", n));
  }
  o->states.push_back(n);
  return Status::Ok();
}

// through: [NAME...] (at least one; not "gone"), since: LABEL.
Status ReadThrough(const Entry& th, const std::vector<Entry>& m, const Scope& s, ObserveStep* o) {
  StatusOr<std::vector<Val>> l = ReadList(th.val, "through", s);
  if (!l.ok()) return l.status();
  if (l->empty()) return s.Fail(th.val.loc, "'through' must name at least one state");
  const std::vector<std::string>& names = TcpStateNames();
  for (const Val& it : *l) {
    std::string n = it.node.IsScalar() ? it.node.Scalar() : "";
    if (n == "gone" || std::find(names.begin(), names.end(), n) == names.end()) {
      std::vector<std::string> states(names.begin(), names.end() - 1);  // not "gone"
      std::string hint = DidYouMean(n, states);
      if (hint.empty()) hint = fmt::format(" (one of {})", Join(states));
      return s.Fail(it.loc,
                    fmt::format("unknown TCP state {} in 'through'{}", Describe(it.node), hint));
    }
    o->through.push_back(n);
  }
  if (const Entry* since = FindKey(m, "since")) {
    StatusOr<std::string> label = ReadString(since->val, "since", s);
    if (!label.ok()) return label.status();
    o->since = *label;
    o->since_loc = since->val.loc;
  }
  return Status::Ok();
}

// state: ..., is: NAME | [NAME...]; through: [NAME...]
Status ReadStates(const Entry& he, const std::vector<Entry>& m, const Scope& s, ObserveStep* o) {
  const Entry* is = FindKey(m, "is");
  const Entry* through = FindKey(m, "through");
  if (through != nullptr) FL_RETURN_IF_ERROR(ReadThrough(*through, m, s, o));
  if (const Entry* since = FindKey(m, "since"); since != nullptr && through == nullptr) {
    return s.Fail(since->key_loc, "'since' belongs to 'through' (the transitions to look at)");
  }
  if (is == nullptr && through != nullptr) return Status::Ok();
  if (is == nullptr) return s.Fail(he.val.loc, "missing required key 'is' for 'state'");
  std::vector<Val> items;
  if (is->val.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(is->val, "is", s);
    if (!l.ok()) return l.status();
    if (l->empty()) return s.Fail(is->val.loc, "'is' must name at least one state");
    items = *l;
  } else {
    items.push_back(is->val);
  }
  for (const Val& it : items) FL_RETURN_IF_ERROR(ReadState(it, s, o));
  return Status::Ok();
}

// queue:/tcp_info: ..., expect: {FIELD: VALUE, ...}
Status ReadFields(const Entry& he, const std::vector<Entry>& m, const Entry& op, const Scope& s,
                  ObserveStep* o) {
  const Entry* ex = FindKey(m, "expect");
  if (ex == nullptr) {
    return s.Fail(he.val.loc, fmt::format("missing required key 'expect' for '{}'", op.key));
  }
  StatusOr<std::vector<Entry>> fm = ReadMap(ex->val, "expect", s);
  if (!fm.ok()) return fm.status();
  if (fm->empty()) {
    return s.Fail(ex->val.loc,
                  fmt::format("'expect' of '{}' must check at least one field", op.key));
  }
  const std::vector<std::string>& fields =
      o->kind == ObserveKind::kQueue ? kQueueFields : kTcpInfoFields;
  for (const Entry& f : *fm) {
    if (std::find(fields.begin(), fields.end(), f.key) == fields.end()) {
      std::string hint = DidYouMean(f.key, fields);
      if (hint.empty()) hint = fmt::format(" (one of {})", Join(fields));
      return s.Fail(f.key_loc, fmt::format("unknown {} field {}{}", op.key,
                                           Describe(YAML::Node(f.key)), hint));
    }
    StatusOr<ValueExpect> x = ReadValueExpect(f.val, f.key, s, IsDurationField(f.key));
    if (!x.ok()) return x.status();
    o->fields.push_back(FieldExpect{f.key, *x});
  }
  return Status::Ok();
}

// counters: {NAME: VALUE, ...}, since: LABEL (the label is checked by the
// step parser: an earlier step's). `when`: the step's.
Status ReadCounterStep(const Entry& op, const std::vector<Entry>& m, const CaseContext& cx,
                       const std::optional<When>& when, const Scope& s, ObserveStep* o) {
  StatusOr<std::vector<Entry>> cm = ReadMap(op.val, "counters", s);
  if (!cm.ok()) return cm.status();
  if (cm->empty()) return s.Fail(op.val.loc, "'counters' must check at least one counter");
  for (const Entry& c : *cm) {
    if (!IsCounterName(c.key)) {
      return s.Fail(c.key_loc, fmt::format("{} is not a counter name such as "
                                           "ListenOverflows or Udp.InErrors",
                                           Describe(YAML::Node(c.key))));
    }
    // An IPv6 counterpart only where an IPv6 variant runs the step.
    FL_RETURN_IF_ERROR(CheckCounterName(c.key, HasIpv6Where(cx, when), c.key_loc, s));
    StatusOr<ValueExpect> x = ReadValueExpect(c.val, c.key, s);
    if (!x.ok()) return x.status();
    o->fields.push_back(FieldExpect{c.key, *x});
  }
  if (const Entry* since = FindKey(m, "since")) {
    StatusOr<std::string> label = ReadString(since->val, "since", s);
    if (!label.ok()) return label.status();
    o->since = *label;
    o->since_loc = since->val.loc;
  }
  return Status::Ok();
}

// took: RANGE (with within), stays: D (state with is; with within it counts
// from when the state was reached).
Status ReadTookStays(const std::vector<Entry>& m, const Scope& s, ObserveStep* o) {
  if (const Entry* t = FindKey(m, "took")) {
    if (!o->within) {
      return s.Fail(t->key_loc, "'took' needs 'within' (the time until the expectation held)");
    }
    StatusOr<DurationRange> r = ReadDurationRange(t->val, "took", s, DurationBoundSpec());
    if (!r.ok()) return r.status();
    o->took = *r;
  }
  const Entry* st = FindKey(m, "stays");
  if (st == nullptr) return Status::Ok();
  if (o->states.empty()) {
    return s.Fail(st->key_loc, "'stays' needs 'is' (the states the socket stays in)");
  }
  StatusOr<Duration> d = ReadDuration(st->val, "stays", s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0) || *d > std::chrono::minutes(10)) {
    return s.Fail(st->val.loc, fmt::format("'stays' must be longer than 0s and at most 10m, "
                                           "not {}",
                                           Describe(st->val.node)));
  }
  o->stays = *d;
  return Status::Ok();
}

}  // namespace

StatusOr<ObserveStep> ParseObserveStep(const std::string& host, const Entry& he,
                                       const CaseContext& cx, const KnownSocket& known,
                                       const Scope& s, const std::optional<When>& when) {
  StatusOr<std::vector<Entry>> m = ReadMap(he.val, host, s);
  if (!m.ok()) return m.status();
  StatusOr<const Entry*> found = FindObserveOp(*m, s);
  if (!found.ok()) return found.status();
  const Entry& op = **found;
  ObserveStep o;
  o.host = host;
  o.kind = op.key == "state"      ? ObserveKind::kState
           : op.key == "queue"    ? ObserveKind::kQueue
           : op.key == "counters" ? ObserveKind::kCounters
                                  : ObserveKind::kTcpInfo;
  std::vector<std::string> allowed = {op.key};
  const std::vector<std::string>& keys = ObserveKeys(op.key);
  allowed.insert(allowed.end(), keys.begin(), keys.end());
  FL_RETURN_IF_ERROR(CheckKeys(*m, allowed, fmt::format(" for '{}'", op.key), s));
  if (o.kind != ObserveKind::kCounters) {
    FL_RETURN_IF_ERROR(ReadObservedSocket(host, op, cx, known, s, &o));
  }
  if (const Entry* w = FindKey(*m, "within")) {
    StatusOr<Duration> d = ReadWithin(w->val, s);
    if (!d.ok()) return d.status();
    o.within = *d;
  }
  if (o.kind == ObserveKind::kCounters) {  // a scripted host's steps are packets (step_parser)
    FL_RETURN_IF_ERROR(ReadCounterStep(op, *m, cx, when, s, &o));
  } else if (o.kind == ObserveKind::kState) {
    FL_RETURN_IF_ERROR(ReadStates(he, *m, s, &o));
  } else {
    FL_RETURN_IF_ERROR(ReadFields(he, *m, op, s, &o));
  }
  FL_RETURN_IF_ERROR(ReadTookStays(*m, s, &o));
  return o;
}

namespace {

// NAME: EXPECT, or NAME: {value: EXPECT, when: {...}} (when_parser.h).
StatusOr<CounterExpect> ReadCounter(const Entry& c, const std::string& host, const CaseContext& cx,
                                    const Scope& s) {
  CounterExpect out{c.key_loc, host, c.key, {}, std::nullopt};
  Val value = c.val;
  if (c.val.node.IsMap()) {
    StatusOr<std::vector<Entry>> m = ReadMap(c.val, c.key, s);
    if (!m.ok()) return m.status();
    FL_RETURN_IF_ERROR(CheckKeys(*m, kCounterKeys, " in a counter", s));
    const Entry* v = FindKey(*m, "value");
    if (v == nullptr) {
      return s.Fail(c.val.loc, fmt::format("counter '{}' with 'when' needs 'value' (the expected "
                                           "delta)",
                                           c.key));
    }
    value = v->val;
    if (const Entry* w = FindKey(*m, "when")) {
      StatusOr<When> when = ParseWhen(w->val, cx, s);
      if (!when.ok()) return when.status();
      out.when = std::move(when).value();
    }
  }
  StatusOr<ValueExpect> x = ReadValueExpect(value, c.key, s);
  if (!x.ok()) return x.status();
  out.expect = *x;
  return out;
}

}  // namespace

StatusOr<std::vector<CounterExpect>> ParseCounters(const Val& v, const CaseContext& cx,
                                                   const Scope& top) {
  StatusOr<std::vector<Entry>> hm = ReadMap(v, "counters", top);
  if (!hm.ok()) return hm.status();
  Scope s{top.file, "counters: "};
  std::vector<CounterExpect> out;
  for (const Entry& h : *hm) {
    if (std::find(cx.hosts.begin(), cx.hosts.end(), h.key) == cx.hosts.end()) {
      return s.Fail(h.key_loc,
                    fmt::format("'{}' is not a declared host{}", h.key, HostHint(h.key, cx.hosts)));
    }
    if (std::find(cx.scripted.begin(), cx.scripted.end(), h.key) != cx.scripted.end()) {
      return s.Fail(h.key_loc, fmt::format("'{}' is a scripted host: it has no stack, so no "
                                           "counters to check",
                                           h.key));
    }
    StatusOr<std::vector<Entry>> cm = ReadMap(h.val, h.key, s);
    if (!cm.ok()) return cm.status();
    std::optional<When> host_when;  // `when:` of the host entry (when_parser.h)
    if (const Entry* w = FindKey(*cm, "when")) {
      StatusOr<When> when = ParseWhen(w->val, cx, s);
      if (!when.ok()) return when.status();
      host_when = std::move(when).value();
    }
    if (cm->size() == (host_when ? 1u : 0u)) {
      return s.Fail(h.val.loc, fmt::format("'{}' must check at least one counter", h.key));
    }
    for (const Entry& c : *cm) {
      if (c.key == "when") continue;
      if (!IsCounterName(c.key)) {
        return s.Fail(c.key_loc, fmt::format("{} is not a counter name such as "
                                             "ListenOverflows or Udp.InErrors",
                                             Describe(YAML::Node(c.key))));
      }
      StatusOr<CounterExpect> x = ReadCounter(c, h.key, cx, s);
      if (!x.ok()) return x.status();
      if (!x->when) x->when = host_when;
      // A family-neutral name needs an IPv6 counterpart only where an IPv6
      // variant checks it.
      FL_RETURN_IF_ERROR(CheckCounterName(c.key, HasIpv6Where(cx, x->when), c.key_loc, s));
      out.push_back(std::move(x).value());
    }
  }
  return out;
}

StatusOr<Requirements> ParseRequires(const Val& v, const Scope& top) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "requires", top);
  if (!m.ok()) return m.status();
  Scope s{top.file, "requires: "};
  FL_RETURN_IF_ERROR(CheckKeys(*m, kRequiresKeys, "", s));
  Requirements r;
  r.loc = v.loc;
  for (const Entry& e : *m) {
    if (e.key == "kernel") {
      StatusOr<std::string> k = ReadString(e.val, "kernel", s);
      if (!k.ok()) return k.status();
      if (!IsKernelVersion(*k)) {
        return s.Fail(e.val.loc, fmt::format("'kernel' must be a version such as \"5.15\", not "
                                             "{}",
                                             Describe(e.val.node)));
      }
      r.kernel = *k;
    } else if (e.key == "sysctl") {
      StatusOr<std::vector<std::string>> l = ReadNames(e.val, "sysctl", s);
      if (!l.ok()) return l.status();
      for (const std::string& k : *l) {
        if (!IsNetSysctl(k)) {
          return s.Fail(e.val.loc,
                        fmt::format("sysctl {} must be a net.* key", Describe(YAML::Node(k))));
        }
      }
      r.sysctls = *l;
    } else if (e.key == "congestion") {
      StatusOr<std::vector<std::string>> l = ReadNames(e.val, "congestion", s);
      if (!l.ok()) return l.status();
      for (const std::string& k : *l) {
        if (!IsIdentifier(k)) {
          return s.Fail(e.val.loc, fmt::format("congestion {} must be an algorithm "
                                               "name such as bbr",
                                               Describe(YAML::Node(k))));
        }
      }
      r.congestion = *l;
    } else if (e.key == "reason") {
      StatusOr<std::string> t = ReadString(e.val, "reason", s);
      if (!t.ok()) return t.status();
      r.reason = *t;
    }
  }
  if (r.empty()) {
    return s.Fail(v.loc, "name at least one of kernel, sysctl, congestion");
  }
  return r;
}

StatusOr<ExpectedFailure> ParseXfail(const Val& v, const Scope& top) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "xfail", top);
  if (!m.ok()) return m.status();
  Scope s{top.file, "xfail: "};
  FL_RETURN_IF_ERROR(CheckKeys(*m, kXfailKeys, "", s));
  ExpectedFailure x;
  x.loc = v.loc;
  const Entry* reason = FindKey(*m, "reason");
  if (reason == nullptr) {
    return s.Fail(v.loc, "missing required key 'reason' (say why the case fails)");
  }
  StatusOr<std::string> t = ReadString(reason->val, "reason", s);
  if (!t.ok()) return t.status();
  if (t->empty()) return s.Fail(reason->val.loc, "'reason' must not be empty");
  x.reason = *t;
  if (const Entry* k = FindKey(*m, "kernel_below")) {
    StatusOr<std::string> kv = ReadString(k->val, "kernel_below", s);
    if (!kv.ok()) return kv.status();
    if (!IsKernelVersion(*kv)) {
      return s.Fail(k->val.loc, fmt::format("'kernel_below' must be a version such as \"6.1\", "
                                            "not {}",
                                            Describe(k->val.node)));
    }
    x.kernel_below = *kv;
  }
  return x;
}

}  // namespace faultline
