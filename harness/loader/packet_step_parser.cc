// Packet steps and wire: steps: harness/loader/packet_step_parser.h.
#include "harness/loader/packet_step_parser.h"

#include <algorithm>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/endpoint_parse.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/packet_fields_parser.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

const std::vector<std::string> kPacketStepKeys = {"send", "expect", "conn",  "to",    "port",
                                                  "from", "isn",    "after", "since", "tolerance"};
const std::vector<std::string> kWireKeys = {"send", "from",     "toward",
                                            "port", "seq-next", "ack-next"};
const std::vector<std::string> kOpeningKeys = {"to", "port", "from", "isn"};

bool IsRangeText(const YAML::Node& n) {
  if (n.IsSequence()) return true;
  if (!n.IsScalar()) return false;
  const std::string& t = n.Scalar();
  return !t.empty() && (t[0] == '[' || t[0] == '<' || t[0] == '>' || t[0] == '=');
}

StatusOr<Duration> ReadPositive(const Val& v, const std::string& what, const Scope& s) {
  StatusOr<Duration> d = ReadDuration(v, what, s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0)) {
    return s.Fail(v.loc,
                  fmt::format("'{}' must be longer than 0s, not {}", what, Describe(v.node)));
  }
  return d;
}

// Unreachable protocol has no ICMPv6 code (RFC 4443); a case whose only
// family is ipv6 says so at load (with both families: at run time).
Status CheckIcmpFamily(const PacketFields& f, const std::vector<Family>& families, const Scope& s) {
  if (!f.icmp || f.icmp->type != "unreachable" || f.icmp->code != 2) return Status::Ok();
  if (families.empty() ||
      std::any_of(families.begin(), families.end(), [](Family x) { return x != Family::kIPv6; })) {
    return Status::Ok();
  }
  return s.Fail(f.icmp->loc,
                "icmp: unreachable code protocol (2) has no ICMPv6 form (RFC 4443: an "
                "unrecognised next header is parameter-problem code 1); this case is ipv6 only");
}

}  // namespace

const std::vector<std::string>& PacketStepKeys() { return kPacketStepKeys; }
const std::vector<std::string>& WireStepKeys() { return kWireKeys; }

void AddPacketFormatKeys(FormatKeys* k) {
  k->packet_keys = PacketKeys();
  k->icmp_keys = IcmpKeys();
  k->packet_step_keys = kPacketStepKeys;
  k->wire_step_keys = kWireKeys;
}

bool IsScripted(const CaseContext& cx, const std::string& host) {
  return std::find(cx.scripted.begin(), cx.scripted.end(), host) != cx.scripted.end();
}

StatusOr<std::string> PacketStepParser::RealHost(const Entry& e, const Scope& s,
                                                 const std::string& role) {
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc,
                  fmt::format("'{}' must be a host name, not {}", e.key, Describe(e.val.node)));
  }
  std::string h = e.val.node.Scalar();
  if (std::find(cx_.hosts.begin(), cx_.hosts.end(), h) == cx_.hosts.end()) {
    return s.Fail(e.val.loc, fmt::format("{} in '{}' is not a declared host{}",
                                         Describe(e.val.node), e.key, HostHint(h, cx_.hosts)));
  }
  if (IsScripted(cx_, h)) {
    return s.Fail(e.val.loc, fmt::format("'{}' names '{}', a scripted host; {}", e.key, h, role));
  }
  return h;
}

// to / port / from / isn: only on the first step of a connection.
Status PacketStepParser::ReadOpening(const std::vector<Entry>& m, const Entry& he, int index,
                                     const Scope& s, PacketStep* p) {
  std::string key = p->host + "/" + p->conn;
  auto open = open_.find(key);
  if (open != open_.end()) {
    for (const Entry& e : m) {
      if (std::find(kOpeningKeys.begin(), kOpeningKeys.end(), e.key) == kOpeningKeys.end())
        continue;
      return s.Fail(e.key_loc, fmt::format("'{}' only opens a connection; conn '{}' is already "
                                           "open (step {})",
                                           e.key, p->conn, open->second));
    }
    return Status::Ok();
  }
  bool send = p->dir == PacketStep::Dir::kSend;
  const std::string role = "a scripted host's connections go to or come from a real host";
  if (const Entry* to = FindKey(m, "to")) {
    if (!send) {
      return s.Fail(to->key_loc,
                    "'to' applies to a connection opened by a send; an expect "
                    "opens one with 'port' (and optionally 'from')");
    }
    StatusOr<Endpoint> ep = to->val.node.IsScalar()
                                ? ParseEndpoint(to->val.node.Scalar(), cx_.hosts, cx_.families)
                                : StatusOr<Endpoint>(Status::Invalid("x"));
    if (!ep.ok() || ep->kind != Endpoint::Kind::kHost) {
      return s.Fail(to->val.loc, fmt::format("'to' must name a real host and its port such as "
                                             "server:8080, not {}",
                                             Describe(to->val.node)));
    }
    if (ep->port == 0) {
      return s.Fail(to->val.loc, fmt::format("'to' must name a real host and its port such as "
                                             "server:8080; port 0 is no port a connection can go "
                                             "to, not {}",
                                             Describe(to->val.node)));
    }
    if (IsScripted(cx_, ep->host)) {
      return s.Fail(to->val.loc,
                    fmt::format("'to' names '{}', a scripted host; {}", ep->host, role));
    }
    p->to = *ep;
  } else if (send) {
    return s.Fail(he.val.loc, fmt::format("the first step of conn '{}' sends: it needs 'to: "
                                          "HOST:PORT' (the real host the packet goes to)",
                                          p->conn));
  }
  if (const Entry* port = FindKey(m, "port")) {
    StatusOr<int64_t> n = ReadInt(port->val, "port", s, 1, 65535);
    if (!n.ok()) return n.status();
    p->port = static_cast<uint16_t>(*n);
  } else if (!send) {
    return s.Fail(he.val.loc, fmt::format("the first step of conn '{}' expects: it needs 'port: "
                                          "N' (the port the stack connects to on '{}')",
                                          p->conn, p->host));
  }
  if (const Entry* from = FindKey(m, "from")) {
    if (send) {
      return s.Fail(from->key_loc,
                    "'from' applies to a connection opened by an expect; a send "
                    "opens one with 'to'");
    }
    StatusOr<std::string> h = RealHost(*from, s, role);
    if (!h.ok()) return h.status();
    p->from = *h;
  }
  if (const Entry* isn = FindKey(m, "isn")) {
    StatusOr<int64_t> n = ReadInt(isn->val, "isn", s, 0, 4294967295);
    if (!n.ok()) return n.status();
    p->isn = static_cast<uint32_t>(*n);
  }
  open_[key] = index;
  return Status::Ok();
}

// after, since, tolerance.
Status PacketStepParser::ReadTiming(const std::vector<Entry>& m,
                                    const std::map<std::string, int>& labels, const Scope& s,
                                    PacketStep* p) {
  if (const Entry* a = FindKey(m, "after")) {
    if (IsRangeText(a->val.node)) {
      if (p->dir == PacketStep::Dir::kSend) {
        return s.Fail(a->val.loc, fmt::format("'after' on a send is one duration (when to send), "
                                              "not {}",
                                              Describe(a->val.node)));
      }
      StatusOr<DurationRange> r = ReadDurationRange(a->val, "after", s, DurationBoundSpec());
      if (!r.ok()) return r.status();
      p->after = *r;
      p->after_is_range = true;
    } else {
      StatusOr<Duration> d = ReadDuration(a->val, "after", s);
      if (!d.ok()) return d.status();
      if (*d < Duration(0)) {
        return s.Fail(a->val.loc,
                      fmt::format("'after' must not be negative, not {}", Describe(a->val.node)));
      }
      p->after = DurationRange{*d, *d};
    }
  }
  if (const Entry* t = FindKey(m, "tolerance")) {
    if (p->dir == PacketStep::Dir::kSend) {
      return s.Fail(t->key_loc,
                    "'tolerance' applies to an expect's 'after'; a send goes out at its 'after'");
    }
    if (!p->after) {
      return s.Fail(t->key_loc,
                    "'tolerance' only applies with a single 'after' value; this step has no "
                    "'after' (it is checked in order only, up to the case's timeout)");
    }
    if (p->after_is_range) {
      return s.Fail(t->key_loc,
                    "'tolerance' does not apply to a range 'after' (the range is "
                    "the window)");
    }
    StatusOr<Duration> d = ReadPositive(t->val, "tolerance", s);
    if (!d.ok()) return d.status();
    p->tolerance = *d;
  }
  if (const Entry* since = FindKey(m, "since")) {
    std::string l = since->val.node.IsScalar() ? since->val.node.Scalar() : "";
    if (labels.count(l) == 0) {
      std::vector<std::string> names;
      for (const auto& [n, i] : labels) names.push_back(n);
      return s.Fail(since->val.loc, fmt::format("'since' must name the label of an earlier step, "
                                                "not {}{}",
                                                Describe(since->val.node), DidYouMean(l, names)));
    }
    p->since = l;
  }
  return Status::Ok();
}

StatusOr<PacketStep> PacketStepParser::ParsePacket(const Entry& he, int index,
                                                   const std::map<std::string, int>& labels,
                                                   const Scope& s) {
  PacketStep p;
  p.host = he.key;
  StatusOr<std::vector<Entry>> m = ReadMap(he.val, he.key, s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kPacketStepKeys, " in a packet step", s));
  const Entry* send = FindKey(*m, "send");
  const Entry* expect = FindKey(*m, "expect");
  if (send != nullptr && expect != nullptr) {
    return s.Fail(expect->key_loc, "'send' and 'expect' cannot be combined in one step");
  }
  if (send == nullptr && expect == nullptr) {
    return s.Fail(he.val.loc, "a packet step needs 'send: PACKET' or 'expect: PACKET'");
  }
  p.dir = send != nullptr ? PacketStep::Dir::kSend : PacketStep::Dir::kExpect;
  const Entry& pe = send != nullptr ? *send : *expect;
  if (expect != nullptr && pe.val.node.IsMap() && pe.val.node.size() == 0) {
    return s.Fail(pe.val.loc,
                  "expect: {} matches any packet; name at least one field (flags: "
                  "...), or proto: tcp for any TCP packet");
  }
  StatusOr<PacketFields> f = ParsePacketFields(
      pe.val, send != nullptr ? PacketUse::kCrafted : PacketUse::kExpected, pe.key, s);
  if (!f.ok()) return f.status();
  p.packet = std::move(f).value();
  FL_RETURN_IF_ERROR(CheckIcmpFamily(p.packet, cx_.families, s));
  if (const Entry* c = FindKey(*m, "conn")) {
    if (!c->val.node.IsScalar() || !IsIdentifier(c->val.node.Scalar())) {
      return s.Fail(c->val.loc, fmt::format("'conn' must be a name (letters, digits and _, not "
                                            "starting with a digit), not {}",
                                            Describe(c->val.node)));
    }
    p.conn = c->val.node.Scalar();
  }
  FL_RETURN_IF_ERROR(ReadOpening(*m, he, index, s, &p));
  FL_RETURN_IF_ERROR(ReadTiming(*m, labels, s, &p));
  return p;
}

StatusOr<WireSendStep> PacketStepParser::ParseWire(const Entry& we, const Scope& s) {
  WireSendStep w;
  StatusOr<std::vector<Entry>> m = ReadMap(we.val, "wire", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kWireKeys, " in wire", s));
  for (const char* req : {"send", "from", "toward"}) {
    if (FindKey(*m, req) == nullptr) {
      return s.Fail(we.val.loc, fmt::format("missing required key '{}' for 'wire'", req));
    }
  }
  const Entry& send = *FindKey(*m, "send");
  StatusOr<PacketFields> f = ParsePacketFields(send.val, PacketUse::kCrafted, "send", s);
  if (!f.ok()) return f.status();
  w.packet = std::move(f).value();
  const std::string role = "wire: steps craft packets between two real hosts";
  StatusOr<std::string> from = RealHost(*FindKey(*m, "from"), s, role);
  if (!from.ok()) return from.status();
  StatusOr<std::string> toward = RealHost(*FindKey(*m, "toward"), s, role);
  if (!toward.ok()) return toward.status();
  if (*from == *toward) {
    return s.Fail(FindKey(*m, "toward")->val.loc,
                  fmt::format("'from' and 'toward' are both '{}'", *from));
  }
  w.from = *from;
  w.toward = *toward;
  if (const Entry* port = FindKey(*m, "port")) {
    StatusOr<int64_t> n = ReadInt(port->val, "port", s, 1, 65535);
    if (!n.ok()) return n.status();
    w.port = static_cast<uint16_t>(*n);
  }
  for (const char* k : {"seq-next", "ack-next"}) {
    const Entry* e = FindKey(*m, k);
    if (e == nullptr) continue;
    const char* field = k[0] == 's' ? "seq" : "ack";
    bool set = k[0] == 's' ? w.packet.seq || w.packet.raw_seq : w.packet.ack || w.packet.raw_ack;
    if (set) {
      return s.Fail(e->key_loc, fmt::format("'{0}' and a {1} in 'send' cannot be combined "
                                            "({0} is an offset from the next {1}; write one)",
                                            k, field));
    }
    StatusOr<int64_t> n = ReadInt(e->val, k, s, -2147483648LL, 2147483647LL);
    if (!n.ok()) return n.status();
    (k[0] == 's' ? w.seq_next : w.ack_next) = *n;
  }
  return w;
}

}  // namespace faultline
