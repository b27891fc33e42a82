#include "harness/loader/timing_parser.h"
#include "harness/loader/when_parser.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/packets_parser.h"
#include "harness/loader/range_parser.h"
#include "harness/model/observe.h"

namespace faultline {
namespace {

const std::vector<std::string> kItemKeys = {"from", "to", "took", "when"};
const std::vector<std::string> kRequiredKeys = {"from", "to", "took"};
// One map for every kind of event: the kind is the key it has (step,
// packet or state); `at` is read by the kind, `nth` belongs to packets and
// states, `host` and `port` to states.
const std::vector<std::string> kEventKeys = {"step", "packet", "state", "at",
                                             "nth",  "host",   "port"};
const std::vector<std::string> kKinds = {"step", "packet", "state"};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// `host` and `port` belong to a state event only.
Status RefuseStateKeys(const std::vector<Entry>& m, const Scope& s) {
  for (const char* k : {"host", "port"}) {
    if (const Entry* e = FindKey(m, k)) {
      return s.Fail(e->key_loc, fmt::format("'{}' applies only to a state event", k));
    }
  }
  return Status::Ok();
}

// The step named by `label`, or an error listing the labels there are.
StatusOr<const Step*> FindLabel(const Val& v, const std::vector<Step>& steps, const Scope& s) {
  StatusOr<std::string> label = ReadString(v, "step", s);
  if (!label.ok()) return label.status();
  std::vector<std::string> labels;
  for (const Step& st : steps) {
    if (st.label == *label) return &st;
    if (!st.label.empty()) labels.push_back(st.label);
  }
  if (labels.empty()) {
    return s.Fail(v.loc, fmt::format("no step has the label {} (no step has a label: add "
                                     "'label: {}' to the step)",
                                     Describe(v.node), *label));
  }
  std::string list;
  for (const std::string& l : labels) list += (list.empty() ? "" : ", ") + l;
  return s.Fail(v.loc, fmt::format("no step has the label {}{}; the labels are: {}",
                                   Describe(v.node), DidYouMean(*label, labels), list));
}

Status ReadStepEvent(const std::vector<Entry>& m, const std::vector<Step>& steps, const Scope& s,
                     TimingEvent::Step* out) {
  if (const Entry* nth = FindKey(m, "nth")) {
    return s.Fail(nth->key_loc, "'nth' applies only to a packet or state event");
  }
  FL_RETURN_IF_ERROR(RefuseStateKeys(m, s));
  StatusOr<const Step*> st = FindLabel(FindKey(m, "step")->val, steps, s);
  if (!st.ok()) return st.status();
  out->label = (*st)->label;
  out->step_index = (*st)->index;
  if (const Entry* at = FindKey(m, "at")) {
    const std::string t = at->val.node.IsScalar() ? at->val.node.Scalar() : "";
    if (t == "start") {
      out->at = TimingEvent::Step::At::kStart;
    } else if (t == "return") {
      out->at = TimingEvent::Step::At::kReturn;
    } else {
      return s.Fail(at->val.loc, fmt::format("'at' of a step event must be start or return, not {}",
                                             Describe(at->val.node)));
    }
  }
  return Status::Ok();
}

Status ReadPacketEvent(const std::vector<Entry>& m, const CaseContext& cx, const Scope& s,
                       TimingEvent::Packet* out) {
  FL_RETURN_IF_ERROR(RefuseStateKeys(m, s));
  const Entry* packet = FindKey(m, "packet");
  if (!packet->val.node.IsMap()) {
    return s.Fail(packet->val.loc, fmt::format("'packet' must be a map (a match, as in packets:), "
                                               "not {}",
                                               Describe(packet->val.node)));
  }
  FL_RETURN_IF_ERROR(ParseCaptureMatch(packet->val, cx, s, &out->match,
                                       "does not apply inside 'packet:' (an event is one packet: "
                                       "write 'nth: N' beside 'packet:')"));
  if (const Entry* nth = FindKey(m, "nth")) {
    StatusOr<int64_t> n = ReadInt(nth->val, "nth", s, 1);
    if (!n.ok()) return n.status();
    out->nth = *n;
  }
  if (const Entry* at = FindKey(m, "at")) {
    const std::string t = at->val.node.IsScalar() ? at->val.node.Scalar() : "";
    if (t == "sent") {
      out->at = PacketExpect::At::kSent;
    } else if (t == "received") {
      out->at = PacketExpect::At::kReceived;
    } else {
      return s.Fail(at->val.loc,
                    fmt::format("'at' of a packet event must be sent or received, not {}",
                                Describe(at->val.node)));
    }
  }
  return Status::Ok();
}

// The state name of a state event: a TCP state, not "gone" (a socket's
// disappearance is no transition).
Status ReadStateName(const Val& v, const Scope& s, std::string* out) {
  const std::vector<std::string>& all = TcpStateNames();
  const std::vector<std::string> names(all.begin(), all.end() - 1);  // not "gone"
  const std::string n = v.node.IsScalar() ? v.node.Scalar() : "";
  if (std::find(names.begin(), names.end(), n) != names.end()) {
    *out = n;
    return Status::Ok();
  }
  std::string upper = n;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string hint = DidYouMean(upper, names);
  if (std::find(names.begin(), names.end(), upper) != names.end()) {
    hint = fmt::format(" (state names are upper case: {})", upper);
  }
  if (hint.empty()) hint = fmt::format(" (one of {})", JoinNames(names));
  return s.Fail(v.loc,
                fmt::format("unknown TCP state {} in a state event{}", Describe(v.node), hint));
}

// {state: NAME, host: HOST, port: P, nth: N}.
Status ReadStateEvent(const Val& whole, const std::vector<Entry>& m, const CaseContext& cx,
                      const Scope& s, TimingEvent::State* out) {
  if (const Entry* at = FindKey(m, "at")) {
    return s.Fail(at->key_loc,
                  "'at' does not apply to a state event (its time is the "
                  "transition's)");
  }
  FL_RETURN_IF_ERROR(ReadStateName(FindKey(m, "state")->val, s, &out->state));
  const Entry* host = FindKey(m, "host");
  if (host == nullptr) {
    return s.Fail(whole.loc, fmt::format("a state event needs 'host' (whose socket: one of {})",
                                         JoinNames(cx.hosts)));
  }
  StatusOr<std::string> h = ReadString(host->val, "host", s);
  if (!h.ok()) return h.status();
  if (std::find(cx.hosts.begin(), cx.hosts.end(), *h) == cx.hosts.end()) {
    return s.Fail(host->val.loc, fmt::format("'{}' is not a declared host{}; the hosts are: {}", *h,
                                             DidYouMean(*h, cx.hosts), JoinNames(cx.hosts)));
  }
  out->host = *h;
  if (const Entry* port = FindKey(m, "port")) {
    StatusOr<int64_t> p = ReadInt(port->val, "port", s, 1, 65535);
    if (!p.ok()) return p.status();
    out->port = static_cast<int>(*p);
  }
  if (const Entry* nth = FindKey(m, "nth")) {
    StatusOr<int64_t> n = ReadInt(nth->val, "nth", s, 1);
    if (!n.ok()) return n.status();
    out->nth = *n;
  }
  return Status::Ok();
}

// `from:` / `to:`: {step: LABEL, at: ...}, {packet: MATCH, nth: N, at: ...}
// or {state: NAME, host: HOST, port: P, nth: N}.
Status ReadEvent(const Entry& e, const CaseContext& cx, const std::vector<Step>& steps,
                 const Scope& s, TimingEvent* out) {
  out->loc = e.val.loc;
  out->loc.file = cx.file;
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, e.key, s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kEventKeys, " in " + e.key, s));
  const Entry* kind = nullptr;
  for (const std::string& k : kKinds) {
    const Entry* found = FindKey(*m, k);
    if (found == nullptr) continue;
    if (kind != nullptr) {
      return s.Fail(found->key_loc, fmt::format("'{}' is one event: 'step', 'packet' or 'state', "
                                                "not both '{}' and '{}'",
                                                e.key, kind->key, found->key));
    }
    kind = found;
  }
  if (kind == nullptr) {
    return s.Fail(e.val.loc, fmt::format("'{}' needs 'step', 'packet' or 'state'", e.key));
  }
  if (kind->key == "state") {
    TimingEvent::State ev;
    FL_RETURN_IF_ERROR(ReadStateEvent(e.val, *m, cx, s, &ev));
    out->what = ev;
  } else if (kind->key == "step") {
    TimingEvent::Step ev;
    FL_RETURN_IF_ERROR(ReadStepEvent(*m, steps, s, &ev));
    out->what = ev;
  } else {
    TimingEvent::Packet ev;
    FL_RETURN_IF_ERROR(ReadPacketEvent(*m, cx, s, &ev));
    out->what = ev;
  }
  return Status::Ok();
}

StatusOr<TimingExpect> ParseItem(const Val& item, int index, const CaseContext& cx,
                                 const std::vector<Step>& steps) {
  Scope s{cx.file, fmt::format("timing {}: ", index)};
  TimingExpect t;
  t.index = index;
  t.loc = item.loc;
  t.loc.file = cx.file;
  if (!item.node.IsMap()) {
    return s.Fail(item.loc, fmt::format("a timing item must be a map with 'from', 'to' and "
                                        "'took', not {}",
                                        Describe(item.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(item, "", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kItemKeys, "", s));
  for (const std::string& k : kRequiredKeys) {
    if (FindKey(*m, k) == nullptr) {
      return s.Fail(item.loc, fmt::format("missing required key '{}' (a timing item has 'from', "
                                          "'to' and 'took')",
                                          k));
    }
  }
  FL_RETURN_IF_ERROR(ReadEvent(*FindKey(*m, "from"), cx, steps, s, &t.from));
  FL_RETURN_IF_ERROR(ReadEvent(*FindKey(*m, "to"), cx, steps, s, &t.to));
  StatusOr<DurationRange> took =
      ReadDurationRange(FindKey(*m, "took")->val, "took", s, DurationBoundSpec());
  if (!took.ok()) return took.status();
  t.took = *took;
  if (const Entry* w = FindKey(*m, "when")) {  // when_parser.h
    StatusOr<When> when = ParseWhen(w->val, cx, s);
    if (!when.ok()) return when.status();
    t.when = std::move(when).value();
  }
  return t;
}

}  // namespace

void AddTimingFormatKeys(FormatKeys* k) {
  k->timing_keys = kItemKeys;
  k->timing_event_keys = kEventKeys;
}

StatusOr<std::vector<TimingExpect>> ParseTiming(const Val& v, const CaseContext& cx,
                                                const std::vector<Step>& steps) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(v, "timing", top);
  if (!items.ok()) return items.status();
  std::vector<TimingExpect> out;
  int index = 0;
  for (const Val& item : *items) {
    StatusOr<TimingExpect> t = ParseItem(item, ++index, cx, steps);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
  }
  return out;
}

}  // namespace faultline
