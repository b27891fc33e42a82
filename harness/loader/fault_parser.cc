// faults: of a case (see docs/cases.md, "Faults").
#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/fault_netem_parser.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/packet_fields_parser.h"
#include "harness/loader/range_parser.h"
#include "harness/loader/units_parser.h"

namespace faultline {
namespace {

// What a match key's reader needs.
struct MatchRead {
  const CaseContext& cx;
  const std::vector<Entry>& m;  // the whole match map, for keys that exclude each other
  const Scope& s;
  FaultMatch* fm;
};

// What an action's reader needs.
struct ActionRead {
  const CaseContext& cx;
  const std::vector<Step>& steps;  // for hold's until: {step: LABEL}
  const std::vector<Entry>& m;     // the fault's map
  const Scope& s;
  FaultAction* out;
};

StatusOr<std::string> ReadHost(const Entry& e, const CaseContext& cx, const Scope& s) {
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc,
                  fmt::format("'{}' must be a host name, not {}", e.key, Describe(e.val.node)));
  }
  std::string h = e.val.node.Scalar();
  if (std::find(cx.hosts.begin(), cx.hosts.end(), h) == cx.hosts.end()) {
    return s.Fail(e.val.loc, fmt::format("{} in '{}' is not a declared host{}",
                                         Describe(e.val.node), e.key, HostHint(h, cx.hosts)));
  }
  return h;
}

const std::vector<std::string> kUntilKeys = {"step", "after"};
// A fault's keys besides match, do and the action's params.
const std::vector<std::string> kControlKeys = {"name", "enabled", "active"};
const std::vector<std::string> kActiveKeys = {"from", "until"};
// A `- fault: NAME` step's keys (besides label).
const std::vector<std::string> kFaultStepKeys = {"fault", "enable", "set", "label", "when"};

// The labels of the case's steps.
std::vector<std::string> StepLabels(const std::vector<Step>& steps) {
  std::vector<std::string> labels;
  for (const Step& st : steps) {
    if (!st.label.empty()) labels.push_back(st.label);
  }
  return labels;
}

const std::vector<std::pair<std::string, TcpClass>> kClasses = {
    {"SYN", TcpClass::kSyn},  {"SYN-ACK", TcpClass::kSynAck}, {"ACK", TcpClass::kAck},
    {"FIN", TcpClass::kFin},  {"RST", TcpClass::kRst},        {"PSH", TcpClass::kPsh},
    {"DATA", TcpClass::kData}};

// ------------------------------------------------------------------ match --

Status ReadEndpointHost(const Entry& e, const MatchRead& r) {
  StatusOr<std::string> h = ReadHost(e, r.cx, r.s);
  if (!h.ok()) return h.status();
  (e.key == "from" ? r.fm->from : r.fm->to) = *h;
  return Status::Ok();
}

Status ReadProto(const Entry& e, const MatchRead& r) {
  std::string t = e.val.node.IsScalar() ? e.val.node.Scalar() : "";
  if (t == "tcp") {
    r.fm->proto = Proto::kTcp;
  } else if (t == "udp") {
    r.fm->proto = Proto::kUdp;
  } else if (t == "icmp") {
    r.fm->proto = Proto::kIcmp;
  } else {
    return r.s.Fail(e.val.loc,
                    fmt::format("'proto' must be tcp, udp or icmp, not {}", Describe(e.val.node)));
  }
  return Status::Ok();
}

// One name of `tcp:`; wrong case gets its own hint.
Status ReadTcpClass(const Val& it, const Scope& s, FaultMatch* fm) {
  std::vector<std::string> names;
  for (const auto& [n, c] : kClasses) names.push_back(n);
  StatusOr<std::string> name = ReadString(it, "tcp", s);
  if (!name.ok()) return name.status();
  auto found = std::find_if(kClasses.begin(), kClasses.end(),
                            [&](const auto& p) { return p.first == *name; });
  if (found == kClasses.end()) {
    std::string upper = *name;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string hint = std::find(names.begin(), names.end(), upper) != names.end()
                           ? " (did you mean '" + upper + "'? classes are upper case)"
                           : DidYouMean(*name, names);
    if (hint.empty()) hint = " (one of SYN, SYN-ACK, ACK, FIN, RST, PSH, DATA)";
    return s.Fail(it.loc, fmt::format("unknown TCP segment class {}{}", Describe(it.node), hint));
  }
  if (std::find(fm->tcp.begin(), fm->tcp.end(), found->second) == fm->tcp.end()) {
    fm->tcp.push_back(found->second);
  }
  return Status::Ok();
}

Status ReadTcp(const Entry& e, const MatchRead& r) {
  std::vector<Val> items;
  if (e.val.node.IsSequence()) {
    StatusOr<std::vector<Val>> l = ReadList(e.val, "tcp", r.s);
    if (!l.ok()) return l.status();
    if (l->empty()) return r.s.Fail(e.val.loc, "'tcp' must name at least one segment class");
    items = *l;
  } else if (e.val.node.IsScalar()) {
    items.push_back(e.val);
  } else {
    return r.s.Fail(e.val.loc, fmt::format("'tcp' must be a segment class such as SYN or a "
                                           "list of them, not {}",
                                           Describe(e.val.node)));
  }
  for (const Val& it : items) FL_RETURN_IF_ERROR(ReadTcpClass(it, r.s, r.fm));
  return Status::Ok();
}

// length, seq, ack: N | [lo, hi] (range_parser.h).
Status ReadHeaderRange(const Entry& e, const MatchRead& r) {
  StatusOr<IntRange> range = ReadIntRange(e.val, e.key, r.s, NonNegativeIntSpec());
  if (!range.ok()) return range.status();
  (e.key == "length" ? r.fm->length : e.key == "seq" ? r.fm->seq : r.fm->ack) = *range;
  return Status::Ok();
}

Status ReadWin(const Entry& e, const MatchRead& r) {
  StatusOr<IntRange> range = ReadIntRange(e.val, "win", r.s, NonNegativeIntSpec());
  if (!range.ok()) return range.status();
  if (range->hi > 65535) {
    return r.s.Fail(e.val.loc, fmt::format("'win' is the 16-bit TCP window field: values must "
                                           "be 0..65535, not {}",
                                           range->hi));
  }
  r.fm->win = *range;
  return Status::Ok();
}

Status ReadRetransmission(const Entry& e, const MatchRead& r) {
  StatusOr<bool> b = ReadBool(e.val, "retransmission", r.s);
  if (!b.ok()) return b.status();
  r.fm->retransmission = *b;
  return Status::Ok();
}

bool IsControlKey(const std::string& k) {
  return std::find(kControlKeys.begin(), kControlKeys.end(), k) != kControlKeys.end();
}

bool IsOccurrenceKey(const std::string& k) {
  return k == "nth" || k == "first" || k == "every" || k == "after";
}

// nth, first, every, after: at most one of them.
Status ReadOccurrence(const Entry& e, const MatchRead& r) {
  for (const Entry& other : r.m) {
    if (&other == &e) break;
    if (IsOccurrenceKey(other.key)) {
      return r.s.Fail(e.key_loc, fmt::format("'{}' and '{}' cannot be combined", other.key, e.key));
    }
  }
  StatusOr<int64_t> n = ReadInt(e.val, e.key, r.s, e.key == "after" ? 0 : 1);
  if (!n.ok()) return n.status();
  if (e.key == "nth") r.fm->nth = *n;
  if (e.key == "first") r.fm->first = *n;
  if (e.key == "every") r.fm->every = *n;
  if (e.key == "after") r.fm->after = *n;
  return Status::Ok();
}

Status ReadTimeWindow(const Entry& e, const MatchRead& r) {
  if (LooksLikeInt(e.val.node) ||
      (e.val.node.IsSequence() && e.val.node.size() == 2 && LooksLikeInt(e.val.node[0]))) {
    return r.s.Fail(e.val.loc, fmt::format("'window' must be [lo, hi] durations (time since the "
                                           "case started), not {}; the TCP window field is "
                                           "'win'",
                                           Describe(e.val.node)));
  }
  StatusOr<DurationRange> range = ReadDurationRange(e.val, "window", r.s, DurationPairSpec());
  if (!range.ok()) return range.status();
  r.fm->window = *range;
  return Status::Ok();
}

Status ReadProbability(const Entry& e, const MatchRead& r) {
  StatusOr<double> p = ReadFraction(e.val, "probability", r.s);
  if (!p.ok() || *p <= 0) {
    return r.s.Fail(e.val.loc, fmt::format("'probability' must be a number in (0, 1] or a "
                                           "percent such as \"10%\", not {}",
                                           Describe(e.val.node)));
  }
  r.fm->probability = *p;
  return Status::Ok();
}

// correlation: netem's correlated draw for probability (checked beside it
// in CheckMatchCombinations).
Status ReadCorrelation(const Entry& e, const MatchRead& r) {
  StatusOr<double> c = ReadFraction(e.val, "correlation", r.s);
  if (!c.ok()) return c.status();
  r.fm->correlation = *c;
  return Status::Ok();
}

// The keys of match:, in the order the format lists them, each with its reader.
struct MatchKey {
  const char* name;
  Status (*read)(const Entry& e, const MatchRead& r);
};
const MatchKey kMatchTable[] = {
    {"from", ReadEndpointHost},
    {"to", ReadEndpointHost},
    {"proto", ReadProto},
    {"tcp", ReadTcp},
    {"length", ReadHeaderRange},
    {"seq", ReadHeaderRange},
    {"ack", ReadHeaderRange},
    {"win", ReadWin},
    {"retransmission", ReadRetransmission},
    {"nth", ReadOccurrence},
    {"first", ReadOccurrence},
    {"every", ReadOccurrence},
    {"after", ReadOccurrence},
    {"window", ReadTimeWindow},
    {"probability", ReadProbability},
    {"correlation", ReadCorrelation},
};

// The packet vocabulary's keys (packet_fields_parser.h) beyond the table
// above: into FaultMatch::fields. TS/SACK values there are raw.
bool IsFieldsKey(const std::string& key) {
  const std::vector<std::string>& f = PacketMatchKeys();
  return std::find(f.begin(), f.end(), key) != f.end();
}

const std::vector<std::string>& MatchKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v;
    for (const MatchKey& k : kMatchTable) v.push_back(k.name);
    for (const std::string& k : PacketMatchKeys()) v.push_back(k);
    return v;
  }();
  return keys;
}

// The vocabulary keys of a match: read, then checked together (seq with
// raw-seq, a TCP key with proto udp, ...). `proto` is the match's own.
Status ReadMatchFields(const std::vector<Entry>& m, const Scope& s, FaultMatch* fm) {
  std::vector<Entry> fields;
  for (const Entry& e : m) {
    if (!IsFieldsKey(e.key)) continue;
    FL_RETURN_IF_ERROR(ReadPacketField(e, PacketUse::kExpected, s, &fm->fields));
    fields.push_back(e);
  }
  if (fields.empty()) return Status::Ok();
  // seq/ack are the match's own keys (not in `fields`): check them against
  // raw-seq/raw-ack in the whole map.
  FL_RETURN_IF_ERROR(CheckRawSeqAck(m, s));
  FL_RETURN_IF_ERROR(CheckPacketFields(fields, PacketUse::kExpected, s, &fm->fields));
  using L4 = PacketFields::L4;
  const Entry* proto = FindKey(m, "proto");
  Proto want = fm->fields.proto == L4::kTcp    ? Proto::kTcp
               : fm->fields.proto == L4::kIcmp ? Proto::kIcmp
                                               : Proto::kAny;
  if (want != Proto::kAny && proto != nullptr && fm->proto != want) {
    return s.Fail(fields.front().key_loc,
                  fmt::format("'{}' cannot be combined with 'proto: {}'", fields.front().key,
                              proto->val.node.Scalar()));
  }
  if (want != Proto::kAny) fm->proto = want;
  return Status::Ok();
}

// Two TCP classes no segment is in at once (a list of classes means all of
// them: packet/matcher.cc, TcpClassHolds), why, and what to write instead.
struct ClassExclusion {
  TcpClass a, b;
  const char* why;
  const char* instead;
};
const ClassExclusion kClassExclusions[] = {
    {TcpClass::kSyn, TcpClass::kSynAck, "SYN has ACK clear and SYN-ACK has it set",
     "write one of them, or one fault for each"},
    {TcpClass::kSyn, TcpClass::kAck,
     "SYN has ACK clear and ACK (a pure ACK) has ACK set and SYN clear",
     "for a segment with both flags write 'tcp: SYN-ACK'"},
    {TcpClass::kSynAck, TcpClass::kAck, "ACK is a pure ACK, without SYN",
     "for a segment with both flags write 'tcp: SYN-ACK'"},
    {TcpClass::kAck, TcpClass::kFin, "ACK is a pure ACK, without FIN",
     "write 'tcp: FIN' (it matches FINs with or without ACK)"},
    {TcpClass::kAck, TcpClass::kRst, "ACK is a pure ACK, without RST",
     "write 'tcp: RST' (it matches RSTs with or without ACK)"},
    {TcpClass::kAck, TcpClass::kData, "ACK is a pure ACK, without payload",
     "write 'tcp: DATA' (data segments carry ACK)"},
};

std::string ClassName(TcpClass c) {
  for (const auto& [n, k] : kClasses) {
    if (k == c) return n;
  }
  return "?";
}

// `tcp:` classes that exclude each other, or a `length` that excludes a
// class: the match could never hold, so the fault would silently do nothing.
Status CheckTcpClassesCanMatch(const std::vector<Entry>& m, const Scope& s, const FaultMatch& fm) {
  const Entry* tcp = FindKey(m, "tcp");
  if (tcp == nullptr) return Status::Ok();
  auto has = [&](TcpClass c) { return std::find(fm.tcp.begin(), fm.tcp.end(), c) != fm.tcp.end(); };
  std::string list;
  for (TcpClass c : fm.tcp) list += (list.empty() ? "" : ", ") + ClassName(c);
  for (const ClassExclusion& x : kClassExclusions) {
    if (has(x.a) && has(x.b)) {
      return s.Fail(tcp->val.loc, fmt::format("'tcp: [{}]' can never match: a segment must be of "
                                              "every class listed, and {}; {}",
                                              list, x.why, x.instead));
    }
  }
  const Entry* length = FindKey(m, "length");
  if (length == nullptr || !fm.length) return Status::Ok();
  if (has(TcpClass::kAck) && fm.length->lo > 0) {
    return s.Fail(length->val.loc,
                  fmt::format("'length: {}' can never match 'tcp: ACK': ACK is "
                              "a pure ACK, without payload; for data segments "
                              "write 'tcp: DATA'",
                              length->val.node.IsScalar() ? length->val.node.Scalar()
                                                          : fm.length->ToString()));
  }
  if (has(TcpClass::kData) && fm.length->hi == 0) {
    return s.Fail(length->val.loc,
                  "'length: 0' can never match 'tcp: DATA': DATA segments carry "
                  "payload; for segments without payload drop DATA (or write "
                  "'tcp: ACK' for pure ACKs)");
  }
  return Status::Ok();
}

// What single keys cannot see: from == to, tcp or win with another proto.
Status CheckMatchCombinations(const std::vector<Entry>& m, const Scope& s, FaultMatch* fm) {
  if (!fm->from.empty() && fm->from == fm->to) {
    return s.Fail(FindKey(m, "to")->val.loc,
                  fmt::format("'from' and 'to' are both '{}'", fm->from));
  }
  const Entry* proto = FindKey(m, "proto");
  if (const Entry* tcp = FindKey(m, "tcp")) {
    if (proto != nullptr && fm->proto != Proto::kTcp) {
      return s.Fail(tcp->key_loc, fmt::format("'tcp' cannot be combined with 'proto: {}'",
                                              proto->val.node.Scalar()));
    }
    fm->proto = Proto::kTcp;
  }
  if (const Entry* c = FindKey(m, "correlation"); c != nullptr && !fm->probability) {
    return s.Fail(c->key_loc,
                  "'correlation' needs 'probability' (it correlates the probability's "
                  "draws, as netem's PERCENT CORRELATION)");
  }
  if (const Entry* re = FindKey(m, "retransmission")) {
    if (proto != nullptr && fm->proto != Proto::kTcp) {
      return s.Fail(re->key_loc, fmt::format("'retransmission' (TCP only) cannot be combined with "
                                             "'proto: {}'",
                                             proto->val.node.Scalar()));
    }
    fm->proto = Proto::kTcp;
  }
  const Entry* win = FindKey(m, "win");
  if (win != nullptr && proto != nullptr && fm->proto != Proto::kTcp) {
    return s.Fail(win->key_loc, fmt::format("'win' (the TCP window field) cannot be combined with "
                                            "'proto: {}'",
                                            proto->val.node.Scalar()));
  }
  return CheckTcpClassesCanMatch(m, s, *fm);
}

// ---------------------------------------------------------------- actions --

Status ReadDelay(const ActionRead& r) {
  const Entry& e = *FindKey(r.m, "delay");
  StatusOr<Duration> d = ReadDuration(e.val, "delay", r.s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0) || *d > std::chrono::seconds(60)) {
    return r.s.Fail(e.val.loc, fmt::format("'delay' must be longer than 0s and at most 60s, "
                                           "not {}",
                                           Describe(e.val.node)));
  }
  r.out->delay = *d;
  return ReadDelayNetem(r.m, r.s, r.out);
}

Status ReadDrop(const ActionRead& r) {
  if (const Entry* e = FindKey(r.m, "loss")) return ReadLoss(*e, r.s, r.out);
  return Status::Ok();
}

// reorder's order: a permutation of 1..count.
Status ReadOrder(const Entry& o, const ActionRead& r) {
  StatusOr<std::vector<Val>> l = ReadList(o.val, "order", r.s);
  if (!l.ok()) return l.status();
  std::vector<bool> seen(r.out->count + 1, false);
  for (const Val& v : *l) {
    StatusOr<int64_t> k = ReadInt(v, "order", r.s, 1, r.out->count);
    if (!k.ok()) return k.status();
    if (seen[*k]) {
      return r.s.Fail(v.loc, fmt::format("'order' lists {} twice (it must be a permutation "
                                         "of 1..{})",
                                         *k, r.out->count));
    }
    seen[*k] = true;
    r.out->order.push_back(static_cast<int>(*k));
  }
  if (static_cast<int>(r.out->order.size()) != r.out->count) {
    return r.s.Fail(o.val.loc, fmt::format("'order' must list each of 1..{} once, not {} "
                                           "numbers",
                                           r.out->count, r.out->order.size()));
  }
  return Status::Ok();
}

Status ReadReorder(const ActionRead& r) {
  StatusOr<int64_t> n = ReadInt(FindKey(r.m, "count")->val, "count", r.s, 2, 64);
  if (!n.ok()) return n.status();
  r.out->count = static_cast<int>(*n);
  if (const Entry* o = FindKey(r.m, "order")) return ReadOrder(*o, r);
  for (int k = r.out->count; k >= 1; --k) r.out->order.push_back(k);
  return Status::Ok();
}

Status ReadCopies(const ActionRead& r) {
  if (const Entry* e = FindKey(r.m, "copies")) {
    StatusOr<int64_t> n = ReadInt(e->val, "copies", r.s, 1, 100);
    if (!n.ok()) return n.status();
    r.out->copies = static_cast<int>(*n);
  }
  return Status::Ok();
}

// until: {step: LABEL}: a label of some step.
Status ReadUntilStep(const Entry& ue, const ActionRead& r) {
  StatusOr<std::string> label = ReadString(ue.val, "step", r.s);
  if (!label.ok()) return label.status();
  std::vector<std::string> labels;
  for (const Step& st : r.steps) {
    if (!st.label.empty()) labels.push_back(st.label);
  }
  if (std::find(labels.begin(), labels.end(), *label) == labels.end()) {
    return r.s.Fail(ue.val.loc, fmt::format("no step has the label {}{}", Describe(ue.val.node),
                                            DidYouMean(*label, labels)));
  }
  r.out->until_step = *label;
  return Status::Ok();
}

// until: {step: LABEL} | {after: DURATION}
Status ReadUntil(const Entry& u, const ActionRead& r) {
  if (!u.val.node.IsMap()) {
    return r.s.Fail(u.val.loc, fmt::format("'until' must be {{step: LABEL}} or {{after: "
                                           "DURATION}}, not {}",
                                           Describe(u.val.node)));
  }
  StatusOr<std::vector<Entry>> um = ReadMap(u.val, "until", r.s);
  if (!um.ok()) return um.status();
  FL_RETURN_IF_ERROR(CheckKeys(*um, kUntilKeys, " in until", r.s));
  if (um->size() != 1) {
    return r.s.Fail(u.val.loc, um->empty() ? "'until' needs 'step' or 'after'"
                                           : "'step' and 'after' cannot be combined in 'until'");
  }
  const Entry& ue = um->front();
  if (ue.key == "step") return ReadUntilStep(ue, r);
  StatusOr<Duration> d = ReadDuration(ue.val, "after", r.s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0)) return r.s.Fail(ue.val.loc, "'after' must be longer than 0s");
  r.out->hold_for = *d;
  return Status::Ok();
}

Status ReadHold(const ActionRead& r) {
  FL_RETURN_IF_ERROR(ReadUntil(*FindKey(r.m, "until"), r));
  if (const Entry* t = FindKey(r.m, "then")) {
    std::string v = t->val.node.IsScalar() ? t->val.node.Scalar() : "";
    if (v != "release" && v != "drop") {
      return r.s.Fail(t->val.loc,
                      fmt::format("'then' must be release or drop, not {}", Describe(t->val.node)));
    }
    r.out->then_drop = v == "drop";
  }
  return Status::Ok();
}

Status ReadInjectRst(const ActionRead& r) {
  StatusOr<std::string> h = ReadHost(*FindKey(r.m, "toward"), r.cx, r.s);
  if (!h.ok()) return h.status();
  r.out->toward = *h;
  return Status::Ok();
}

Status ReadRateLimit(const ActionRead& r) {
  StatusOr<int64_t> n = ReadInt(FindKey(r.m, "rate")->val, "rate", r.s, 1, 1000000000);
  if (!n.ok()) return n.status();
  r.out->rate = static_cast<int>(*n);
  const Entry& p = *FindKey(r.m, "per");
  StatusOr<Duration> d = ReadDuration(p.val, "per", r.s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0)) return r.s.Fail(p.val.loc, "'per' must be longer than 0s");
  r.out->per = *d;
  return Status::Ok();
}

// queue: N packets | SIZE (bytes).
Status ReadQueue(const ActionRead& r) {
  const Entry* q = FindKey(r.m, "queue");
  if (q == nullptr) return Status::Ok();
  if (LooksLikeInt(q->val.node)) {
    StatusOr<int64_t> n = ReadInt(q->val, "queue", r.s, 1, 1'000'000);
    if (!n.ok()) return n.status();
    r.out->queue_packets = *n;
    return Status::Ok();
  }
  if (!q->val.node.IsScalar() || !ParseSize(q->val.node.Scalar())) {
    return r.s.Fail(q->val.loc, fmt::format("'queue' must be a number of packets (an integer) or "
                                            "a size in bytes such as \"150KB\", not {}",
                                            Describe(q->val.node)));
  }
  StatusOr<int64_t> b = ReadSize(q->val, "queue", r.s, 1, 1'000'000'000);
  if (!b.ok()) return b.status();
  r.out->queue_bytes = *b;
  return Status::Ok();
}

// bottleneck: rate, overhead, queue, delay (propagation).
Status ReadBottleneck(const ActionRead& r) {
  StatusOr<int64_t> rate = ReadRate(FindKey(r.m, "rate")->val, "rate", r.s, 1000, 100'000'000'000);
  if (!rate.ok()) return rate.status();
  r.out->rate_bps = *rate;
  if (const Entry* o = FindKey(r.m, "overhead")) {
    StatusOr<int64_t> n = ReadInt(o->val, "overhead", r.s, -64, 1000);
    if (!n.ok()) return n.status();
    r.out->overhead = static_cast<int>(*n);
  }
  if (const Entry* d = FindKey(r.m, "delay")) {
    StatusOr<Duration> dd = ReadDuration(d->val, "delay", r.s);
    if (!dd.ok()) return dd.status();
    if (*dd < Duration(0) || *dd > std::chrono::seconds(60)) {
      return r.s.Fail(d->val.loc, fmt::format("'delay' must be between 0s and 60s, not {}",
                                              Describe(d->val.node)));
    }
    r.out->delay = *dd;
  }
  return ReadQueue(r);
}

// slots: interval (D or [lo, hi]), packets and/or bytes, queue.
Status ReadSlots(const ActionRead& r) {
  const Entry& i = *FindKey(r.m, "interval");
  if (i.val.node.IsSequence()) {
    StatusOr<DurationRange> range = ReadDurationRange(i.val, "interval", r.s, DurationPairSpec());
    if (!range.ok()) return range.status();
    r.out->slot_lo = range->lo;
    r.out->slot_hi = range->hi;
  } else {
    StatusOr<Duration> d = ReadDuration(i.val, "interval", r.s);
    if (!d.ok()) return d.status();
    r.out->slot_lo = r.out->slot_hi = *d;
  }
  if (r.out->slot_lo <= Duration(0) || r.out->slot_hi > std::chrono::seconds(60)) {
    return r.s.Fail(i.val.loc, fmt::format("'interval' must be longer than 0s and at most 60s, "
                                           "not {}",
                                           Describe(i.val.node)));
  }
  const Entry* p = FindKey(r.m, "packets");
  const Entry* b = FindKey(r.m, "bytes");
  if (p == nullptr && b == nullptr) {
    return r.s.Fail(i.key_loc, "'slots' needs 'packets' or 'bytes' (a slot's budget), or both");
  }
  if (p != nullptr) {
    StatusOr<int64_t> n = ReadInt(p->val, "packets", r.s, 1, 1'000'000);
    if (!n.ok()) return n.status();
    r.out->slot_packets = *n;
  }
  if (b != nullptr) {
    StatusOr<int64_t> n = ReadSize(b->val, "bytes", r.s, 1, 1'000'000'000);
    if (!n.ok()) return n.status();
    r.out->slot_bytes = *n;
  }
  return ReadQueue(r);
}

Status ReadNoParams(const ActionRead&) { return Status::Ok(); }

struct ActionInfo {
  const char* name;
  ActionKind kind;
  std::vector<std::string> params;    // allowed
  std::vector<std::string> required;  // subset of params
  Status (*read)(const ActionRead& r);
};

const std::vector<ActionInfo>& Actions() {
  static const std::vector<ActionInfo> a = {
      {"drop", ActionKind::kDrop, {"loss"}, {}, ReadDrop},
      {"delay",
       ActionKind::kDelay,
       {"delay", "jitter", "distribution", "correlation", "reorder"},
       {"delay"},
       ReadDelay},
      {"reorder", ActionKind::kReorder, {"count", "order"}, {"count"}, ReadReorder},
      {"swap", ActionKind::kSwap, {}, {}, ReadNoParams},
      {"duplicate", ActionKind::kDuplicate, {"copies"}, {}, ReadCopies},
      {"hold", ActionKind::kHold, {"until", "then"}, {"until"}, ReadHold},
      {"corrupt", ActionKind::kCorrupt, {}, {}, ReadNoParams},
      {"inject-rst", ActionKind::kInjectRst, {"toward"}, {"toward"}, ReadInjectRst},
      {"rate-limit", ActionKind::kRateLimit, {"rate", "per"}, {"rate", "per"}, ReadRateLimit},
      {"bottleneck",
       ActionKind::kBottleneck,
       {"rate", "overhead", "queue", "delay"},
       {"rate"},
       ReadBottleneck},
      {"slots",
       ActionKind::kSlots,
       {"interval", "packets", "bytes", "queue"},
       {"interval"},
       ReadSlots},
  };
  return a;
}

// The keys of a fault: match, do, and every action's params.
const std::vector<std::string>& FaultKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v = {"match", "do"};
    v.insert(v.end(), kControlKeys.begin(), kControlKeys.end());
    for (const ActionInfo& a : Actions()) {
      for (const std::string& p : a.params) {
        if (std::find(v.begin(), v.end(), p) == v.end()) v.push_back(p);
      }
    }
    return v;
  }();
  return keys;
}

class FaultParser {
 public:
  FaultParser(const CaseContext& cx, const std::vector<Step>& steps) : cx_(cx), steps_(steps) {}
  StatusOr<Fault> Parse(const Val& item, int index);
  Status ParseMatch(const Val& v, const Scope& s, FaultMatch* m);

  Status ParseAction(const ActionInfo& a, const std::vector<Entry>& m, const SourceLoc& loc,
                     const Scope& s, FaultAction* out);

 private:
  Status ParseControl(const std::vector<Entry>& m, const Scope& s, Fault* f);
  Status ParseActive(const Entry& a, const Scope& s, Fault* f);
  StatusOr<FaultEvent> ParseEvent(const Entry& e, const Scope& s);

  const CaseContext& cx_;
  const std::vector<Step>& steps_;
  std::map<std::string, int> names_;  // fault name -> index
};

Status FaultParser::ParseMatch(const Val& v, const Scope& s, FaultMatch* fm) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "match", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, MatchKeys(), " in match", s));
  MatchRead r{cx_, *m, s, fm};
  for (const Entry& e : *m) {
    for (const MatchKey& k : kMatchTable) {
      if (e.key == k.name) FL_RETURN_IF_ERROR(k.read(e, r));
    }
  }
  FL_RETURN_IF_ERROR(CheckMatchCombinations(*m, s, fm));
  return ReadMatchFields(*m, s, fm);
}

Status FaultParser::ParseAction(const ActionInfo& a, const std::vector<Entry>& m,
                                const SourceLoc& loc, const Scope& s, FaultAction* out) {
  if (a.kind == ActionKind::kDelay && FindKey(m, "delay") == nullptr) {
    if (const Entry* j = FindKey(m, "jitter")) {
      return s.Fail(j->key_loc,
                    "'jitter' needs 'delay' (the delay it varies: delay: D, jitter: J)");
    }
  }
  for (const std::string& r : a.required) {
    if (FindKey(m, r) == nullptr) {
      return s.Fail(loc, fmt::format("missing required key '{}' for '{}'", r, a.name));
    }
  }
  out->kind = a.kind;
  return a.read(ActionRead{cx_, steps_, m, s, out});
}

StatusOr<Fault> FaultParser::Parse(const Val& item, int index) {
  Scope s{cx_.file, fmt::format("fault {}: ", index)};
  Fault f;
  f.index = index;
  f.loc = item.loc;
  f.loc.file = cx_.file;
  if (!item.node.IsMap()) {
    return s.Fail(item.loc, fmt::format("a fault must be a map with 'match' and 'do', not {}",
                                        Describe(item.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(item, "", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, FaultKeys(), "", s));
  const Entry* match = FindKey(*m, "match");
  if (match == nullptr) return s.Fail(item.loc, "missing required key 'match' in fault");
  const Entry* act = FindKey(*m, "do");
  if (act == nullptr) return s.Fail(item.loc, "missing required key 'do' in fault");
  FL_RETURN_IF_ERROR(ParseMatch(match->val, s, &f.match));

  std::vector<std::string> names;
  const ActionInfo* info = nullptr;
  for (const ActionInfo& a : Actions()) {
    names.push_back(a.name);
    if (act->val.node.IsScalar() && act->val.node.Scalar() == a.name) info = &a;
  }
  if (info == nullptr) {
    if (!act->val.node.IsScalar()) {
      return s.Fail(act->val.loc, fmt::format("'do' must be an action such as drop, not {}",
                                              Describe(act->val.node)));
    }
    return s.Fail(act->val.loc, fmt::format("unknown action {}{}", Describe(act->val.node),
                                            DidYouMean(act->val.node.Scalar(), names)));
  }
  for (const Entry& e : *m) {
    if (e.key == "match" || e.key == "do" || IsControlKey(e.key)) continue;
    if (std::find(info->params.begin(), info->params.end(), e.key) == info->params.end()) {
      return s.Fail(e.key_loc, fmt::format("'{}' does not apply to '{}'", e.key, info->name));
    }
  }
  FL_RETURN_IF_ERROR(ParseAction(*info, *m, item.loc, s, &f.action));
  FL_RETURN_IF_ERROR(ParseControl(*m, s, &f));
  return f;
}

// name:, enabled:, active: of a fault.
Status FaultParser::ParseControl(const std::vector<Entry>& m, const Scope& s, Fault* f) {
  if (const Entry* n = FindKey(m, "name")) {
    if (!n->val.node.IsScalar() || !IsIdentifier(n->val.node.Scalar())) {
      return s.Fail(n->val.loc, fmt::format("'name' must be an identifier (letters, digits and "
                                            "_, not starting with a digit), not {}",
                                            Describe(n->val.node)));
    }
    f->name = n->val.node.Scalar();
    auto prev = names_.find(f->name);
    if (prev != names_.end()) {
      return s.Fail(n->val.loc, fmt::format("fault name '{}' is already used by fault {}", f->name,
                                            prev->second));
    }
    names_[f->name] = f->index;
  }
  if (const Entry* e = FindKey(m, "enabled")) {
    StatusOr<bool> b = ReadBool(e->val, "enabled", s);
    if (!b.ok()) return b.status();
    f->enabled = *b;
  }
  if (const Entry* a = FindKey(m, "active")) return ParseActive(*a, s, f);
  return Status::Ok();
}

// active: {from: EVENT, until: EVENT}; EVENT = {step: LABEL} | DURATION.
Status FaultParser::ParseActive(const Entry& a, const Scope& s, Fault* f) {
  if (!a.val.node.IsMap()) {
    return s.Fail(a.val.loc, fmt::format("'active' must be {{from: EVENT, until: EVENT}}, not {}",
                                         Describe(a.val.node)));
  }
  StatusOr<std::vector<Entry>> am = ReadMap(a.val, "active", s);
  if (!am.ok()) return am.status();
  FL_RETURN_IF_ERROR(CheckKeys(*am, kActiveKeys, " in active", s));
  if (am->empty()) return s.Fail(a.val.loc, "'active' needs 'from' or 'until' (or both)");
  for (const Entry& e : *am) {
    StatusOr<FaultEvent> ev = ParseEvent(e, s);
    if (!ev.ok()) return ev.status();
    (e.key == "from" ? f->active_from : f->active_until) = *ev;
  }
  if (f->active_from && f->active_until && f->active_from->after && f->active_until->after &&
      *f->active_until->after <= *f->active_from->after) {
    return s.Fail(FindKey(*am, "until")->val.loc,
                  fmt::format("'until' ({}) must be later than 'from' ({})",
                              f->active_until->Describe(), f->active_from->Describe()));
  }
  return Status::Ok();
}

StatusOr<FaultEvent> FaultParser::ParseEvent(const Entry& e, const Scope& s) {
  FaultEvent ev;
  if (e.val.node.IsScalar()) {
    StatusOr<Duration> d = ReadDuration(e.val, e.key, s);
    if (!d.ok()) return d.status();
    if (*d < Duration(0)) return s.Fail(e.val.loc, fmt::format("'{}' must not be negative", e.key));
    ev.after = *d;
    return ev;
  }
  const std::string shape =
      fmt::format("'{}' must be {{step: LABEL}} or a duration since the case started, not {}",
                  e.key, Describe(e.val.node));
  if (!e.val.node.IsMap()) return s.Fail(e.val.loc, shape);
  StatusOr<std::vector<Entry>> em = ReadMap(e.val, e.key, s);
  if (!em.ok()) return em.status();
  if (em->size() != 1 || em->front().key != "step") {
    return s.Fail(e.val.loc, shape);
  }
  StatusOr<std::string> label = ReadString(em->front().val, "step", s);
  if (!label.ok()) return label.status();
  const std::vector<std::string> labels = StepLabels(steps_);
  if (std::find(labels.begin(), labels.end(), *label) == labels.end()) {
    return s.Fail(em->front().val.loc,
                  fmt::format("no step has the label {} (in 'active: {}'){}",
                              Describe(em->front().val.node), e.key, DidYouMean(*label, labels)));
  }
  ev.step = *label;
  return ev;
}

// The fault `fs` names, or an error at the step's `fault:` value.
StatusOr<const Fault*> FindNamedFault(const FaultStep& fs, const Entry& fe,
                                      const std::vector<Fault>& faults, const Scope& s) {
  std::vector<std::string> names;
  for (const Fault& f : faults) {
    if (f.name == fs.name) return &f;
    if (!f.name.empty()) names.push_back(f.name);
  }
  std::string hint = DidYouMean(fs.name, names);
  if (names.empty()) hint = " (no fault has a 'name:')";
  return s.Fail(fe.val.loc, fmt::format("no fault is named '{}'{}", fs.name, hint));
}

// The `set:` of a fault step: the fault's own params, with the ones `set`
// names replaced, read by the fault's action reader (as in `faults:`).
StatusOr<FaultAction> ReadSet(const Entry& se, const Fault& f, const std::vector<Entry>& own,
                              FaultParser& p, const Scope& s) {
  const ActionInfo* info = nullptr;
  for (const ActionInfo& a : Actions()) {
    if (a.kind == f.action.kind) info = &a;
  }
  StatusOr<std::vector<Entry>> sm = ReadMap(se.val, "set", s);
  if (!sm.ok()) return sm.status();
  std::string takes = info->params.empty() ? "no params" : "only ";
  for (size_t i = 0; i < info->params.size(); ++i) {
    takes += (i > 0 ? ", " : "") + info->params[i];
  }
  for (const Entry& e : *sm) {
    if (std::find(info->params.begin(), info->params.end(), e.key) == info->params.end()) {
      return s.Fail(e.key_loc, fmt::format("'{}' is not a param of fault '{}' ('{}' takes {})",
                                           e.key, f.name, info->name, takes));
    }
  }
  std::vector<Entry> merged = *sm;
  for (const Entry& e : own) {
    const bool param =
        std::find(info->params.begin(), info->params.end(), e.key) != info->params.end();
    if (param && FindKey(*sm, e.key) == nullptr) merged.push_back(e);
  }
  FaultAction out;
  FL_RETURN_IF_ERROR(p.ParseAction(*info, merged, se.val.loc, s, &out));
  return out;
}

}  // namespace

StatusOr<FaultStep> ParseFaultStepShape(const std::vector<Entry>& m, const Scope& s) {
  FL_RETURN_IF_ERROR(CheckKeys(m, kFaultStepKeys, " in a fault step", s));
  const Entry& fe = *FindKey(m, "fault");
  if (!fe.val.node.IsScalar() || !IsIdentifier(fe.val.node.Scalar())) {
    return s.Fail(fe.val.loc, fmt::format("'fault' must be the name of a fault (its 'name:'), "
                                          "not {}",
                                          Describe(fe.val.node)));
  }
  FaultStep f;
  f.name = fe.val.node.Scalar();
  const Entry* en = FindKey(m, "enable");
  const Entry* se = FindKey(m, "set");
  if (en != nullptr && se != nullptr) {
    const Entry* second = en->key_loc.line > se->key_loc.line ? en : se;
    return s.Fail(second->key_loc,
                  "'enable' and 'set' cannot be combined in a fault step (use "
                  "two steps)");
  }
  if (en == nullptr && se == nullptr) {
    return s.Fail(fe.key_loc, fmt::format("fault step '{}' needs 'enable: true|false' or 'set: "
                                          "{{PARAM: VALUE, ...}}'",
                                          f.name));
  }
  if (en != nullptr) {
    StatusOr<bool> b = ReadBool(en->val, "enable", s);
    if (!b.ok()) return b.status();
    f.enable = *b;
    return f;
  }
  if (se->val.node.IsMap() && se->val.node.size() == 0) {
    return s.Fail(se->val.loc, "'set' must name at least one param, as in {delay: 300ms}");
  }
  if (!se->val.node.IsMap()) {
    return s.Fail(se->val.loc, fmt::format("'set' must be a map of the fault's params such as "
                                           "{{delay: 300ms}}, not {}",
                                           Describe(se->val.node)));
  }
  for (const auto& kv : se->val.node) {
    YAML::Emitter out;
    out << YAML::Flow << kv.second;
    f.set.emplace_back(kv.first.Scalar(), kv.second.IsScalar() ? kv.second.Scalar() : out.c_str());
  }
  return f;
}

Status ResolveFaultSteps(const Val& steps_v, const Val* faults_v, const CaseContext& cx,
                         const std::vector<Fault>& faults, std::vector<Step>* steps) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(steps_v, "steps", top);
  if (!items.ok()) return items.status();
  std::vector<Val> fault_items;
  if (faults_v != nullptr) {
    StatusOr<std::vector<Val>> fi = ReadList(*faults_v, "faults", top);
    if (!fi.ok()) return fi.status();
    fault_items = *fi;
  }
  FaultParser p(cx, *steps);
  for (Step& st : *steps) {
    auto* fs = std::get_if<FaultStep>(&st.body);
    if (fs == nullptr) continue;
    Scope s{cx.file, fmt::format("step {}: ", st.index)};
    StatusOr<std::vector<Entry>> m = ReadMap((*items)[static_cast<size_t>(st.index - 1)], "", s);
    if (!m.ok()) return m.status();
    StatusOr<const Fault*> f = FindNamedFault(*fs, *FindKey(*m, "fault"), faults, s);
    if (!f.ok()) return f.status();
    fs->fault_index = (*f)->index;
    const Entry* se = FindKey(*m, "set");
    if (se == nullptr) continue;
    StatusOr<std::vector<Entry>> own =
        ReadMap(fault_items[static_cast<size_t>((*f)->index - 1)], "", s);
    if (!own.ok()) return own.status();
    StatusOr<FaultAction> a = ReadSet(*se, **f, *own, p, s);
    if (!a.ok()) return a.status();
    fs->action = std::make_shared<const FaultAction>(std::move(a).value());
  }
  return Status::Ok();
}

void AddFaultFormatKeys(FormatKeys* k) {
  k->fault_keys = FaultKeys();
  k->match_keys = MatchKeys();
  k->actions.clear();
  for (const ActionInfo& a : Actions()) k->actions.push_back(NamedKeys{a.name, a.params});
  k->hold_until_keys = kUntilKeys;
  k->tcp_classes.clear();
  for (const auto& [name, cls] : kClasses) k->tcp_classes.push_back(name);
}

Status ParseFaultMatch(const Val& v, const CaseContext& cx, const Scope& s, FaultMatch* m) {
  static const std::vector<Step> kNoSteps;
  return FaultParser(cx, kNoSteps).ParseMatch(v, s, m);
}

StatusOr<std::vector<Fault>> ParseFaults(const Val& v, const CaseContext& cx,
                                         const std::vector<Step>& steps) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(v, "faults", top);
  if (!items.ok()) return items.status();
  FaultParser p(cx, steps);
  std::vector<Fault> faults;
  int index = 0;
  for (const Val& item : *items) {
    StatusOr<Fault> f = p.Parse(item, ++index);
    if (!f.ok()) return f.status();
    faults.push_back(std::move(f).value());
  }
  return faults;
}

}  // namespace faultline
