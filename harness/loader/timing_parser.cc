#include "harness/loader/timing_parser.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/packets_parser.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

const std::vector<std::string> kItemKeys = {"from", "to", "took"};
// One map for every kind of event: the kind is the key it has (step or
// packet); `at` is read by the kind, `nth` belongs to packets.
const std::vector<std::string> kEventKeys = {"step", "packet", "at", "nth"};

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
    return s.Fail(nth->key_loc, "'nth' applies only to a packet event");
  }
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

// `from:` / `to:`: {step: LABEL, at: ...} or {packet: MATCH, nth: N, at: ...}.
Status ReadEvent(const Entry& e, const CaseContext& cx, const std::vector<Step>& steps,
                 const Scope& s, TimingEvent* out) {
  out->loc = e.val.loc;
  out->loc.file = cx.file;
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, e.key, s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kEventKeys, " in " + e.key, s));
  const Entry* step = FindKey(*m, "step");
  const Entry* packet = FindKey(*m, "packet");
  if (step == nullptr && packet == nullptr) {
    return s.Fail(e.val.loc, fmt::format("'{}' needs 'step' or 'packet'", e.key));
  }
  if (step != nullptr && packet != nullptr) {
    return s.Fail(packet->key_loc,
                  fmt::format("'{}' is one event: 'step' or 'packet', not both", e.key));
  }
  if (step != nullptr) {
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
  for (const std::string& k : kItemKeys) {
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
