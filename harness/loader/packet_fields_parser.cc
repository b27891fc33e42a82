// PACKET maps: harness/loader/packet_fields_parser.h.
#include "harness/loader/packet_fields_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "harness/loader/did_you_mean.h"
#include "harness/loader/range_parser.h"

namespace faultline {
namespace {

constexpr int64_t kMax32 = 4294967295;
// Relative seq/ack are at most 2^31 - 1: further than half the sequence
// space from the ISN a number is ambiguous, and is almost always an absolute
// number written where a relative one belongs.
constexpr int64_t kMaxRelative = 2147483647;

const std::vector<std::string> kPacketKeys = {
    "proto", "flags",   "seq", "ack",  "raw-seq", "raw-ack", "win",   "urg", "length",
    "data",  "options", "ttl", "dscp", "ecn",     "df",      "ip-id", "icmp"};
const std::vector<std::string> kMatchKeys = {
    "flags", "raw-seq", "raw-ack", "data", "options", "ttl", "dscp", "ecn", "df", "ip-id", "icmp"};
const std::vector<std::string> kOptionNames = {"nop",  "eol", "sackOK", "mss", "wscale",
                                               "sack", "ts",  "tfo",    "kind"};
// Option kinds with a typed form (RFC 9293, 7323, 2018, 7413).
const std::vector<std::pair<int64_t, std::string>> kTypedKinds = {{0, "eol"},
                                                                  {1, "nop"},
                                                                  {2, "{mss: N}"},
                                                                  {3, "{wscale: N}"},
                                                                  {4, "sackOK"},
                                                                  {5, "{sack: [[LEFT, RIGHT]]}"},
                                                                  {8, "{ts: [VAL, ECR]}"},
                                                                  {34, "{tfo: HEX}"}};
// A TCP header holds at most 40 bytes of options (data offset 15 words).
constexpr size_t kMaxOptionBytes = 40;
const std::vector<std::string> kIcmpKeys = {"type", "code", "mtu"};
const std::vector<std::string> kIcmpTypes = {"unreachable",       "packet-too-big", "time-exceeded",
                                             "parameter-problem", "echo-request",   "echo-reply"};
const std::vector<std::pair<std::string, int>> kIcmpCodes = {
    {"net", 0}, {"host", 1}, {"protocol", 2}, {"port", 3}, {"frag-needed", 4}, {"admin", 13}};
const std::vector<std::pair<std::string, int>> kEcnNames = {
    {"not-ect", 0}, {"ect1", 1}, {"ect0", 2}, {"ce", 3}};
const char kFlagLetters[] = "FSRP.UEW";  // bit i of the flag byte is letter i

bool IsTcpKey(const std::string& k) {
  return k == "flags" || k == "seq" || k == "ack" || k == "raw-seq" || k == "raw-ack" ||
         k == "win" || k == "urg" || k == "options";
}

// Written as a range ([lo, hi], "<= V", ...) rather than one number.
bool LooksLikeRange(const YAML::Node& n) {
  if (n.IsSequence()) return true;
  if (!n.IsScalar() || LooksLikeInt(n)) return false;
  const std::string& t = n.Scalar();
  return !t.empty() && (t[0] == '[' || t[0] == '<' || t[0] == '>' || t[0] == '=');
}

// A number in [lo, hi]: one value for a crafted packet, a range otherwise.
StatusOr<IntRange> ReadValue(const Val& v, const std::string& key, PacketUse use, const Scope& s,
                             int64_t lo, int64_t hi) {
  if (use == PacketUse::kCrafted) {
    if (LooksLikeRange(v.node)) {
      return s.Fail(v.loc,
                    fmt::format("{}: a crafted packet's value is one number, not a range", key));
    }
    StatusOr<int64_t> n = ReadInt(v, key, s, lo, hi);
    if (!n.ok()) return n.status();
    return IntRange{*n, *n};
  }
  RangeSpec spec = NonNegativeIntSpec();
  spec.min = lo;
  StatusOr<IntRange> r = ReadIntRange(v, key, s, spec);
  if (!r.ok()) return r.status();
  if (r->hi > hi && r->hi != std::numeric_limits<int64_t>::max()) {
    return s.Fail(v.loc, fmt::format("{}: values must be {}..{}, not {}", key, lo, hi, r->hi));
  }
  if (r->lo > hi) {
    return s.Fail(v.loc, fmt::format("{}: values must be {}..{}, not {}", key, lo, hi, r->lo));
  }
  return r;
}

StatusOr<uint8_t> ReadFlags(const Val& v, const Scope& s) {
  if (!v.node.IsScalar()) {
    return s.Fail(v.loc, fmt::format("flags: must be a string of F S R P . U E W such as \"S.\", "
                                     "not {}",
                                     Describe(v.node)));
  }
  const std::string& t = v.node.Scalar();
  uint8_t out = 0;
  for (char ch : t) {
    const char* at = ch == '\0' ? nullptr : std::strchr(kFlagLetters, ch);
    if (at == nullptr) {
      return s.Fail(v.loc,
                    fmt::format("flags: unknown flag '{}' in \"{}\" (use F S R P . U E W)", ch, t));
    }
    uint8_t bit = static_cast<uint8_t>(1u << (at - kFlagLetters));
    if (out & bit) {
      return s.Fail(v.loc, fmt::format("flags: '{}' appears twice in \"{}\"", ch, t));
    }
    out |= bit;
  }
  return out;
}

// seq / ack: relative; raw-seq / raw-ack: absolute.
Status ReadSeqAck(const Entry& e, PacketUse use, const Scope& s, PacketFields* f) {
  bool raw = e.key.rfind("raw-", 0) == 0;
  bool is_seq = e.key == "seq" || e.key == "raw-seq";
  if (!raw && LooksLikeInt(e.val.node)) {
    StatusOr<int64_t> n = ReadInt(e.val, e.key, s, 0);
    if (n.ok() && *n > kMaxRelative) {
      return s.Fail(e.val.loc,
                    fmt::format("{0}: {1} is not a relative number (at most {2}); use raw-{0} for "
                                "absolute numbers; {0} is relative to the {3}'s ISN",
                                e.key, *n, kMaxRelative, is_seq ? "sender" : "receiver"));
    }
  }
  StatusOr<IntRange> r = ReadValue(e.val, e.key, use, s, 0, raw ? kMax32 : kMaxRelative);
  if (!r.ok()) return r.status();
  if (e.key == "seq") f->seq = *r;
  if (e.key == "ack") f->ack = *r;
  if (e.key == "raw-seq") f->raw_seq = *r;
  if (e.key == "raw-ack") f->raw_ack = *r;
  return Status::Ok();
}

bool IsHex(const std::string& t) {
  return t.size() % 2 == 0 && std::all_of(t.begin(), t.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

StatusOr<std::string> ReadHex(const Val& v, const std::string& what, const Scope& s) {
  std::string t = v.node.IsScalar() ? v.node.Scalar() : "";
  if (!v.node.IsScalar() || !IsHex(t)) {
    return s.Fail(v.loc, fmt::format("{} must be hex bytes such as \"0a0b\" (an even number of "
                                     "hex digits), not {}",
                                     what, Describe(v.node)));
  }
  std::string out;
  for (size_t i = 0; i < t.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(t.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// One value of ts: (val or ecr). Crafted ecr may be `echo`.
Status ReadTsValue(const Val& v, const std::string& what, PacketUse use, const Scope& s,
                   OptionSpec* o, bool ecr) {
  if (ecr && use == PacketUse::kCrafted && v.node.IsScalar() && !IsQuoted(v.node) &&
      v.node.Scalar() == "echo") {
    o->ts_ecr_echo = true;
    return Status::Ok();
  }
  StatusOr<IntRange> r = ReadValue(v, what, use, s, 0, kMax32);
  if (!r.ok()) return r.status();
  (ecr ? o->ts_ecr : o->ts_val) = *r;
  return Status::Ok();
}

Status ReadTs(const Val& v, const std::string& at, PacketUse use, const Scope& s, OptionSpec* o) {
  o->kind = 8;
  if (v.node.IsSequence()) {
    if (v.node.size() != 2) {
      return s.Fail(v.loc, fmt::format("{}: ts must be [VAL, ECR] or {{val: V, ecr: E}}, not a "
                                       "list of {}",
                                       at, v.node.size()));
    }
    FL_RETURN_IF_ERROR(ReadTsValue(Child(v.node[0], v.loc, s), at + ": ts val", use, s, o, false));
    return ReadTsValue(Child(v.node[1], v.loc, s), at + ": ts ecr", use, s, o, true);
  }
  if (!v.node.IsMap()) {
    return s.Fail(v.loc, fmt::format("{}: ts must be [VAL, ECR] or {{val: V, ecr: E}}, not {}", at,
                                     Describe(v.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(v, "ts", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, {"val", "ecr"}, " in ts", s));
  for (const Entry& e : *m) {
    FL_RETURN_IF_ERROR(ReadTsValue(e.val, at + ": ts " + e.key, use, s, o, e.key == "ecr"));
  }
  if (use == PacketUse::kCrafted && !o->ts_val) {
    return s.Fail(v.loc, fmt::format("{}: a crafted ts needs 'val'", at));
  }
  return Status::Ok();
}

Status ReadSack(const Val& v, const std::string& at, PacketUse use, const Scope& s, OptionSpec* o) {
  o->kind = 5;
  if (!v.node.IsSequence() || v.node.size() < 1 || v.node.size() > 4) {
    return s.Fail(v.loc, fmt::format("{}: sack must be a list of 1 to 4 blocks [LEFT, RIGHT], "
                                     "not {}",
                                     at, Describe(v.node)));
  }
  for (size_t i = 0; i < v.node.size(); ++i) {
    Val b = Child(v.node[i], v.loc, s);
    if (!b.node.IsSequence() || b.node.size() != 2) {
      return s.Fail(b.loc, fmt::format("{}: sack block {} must be [LEFT, RIGHT], not {}", at, i + 1,
                                       Describe(b.node)));
    }
    StatusOr<int64_t> l = ReadInt(Child(b.node[0], b.loc, s), at + ": sack left", s, 0, kMax32);
    if (!l.ok()) return l.status();
    StatusOr<int64_t> r = ReadInt(Child(b.node[1], b.loc, s), at + ": sack right", s, 0, kMax32);
    if (!r.ok()) return r.status();
    // In sequence space: right must come after left (mod 2^32).
    const uint32_t span = static_cast<uint32_t>(*r) - static_cast<uint32_t>(*l);
    if (span == 0 || span >= 0x80000000u) {
      return s.Fail(b.loc, fmt::format("{}: sack block {}: left {} is not before right {} (a block "
                                       "is [LEFT, RIGHT): LEFT the first byte, RIGHT the one after "
                                       "the last)",
                                       at, i + 1, *l, *r));
    }
    o->sack.emplace_back(*l, *r);
  }
  (void)use;
  return Status::Ok();
}

// {kind: N, data: HEX}: an option of any kind, as bytes.
Status ReadRawOption(const std::vector<Entry>& m, const Val& v, const std::string& at,
                     const Scope& s, OptionSpec* o) {
  for (const Entry& e : m) {
    if (e.key != "kind" && e.key != "data") {
      return s.Fail(e.key_loc, fmt::format("{}: unknown key '{}' in {{kind: N, data: HEX}}{}", at,
                                           e.key, DidYouMean(e.key, {"kind", "data"})));
    }
  }
  const Entry* k = FindKey(m, "kind");
  if (k == nullptr) return s.Fail(v.loc, fmt::format("{}: 'data' needs 'kind: N'", at));
  StatusOr<int64_t> n = ReadInt(k->val, at + ": kind", s, 0, 255);
  if (!n.ok()) return n.status();
  for (const auto& [kind, form] : kTypedKinds) {
    if (kind != *n) continue;
    return s.Fail(k->val.loc, fmt::format("{}: kind {} has a typed form: use {} ({{kind: N, data: "
                                          "HEX}} is for kinds without one)",
                                          at, *n, form));
  }
  o->kind = static_cast<uint8_t>(*n);
  if (const Entry* d = FindKey(m, "data")) {
    StatusOr<std::string> bytes = ReadHex(d->val, at + ": data", s);
    if (!bytes.ok()) return bytes.status();
    o->bytes = *bytes;
  }
  return Status::Ok();
}

Status UnknownOption(const Val& at_val, const std::string& name, const std::string& at,
                     const Scope& s) {
  return s.Fail(at_val.loc,
                fmt::format("{}: unknown option '{}'{}", at, name, DidYouMean(name, kOptionNames)));
}

// A one-key option map: {mss: N}, {wscale: N}, {sack: ...}, {ts: ...}, {tfo: HEX}.
Status ReadOptionMap(const Val& v, const std::string& at, PacketUse use, const Scope& s,
                     OptionSpec* o) {
  StatusOr<std::vector<Entry>> m = ReadMap(v, "options", s);
  if (!m.ok()) return m.status();
  if (FindKey(*m, "kind") != nullptr || FindKey(*m, "data") != nullptr) {
    return ReadRawOption(*m, v, at, s, o);
  }
  if (m->size() != 1) {
    return s.Fail(v.loc, fmt::format("{}: an option is one key such as {{mss: 1460}}, not a map "
                                     "of {} keys",
                                     at, m->size()));
  }
  const Entry& e = m->front();
  if (e.key == "mss" || e.key == "wscale") {
    o->kind = e.key == "mss" ? 2 : 3;
    StatusOr<int64_t> n = ReadInt(e.val, at + ": " + e.key, s, 0, e.key == "mss" ? 65535 : 255);
    if (!n.ok()) return n.status();
    o->value = *n;
    return Status::Ok();
  }
  if (e.key == "sack") return ReadSack(e.val, at, use, s, o);
  if (e.key == "ts") return ReadTs(e.val, at, use, s, o);
  if (e.key == "tfo") {
    o->kind = 34;
    StatusOr<std::string> bytes = ReadHex(e.val, at + ": tfo", s);
    if (!bytes.ok()) return bytes.status();
    o->bytes = *bytes;
    return Status::Ok();
  }
  if (e.key == "nop" || e.key == "eol" || e.key == "sackOK") {
    return s.Fail(e.key_loc,
                  fmt::format("{}: '{}' takes no value: write it as a plain word", at, e.key));
  }
  return UnknownOption(Val{YAML::Node(e.key), e.key_loc}, e.key, at, s);
}

StatusOr<OptionSpec> ReadOption(const Val& v, size_t index, PacketUse use, const Scope& s) {
  std::string at = fmt::format("options[{}]", index);
  OptionSpec o;
  o.loc = v.loc;
  if (v.node.IsMap()) {
    FL_RETURN_IF_ERROR(ReadOptionMap(v, at, use, s, &o));
    return o;
  }
  std::string name = v.node.IsScalar() ? v.node.Scalar() : "";
  if (name == "nop")
    o.kind = 1;
  else if (name == "eol")
    o.kind = 0;
  else if (name == "sackOK")
    o.kind = 4;
  else if (name == "mss" || name == "wscale" || name == "sack" || name == "ts" || name == "tfo") {
    return s.Fail(v.loc, fmt::format("{}: '{}' needs a value, as in {{{}: ...}}", at, name, name));
  } else if (!v.node.IsScalar()) {
    return s.Fail(v.loc, fmt::format("{}: an option must be a word such as nop or a map such as "
                                     "{{mss: 1460}}, not {}",
                                     at, Describe(v.node)));
  } else {
    return UnknownOption(v, name, at, s);
  }
  return o;
}

// The encoded length of `opts` (as packet_craft.cc lays them out).
size_t OptionBytes(const std::vector<OptionSpec>& opts) {
  size_t n = 0;
  for (const OptionSpec& o : opts) {
    switch (o.kind) {
      case 0:
      case 1: n += 1; break;
      case 2: n += 4; break;
      case 3: n += 3; break;
      case 4: n += 2; break;
      case 5: n += 2 + 8 * o.sack.size(); break;
      case 8: n += 10; break;
      default: n += 2 + (o.bytes ? o.bytes->size() : 0); break;
    }
  }
  return n;
}

Status ReadOptions(const Entry& e, PacketUse use, const Scope& s, PacketFields* f) {
  StatusOr<std::vector<Val>> items = ReadList(e.val, "options", s);
  if (!items.ok()) return items.status();
  std::vector<OptionSpec> out;
  for (size_t i = 0; i < items->size(); ++i) {
    StatusOr<OptionSpec> o = ReadOption((*items)[i], i, use, s);
    if (!o.ok()) return o.status();
    out.push_back(std::move(o).value());
  }
  const size_t bytes = OptionBytes(out);
  if (bytes > kMaxOptionBytes) {
    return s.Fail(e.val.loc, fmt::format("options: {} bytes, a TCP header holds at most {}", bytes,
                                         kMaxOptionBytes));
  }
  f->options = std::move(out);
  return Status::Ok();
}

// A number or one of `names`.
StatusOr<int64_t> ReadNamed(const Val& v, const std::string& what,
                            const std::vector<std::pair<std::string, int>>& names, int64_t hi,
                            const Scope& s) {
  if (LooksLikeInt(v.node)) return ReadInt(v, what, s, 0, hi);
  std::string t = v.node.IsScalar() ? v.node.Scalar() : "";
  std::vector<std::string> words;
  for (const auto& [n, code] : names) {
    if (n == t) return code;
    words.push_back(n);
  }
  std::string list;
  for (const std::string& w : words) list += (list.empty() ? "" : ", ") + w;
  return s.Fail(v.loc, fmt::format("{}: must be 0..{} or one of {}, not {}{}", what, hi, list,
                                   Describe(v.node), DidYouMean(t, words)));
}

Status ReadEcn(const Entry& e, PacketUse use, const Scope& s, PacketFields* f) {
  if (use == PacketUse::kCrafted || !LooksLikeRange(e.val.node)) {
    if (use == PacketUse::kCrafted && LooksLikeRange(e.val.node)) {
      return ReadValue(e.val, "ecn", use, s, 0, 3).status();
    }
    StatusOr<int64_t> n = ReadNamed(e.val, "ecn", kEcnNames, 3, s);
    if (!n.ok()) return n.status();
    f->ecn = IntRange{*n, *n};
    return Status::Ok();
  }
  StatusOr<IntRange> r = ReadValue(e.val, "ecn", use, s, 0, 3);
  if (!r.ok()) return r.status();
  f->ecn = *r;
  return Status::Ok();
}

Status ReadIcmp(const Entry& e, const Scope& s, PacketFields* f) {
  StatusOr<std::vector<Entry>> m = ReadMap(e.val, "icmp", s);
  if (!m.ok()) return m.status();
  FL_RETURN_IF_ERROR(CheckKeys(*m, kIcmpKeys, " in icmp", s));
  IcmpSpec ic;
  ic.loc = e.val.loc;
  const Entry* t = FindKey(*m, "type");
  if (t == nullptr) return s.Fail(e.val.loc, "icmp: missing required key 'type'");
  std::string type = t->val.node.IsScalar() ? t->val.node.Scalar() : "";
  if (std::find(kIcmpTypes.begin(), kIcmpTypes.end(), type) == kIcmpTypes.end()) {
    return s.Fail(t->val.loc, fmt::format("icmp: unknown type {}{} (unreachable, packet-too-big, "
                                          "time-exceeded, parameter-problem, echo-request, "
                                          "echo-reply)",
                                          Describe(t->val.node), DidYouMean(type, kIcmpTypes)));
  }
  ic.type = type;
  if (const Entry* c = FindKey(*m, "code")) {
    StatusOr<int64_t> code = ReadNamed(c->val, "icmp code", kIcmpCodes, 255, s);
    if (!code.ok()) return code.status();
    if (!LooksLikeInt(c->val.node) && type != "unreachable") {
      return s.Fail(c->val.loc, fmt::format("icmp code: '{}' names an unreachable code; with type "
                                            "{} write the code as a number",
                                            c->val.node.Scalar(), type));
    }
    ic.code = *code;
  }
  if (const Entry* mtu = FindKey(*m, "mtu")) {
    bool frag = ic.code && *ic.code == 4 && type == "unreachable";
    if (type != "packet-too-big" && !frag) {
      return s.Fail(mtu->key_loc,
                    "icmp: 'mtu' applies to type packet-too-big or to type "
                    "unreachable with code frag-needed");
    }
    StatusOr<int64_t> n = ReadInt(mtu->val, "icmp mtu", s, 0, kMax32);
    if (!n.ok()) return n.status();
    ic.mtu = *n;
  }
  f->icmp = ic;
  return Status::Ok();
}

Status ReadProtoKey(const Entry& e, const Scope& s, PacketFields* f) {
  std::string t = e.val.node.IsScalar() ? e.val.node.Scalar() : "";
  if (t == "tcp")
    f->proto = PacketFields::L4::kTcp;
  else if (t == "udp")
    f->proto = PacketFields::L4::kUdp;
  else if (t == "icmp")
    f->proto = PacketFields::L4::kIcmp;
  else {
    return s.Fail(e.val.loc,
                  fmt::format("'proto' must be tcp, udp or icmp, not {}", Describe(e.val.node)));
  }
  return Status::Ok();
}

// The keys with a plain numeric range.
struct NumKey {
  const char* name;
  int64_t hi;
  std::optional<IntRange> PacketFields::*field;
};
const NumKey kNumKeys[] = {
    {"win", 65535, &PacketFields::win},       {"urg", 65535, &PacketFields::urg},
    {"length", 65535, &PacketFields::length}, {"ttl", 255, &PacketFields::ttl},
    {"dscp", 63, &PacketFields::dscp},        {"ip-id", 65535, &PacketFields::ip_id}};

}  // namespace

const std::vector<std::string>& PacketKeys() { return kPacketKeys; }
const std::vector<std::string>& PacketMatchKeys() { return kMatchKeys; }
const std::vector<std::string>& PacketOptionNames() { return kOptionNames; }
const std::vector<std::string>& IcmpTypeNames() { return kIcmpTypes; }
const std::vector<std::string>& IcmpKeys() { return kIcmpKeys; }
const std::vector<std::string>& IcmpCodeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [n, c] : kIcmpCodes) v.push_back(n);
    return v;
  }();
  return names;
}

Status ReadPacketField(const Entry& e, PacketUse use, const Scope& s, PacketFields* f) {
  for (const NumKey& k : kNumKeys) {
    if (e.key != k.name) continue;
    StatusOr<IntRange> r = ReadValue(e.val, e.key, use, s, 0, k.hi);
    if (!r.ok()) return r.status();
    f->*k.field = *r;
    return Status::Ok();
  }
  if (e.key == "proto") return ReadProtoKey(e, s, f);
  if (e.key == "flags") {
    StatusOr<uint8_t> b = ReadFlags(e.val, s);
    if (!b.ok()) return b.status();
    f->flags = *b;
    return Status::Ok();
  }
  if (e.key == "seq" || e.key == "ack" || e.key == "raw-seq" || e.key == "raw-ack") {
    return ReadSeqAck(e, use, s, f);
  }
  if (e.key == "data") {
    StatusOr<std::string> d = ReadString(e.val, "data", s);
    if (!d.ok()) return d.status();
    f->data = *d;
    return Status::Ok();
  }
  if (e.key == "options") return ReadOptions(e, use, s, f);
  if (e.key == "ecn") return ReadEcn(e, use, s, f);
  if (e.key == "df") {
    StatusOr<bool> b = ReadBool(e.val, "df", s);
    if (!b.ok()) return b.status();
    f->df = *b;
    return Status::Ok();
  }
  if (e.key == "icmp") return ReadIcmp(e, s, f);
  return s.Fail(e.key_loc, fmt::format("unknown key {} in packet{}", Describe(YAML::Node(e.key)),
                                       DidYouMean(e.key, kPacketKeys)));
}

Status CheckRawSeqAck(const std::vector<Entry>& m, const Scope& s) {
  for (const char* k : {"seq", "ack"}) {
    const Entry* raw = FindKey(m, std::string("raw-") + k);
    if (raw != nullptr && FindKey(m, k) != nullptr) {
      return s.Fail(raw->key_loc, fmt::format("'{0}' and 'raw-{0}' cannot be combined ({0} is "
                                              "relative to the ISN, raw-{0} absolute)",
                                              k));
    }
  }
  return Status::Ok();
}

Status CheckPacketFields(const std::vector<Entry>& m, PacketUse use, const Scope& s,
                         PacketFields* f) {
  FL_RETURN_IF_ERROR(CheckRawSeqAck(m, s));
  const Entry* tcp_key = nullptr;
  for (const Entry& e : m) {
    if (IsTcpKey(e.key) && tcp_key == nullptr) tcp_key = &e;
  }
  const Entry* icmp = FindKey(m, "icmp");
  if (tcp_key != nullptr && icmp != nullptr) {
    return s.Fail(icmp->key_loc,
                  fmt::format("'icmp' cannot be combined with the TCP key '{}'", tcp_key->key));
  }
  const Entry* proto = FindKey(m, "proto");
  using L4 = PacketFields::L4;
  if (tcp_key != nullptr) {
    if (proto != nullptr && f->proto != L4::kTcp) {
      return s.Fail(tcp_key->key_loc, fmt::format("'{}' (a TCP field) cannot be combined with "
                                                  "'proto: {}'",
                                                  tcp_key->key, proto->val.node.Scalar()));
    }
    f->proto = L4::kTcp;
  }
  if (icmp != nullptr) {
    if (proto != nullptr && f->proto != L4::kIcmp) {
      return s.Fail(icmp->key_loc, fmt::format("'icmp' cannot be combined with 'proto: {}'",
                                               proto->val.node.Scalar()));
    }
    f->proto = L4::kIcmp;
  }
  if (use != PacketUse::kCrafted) return Status::Ok();
  const Entry* ack = FindKey(m, "ack");
  if (ack != nullptr && f->flags && (*f->flags & 0x10) == 0) {
    return s.Fail(ack->key_loc, fmt::format("ack: set, but flags \"{}\" have no ACK (add '.' to "
                                            "flags, or leave ack out)",
                                            FindKey(m, "flags")->val.node.Scalar()));
  }
  const Entry* len = FindKey(m, "length");
  if (len != nullptr && f->data && f->length->lo != static_cast<int64_t>(f->data->size())) {
    return s.Fail(len->val.loc, fmt::format("length: {} disagrees with data ({} bytes); leave "
                                            "length out or make them agree",
                                            f->length->lo, f->data->size()));
  }
  return Status::Ok();
}

StatusOr<PacketFields> ParsePacketFields(const Val& v, PacketUse use, const std::string& what,
                                         const Scope& s) {
  PacketFields f;
  f.loc = v.loc;
  if (!v.node.IsMap()) {
    return s.Fail(v.loc, fmt::format("'{}' must be a packet such as {{flags: S., ack: 1}}, not {}",
                                     what, Describe(v.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(v, what, s);
  if (!m.ok()) return m.status();
  for (const Entry& e : *m) FL_RETURN_IF_ERROR(ReadPacketField(e, use, s, &f));
  FL_RETURN_IF_ERROR(CheckPacketFields(*m, use, s, &f));
  return f;
}

}  // namespace faultline
