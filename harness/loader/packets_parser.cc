#include "harness/loader/packets_parser.h"

#include <algorithm>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "harness/loader/format_keys.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

const std::vector<std::string> kItemKeys = {"match", "at", "count", "gaps", "order"};
// Fault match keys that make no sense on a capture: occurrence selects
// packets for an action, and probability (and its correlation) draws from
// the wire's PRNG; retransmission: the wire's view of what each sender sent.
const std::vector<std::string> kNoCaptureKeys = {
    "nth", "first", "every", "after", "probability", "correlation", "retransmission"};

}  // namespace

Status ParseCaptureMatch(const Val& v, const CaseContext& cx, const Scope& s, FaultMatch* m,
                         const std::string& hint) {
  if (v.node.IsMap()) {
    StatusOr<std::vector<Entry>> entries = ReadMap(v, "match", s);
    if (!entries.ok()) return entries.status();
    for (const Entry& e : *entries) {
      if (e.key == "retransmission") {
        return s.Fail(e.key_loc,
                      "'retransmission' does not apply to packets: (a fault match key "
                      "only: the wire tracks what each sender sent; a capture sees each "
                      "packet twice)");
      }
      if (std::find(kNoCaptureKeys.begin(), kNoCaptureKeys.end(), e.key) != kNoCaptureKeys.end()) {
        return s.Fail(e.key_loc,
                      fmt::format("'{}' {}", e.key,
                                  hint.empty() ? "does not apply to packets: (use 'count' and "
                                                 "'gaps' on all matching packets)"
                                               : hint));
      }
    }
  }
  return ParseFaultMatch(v, cx, s, m);
}

namespace {

StatusOr<PacketExpect> ParseItem(const Val& item, int index, const CaseContext& cx) {
  Scope s{cx.file, fmt::format("packets {}: ", index)};
  PacketExpect p;
  p.index = index;
  p.loc = item.loc;
  p.loc.file = cx.file;
  if (!item.node.IsMap()) {
    return s.Fail(item.loc, fmt::format("a packets item must be a map with 'match' or 'order', "
                                        "not {}",
                                        Describe(item.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(item, "", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kItemKeys, "", s));
  const Entry* match = FindKey(*m, "match");
  const Entry* order = FindKey(*m, "order");
  if (match == nullptr && order == nullptr) {
    return s.Fail(item.loc, "a packets item needs 'match' or 'order'");
  }
  if (match != nullptr && order != nullptr) {
    return s.Fail(order->key_loc, "'match' and 'order' cannot be combined (use two items)");
  }
  if (match != nullptr) {
    FL_RETURN_IF_ERROR(ParseCaptureMatch(match->val, cx, s, &p.match));
  } else {
    for (const char* k : {"count", "gaps"}) {
      if (const Entry* e = FindKey(*m, k)) {
        return s.Fail(e->key_loc, fmt::format("'{}' does not apply to 'order'", k));
      }
    }
    StatusOr<std::vector<Val>> l = ReadList(order->val, "order", s);
    if (!l.ok()) return l.status();
    if (l->size() < 2) {
      return s.Fail(order->val.loc,
                    fmt::format("'order' must list at least 2 matches, not {}", l->size()));
    }
    for (const Val& v : *l) {
      FaultMatch fm;
      FL_RETURN_IF_ERROR(ParseCaptureMatch(v, cx, s, &fm));
      p.order.push_back(std::move(fm));
    }
  }
  if (const Entry* e = FindKey(*m, "at")) {
    std::string t = e->val.node.IsScalar() ? e->val.node.Scalar() : "";
    if (t == "sent") {
      p.at = PacketExpect::At::kSent;
    } else if (t == "received") {
      p.at = PacketExpect::At::kReceived;
    } else {
      return s.Fail(e->val.loc,
                    fmt::format("'at' must be sent or received, not {}", Describe(e->val.node)));
    }
  }
  if (const Entry* e = FindKey(*m, "count")) {
    StatusOr<IntRange> r = ReadIntRange(e->val, "count", s, CountSpec());
    if (!r.ok()) return r.status();
    p.count = *r;
  }
  if (const Entry* e = FindKey(*m, "gaps")) {
    StatusOr<std::vector<Val>> l = ReadList(e->val, "gaps", s);
    if (!l.ok()) return l.status();
    if (l->empty()) return s.Fail(e->val.loc, "'gaps' must list at least one range");
    for (const Val& g : *l) {
      StatusOr<DurationRange> r = ReadDurationRange(g, "gaps", s, DurationBoundSpec());
      if (!r.ok()) return r.status();
      p.gaps.push_back(*r);
    }
    if (p.count && p.count->hi < static_cast<int64_t>(p.gaps.size()) + 1) {
      return s.Fail(e->val.loc, fmt::format("{} gaps need at least {} packets, but 'count' is {}",
                                            p.gaps.size(), p.gaps.size() + 1, p.count->ToString()));
    }
  }
  if (match != nullptr && !p.count && p.gaps.empty()) {
    p.count = IntRange{1, std::numeric_limits<int64_t>::max()};  // at least one
  }
  return p;
}

}  // namespace

void AddPacketsFormatKeys(FormatKeys* k) {
  k->packets_keys = kItemKeys;
  k->packets_no_match_keys = kNoCaptureKeys;
}

StatusOr<std::vector<PacketExpect>> ParsePackets(const Val& v, const CaseContext& cx) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(v, "packets", top);
  if (!items.ok()) return items.status();
  std::vector<PacketExpect> out;
  int index = 0;
  for (const Val& item : *items) {
    StatusOr<PacketExpect> p = ParseItem(item, ++index, cx);
    if (!p.ok()) return p.status();
    out.push_back(std::move(p).value());
  }
  return out;
}

}  // namespace faultline
