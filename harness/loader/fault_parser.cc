// faults: of a case (see docs/cases.md, "Faults").
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/format_keys.h"

namespace faultline {
namespace {

const std::vector<std::string> kMatchKeys = {"from",  "to",    "proto",  "tcp",        "length",
                                             "seq",   "ack",   "win",    "nth",        "first",
                                             "every", "after", "window", "probability"};

struct ActionInfo {
  const char* name;
  ActionKind kind;
  std::vector<std::string> params;    // allowed
  std::vector<std::string> required;  // subset of params
};

const std::vector<ActionInfo>& Actions() {
  static const std::vector<ActionInfo> a = {
      {"drop", ActionKind::kDrop, {}, {}},
      {"delay", ActionKind::kDelay, {"delay"}, {"delay"}},
      {"reorder", ActionKind::kReorder, {"count", "order"}, {"count"}},
      {"swap", ActionKind::kSwap, {}, {}},
      {"duplicate", ActionKind::kDuplicate, {"copies"}, {}},
      {"hold", ActionKind::kHold, {"until", "then"}, {"until"}},
      {"corrupt", ActionKind::kCorrupt, {}, {}},
      {"inject-rst", ActionKind::kInjectRst, {"toward"}, {"toward"}},
      {"rate-limit", ActionKind::kRateLimit, {"rate", "per"}, {"rate", "per"}},
  };
  return a;
}

// The keys of a fault: match, do, and every action's params.
const std::vector<std::string>& FaultKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> v = {"match", "do"};
    for (const ActionInfo& a : Actions()) {
      for (const std::string& p : a.params) {
        if (std::find(v.begin(), v.end(), p) == v.end()) v.push_back(p);
      }
    }
    return v;
  }();
  return keys;
}

const std::vector<std::string> kUntilKeys = {"step", "after"};

const std::vector<std::pair<std::string, TcpClass>> kClasses = {
    {"SYN", TcpClass::kSyn},  {"SYN-ACK", TcpClass::kSynAck}, {"ACK", TcpClass::kAck},
    {"FIN", TcpClass::kFin},  {"RST", TcpClass::kRst},        {"PSH", TcpClass::kPsh},
    {"DATA", TcpClass::kData}};

class FaultParser {
 public:
  FaultParser(const CaseContext& cx, const std::vector<Step>& steps) : cx_(cx), steps_(steps) {}
  StatusOr<Fault> Parse(const Val& item, int index);
  Status ParseMatch(const Val& v, const Scope& s, FaultMatch* m);

 private:
  StatusOr<std::string> ReadHost(const Entry& e, const Scope& s);
  Status ParseAction(const ActionInfo& a, const std::vector<Entry>& m, const SourceLoc& loc,
                     const Scope& s, FaultAction* out);

  const CaseContext& cx_;
  const std::vector<Step>& steps_;
};

StatusOr<std::string> FaultParser::ReadHost(const Entry& e, const Scope& s) {
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc,
                  fmt::format("'{}' must be a host name, not {}", e.key, Describe(e.val.node)));
  }
  std::string h = e.val.node.Scalar();
  if (std::find(cx_.hosts.begin(), cx_.hosts.end(), h) == cx_.hosts.end()) {
    return s.Fail(e.val.loc, fmt::format("{} in '{}' is not a declared host{}",
                                         Describe(e.val.node), e.key, DidYouMean(h, cx_.hosts)));
  }
  return h;
}

Status FaultParser::ParseMatch(const Val& v, const Scope& s, FaultMatch* fm) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "match", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kMatchKeys, " in match", s));
  const Entry* occurrence = nullptr;
  const Entry* proto = nullptr;
  const Entry* tcp = nullptr;
  const Entry* win = nullptr;
  for (const Entry& e : *m) {
    if (e.key == "from" || e.key == "to") {
      StatusOr<std::string> h = ReadHost(e, s);
      if (!h.ok()) return h.status();
      (e.key == "from" ? fm->from : fm->to) = *h;
    } else if (e.key == "proto") {
      proto = &e;
      std::string t = e.val.node.IsScalar() ? e.val.node.Scalar() : "";
      if (t == "tcp")
        fm->proto = Proto::kTcp;
      else if (t == "udp")
        fm->proto = Proto::kUdp;
      else if (t == "icmp")
        fm->proto = Proto::kIcmp;
      else {
        return s.Fail(e.val.loc, fmt::format("'proto' must be tcp, udp or icmp, not {}",
                                             Describe(e.val.node)));
      }
    } else if (e.key == "tcp") {
      tcp = &e;
      std::vector<Val> items;
      if (e.val.node.IsSequence()) {
        StatusOr<std::vector<Val>> l = ReadList(e.val, "tcp", s);
        if (!l.ok()) return l.status();
        if (l->empty()) return s.Fail(e.val.loc, "'tcp' must name at least one segment class");
        items = *l;
      } else if (e.val.node.IsScalar()) {
        items.push_back(e.val);
      } else {
        return s.Fail(e.val.loc, fmt::format("'tcp' must be a segment class such as SYN or a "
                                             "list of them, not {}",
                                             Describe(e.val.node)));
      }
      std::vector<std::string> names;
      for (const auto& [n, c] : kClasses) names.push_back(n);
      for (const Val& it : items) {
        StatusOr<std::string> name = ReadString(it, "tcp", s);
        if (!name.ok()) return name.status();
        auto found = std::find_if(kClasses.begin(), kClasses.end(),
                                  [&](const auto& p) { return p.first == *name; });
        if (found == kClasses.end()) {
          std::string upper = *name;
          for (char& ch : upper)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          std::string hint = std::find(names.begin(), names.end(), upper) != names.end()
                                 ? " (did you mean '" + upper + "'? classes are upper case)"
                                 : DidYouMean(*name, names);
          if (hint.empty()) hint = " (one of SYN, SYN-ACK, ACK, FIN, RST, PSH, DATA)";
          return s.Fail(it.loc,
                        fmt::format("unknown TCP segment class {}{}", Describe(it.node), hint));
        }
        if (std::find(fm->tcp.begin(), fm->tcp.end(), found->second) == fm->tcp.end()) {
          fm->tcp.push_back(found->second);
        }
      }
    } else if (e.key == "length" || e.key == "seq" || e.key == "ack") {
      StatusOr<IntRange> r = ReadNonNegativeRange(e.val, e.key, s);
      if (!r.ok()) return r.status();
      (e.key == "length" ? fm->length : e.key == "seq" ? fm->seq : fm->ack) = *r;
    } else if (e.key == "win") {
      win = &e;
      StatusOr<IntRange> r = ReadNonNegativeRange(e.val, "win", s);
      if (!r.ok()) return r.status();
      if (r->hi > 65535) {
        return s.Fail(e.val.loc, fmt::format("'win' is the 16-bit TCP window field: values must "
                                             "be 0..65535, not {}",
                                             r->hi));
      }
      fm->win = *r;
    } else if (e.key == "nth" || e.key == "first" || e.key == "every" || e.key == "after") {
      if (occurrence != nullptr) {
        return s.Fail(e.key_loc,
                      fmt::format("'{}' and '{}' cannot be combined", occurrence->key, e.key));
      }
      occurrence = &e;
      StatusOr<int64_t> n = ReadInt(e.val, e.key, s, e.key == "after" ? 0 : 1);
      if (!n.ok()) return n.status();
      if (e.key == "nth") fm->nth = *n;
      if (e.key == "first") fm->first = *n;
      if (e.key == "every") fm->every = *n;
      if (e.key == "after") fm->after = *n;
    } else if (e.key == "window") {
      if (LooksLikeInt(e.val.node) ||
          (e.val.node.IsSequence() && e.val.node.size() == 2 && LooksLikeInt(e.val.node[0]))) {
        return s.Fail(e.val.loc, fmt::format("'window' must be [lo, hi] durations (time since the "
                                             "case started), not {}; the TCP window field is "
                                             "'win'",
                                             Describe(e.val.node)));
      }
      StatusOr<DurationRange> r = ReadDurationRange(e.val, "window", s, false);
      if (!r.ok()) return r.status();
      fm->window = *r;
    } else if (e.key == "probability") {
      StatusOr<double> p = ReadNumber(e.val, "probability", s);
      if (!p.ok()) return p.status();
      if (!(*p > 0 && *p <= 1)) {
        return s.Fail(e.val.loc, fmt::format("'probability' must be a number in (0, 1], not {}",
                                             Describe(e.val.node)));
      }
      fm->probability = *p;
    }
  }
  if (!fm->from.empty() && fm->from == fm->to) {
    return s.Fail(FindKey(*m, "to")->val.loc,
                  fmt::format("'from' and 'to' are both '{}'", fm->from));
  }
  if (tcp != nullptr) {
    if (proto != nullptr && fm->proto != Proto::kTcp) {
      return s.Fail(tcp->key_loc, fmt::format("'tcp' cannot be combined with 'proto: {}'",
                                              proto->val.node.Scalar()));
    }
    fm->proto = Proto::kTcp;
  }
  if (win != nullptr && proto != nullptr && fm->proto != Proto::kTcp) {
    return s.Fail(win->key_loc, fmt::format("'win' (the TCP window field) cannot be combined with "
                                            "'proto: {}'",
                                            proto->val.node.Scalar()));
  }
  return Status::Ok();
}

Status FaultParser::ParseAction(const ActionInfo& a, const std::vector<Entry>& m,
                                const SourceLoc& loc, const Scope& s, FaultAction* out) {
  for (const std::string& r : a.required) {
    if (FindKey(m, r) == nullptr) {
      return s.Fail(loc, fmt::format("missing required key '{}' for '{}'", r, a.name));
    }
  }
  out->kind = a.kind;
  switch (a.kind) {
    case ActionKind::kDelay: {
      const Entry& e = *FindKey(m, "delay");
      StatusOr<Duration> d = ReadDuration(e.val, "delay", s);
      if (!d.ok()) return d.status();
      if (*d <= Duration(0) || *d > std::chrono::seconds(60)) {
        return s.Fail(e.val.loc, fmt::format("'delay' must be longer than 0s and at most 60s, "
                                             "not {}",
                                             Describe(e.val.node)));
      }
      out->delay = *d;
      break;
    }
    case ActionKind::kReorder: {
      StatusOr<int64_t> n = ReadInt(FindKey(m, "count")->val, "count", s, 2, 64);
      if (!n.ok()) return n.status();
      out->count = static_cast<int>(*n);
      if (const Entry* o = FindKey(m, "order")) {
        StatusOr<std::vector<Val>> l = ReadList(o->val, "order", s);
        if (!l.ok()) return l.status();
        std::vector<bool> seen(out->count + 1, false);
        for (const Val& v : *l) {
          StatusOr<int64_t> k = ReadInt(v, "order", s, 1, out->count);
          if (!k.ok()) return k.status();
          if (seen[*k]) {
            return s.Fail(v.loc, fmt::format("'order' lists {} twice (it must be a permutation "
                                             "of 1..{})",
                                             *k, out->count));
          }
          seen[*k] = true;
          out->order.push_back(static_cast<int>(*k));
        }
        if (static_cast<int>(out->order.size()) != out->count) {
          return s.Fail(o->val.loc, fmt::format("'order' must list each of 1..{} once, not {} "
                                                "numbers",
                                                out->count, out->order.size()));
        }
      } else {
        for (int k = out->count; k >= 1; --k) out->order.push_back(k);
      }
      break;
    }
    case ActionKind::kDuplicate:
      if (const Entry* e = FindKey(m, "copies")) {
        StatusOr<int64_t> n = ReadInt(e->val, "copies", s, 1, 100);
        if (!n.ok()) return n.status();
        out->copies = static_cast<int>(*n);
      }
      break;
    case ActionKind::kHold: {
      const Entry& u = *FindKey(m, "until");
      if (!u.val.node.IsMap()) {
        return s.Fail(u.val.loc, fmt::format("'until' must be {{step: LABEL}} or {{after: "
                                             "DURATION}}, not {}",
                                             Describe(u.val.node)));
      }
      StatusOr<std::vector<Entry>> um = ReadMap(u.val, "until", s);
      if (!um.ok()) return um.status();
      FL_RETURN_IF_ERROR(CheckKeys(*um, kUntilKeys, " in until", s));
      if (um->size() != 1) {
        return s.Fail(u.val.loc, um->empty() ? "'until' needs 'step' or 'after'"
                                             : "'step' and 'after' cannot be combined in 'until'");
      }
      const Entry& ue = um->front();
      if (ue.key == "step") {
        StatusOr<std::string> label = ReadString(ue.val, "step", s);
        if (!label.ok()) return label.status();
        std::vector<std::string> labels;
        for (const Step& st : steps_) {
          if (!st.label.empty()) labels.push_back(st.label);
        }
        if (std::find(labels.begin(), labels.end(), *label) == labels.end()) {
          return s.Fail(ue.val.loc, fmt::format("no step has the label {}{}", Describe(ue.val.node),
                                                DidYouMean(*label, labels)));
        }
        out->until_step = *label;
      } else {
        StatusOr<Duration> d = ReadDuration(ue.val, "after", s);
        if (!d.ok()) return d.status();
        if (*d <= Duration(0)) return s.Fail(ue.val.loc, "'after' must be longer than 0s");
        out->hold_for = *d;
      }
      if (const Entry* t = FindKey(m, "then")) {
        std::string v = t->val.node.IsScalar() ? t->val.node.Scalar() : "";
        if (v != "release" && v != "drop") {
          return s.Fail(t->val.loc, fmt::format("'then' must be release or drop, not {}",
                                                Describe(t->val.node)));
        }
        out->then_drop = v == "drop";
      }
      break;
    }
    case ActionKind::kInjectRst: {
      StatusOr<std::string> h = ReadHost(*FindKey(m, "toward"), s);
      if (!h.ok()) return h.status();
      out->toward = *h;
      break;
    }
    case ActionKind::kRateLimit: {
      StatusOr<int64_t> n = ReadInt(FindKey(m, "rate")->val, "rate", s, 1, 1000000000);
      if (!n.ok()) return n.status();
      out->rate = static_cast<int>(*n);
      const Entry& p = *FindKey(m, "per");
      StatusOr<Duration> d = ReadDuration(p.val, "per", s);
      if (!d.ok()) return d.status();
      if (*d <= Duration(0)) return s.Fail(p.val.loc, "'per' must be longer than 0s");
      out->per = *d;
      break;
    }
    case ActionKind::kDrop:
    case ActionKind::kSwap:
    case ActionKind::kCorrupt: break;
  }
  return Status::Ok();
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
    if (e.key == "match" || e.key == "do") continue;
    if (std::find(info->params.begin(), info->params.end(), e.key) == info->params.end()) {
      return s.Fail(e.key_loc, fmt::format("'{}' does not apply to '{}'", e.key, info->name));
    }
  }
  FL_RETURN_IF_ERROR(ParseAction(*info, *m, item.loc, s, &f.action));
  return f;
}

}  // namespace

void AddFaultFormatKeys(FormatKeys* k) {
  k->fault_keys = FaultKeys();
  k->match_keys = kMatchKeys;
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
