// steps: of a case (see docs/cases.md, "Steps").
#include "harness/loader/step_parser.h"
#include "harness/loader/when_parser.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "harness/loader/case_loader.h"
#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/endpoint_parse.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/observe_parser.h"
#include "harness/loader/packet_step_parser.h"
#include "harness/model/lab_vars.h"

namespace faultline {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

const std::vector<std::string> kCommon = {"as", "async", "id", "expect"};
// run: ready: {...}: one of listening, udp, stdout, stderr; within.
const std::vector<std::string> kReadyKeys = {"listening", "udp", "stdout", "stderr", "within"};
// The keys of a step besides its host.
const std::vector<std::string> kStepKeys = {"await",  "label", "wire", "fault",
                                            "enable", "set",   "when"};
const std::vector<std::string> kLingerKeys = {"onoff", "linger"};

const std::vector<std::string> kSendFlags = {"MSG_DONTWAIT", "MSG_MORE",     "MSG_NOSIGNAL",
                                             "MSG_OOB",      "MSG_ZEROCOPY", "MSG_FASTOPEN"};
const std::vector<std::string> kRecvFlags = {"MSG_PEEK", "MSG_DONTWAIT", "MSG_WAITALL",
                                             "MSG_ERRQUEUE", "MSG_OOB"};
const std::vector<std::string> kPollEvents = {"in", "out", "pri", "rdhup"};
// Issue 16: epoll_ctl events, fcntl commands and flags, ioctl requests, epoll_ctl ops.
const std::vector<std::string> kEpollEvents = {"in",  "out", "pri", "rdhup",
                                               "err", "hup", "et",  "oneshot"};
const std::vector<std::string> kFcntlCmds = {"getfl", "setfl"};
const std::vector<std::string> kFcntlFlags = {"nonblock"};
const std::vector<std::string> kIoctlRequests = {"SIOCINQ", "SIOCOUTQ", "SIOCOUTQNSD", "FIONREAD"};
const std::vector<std::string> kEpollOps = {"add", "mod", "del"};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Splits a shorthand string on blanks, remembering each word's offset.
std::vector<std::pair<std::string, size_t>> Words(const std::string& t) {
  std::vector<std::pair<std::string, size_t>> out;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    size_t start = i;
    while (i < t.size() && t[i] != ' ' && t[i] != '\t') ++i;
    if (i > start) out.emplace_back(t.substr(start, i - start), start);
  }
  return out;
}

std::vector<std::string> OpNames() {
  std::vector<std::string> v;
  for (const OpSpec& o : StepOps()) v.push_back(o.name);
  return v;
}

const OpSpec* FindOp(std::string_view name) {
  for (const OpSpec& o : StepOps()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

bool HasKey(const OpSpec& o, const std::string& key) {
  return std::any_of(o.keys.begin(), o.keys.end(), [&](const OpKey& k) { return key == k.name; });
}

bool IsAnyParam(const std::string& key) {
  return std::any_of(StepOps().begin(), StepOps().end(),
                     [&](const OpSpec& o) { return HasKey(o, key); });
}

bool IsCommon(const std::string& key) {
  return std::find(kCommon.begin(), kCommon.end(), key) != kCommon.end();
}

class StepParser {
 public:
  explicit StepParser(const CaseContext& cx) : cx_(cx), packets_(cx) {}

  StatusOr<Step> Parse(const Val& item, int index);

  // For the operations' parse functions (OpCall).
  const CaseContext& cx() const { return cx_; }
  bool IsLive(const std::string& host, const std::string& name) {
    return live_[host].count(name) != 0;
  }
  // Open in a variant where the step being parsed runs (`when:` of the
  // steps that made it and of this step).
  bool IsLiveHere(const std::string& host, const std::string& name) {
    if (!IsLive(host, name)) return false;
    for (const std::optional<When>& made : live_when_[host + "/" + name]) {
      if (Overlap(made, when_)) return true;
    }
    return false;
  }
  // Some variant runs both (an unset when: holds everywhere).
  bool Overlap(const std::optional<When>& a, const std::optional<When>& b) const {
    if (!a || !b) return true;
    for (const VariantValues& v : cx_.variants) {
      const std::string f = FamilyName(v.family);
      if (a->Holds(f, v.values) && b->Holds(f, v.values)) return true;
    }
    return false;
  }
  // Every variant where `inner` holds, `outer` holds too.
  bool Covers(const std::optional<When>& outer, const std::optional<When>& inner) const {
    if (!outer) return true;
    for (const VariantValues& v : cx_.variants) {
      const std::string f = FamilyName(v.family);
      if ((!inner || inner->Holds(f, v.values)) && !outer->Holds(f, v.values)) return false;
    }
    return true;
  }
  // The socket name an op is applied to; it must be live on `host`. With
  // `closed` (the operation's own FD): a name an earlier step closed is
  // taken too, and *closed says so (the step must then expect EBADF:
  // CheckClosedUse).
  StatusOr<std::string> UseFd(const std::string& host, const Entry& e, const Scope& s,
                              bool* closed = nullptr);
  // A new socket name (`as`); it must not be live on `host`.
  StatusOr<std::string> NewFd(const std::string& host, const Entry& e, const Scope& s);
  StatusOr<Endpoint> ReadEndpoint(const Entry& e, const Scope& s);
  // run: argv, env, stdin, background, ready, as (docs/cases.md, "Commands").
  Status ReadCommand(OpCall& x);
  // stop: NAME, a background command of `host` still running.
  Status ReadStop(OpCall& x);

 private:
  // The keys of a step: at most one host or await, and a label.
  struct StepKeys {
    const Entry* label = nullptr;
    const Entry* when = nullptr;  // `when:` (when_parser.h)
    const Entry* await = nullptr;
    const Entry* host = nullptr;
    const Entry* wire = nullptr;  // a `wire:` step (packet_step_parser.h)
  };
  Status SortStepKeys(const std::vector<Entry>& m, const Scope& s, StepKeys* k);
  StatusOr<std::string> ReadLabel(const Entry& label, const Scope& s);
  StatusOr<AwaitStep> ParseAwait(const Entry& await, const Scope& s);
  StatusOr<Step> ParseFaultStep(const std::vector<Entry>& m, Step step, const Scope& s);
  StatusOr<CallStep> ParseCall(const std::string& host, const Entry& he, const Scope& s);
  // The socket names, async ids and commands a parsed call starts or ends.
  Status RecordCall(const CallStep& cs, const SourceLoc& step_loc, const Scope& s);
  // The call's map, from either form of the step.
  StatusOr<std::vector<Entry>> OpMap(const std::string& host, const Entry& he, const Scope& s);
  StatusOr<std::vector<Entry>> Shorthand(const Entry& he, const Scope& s);
  // The one key of `m` that names an operation.
  StatusOr<const Entry*> FindOperation(const std::vector<Entry>& m, const SourceLoc& map_loc,
                                       const Scope& s);
  Status CheckOpKeys(const std::string& host, const std::vector<Entry>& m, const Entry& ope,
                     const OpSpec& op, const Scope& s);
  // as (per what the operation creates), async, id and expect.
  Status ReadAs(OpCall& x);
  Status ReadAsyncAndExpect(OpCall& x, CallStep* cs);
  // A call on a closed name must expect EBADF (poll: revents nval).
  Status CheckClosedUse(const OpCall& x, const CallStep& cs);
  Status ReadAddrExpect(const Entry& expect, const Scope& s, AddrExpect* out);
  Status ReadArgv(const Entry& ope, const Scope& s, Command* cmd);
  Status ReadEnv(const Entry& e, const Scope& s, Command* cmd);
  Status ReadReady(const Entry& e, const Scope& s, Command* cmd);
  Status ReadCommandName(OpCall& x);

  // A scripted host's step must be a packet step; a real host's must not.
  Status CheckScriptedStep(const Entry& he, const Scope& s);
  bool IsPacketStepOnRealHost(const Entry& he, const Scope& s);
  Status PacketStepOnRealHost(const Entry& he, const Scope& s);

  const CaseContext& cx_;
  PacketStepParser packets_;
  std::map<std::string, std::set<std::string>> live_;  // host -> open socket names
  // HOST/NAME -> the when: of each step that made it (open sockets only).
  std::map<std::string, std::vector<std::optional<When>>> live_when_;
  std::optional<When> when_;  // of the step being parsed
  std::vector<VariantValues> variants_;
  std::map<std::string, std::string> closed_by_;  // "host/name" -> "step N"
  std::map<std::string, std::string> closed_at_;  // "host/name" -> "FILE:LINE:COL"
  struct AsyncId {
    int step = 0;
    int awaited_by = 0;
  };
  std::map<std::string, AsyncId> async_;
  std::map<std::string, int> labels_;
  // host -> background command name -> the step that started it (or that
  // stopped/awaited it, in ended_).
  std::map<std::string, std::map<std::string, int>> commands_;
  std::map<std::string, std::string> command_ended_;  // "host/name" -> "stopped by step N"
  std::map<std::string, int> stopped_;  // background command name -> the step that stopped it
  int index_ = 0;                       // the step being parsed
};

// Checks the ${...} references of a command string against the case's hosts.
Status CheckVars(const Val& v, const std::string& text, const CaseContext& cx, const Scope& s) {
  // The runner's lookup, with a placeholder address for every declared host.
  LabVarValues declared;
  declared.address = [&cx](const std::string& host, bool) -> std::optional<std::string> {
    if (std::find(cx.hosts.begin(), cx.hosts.end(), host) == cx.hosts.end()) return std::nullopt;
    return std::string();
  };
  const VarLookup known = LabVarLookup(declared);
  StatusOr<std::string> r = ExpandVars(text, known);
  if (r.ok()) return Status::Ok();
  std::vector<std::string> names = {"family", "workdir"};
  for (const std::string& h : cx.hosts) {
    for (const std::string& a : HostVarAttributes()) names.push_back(h + "." + a);
  }
  std::string msg = r.status().message();
  const std::string prefix = "unknown variable ${";
  if (msg.rfind(prefix, 0) == 0) {
    std::string name = msg.substr(prefix.size(), msg.size() - prefix.size() - 1);
    std::string hint = DidYouMean(name, names);
    if (hint.empty()) {
      hint = fmt::format(" (HOST.addr, HOST.addr4, HOST.addr6, HOST.url_addr, family or workdir)");
    }
    msg += hint;
  }
  return s.Fail(v.loc, msg);
}

}  // namespace

// One call step being parsed: what its operation's parse function reads and
// fills in.
struct OpCall {
  StepParser& p;
  const std::string& host;
  const std::vector<Entry>& m;  // the call's keys
  const Entry& ope;             // the operation's own key
  const SourceLoc& map_loc;
  const Scope& s;
  const OpSpec& op;
  SocketCall& c;
  const Entry* as;           // the `as` key, if any
  bool creates = false;      // the step creates the socket named by `as`
  bool as_required = false;  // ... and `as` has no default

  // A required key of the operation (OpKey::required).
  StatusOr<const Entry*> Need(const char* key) const {
    const Entry* e = FindKey(m, key);
    if (e == nullptr) {
      return s.Fail(map_loc, fmt::format("missing required key '{}' for '{}'", key, op.name));
    }
    return e;
  }
  // The operation's argument is a live socket: c.fd.
  Status Fd() {
    StatusOr<std::string> f = p.UseFd(host, ope, s, &c.fd_closed);
    if (!f.ok()) return f.status();
    c.fd = *f;
    return Status::Ok();
  }
  // The required endpoint `key` (addr, to): c.endpoint.
  Status NeedEndpoint(const char* key) {
    StatusOr<const Entry*> e = Need(key);
    if (!e.ok()) return e.status();
    StatusOr<Endpoint> ep = p.ReadEndpoint(**e, s);
    if (!ep.ok()) return ep.status();
    c.endpoint = *ep;
    return Status::Ok();
  }
  // size: 1..hi, 65536 when absent.
  Status ReadSize(int64_t hi) {
    const Entry* e = FindKey(m, "size");
    c.size = 65536;
    if (e == nullptr) return Status::Ok();
    StatusOr<int64_t> n = ReadInt(e->val, "size", s, 1, hi);
    if (!n.ok()) return n.status();
    c.size = *n;
    return Status::Ok();
  }
  Status ReadNonblock() {
    if (const Entry* e = FindKey(m, "nonblock")) {
      StatusOr<bool> b = ReadBool(e->val, "nonblock", s);
      if (!b.ok()) return b.status();
      c.nonblock = *b;
    }
    return Status::Ok();
  }
};

namespace {

Status ReadFlags(OpCall& x, const Entry& e, const std::vector<std::string>& valid) {
  const Scope& s = x.s;
  StatusOr<std::vector<Val>> l = ReadList(e.val, "flags", s);
  if (!l.ok()) return l.status();
  std::vector<std::string> all = kSendFlags;
  for (const std::string& f : kRecvFlags) {
    if (std::find(all.begin(), all.end(), f) == all.end()) all.push_back(f);
  }
  for (const Val& v : *l) {
    StatusOr<std::string> f = ReadString(v, "flags", s);
    if (!f.ok()) return f.status();
    if (std::find(valid.begin(), valid.end(), *f) == valid.end()) {
      if (std::find(all.begin(), all.end(), *f) != all.end()) {
        return s.Fail(v.loc, fmt::format("flag '{}' does not apply to '{}' (it takes {})", *f,
                                         x.op.name, Join(valid)));
      }
      return s.Fail(v.loc, fmt::format("unknown flag {} for '{}'{}", Describe(v.node), x.op.name,
                                       DidYouMean(*f, valid)));
    }
    x.c.flags.push_back(*f);
  }
  return Status::Ok();
}

// data: or size: (exactly one).
Status ReadPayload(OpCall& x) {
  const Scope& s = x.s;
  const Entry* data = FindKey(x.m, "data");
  const Entry* size = FindKey(x.m, "size");
  if (data != nullptr && size != nullptr) {
    const Entry* later =
        data->key_loc.line > size->key_loc.line || (data->key_loc.line == size->key_loc.line &&
                                                    data->key_loc.column > size->key_loc.column)
            ? data
            : size;
    return s.Fail(later->key_loc, "'data' and 'size' cannot be combined");
  }
  if (data == nullptr && size == nullptr) {
    return s.Fail(x.map_loc, fmt::format("'{}' needs 'data' or 'size'", x.op.name));
  }
  if (data != nullptr) {
    StatusOr<std::string> d = ReadString(data->val, "data", s);
    if (!d.ok()) return d.status();
    x.c.data = *d;
    x.c.size = static_cast<int64_t>(d->size());
  } else {
    StatusOr<int64_t> n = ReadInt(size->val, "size", s, 1, 64 * kMiB);
    if (!n.ok()) return n.status();
    x.c.size = *n;
  }
  return Status::Ok();
}

// setsockopt SO_LINGER value: {onoff: BOOL, linger: SECONDS}.
Status ReadLinger(const Val& v, const Scope& s, SocketCall* c) {
  StatusOr<std::vector<Entry>> lm = ReadMap(v, "value", s);
  if (!lm.ok()) {
    return s.Fail(v.loc, fmt::format("'value' of SO_LINGER must be a map {{onoff: BOOL, "
                                     "linger: SECONDS}}, not {}",
                                     Describe(v.node)));
  }
  FL_RETURN_IF_ERROR(CheckKeys(*lm, kLingerKeys, " in SO_LINGER value", s));
  const Entry* onoff = FindKey(*lm, "onoff");
  const Entry* linger = FindKey(*lm, "linger");
  if (onoff == nullptr) return s.Fail(v.loc, "missing required key 'onoff' in SO_LINGER value");
  if (linger == nullptr) {
    return s.Fail(v.loc, "missing required key 'linger' in SO_LINGER value");
  }
  StatusOr<bool> on = ReadBool(onoff->val, "onoff", s);
  if (!on.ok()) return on.status();
  StatusOr<int64_t> secs = ReadInt(linger->val, "linger", s, 0, 2147483647);
  if (!secs.ok()) return secs.status();
  c->linger_on = *on;
  c->opt_value = *secs;
  return Status::Ok();
}

Status ReadCongestion(const Val& v, const Scope& s, SocketCall* c) {
  if (!v.node.IsScalar() || v.node.Scalar().empty() || v.node.Scalar().size() > 15 ||
      !IsIdentifier(v.node.Scalar())) {
    return s.Fail(v.loc, fmt::format("'value' of TCP_CONGESTION must be an algorithm name "
                                     "such as reno, not {}",
                                     Describe(v.node)));
  }
  c->opt_text = v.node.Scalar();
  return Status::Ok();
}

// TCP_USER_TIMEOUT: integer milliseconds or a duration of whole milliseconds.
Status ReadUserTimeout(const Val& v, const Scope& s, SocketCall* c) {
  if (LooksLikeInt(v.node)) {
    StatusOr<int64_t> ms = ReadInt(v, "value", s, 0, 2147483647);
    if (!ms.ok()) return ms.status();
    c->opt_value = *ms;
    return Status::Ok();
  }
  if (!v.node.IsScalar() || !ParseDuration(v.node.Scalar())) {
    return s.Fail(v.loc, fmt::format("'value' of TCP_USER_TIMEOUT must be a duration such as "
                                     "5s or an integer of milliseconds, not {}",
                                     Describe(v.node)));
  }
  Duration d = *ParseDuration(v.node.Scalar());
  if (d % std::chrono::milliseconds(1) != Duration(0) ||
      d > std::chrono::milliseconds(2147483647)) {
    return s.Fail(v.loc, fmt::format("'value' of TCP_USER_TIMEOUT must be whole milliseconds "
                                     "(at most 2147483647ms), not {}",
                                     Describe(v.node)));
  }
  c->opt_value = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return Status::Ok();
}

// SO_SNDTIMEO / SO_RCVTIMEO: integer microseconds or a duration of whole
// microseconds (0: no timeout).
Status ReadTimevalOption(const Val& v, const Scope& s, SocketCall* c) {
  const int64_t max_us = int64_t{2147483647} * 1'000'000;
  if (LooksLikeInt(v.node)) {
    StatusOr<int64_t> us = ReadInt(v, "value", s, 0, max_us);
    if (!us.ok()) return us.status();
    c->opt_value = *us;
    return Status::Ok();
  }
  std::optional<Duration> d = v.node.IsScalar() ? ParseDuration(v.node.Scalar()) : std::nullopt;
  if (!d || *d % std::chrono::microseconds(1) != Duration(0) || *d < Duration(0)) {
    return s.Fail(v.loc, fmt::format("'value' of {} must be a duration such as 250ms or an "
                                     "integer of microseconds, not {}",
                                     SockOptName(*c->opt), Describe(v.node)));
  }
  c->opt_value = std::chrono::duration_cast<std::chrono::microseconds>(*d).count();
  return Status::Ok();
}

// Every other option: an int, or true/false for 1/0.
Status ReadIntOption(const Val& v, const Scope& s, SocketCall* c) {
  if (LooksLikeBool(v.node)) {
    StatusOr<bool> b = ReadBool(v, "value", s);
    if (!b.ok()) return b.status();
    c->opt_value = *b ? 1 : 0;
    return Status::Ok();
  }
  if (!LooksLikeInt(v.node)) {
    return s.Fail(v.loc, fmt::format("'value' of {} must be an integer or true/false, not {}",
                                     SockOptName(*c->opt), Describe(v.node)));
  }
  StatusOr<int64_t> n = ReadInt(v, "value", s, -2147483648LL, 2147483647);
  if (!n.ok()) return n.status();
  c->opt_value = *n;
  return Status::Ok();
}

// SO_TIMESTAMPING: an int, or a list of SOF_TIMESTAMPING_* names OR'ed.
Status ReadTimestampingOption(const Val& v, const Scope& s, SocketCall* c) {
  if (!v.node.IsSequence()) return ReadIntOption(v, s, c);
  StatusOr<std::vector<Val>> l = ReadList(v, "value", s);
  if (!l.ok()) return l.status();
  int64_t bits = 0;
  for (const Val& n : *l) {
    StatusOr<std::string> name = ReadString(n, "value", s);
    if (!name.ok()) return name.status();
    std::optional<int64_t> b = TimestampingFlag(*name);
    if (!b) {
      return s.Fail(n.loc, fmt::format("unknown SO_TIMESTAMPING flag {}{}", Describe(n.node),
                                       DidYouMean(*name, TimestampingFlagNames())));
    }
    bits |= *b;
  }
  c->opt_value = bits;
  return Status::Ok();
}

// opt: (both), value: (setsockopt).
Status ReadSockOpt(OpCall& x) {
  const Scope& s = x.s;
  StatusOr<const Entry*> opt = x.Need("opt");
  if (!opt.ok()) return opt.status();
  const Val& ov = (*opt)->val;
  StatusOr<std::string> name = ReadString(ov, "opt", s);
  if (!name.ok()) return name.status();
  x.c.opt = SockOptFromName(*name);
  if (!x.c.opt) {
    return s.Fail(ov.loc, fmt::format("unknown socket option {}{}", Describe(ov.node),
                                      DidYouMean(*name, SockOptNames())));
  }
  if (x.op.op == Op::kGetsockopt) {
    if (*x.c.opt == SockOpt::kTcpCongestion) {
      return s.Fail(ov.loc, "getsockopt of TCP_CONGESTION is not supported");
    }
    return Status::Ok();
  }
  if (*x.c.opt == SockOpt::kSoError) {
    return s.Fail(ov.loc, "SO_ERROR can only be read (use getsockopt)");
  }
  StatusOr<const Entry*> value = x.Need("value");
  if (!value.ok()) return value.status();
  const Val& v = (*value)->val;
  switch (*x.c.opt) {
    case SockOpt::kSoLinger: return ReadLinger(v, s, &x.c);
    case SockOpt::kTcpCongestion: return ReadCongestion(v, s, &x.c);
    case SockOpt::kTcpUserTimeout: return ReadUserTimeout(v, s, &x.c);
    case SockOpt::kSoSndtimeo:
    case SockOpt::kSoRcvtimeo: return ReadTimevalOption(v, s, &x.c);
    case SockOpt::kSoTimestamping: return ReadTimestampingOption(v, s, &x.c);
    default: return ReadIntOption(v, s, &x.c);
  }
}

// ---- One parse function per operation (the `parse` of its StepOps() entry).

Status ParseSocket(OpCall& x) {
  const YAML::Node& n = x.ope.val.node;
  if (!n.IsScalar() || IsQuoted(n) || (n.Scalar() != "tcp" && n.Scalar() != "udp")) {
    return x.s.Fail(x.ope.val.loc, fmt::format("'socket' must be tcp or udp, not {}", Describe(n)));
  }
  x.c.proto = n.Scalar() == "tcp" ? SocketCall::Proto::kTcp : SocketCall::Proto::kUdp;
  FL_RETURN_IF_ERROR(x.ReadNonblock());
  x.creates = x.as_required = true;
  return Status::Ok();
}

Status ParseBind(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  return x.NeedEndpoint("addr");
}

// listen: SOCKET, or listen: PORT (socket + bind any:PORT + listen, as ls).
Status ParseListen(OpCall& x) {
  if (LooksLikeInt(x.ope.val.node)) {
    StatusOr<int64_t> port = ReadInt(x.ope.val, "listen", x.s, 0, 65535);
    if (!port.ok()) return port.status();
    Endpoint ep;
    ep.kind = Endpoint::Kind::kAny;
    ep.port = static_cast<uint16_t>(*port);
    x.c.endpoint = ep;
    x.creates = true;
    if (x.as == nullptr) x.c.as = "ls";
  } else {
    if (!x.ope.val.node.IsScalar()) {
      return x.s.Fail(x.ope.val.loc, fmt::format("'listen' must be a socket name or a port "
                                                 "number, not {}",
                                                 Describe(x.ope.val.node)));
    }
    FL_RETURN_IF_ERROR(x.Fd());
  }
  if (const Entry* b = FindKey(x.m, "backlog")) {
    StatusOr<int64_t> n = ReadInt(b->val, "backlog", x.s, 0, 65535);
    if (!n.ok()) return n.status();
    x.c.backlog = static_cast<int>(*n);
  }
  return Status::Ok();
}

// accept and dup: a socket in, a new socket (as) out.
Status ParseNewFromFd(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  x.creates = x.as_required = true;
  return Status::Ok();
}

// connect: ENDPOINT (a new TCP socket, as) or connect: SOCKET, to: ENDPOINT.
Status ParseConnect(OpCall& x) {
  const YAML::Node& n = x.ope.val.node;
  if (n.IsScalar() && n.Scalar().find(':') != std::string::npos) {
    StatusOr<Endpoint> ep = x.p.ReadEndpoint(x.ope, x.s);
    if (!ep.ok()) return ep.status();
    x.c.endpoint = *ep;
    if (const Entry* to = FindKey(x.m, "to")) {
      return x.s.Fail(to->key_loc,
                      "'to' does not apply to 'connect' with an address (write "
                      "connect: SOCKET, to: ADDRESS, or connect: ADDRESS, as: NAME)");
    }
    FL_RETURN_IF_ERROR(x.ReadNonblock());
    x.creates = x.as_required = true;
    return Status::Ok();
  }
  const std::vector<std::string>& hosts = x.p.cx().hosts;
  if (n.IsScalar() && std::find(hosts.begin(), hosts.end(), n.Scalar()) != hosts.end() &&
      !x.p.IsLive(x.host, n.Scalar())) {
    return x.s.Fail(x.ope.val.loc, fmt::format("'{0}' is a host, not a socket: an address needs "
                                               "a port, as in connect: \"{0}:8080\"",
                                               n.Scalar()));
  }
  FL_RETURN_IF_ERROR(x.Fd());
  if (const Entry* nb = FindKey(x.m, "nonblock")) {
    return x.s.Fail(nb->key_loc,
                    "'nonblock' does not apply to 'connect' on an existing socket "
                    "(set it on the socket step, or use a nonblock step)");
  }
  return x.NeedEndpoint("to");
}

// send, write, sendto.
// `buffer: invalid` (send, write, sendto, recv, read, recvfrom): the peer
// passes an unmapped pointer; a send then takes `size`, never `data`.
Status ReadBuffer(OpCall& x) {
  const Entry* b = FindKey(x.m, "buffer");
  if (b == nullptr) return Status::Ok();
  if (!b->val.node.IsScalar() || b->val.node.Scalar() != "invalid") {
    return x.s.Fail(b->val.loc,
                    fmt::format("'buffer' must be invalid, not {}", Describe(b->val.node)));
  }
  if (const Entry* d = FindKey(x.m, "data")) {
    return x.s.Fail(d->key_loc, "'data' cannot be combined with 'buffer: invalid' (use 'size')");
  }
  x.c.bad_buffer = true;
  return Status::Ok();
}

Status ParseSend(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  if (x.op.op == Op::kSendto) {
    // `to: unspec`: a sockaddr of family AF_UNSPEC.
    const Entry* to = FindKey(x.m, "to");
    if (to != nullptr && to->val.node.IsScalar() && to->val.node.Scalar() == "unspec") {
      x.c.to_unspec = true;
    } else {
      FL_RETURN_IF_ERROR(x.NeedEndpoint("to"));
    }
  }
  FL_RETURN_IF_ERROR(ReadBuffer(x));
  FL_RETURN_IF_ERROR(ReadPayload(x));
  if (const Entry* f = FindKey(x.m, "flags")) FL_RETURN_IF_ERROR(ReadFlags(x, *f, kSendFlags));
  return Status::Ok();
}

// recv, read, recvfrom.
Status ParseRecv(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  FL_RETURN_IF_ERROR(x.ReadSize(16 * kMiB));
  if (x.op.op != Op::kRecvmsg) FL_RETURN_IF_ERROR(ReadBuffer(x));
  if (const Entry* f = FindKey(x.m, "flags")) FL_RETURN_IF_ERROR(ReadFlags(x, *f, kRecvFlags));
  if (const Entry* u = FindKey(x.m, "until")) {
    StatusOr<std::string> t = ReadString(u->val, "until", x.s);
    if (!t.ok()) return t.status();
    if (t->empty()) return x.s.Fail(u->val.loc, "'until' must not be empty");
    if (x.c.bad_buffer) {
      return x.s.Fail(u->key_loc, "'until' cannot be combined with 'buffer: invalid'");
    }
    if (std::find(x.c.flags.begin(), x.c.flags.end(), "MSG_OOB") != x.c.flags.end()) {
      return x.s.Fail(u->key_loc,
                      "'until' cannot be combined with MSG_OOB (urgent data is one byte)");
    }
    x.c.until = *t;
  }
  return Status::Ok();
}

Status ParseShutdown(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> h = x.Need("how");
  if (!h.ok()) return h.status();
  const YAML::Node& n = (*h)->val.node;
  std::string t = n.IsScalar() ? n.Scalar() : "";
  if (t == "rd") {
    x.c.how = SHUT_RD;
  } else if (t == "wr") {
    x.c.how = SHUT_WR;
  } else if (t == "rdwr") {
    x.c.how = SHUT_RDWR;
  } else {
    return x.s.Fail((*h)->val.loc,
                    fmt::format("'how' must be rd, wr or rdwr, not {}", Describe(n)));
  }
  return Status::Ok();
}

// close, getsockname, getpeername: FD, nothing else.
Status ParseClose(OpCall& x) { return x.Fd(); }

// setsockopt and getsockopt.
Status ParseSockOpt(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  return ReadSockOpt(x);
}

Status ParseNonblock(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  x.c.nonblock = true;
  if (const Entry* v = FindKey(x.m, "value")) {
    StatusOr<bool> b = ReadBool(v->val, "value", x.s);
    if (!b.ok()) return b.status();
    x.c.nonblock = *b;
  }
  return Status::Ok();
}

Status ParsePoll(OpCall& x) {
  const Scope& s = x.s;
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> ev = x.Need("events");
  if (!ev.ok()) return ev.status();
  StatusOr<std::vector<Val>> l = ReadList((*ev)->val, "events", s);
  if (!l.ok()) return l.status();
  if (l->empty()) return s.Fail((*ev)->val.loc, "'events' must list at least one event");
  for (const Val& v : *l) {
    StatusOr<std::string> name = ReadString(v, "events", s);
    if (!name.ok()) return name.status();
    if (std::find(kPollEvents.begin(), kPollEvents.end(), *name) == kPollEvents.end()) {
      std::string hint = DidYouMean(*name, kPollEvents);
      if (hint.empty()) hint = " (one of in, out, pri, rdhup)";
      return s.Fail(v.loc, fmt::format("unknown poll event {}{}", Describe(v.node), hint));
    }
    if (std::find(x.c.events.begin(), x.c.events.end(), *name) != x.c.events.end()) {
      return s.Fail(v.loc, fmt::format("poll event '{}' is listed twice", *name));
    }
    x.c.events.push_back(*name);
  }
  StatusOr<const Entry*> to = x.Need("timeout");
  if (!to.ok()) return to.status();
  StatusOr<Duration> d = ReadDuration((*to)->val, "timeout", s);
  if (!d.ok()) return d.status();
  x.c.timeout = *d;
  return Status::Ok();
}

Status ParseSleep(OpCall& x) {
  StatusOr<Duration> d = ReadDuration(x.ope.val, "sleep", x.s);
  if (!d.ok()) return d.status();
  if (*d <= Duration(0)) return x.s.Fail(x.ope.val.loc, "'sleep' must be longer than 0s");
  x.c.timeout = *d;
  return Status::Ok();
}

Status ParseSendfile(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> sz = x.Need("size");
  if (!sz.ok()) return sz.status();
  StatusOr<int64_t> n = ReadInt((*sz)->val, "size", x.s, 1, 64 * kMiB);
  if (!n.ok()) return n.status();
  x.c.size = *n;
  return Status::Ok();
}

// A word of `valid`, for the key `key`: "'KEY' must be one of A, B, not X".
StatusOr<std::string> ReadWord(const Val& v, const char* key, const std::vector<std::string>& valid,
                               const Scope& s) {
  if (v.node.IsScalar() && std::find(valid.begin(), valid.end(), v.node.Scalar()) != valid.end()) {
    return v.node.Scalar();
  }
  std::string hint = v.node.IsScalar() ? DidYouMean(v.node.Scalar(), valid) : "";
  return s.Fail(v.loc, fmt::format("'{}' must be one of {}, not {}{}", key, Join(valid),
                                   Describe(v.node), hint));
}

// A list of distinct words of `valid` (events:, flags:), at least `min_items`.
StatusOr<std::vector<std::string>> ReadWords(const Entry& e, const std::vector<std::string>& valid,
                                             const char* what, size_t min_items, const Scope& s) {
  StatusOr<std::vector<Val>> l = ReadList(e.val, e.key, s);
  if (!l.ok()) return l.status();
  if (l->size() < min_items) {
    return s.Fail(e.val.loc, fmt::format("'{}' must list at least one {}", e.key, what));
  }
  std::vector<std::string> out;
  for (const Val& v : *l) {
    StatusOr<std::string> name = ReadString(v, e.key, s);
    if (!name.ok()) return name.status();
    if (std::find(valid.begin(), valid.end(), *name) == valid.end()) {
      std::string hint = DidYouMean(*name, valid);
      if (hint.empty()) hint = fmt::format(" (one of {})", Join(valid));
      return s.Fail(v.loc, fmt::format("unknown {} {}{}", what, Describe(v.node), hint));
    }
    if (std::find(out.begin(), out.end(), *name) != out.end()) {
      return s.Fail(v.loc, fmt::format("{} '{}' is listed twice", what, *name));
    }
    out.push_back(*name);
  }
  return out;
}

// iov: [N, ...], sizes 0..16 MiB, at least one, at most 1024.
StatusOr<std::vector<int64_t>> ReadIov(const Entry& e, const Scope& s) {
  StatusOr<std::vector<Val>> l = ReadList(e.val, "iov", s);
  if (!l.ok()) return l.status();
  if (l->empty() || l->size() > 1024) {
    return s.Fail(e.val.loc,
                  fmt::format("'iov' must list 1 to 1024 buffer sizes, not {}", l->size()));
  }
  std::vector<int64_t> out;
  for (const Val& v : *l) {
    StatusOr<int64_t> n = ReadInt(v, "iov", s, 0, 16 * kMiB);
    if (!n.ok()) return n.status();
    out.push_back(*n);
  }
  return out;
}

// sendmsg: like send, with an optional `to` (UDP).
Status ParseSendmsg(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  if (FindKey(x.m, "to") != nullptr) FL_RETURN_IF_ERROR(x.NeedEndpoint("to"));
  FL_RETURN_IF_ERROR(ReadPayload(x));
  if (const Entry* f = FindKey(x.m, "flags")) FL_RETURN_IF_ERROR(ReadFlags(x, *f, kSendFlags));
  return Status::Ok();
}

// writev: iov sizes of pattern bytes, or data (split by iov when given).
Status ParseWritev(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  const Entry* iov = FindKey(x.m, "iov");
  const Entry* data = FindKey(x.m, "data");
  if (iov == nullptr && data == nullptr) {
    return x.s.Fail(x.map_loc, "'writev' needs 'iov' or 'data'");
  }
  if (iov != nullptr) {
    StatusOr<std::vector<int64_t>> sizes = ReadIov(*iov, x.s);
    if (!sizes.ok()) return sizes.status();
    x.c.iov = *sizes;
    for (int64_t n : x.c.iov) x.c.size += n;
  }
  if (data != nullptr) {
    StatusOr<std::string> d = ReadString(data->val, "data", x.s);
    if (!d.ok()) return d.status();
    if (iov != nullptr && x.c.size != static_cast<int64_t>(d->size())) {
      return x.s.Fail(iov->val.loc, fmt::format("the 'iov' sizes add up to {} but 'data' has {} "
                                                "bytes",
                                                x.c.size, d->size()));
    }
    x.c.data = *d;
    x.c.size = static_cast<int64_t>(d->size());
  }
  if (x.c.size > 64 * kMiB) {
    return x.s.Fail(iov->val.loc,
                    fmt::format("the 'iov' sizes add up to {}, more than 64 MiB", x.c.size));
  }
  return Status::Ok();
}

Status ParseReadv(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> iov = x.Need("iov");
  if (!iov.ok()) return iov.status();
  StatusOr<std::vector<int64_t>> sizes = ReadIov(**iov, x.s);
  if (!sizes.ok()) return sizes.status();
  x.c.iov = *sizes;
  for (int64_t n : x.c.iov) x.c.size += n;
  if (x.c.size > 16 * kMiB) {
    return x.s.Fail((*iov)->val.loc,
                    fmt::format("the 'iov' sizes add up to {}, more than 16 MiB", x.c.size));
  }
  return Status::Ok();
}

// fcntl: cmd getfl (expect value) or setfl with flags [nonblock] or [].
Status ParseFcntl(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> cmd = x.Need("cmd");
  if (!cmd.ok()) return cmd.status();
  StatusOr<std::string> c = ReadWord((*cmd)->val, "cmd", kFcntlCmds, x.s);
  if (!c.ok()) return c.status();
  x.c.fcntl_cmd = *c;
  const Entry* flags = FindKey(x.m, "flags");
  if (*c == "getfl") {
    if (flags != nullptr) {
      return x.s.Fail(flags->key_loc, "'flags' applies only to fcntl cmd: setfl");
    }
    return Status::Ok();
  }
  if (flags == nullptr) {
    return x.s.Fail(x.map_loc,
                    "missing required key 'flags' for fcntl cmd: setfl ([nonblock] "
                    "or [])");
  }
  StatusOr<std::vector<std::string>> f = ReadWords(*flags, kFcntlFlags, "fcntl flag", 0, x.s);
  if (!f.ok()) return f.status();
  x.c.fcntl_flags = *f;
  return Status::Ok();
}

Status ParseIoctl(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> req = x.Need("request");
  if (!req.ok()) return req.status();
  StatusOr<std::string> r = ReadWord((*req)->val, "request", kIoctlRequests, x.s);
  if (!r.ok()) return r.status();
  x.c.ioctl_request = *r;
  return Status::Ok();
}

// epoll_create: SIZE (0: epoll_create1), as: NAME.
Status ParseEpollCreate(OpCall& x) {
  StatusOr<int64_t> n = ReadInt(x.ope.val, "epoll_create", x.s, 0, 2147483647);
  if (!n.ok()) return n.status();
  x.c.size = *n;
  x.creates = x.as_required = true;
  return Status::Ok();
}

Status ParseEpollCtl(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  StatusOr<const Entry*> op = x.Need("op");
  if (!op.ok()) return op.status();
  StatusOr<std::string> o = ReadWord((*op)->val, "op", kEpollOps, x.s);
  if (!o.ok()) return o.status();
  x.c.epoll_op = *o;
  StatusOr<const Entry*> target = x.Need("target");
  if (!target.ok()) return target.status();
  StatusOr<std::string> t = x.p.UseFd(x.host, **target, x.s);
  if (!t.ok()) return t.status();
  x.c.epoll_target = *t;
  const Entry* ev = FindKey(x.m, "events");
  if (*o == "del") {
    if (ev != nullptr) return x.s.Fail(ev->key_loc, "'events' does not apply to epoll_ctl op: del");
    return Status::Ok();
  }
  if (ev == nullptr) {
    return x.s.Fail(x.map_loc,
                    fmt::format("missing required key 'events' for epoll_ctl op: {}", *o));
  }
  StatusOr<std::vector<std::string>> e = ReadWords(*ev, kEpollEvents, "epoll event", 1, x.s);
  if (!e.ok()) return e.status();
  x.c.events = *e;
  return Status::Ok();
}

Status ParseRun(OpCall& x) { return x.p.ReadCommand(x); }
Status ParseStop(OpCall& x) { return x.p.ReadStop(x); }

Status ParseEpollWait(OpCall& x) {
  FL_RETURN_IF_ERROR(x.Fd());
  if (const Entry* m = FindKey(x.m, "max")) {
    StatusOr<int64_t> n = ReadInt(m->val, "max", x.s, 1, 1024);
    if (!n.ok()) return n.status();
    x.c.epoll_max = static_cast<int>(*n);
  }
  StatusOr<const Entry*> to = x.Need("timeout");
  if (!to.ok()) return to.status();
  StatusOr<Duration> d = ReadDuration((*to)->val, "timeout", x.s);
  if (!d.ok()) return d.status();
  x.c.timeout = *d;
  return Status::Ok();
}

}  // namespace

// Long: the operations (step_parser.h), one entry each: a table.
const std::vector<OpSpec>& StepOps() {
  using K = KeyType;
  static const std::vector<OpSpec> ops = {
      {"socket", Op::kSocket, {{"nonblock", K::kBool, false}}, ParseSocket},
      {"bind", Op::kBind, {{"addr", K::kEndpoint, true}}, ParseBind},
      {"listen", Op::kListen, {{"backlog", K::kInt, false}}, ParseListen},
      {"accept", Op::kAccept, {}, ParseNewFromFd},
      // `to` only with connect: SOCKET; `nonblock` only with connect: ENDPOINT.
      {"connect",
       Op::kConnect,
       {{"to", K::kEndpoint, false}, {"nonblock", K::kBool, false}},
       ParseConnect},
      {"send",
       Op::kSend,
       {{"data", K::kText, false},
        {"size", K::kInt, false},
        {"flags", K::kList, false},
        {"buffer", K::kWord, false}},
       ParseSend},
      {"write",
       Op::kWrite,
       {{"data", K::kText, false}, {"size", K::kInt, false}, {"buffer", K::kWord, false}},
       ParseSend},
      {"recv",
       Op::kRecv,
       {{"size", K::kInt, false},
        {"flags", K::kList, false},
        {"until", K::kText, false},
        {"buffer", K::kWord, false}},
       ParseRecv},
      {"read", Op::kRead, {{"size", K::kInt, false}, {"buffer", K::kWord, false}}, ParseRecv},
      {"sendto",
       Op::kSendto,
       {{"to", K::kEndpoint, true},
        {"data", K::kText, false},
        {"size", K::kInt, false},
        {"flags", K::kList, false},
        {"buffer", K::kWord, false}},
       ParseSend},
      {"recvfrom",
       Op::kRecvfrom,
       {{"size", K::kInt, false}, {"buffer", K::kWord, false}},
       ParseRecv},
      {"shutdown", Op::kShutdown, {{"how", K::kWord, true}}, ParseShutdown},
      {"close", Op::kClose, {}, ParseClose},
      {"dup", Op::kDup, {}, ParseNewFromFd},
      {"setsockopt",
       Op::kSetsockopt,
       {{"opt", K::kWord, true}, {"value", K::kAny, true}},
       ParseSockOpt},
      {"getsockopt", Op::kGetsockopt, {{"opt", K::kWord, true}}, ParseSockOpt},
      {"nonblock", Op::kNonblock, {{"value", K::kBool, false}}, ParseNonblock},
      {"poll", Op::kPoll, {{"events", K::kList, true}, {"timeout", K::kDuration, true}}, ParsePoll},
      {"sleep", Op::kSleep, {}, ParseSleep},
      {"sendfile", Op::kSendfile, {{"size", K::kInt, true}}, ParseSendfile},
      {"run",
       Op::kRun,
       {{"background", K::kBool, false},
        {"ready", K::kMap, false},
        {"stdin", K::kText, false},
        {"env", K::kMap, false}},
       ParseRun},
      {"stop", Op::kStop, {}, ParseStop},
      // Issue 16: packetdrill's other system calls.
      {"sendmsg",
       Op::kSendmsg,
       {{"to", K::kEndpoint, false},
        {"data", K::kText, false},
        {"size", K::kInt, false},
        {"flags", K::kList, false}},
       ParseSendmsg},
      {"recvmsg", Op::kRecvmsg, {{"size", K::kInt, false}, {"flags", K::kList, false}}, ParseRecv},
      {"writev", Op::kWritev, {{"iov", K::kList, false}, {"data", K::kText, false}}, ParseWritev},
      {"readv", Op::kReadv, {{"iov", K::kList, true}}, ParseReadv},
      {"fcntl", Op::kFcntl, {{"cmd", K::kWord, true}, {"flags", K::kList, false}}, ParseFcntl},
      {"ioctl", Op::kIoctl, {{"request", K::kWord, true}}, ParseIoctl},
      {"epoll_create", Op::kEpollCreate, {}, ParseEpollCreate},
      {"epoll_ctl",
       Op::kEpollCtl,
       {{"op", K::kWord, true}, {"target", K::kWord, true}, {"events", K::kList, false}},
       ParseEpollCtl},
      {"epoll_wait",
       Op::kEpollWait,
       {{"max", K::kInt, false}, {"timeout", K::kDuration, true}},
       ParseEpollWait},
      // Issue 20: the addresses of a socket (expect: {addr: ENDPOINT}).
      {"getsockname", Op::kGetsockname, {}, ParseClose},
      {"getpeername", Op::kGetpeername, {}, ParseClose},
  };
  return ops;
}

const std::vector<std::string>& CallCommonKeys() { return kCommon; }

namespace {

StatusOr<std::string> StepParser::UseFd(const std::string& host, const Entry& e, const Scope& s,
                                        bool* closed_ok) {
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc,
                  fmt::format("'{}' must name a socket, not {}", e.key, Describe(e.val.node)));
  }
  std::string name = e.val.node.Scalar();
  if (!IsIdentifier(name)) {
    return s.Fail(e.val.loc, fmt::format("{} is not a socket name (letters, digits and _, not "
                                         "starting with a digit)",
                                         Describe(e.val.node)));
  }
  if (live_[host].count(name) == 0) {
    auto closed = closed_by_.find(host + "/" + name);
    if (closed != closed_by_.end() && closed_ok != nullptr) {
      *closed_ok = true;  // CheckClosedUse, once the expectation is read
      return name;
    }
    if (closed != closed_by_.end()) {
      return s.Fail(e.val.loc,
                    fmt::format("'{}' on host '{}' was closed by {}", name, host, closed->second));
    }
    std::vector<std::string> names(live_[host].begin(), live_[host].end());
    return s.Fail(e.val.loc,
                  fmt::format("'{}' is not a socket defined by an earlier step on host '{}'{}",
                              name, host, DidYouMean(name, names)));
  }
  return name;
}

StatusOr<std::string> StepParser::NewFd(const std::string& host, const Entry& e, const Scope& s) {
  if (!e.val.node.IsScalar() || !IsIdentifier(e.val.node.Scalar())) {
    return s.Fail(e.val.loc, fmt::format("'as' must be a name (letters, digits and _, not "
                                         "starting with a digit), not {}",
                                         Describe(e.val.node)));
  }
  std::string name = e.val.node.Scalar();
  if (IsLiveHere(host, name)) {
    return s.Fail(e.val.loc, fmt::format("'{}' is already an open socket on host '{}' (close it "
                                         "first or choose another name)",
                                         name, host));
  }
  return name;
}

StatusOr<Endpoint> StepParser::ReadEndpoint(const Entry& e, const Scope& s) {
  if (!e.val.node.IsScalar()) {
    return s.Fail(e.val.loc, fmt::format("'{}' must be an endpoint such as server:8080, not {}",
                                         e.key, Describe(e.val.node)));
  }
  StatusOr<Endpoint> ep = ParseEndpoint(e.val.node.Scalar(), cx_.hosts, cx_.families);
  if (!ep.ok()) return s.Fail(e.val.loc, ep.status().message());
  return ep;
}

StatusOr<std::vector<Entry>> StepParser::Shorthand(const Entry& he, const Scope& s) {
  const std::string& text = he.val.node.Scalar();
  auto words = Words(text);
  bool ok = words.size() == 2 || (words.size() == 4 && words[2].first == "as");
  if (!ok) {
    return s.Fail(he.val.loc, fmt::format("a step written as a string must be \"OP ARG\" or \"OP "
                                          "ARG as NAME\", not {}",
                                          Describe(he.val.node)));
  }
  // Point at the word when the scalar sits on one line as written.
  bool one_line = text.find('\n') == std::string::npos && text.find('\\') == std::string::npos;
  int shift = IsQuoted(he.val.node) ? 1 : 0;
  auto at = [&](size_t offset) {
    SourceLoc l = he.val.loc;
    if (one_line) l.column += shift + static_cast<int>(offset);
    return l;
  };
  std::vector<Entry> out;
  out.push_back(Entry{words[0].first, at(words[0].second),
                      Val{YAML::Node(words[1].first), at(words[1].second)}});
  if (words.size() == 4) {
    out.push_back(
        Entry{"as", at(words[2].second), Val{YAML::Node(words[3].first), at(words[3].second)}});
  }
  return out;
}

Status StepParser::ReadArgv(const Entry& ope, const Scope& s, Command* cmd) {
  if (!ope.val.node.IsSequence()) {
    return s.Fail(ope.val.loc, fmt::format("'run' must be a list of strings such as [curl, -s, "
                                           "URL] (there is no shell: write [sh, -c, \"...\"] for "
                                           "one), not {}",
                                           Describe(ope.val.node)));
  }
  StatusOr<std::vector<Val>> args = ReadList(ope.val, "run", s);
  if (!args.ok()) return args.status();
  if (args->empty()) return s.Fail(ope.val.loc, "'run' must name a program");
  for (const Val& a : *args) {
    if (!a.node.IsScalar()) {
      return s.Fail(
          a.loc, fmt::format("each argument of 'run' must be a string, not {}", Describe(a.node)));
    }
    FL_RETURN_IF_ERROR(CheckVars(a, a.node.Scalar(), cx_, s));
    cmd->argv.push_back(a.node.Scalar());
  }
  if (cmd->argv[0].empty()) {
    return s.Fail((*args)[0].loc, "the program of 'run' must not be empty");
  }
  return Status::Ok();
}

Status StepParser::ReadEnv(const Entry& e, const Scope& s, Command* cmd) {
  StatusOr<std::vector<Entry>> vars = ReadMap(e.val, "env", s);
  if (!vars.ok()) return vars.status();
  for (const Entry& v : *vars) {
    if (!IsIdentifier(v.key)) {  // what a shell accepts as a variable name
      return s.Fail(v.key_loc, fmt::format("{} is not an environment variable name (letters, "
                                           "digits and _, not starting with a digit)",
                                           Describe(YAML::Node(v.key))));
    }
    if (!v.val.node.IsScalar()) {
      return s.Fail(v.val.loc, fmt::format("the value of environment variable '{}' must be a "
                                           "string, not {}",
                                           v.key, Describe(v.val.node)));
    }
    FL_RETURN_IF_ERROR(CheckVars(v.val, v.val.node.Scalar(), cx_, s));
    cmd->env.emplace_back(v.key, v.val.node.Scalar());
  }
  return Status::Ok();
}

Status StepParser::ReadReady(const Entry& e, const Scope& s, Command* cmd) {
  if (!cmd->background) {
    return s.Fail(e.key_loc,
                  "'ready' applies only to a background command (add background: "
                  "true)");
  }
  StatusOr<std::vector<Entry>> rm = ReadMap(e.val, "ready", s);
  if (!rm.ok()) return rm.status();
  FL_RETURN_IF_ERROR(CheckKeys(*rm, kReadyKeys, " in ready", s));
  const Entry* kind = nullptr;
  for (const Entry& k : *rm) {
    if (k.key == "within") continue;
    if (kind != nullptr) {
      return s.Fail(k.key_loc, fmt::format("'ready' takes one of listening, udp, stdout or "
                                           "stderr, not both '{}' and '{}'",
                                           kind->key, k.key));
    }
    kind = &k;
  }
  if (kind == nullptr) {
    return s.Fail(e.val.loc, "'ready' needs one of listening, udp, stdout or stderr");
  }
  if (kind->key == "listening" || kind->key == "udp") {
    StatusOr<int64_t> port = ReadInt(kind->val, kind->key, s, 1, 65535);
    if (!port.ok()) return port.status();
    (kind->key == "udp" ? cmd->ready_udp_port : cmd->ready_port) = static_cast<uint16_t>(*port);
  } else {
    StatusOr<TextExpect> line = ReadTextExpect(kind->val, kind->key, s);
    if (!line.ok()) return line.status();
    FL_RETURN_IF_ERROR(CheckVars(kind->val, line->text, cx_, s));
    cmd->ready_stream = kind->key == "stdout" ? Command::Stream::kStdout : Command::Stream::kStderr;
    cmd->ready_line = *line;
  }
  if (const Entry* w = FindKey(*rm, "within")) {
    StatusOr<Duration> d = ReadWithin(w->val, s);
    if (!d.ok()) return d.status();
    cmd->ready_within = *d;
  }
  return Status::Ok();
}

// A command's `as` names the command (for stop and await), not a socket.
Status StepParser::ReadCommandName(OpCall& x) {
  const Scope& s = x.s;
  const Entry* as = x.as;
  if (as == nullptr) {
    if (x.c.command.background) {
      return s.Fail(x.ope.key_loc,
                    "a background command needs a name ('as') for 'stop' and 'await'");
    }
    return Status::Ok();
  }
  if (!as->val.node.IsScalar() || !IsIdentifier(as->val.node.Scalar())) {
    return s.Fail(as->val.loc, fmt::format("'as' must be a name (letters, digits and _, not "
                                           "starting with a digit), not {}",
                                           Describe(as->val.node)));
  }
  x.c.as = as->val.node.Scalar();
  auto running = commands_[x.host].find(x.c.as);
  if (running != commands_[x.host].end()) {
    return s.Fail(as->val.loc, fmt::format("'{}' is already a background command running on "
                                           "host '{}' (started by step {})",
                                           x.c.as, x.host, running->second));
  }
  return Status::Ok();
}

Status StepParser::ReadCommand(OpCall& x) {
  const Scope& s = x.s;
  Command& cmd = x.c.command;
  FL_RETURN_IF_ERROR(ReadArgv(x.ope, s, &cmd));
  if (const Entry* e = FindKey(x.m, "env")) FL_RETURN_IF_ERROR(ReadEnv(*e, s, &cmd));
  if (const Entry* e = FindKey(x.m, "stdin")) {
    StatusOr<std::string> t = ReadString(e->val, "stdin", s);
    if (!t.ok()) return t.status();
    FL_RETURN_IF_ERROR(CheckVars(e->val, *t, cx_, s));
    cmd.stdin_data = *t;
  }
  if (const Entry* bg = FindKey(x.m, "background")) {
    StatusOr<bool> b = ReadBool(bg->val, "background", s);
    if (!b.ok()) return b.status();
    cmd.background = *b;
  }
  if (const Entry* e = FindKey(x.m, "async"); e != nullptr && cmd.background) {
    return s.Fail(e->key_loc,
                  "'async' and 'background' cannot be combined: a background command "
                  "already runs beside the later steps");
  }
  if (const Entry* e = FindKey(x.m, "ready")) FL_RETURN_IF_ERROR(ReadReady(*e, s, &cmd));
  return ReadCommandName(x);
}

Status StepParser::ReadStop(OpCall& x) {
  const std::string& host = x.host;
  const Entry& ope = x.ope;
  const Scope& s = x.s;
  SocketCall* c = &x.c;
  if (!ope.val.node.IsScalar() || !IsIdentifier(ope.val.node.Scalar())) {
    return s.Fail(ope.val.loc, fmt::format("'stop' must name a background command, not {}",
                                           Describe(ope.val.node)));
  }
  std::string name = ope.val.node.Scalar();
  auto& running = commands_[host];
  if (running.count(name) == 0) {
    auto ended = command_ended_.find(host + "/" + name);
    if (ended != command_ended_.end()) {
      return s.Fail(ope.val.loc,
                    fmt::format("'{}' on host '{}' was already {}", name, host, ended->second));
    }
    std::vector<std::string> names;
    for (const auto& [n, step] : running) names.push_back(n);
    return s.Fail(ope.val.loc, fmt::format("'{}' is not a background command started by an "
                                           "earlier step on host '{}'{}",
                                           name, host, DidYouMean(name, names)));
  }
  c->fd = name;
  running.erase(name);
  command_ended_[host + "/" + name] = fmt::format("stopped by step {}", index_);
  stopped_[name] = index_;
  if (auto a = async_.find(name); a != async_.end()) a->second.awaited_by = index_;  // ended
  return Status::Ok();
}

StatusOr<std::vector<Entry>> StepParser::OpMap(const std::string& host, const Entry& he,
                                               const Scope& s) {
  if (he.val.node.IsScalar()) return Shorthand(he, s);
  if (he.val.node.IsMap()) return ReadMap(he.val, host, s);
  return s.Fail(he.val.loc, fmt::format("the value of '{}' must be a map {{OP: ARG, ...}} or a "
                                        "string \"OP ARG [as NAME]\", not {}",
                                        host, Describe(he.val.node)));
}

StatusOr<const Entry*> StepParser::FindOperation(const std::vector<Entry>& m,
                                                 const SourceLoc& map_loc, const Scope& s) {
  // Exactly one key naming an op. `nonblock` is both an op and a param of
  // socket/connect: with another op present it is a param.
  std::vector<const Entry*> ops;
  for (const Entry& e : m) {
    if (FindOp(e.key) != nullptr) ops.push_back(&e);
  }
  if (ops.size() > 1) {
    ops.erase(
        std::remove_if(ops.begin(), ops.end(), [](const Entry* e) { return e->key == "nonblock"; }),
        ops.end());
  }
  if (ops.empty()) {
    for (const Entry& e : m) {
      if (!IsCommon(e.key) && !IsAnyParam(e.key)) {
        return s.Fail(e.key_loc, fmt::format("unknown operation {}{}", Describe(YAML::Node(e.key)),
                                             DidYouMean(e.key, OpNames())));
      }
    }
    return s.Fail(map_loc, fmt::format("missing operation (one of {})", Join(OpNames())));
  }
  if (ops.size() > 1) {
    return s.Fail(ops[1]->key_loc, fmt::format("'{}' and '{}' cannot be combined in one step",
                                               ops[0]->key, ops[1]->key));
  }
  return ops[0];
}

// Every key of the call is the operation's, one of its keys or a common one.
Status StepParser::CheckOpKeys(const std::string& host, const std::vector<Entry>& m,
                               const Entry& ope, const OpSpec& op, const Scope& s) {
  std::vector<std::string> allowed;
  for (const OpKey& k : op.keys) allowed.push_back(k.name);
  allowed.insert(allowed.end(), kCommon.begin(), kCommon.end());
  for (const Entry& e : m) {
    if (&e == &ope) continue;
    if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
    if (IsAnyParam(e.key)) {
      return s.Fail(e.key_loc, fmt::format("'{}' does not apply to '{}'", e.key, op.name));
    }
    if (e.key == "label" || e.key == "await" || e.key == "when") {
      return s.Fail(e.key_loc, fmt::format("'{}' belongs beside '{}' in the step, not inside its "
                                           "operation map",
                                           e.key, host));
    }
    return s.Fail(e.key_loc, fmt::format("unknown key {} for '{}'{}", Describe(YAML::Node(e.key)),
                                         op.name, DidYouMean(e.key, allowed)));
  }
  return Status::Ok();
}

StatusOr<CallStep> StepParser::ParseCall(const std::string& host, const Entry& he, const Scope& s) {
  StatusOr<std::vector<Entry>> m = OpMap(host, he, s);
  if (!m.ok()) return m.status();
  StatusOr<const Entry*> ope = FindOperation(*m, he.val.loc, s);
  if (!ope.ok()) return ope.status();
  const OpSpec& op = *FindOp((*ope)->key);
  FL_RETURN_IF_ERROR(CheckOpKeys(host, *m, **ope, op, s));

  CallStep cs;
  cs.host = host;
  cs.call.op = op.op;
  OpCall x{*this, host, *m, **ope, he.val.loc, s, op, cs.call, FindKey(*m, "as")};
  FL_RETURN_IF_ERROR(op.parse(x));
  FL_RETURN_IF_ERROR(ReadAs(x));
  FL_RETURN_IF_ERROR(ReadAsyncAndExpect(x, &cs));
  FL_RETURN_IF_ERROR(CheckClosedUse(x, cs));
  return cs;
}

// A closed name is passed as a number no process can have open
// (SocketCall::fd_closed), so the call fails with EBADF (poll: revents
// nval); a step that expects anything else is a mistake in the case.
Status StepParser::CheckClosedUse(const OpCall& x, const CallStep& cs) {
  if (!cs.call.fd_closed) return Status::Ok();
  const Expect& e = cs.expect;
  const bool ebadf = std::find(e.errnos.begin(), e.errnos.end(), EBADF) != e.errnos.end();
  const bool nval = x.op.op == Op::kPoll &&
                    std::find(e.revents.begin(), e.revents.end(), "nval") != e.revents.end();
  if (cs.has_expect && (ebadf || nval)) return Status::Ok();
  const std::string key = x.host + "/" + cs.call.fd;
  return x.s.Fail(x.ope.val.loc,
                  fmt::format("'{}' on host '{}' was closed by {} ({}): a call on a closed name "
                              "must expect errno: EBADF{}",
                              cs.call.fd, x.host, closed_by_[key], closed_at_[key],
                              x.op.op == Op::kPoll ? " (poll: revents: [nval])" : ""));
}

Status StepParser::ReadAs(OpCall& x) {
  const Scope& s = x.s;
  if (x.op.op == Op::kRun) return Status::Ok();  // `as` names the command (ReadCommand)
  if (x.creates) {
    if (x.as != nullptr) {
      StatusOr<std::string> n = NewFd(x.host, *x.as, s);
      if (!n.ok()) return n.status();
      x.c.as = *n;
    } else if (x.as_required) {
      return s.Fail(x.map_loc, fmt::format("missing required key 'as' for '{}' (the name of the "
                                           "new socket)",
                                           x.op.name));
    } else if (IsLiveHere(x.host, x.c.as)) {
      return s.Fail(x.ope.key_loc, fmt::format("'{}' is already an open socket on host '{}' "
                                               "(close it first or name this one with 'as')",
                                               x.c.as, x.host));
    }
  } else if (x.as != nullptr) {
    return s.Fail(x.as->key_loc, fmt::format("'as' does not apply to '{}' here: it names a socket "
                                             "that a step creates (use 'id' to name an async "
                                             "step)",
                                             x.op.name));
  }
  return Status::Ok();
}

Status StepParser::ReadAsyncAndExpect(OpCall& x, CallStep* cs) {
  const Scope& s = x.s;
  if (const Entry* a = FindKey(x.m, "async")) {
    StatusOr<bool> b = ReadBool(a->val, "async", s);
    if (!b.ok()) return b.status();
    cs->async = *b;
  }
  if (const Entry* id = FindKey(x.m, "id")) {
    if (!cs->async) {
      return s.Fail(id->key_loc, "'id' applies only to an async step (add async: true)");
    }
    if (!id->val.node.IsScalar() || !IsIdentifier(id->val.node.Scalar())) {
      return s.Fail(id->val.loc, fmt::format("'id' must be a name (letters, digits and _, not "
                                             "starting with a digit), not {}",
                                             Describe(id->val.node)));
    }
    cs->id = id->val.node.Scalar();
  }
  if (cs->async && cs->id.empty()) {
    if (x.c.as.empty()) {
      return s.Fail(x.map_loc, "an async step needs an 'id' (or an 'as') for 'await' to name it");
    }
    cs->id = x.c.as;
  }
  if (const Entry* e = FindKey(x.m, "expect")) {
    StatusOr<Expect> ex = ParseExpect(e->val, x.op.op, s);
    if (!ex.ok()) return ex.status();
    if (ex->out) FL_RETURN_IF_ERROR(CheckVars(e->val, ex->out->text, cx_, s));
    if (ex->err) FL_RETURN_IF_ERROR(CheckVars(e->val, ex->err->text, cx_, s));
    cs->expect = *ex;
    cs->has_expect = true;
    if (cs->expect.addr) FL_RETURN_IF_ERROR(ReadAddrExpect(*e, s, &*cs->expect.addr));
  }
  return Status::Ok();
}

// expect: {addr: ENDPOINT}: an endpoint as elsewhere, or HOST:* for any port.
Status StepParser::ReadAddrExpect(const Entry& expect, const Scope& s, AddrExpect* out) {
  StatusOr<std::vector<Entry>> m = ReadMap(expect.val, "expect", s);
  if (!m.ok()) return m.status();
  const Entry* a = FindKey(*m, "addr");
  if (a == nullptr) return Status::Ok();
  std::string text = a->val.node.Scalar();
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, ":*") == 0) {
    out->any_port = true;
    text.replace(text.size() - 1, 1, "0");
  }
  StatusOr<Endpoint> ep = ParseEndpoint(text, cx_.hosts, cx_.families);
  if (!ep.ok()) {
    std::string msg = ep.status().message();
    if (out->any_port) {  // name what was written, not the port substituted for '*'
      const std::string zero = text, star = a->val.node.Scalar();
      for (size_t at = msg.find("'" + zero + "'"); at != std::string::npos;
           at = msg.find("'" + zero + "'", at + 1)) {
        msg.replace(at + 1, zero.size(), star);
      }
    }
    return s.Fail(a->val.loc, msg);
  }
  out->endpoint = *ep;
  return Status::Ok();
}

Status StepParser::SortStepKeys(const std::vector<Entry>& m, const Scope& s, StepKeys* k) {
  std::vector<std::string> keys = cx_.hosts;
  keys.insert(keys.end(), kStepKeys.begin(), kStepKeys.end());
  for (const Entry& e : m) {
    if (e.key == "label") {
      k->label = &e;
      continue;
    }
    if (e.key == "when") {
      k->when = &e;
      continue;
    }
    if (e.key == "wire") {
      if (k->host != nullptr || k->await != nullptr || k->wire != nullptr) {
        return s.Fail(e.key_loc, "a 'wire' step has no host and no 'await'");
      }
      k->wire = &e;
      continue;
    }
    if (k->wire != nullptr) return s.Fail(e.key_loc, "a 'wire' step has no host and no 'await'");
    bool is_host = std::find(cx_.hosts.begin(), cx_.hosts.end(), e.key) != cx_.hosts.end();
    bool misplaced = FindOp(e.key) != nullptr || IsAnyParam(e.key) || IsCommon(e.key);
    if (e.key == "expect" && !is_host) {
      return s.Fail(e.key_loc, fmt::format("'expect' must go inside a host's map, as in - {}: "
                                           "{{recv: s, expect: ...}} (for an async call: on the "
                                           "async step, not on its await)",
                                           cx_.hosts.front()));
    }
    if ((e.key == "enable" || e.key == "set") && !is_host) {
      return s.Fail(e.key_loc, fmt::format("'{}' belongs to a fault step (- fault: NAME, with "
                                           "'enable: true|false' or 'set: {{...}}')",
                                           e.key));
    }
    if (e.key != "await" && !is_host && misplaced) {
      return s.Fail(e.key_loc, fmt::format("'{0}' must go inside a host's map, as in - {1}: {{..., "
                                           "{0}: ...}}",
                                           e.key, cx_.hosts.front()));
    }
    if (e.key != "await" && !is_host) {
      return s.Fail(e.key_loc,
                    fmt::format("{} is not a declared host{}", Describe(YAML::Node(e.key)),
                                DidYouMean(e.key, keys).empty() ? HostHint(e.key, cx_.hosts)
                                                                : DidYouMean(e.key, keys)));
    }
    if (k->host != nullptr || k->await != nullptr) {
      const Entry* first = k->host != nullptr ? k->host : k->await;
      if (e.key == "await" || first->key == "await") {
        return s.Fail(e.key_loc, "a step has either a host or 'await', not both");
      }
      return s.Fail(e.key_loc, fmt::format("a step runs on one host: '{}' and '{}' cannot be "
                                           "combined",
                                           first->key, e.key));
    }
    (e.key == "await" ? k->await : k->host) = &e;
  }
  return Status::Ok();
}

Status StepParser::CheckScriptedStep(const Entry& he, const Scope& s) {
  if (IsObserveStep(he.val)) {
    return s.Fail(he.val.loc, fmt::format("host '{}' is scripted: it has no sockets to observe "
                                          "(state, queue and tcp_info need a real host)",
                                          he.key));
  }
  bool packet =
      he.val.node.IsMap() && (he.val.node["send"].IsDefined() || he.val.node["expect"].IsDefined());
  if (packet && he.val.node["send"].IsDefined() && !he.val.node["send"].IsMap()) packet = false;
  if (packet) return Status::Ok();
  return s.Fail(he.val.loc, fmt::format("host '{}' is scripted: its steps are packets (send: / "
                                        "expect:), not socket calls",
                                        he.key));
}

// `send: {...}` (a packet, not a socket name), or `expect:` with no operation.
bool StepParser::IsPacketStepOnRealHost(const Entry& he, const Scope&) {
  const YAML::Node& n = he.val.node;
  if (!n.IsMap()) return false;
  if (n["send"].IsDefined() && n["send"].IsMap()) return true;
  if (!n["expect"].IsDefined()) return false;
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && FindOp(kv.first.Scalar()) != nullptr) return false;
  }
  return n["expect"].IsMap() && !IsObserveStep(he.val);
}

Status StepParser::PacketStepOnRealHost(const Entry& he, const Scope& s) {
  const char* key = he.val.node["send"].IsDefined() ? "send" : "expect";
  SourceLoc at = he.val.loc;
  StatusOr<std::vector<Entry>> m = ReadMap(he.val, he.key, s);
  if (m.ok()) {
    if (const Entry* e = FindKey(*m, key)) at = e->key_loc;
  }
  return s.Fail(at, fmt::format("'{}:' with a packet needs a scripted host; '{}' is not scripted "
                                "(hosts: scripted: true)",
                                key, he.key));
}

StatusOr<std::string> StepParser::ReadLabel(const Entry& label, const Scope& s) {
  if (!label.val.node.IsScalar() || !IsIdentifier(label.val.node.Scalar())) {
    return s.Fail(label.val.loc, fmt::format("'label' must be a name (letters, digits and _, "
                                             "not starting with a digit), not {}",
                                             Describe(label.val.node)));
  }
  std::string name = label.val.node.Scalar();
  auto prev = labels_.find(name);
  if (prev != labels_.end()) {
    return s.Fail(label.val.loc,
                  fmt::format("label '{}' is already used by step {}", name, prev->second));
  }
  return name;
}

// `- fault: NAME` (fault_parser.cc reads it; the name is resolved after
// faults:).
StatusOr<Step> StepParser::ParseFaultStep(const std::vector<Entry>& m, Step step, const Scope& s) {
  StatusOr<FaultStep> f = ParseFaultStepShape(m, s);
  if (!f.ok()) return f.status();
  if (const Entry* l = FindKey(m, "label")) {
    StatusOr<std::string> label = ReadLabel(*l, s);
    if (!label.ok()) return label.status();
    step.label = *label;
    labels_[step.label] = index_;
  }
  if (const Entry* w = FindKey(m, "when")) {
    StatusOr<When> when = ParseWhen(w->val, cx_, s);
    if (!when.ok()) return when.status();
    step.when = std::move(when).value();
  }
  step.body = std::move(f).value();
  return step;
}

StatusOr<AwaitStep> StepParser::ParseAwait(const Entry& await, const Scope& s) {
  const YAML::Node& n = await.val.node;
  if (!n.IsScalar() || !IsIdentifier(n.Scalar())) {
    return s.Fail(await.val.loc,
                  fmt::format("'await' must be the id of an async step, not {}", Describe(n)));
  }
  std::string id = n.Scalar();
  auto it = async_.find(id);
  if (it == async_.end()) {
    std::vector<std::string> pending;
    for (const auto& [k, a] : async_) {
      if (a.awaited_by == 0) pending.push_back(k);
    }
    return s.Fail(await.val.loc, fmt::format("'{}' is not the id of an earlier async step{}", id,
                                             DidYouMean(id, pending)));
  }
  if (auto st = stopped_.find(id); st != stopped_.end() && st->second > it->second.step) {
    return s.Fail(await.val.loc,
                  fmt::format("'{}' was already stopped by step {}", id, st->second));
  }
  if (it->second.awaited_by != 0) {
    return s.Fail(await.val.loc,
                  fmt::format("'{}' was already awaited by step {}", id, it->second.awaited_by));
  }
  it->second.awaited_by = index_;
  for (auto& [h, running] : commands_) {
    if (running.erase(id) != 0) {
      command_ended_[h + "/" + id] = fmt::format("awaited by step {}", index_);
    }
  }
  return AwaitStep{id};
}

Status StepParser::RecordCall(const CallStep& cs, const SourceLoc& step_loc, const Scope& s) {
  if (cs.async) {
    auto it = async_.find(cs.id);
    if (it != async_.end() && it->second.awaited_by == 0) {
      return s.Fail(step_loc, fmt::format("async id '{}' is already used by step {}, which is "
                                          "not awaited yet",
                                          cs.id, it->second.step));
    }
    async_[cs.id] = AsyncId{index_, 0};
  }
  const SocketCall& c = cs.call;
  if (c.op == Op::kRun && c.command.background) {
    auto it = async_.find(c.as);
    if (it != async_.end() && it->second.awaited_by == 0) {
      return s.Fail(step_loc, fmt::format("'{}' is already the id of step {}, which is not "
                                          "awaited yet",
                                          c.as, it->second.step));
    }
    async_[c.as] = AsyncId{index_, 0};
    commands_[cs.host][c.as] = index_;
    command_ended_.erase(cs.host + "/" + c.as);
  }
  if (c.op == Op::kClose && !c.fd_closed) {  // a second close fails: the first closed it
    // Names are followed through when: only where they are made: a close
    // must run in every variant where the name is open, or later steps
    // could not tell an open socket from a closed one.
    for (const std::optional<When>& made : live_when_[cs.host + "/" + c.fd]) {
      if (!Covers(when_, made)) {
        return s.Fail(step_loc,
                      fmt::format("'close: {}' has a 'when:' that does not hold in every variant "
                                  "where '{}' is open; close it in all of them (or give the "
                                  "steps that made it the same 'when:')",
                                  c.fd, c.fd));
      }
    }
    live_when_.erase(cs.host + "/" + c.fd);
    live_[cs.host].erase(c.fd);
    closed_by_[cs.host + "/" + c.fd] = fmt::format("step {}", index_);
    closed_at_[cs.host + "/" + c.fd] =
        fmt::format("{}:{}:{}", cx_.file, step_loc.line, step_loc.column);
  }
  if (!c.as.empty() && c.op != Op::kRun) {
    live_[cs.host].insert(c.as);
    live_when_[cs.host + "/" + c.as].push_back(when_);
    closed_by_.erase(cs.host + "/" + c.as);
  }
  return Status::Ok();
}

StatusOr<Step> StepParser::Parse(const Val& item, int index) {
  Scope s{cx_.file, fmt::format("step {}: ", index)};
  index_ = index;
  when_.reset();
  Step step;
  step.index = index;
  step.loc = item.loc;
  step.loc.file = cx_.file;
  if (!item.node.IsMap()) {
    return s.Fail(item.loc, fmt::format("a step must be a map such as {{client: ...}} or {{await: "
                                        "ID}}, not {}",
                                        Describe(item.node)));
  }
  StatusOr<std::vector<Entry>> m = ReadMap(item, "", s);
  if (!m.ok()) return m.status();
  if (FindKey(*m, "fault") != nullptr &&
      std::find(cx_.hosts.begin(), cx_.hosts.end(), "fault") == cx_.hosts.end()) {
    return ParseFaultStep(*m, std::move(step), s);
  }
  StepKeys k;
  FL_RETURN_IF_ERROR(SortStepKeys(*m, s, &k));
  if (k.host == nullptr && k.await == nullptr && k.wire == nullptr) {
    return s.Fail(item.loc, fmt::format("missing a host ({}) or 'await'", Join(cx_.hosts)));
  }
  if (k.label != nullptr) {
    StatusOr<std::string> label = ReadLabel(*k.label, s);
    if (!label.ok()) return label.status();
    step.label = *label;
  }
  if (k.when != nullptr) {
    StatusOr<When> when = ParseWhen(k.when->val, cx_, s);
    if (!when.ok()) return when.status();
    step.when = std::move(when).value();
    when_ = step.when;
  }
  if (k.wire != nullptr) {
    StatusOr<WireSendStep> w = packets_.ParseWire(*k.wire, s);
    if (!w.ok()) return w.status();
    step.body = std::move(w).value();
  } else if (k.host != nullptr && IsScripted(cx_, k.host->key)) {
    FL_RETURN_IF_ERROR(CheckScriptedStep(*k.host, s));
    StatusOr<PacketStep> p = packets_.ParsePacket(*k.host, index, labels_, s);
    if (!p.ok()) return p.status();
    step.body = std::move(p).value();
  } else if (k.await != nullptr) {
    StatusOr<AwaitStep> a = ParseAwait(*k.await, s);
    if (!a.ok()) return a.status();
    step.body = std::move(a).value();
  } else if (IsPacketStepOnRealHost(*k.host, s)) {
    return PacketStepOnRealHost(*k.host, s);
  } else if (IsObserveStep(k.host->val)) {
    // A runner-side observation (observe_parser.cc); it may name a closed socket.
    KnownSocket known = [this](const std::string& h, const std::string& n) {
      return live_[h].count(n) != 0 || closed_by_.count(h + "/" + n) != 0;
    };
    StatusOr<ObserveStep> o = ParseObserveStep(k.host->key, *k.host, cx_, known, s, step.when);
    if (!o.ok()) return o.status();
    if (!o->since.empty() && labels_.count(o->since) == 0) {
      std::vector<std::string> labels;
      for (const auto& [l, i] : labels_) labels.push_back(l);
      return s.Fail(o->since_loc, fmt::format("no earlier step has the label '{}'{}", o->since,
                                              DidYouMean(o->since, labels)));
    }
    step.body = std::move(o).value();
  } else {
    StatusOr<CallStep> cs = ParseCall(k.host->key, *k.host, s);
    if (!cs.ok()) return cs.status();
    FL_RETURN_IF_ERROR(RecordCall(*cs, item.loc, s));
    step.body = std::move(cs).value();
  }
  if (!step.label.empty()) labels_[step.label] = index;
  return step;
}

}  // namespace

void AddStepFormatKeys(FormatKeys* k) {
  k->step_keys = kStepKeys;
  k->call_common_keys = kCommon;
  k->ops.clear();
  for (const OpSpec& o : StepOps()) {
    NamedKeys n{o.name, {}};
    for (const OpKey& key : o.keys) n.keys.push_back(key.name);
    k->ops.push_back(std::move(n));
  }
  k->so_linger_keys = kLingerKeys;
  k->ready_keys = kReadyKeys;
  k->socket_options = SockOptNames();
  k->send_flags = kSendFlags;
  k->recv_flags = kRecvFlags;
  k->poll_events = kPollEvents;
}

StatusOr<std::vector<Step>> ParseSteps(const Val& v, const CaseContext& cx) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(v, "steps", top);
  if (!items.ok()) return items.status();
  if (items->empty()) return top.Fail(v.loc, "'steps' must list at least one step");
  if (items->size() > kMaxCaseSteps) {
    return top.Fail(v.loc, fmt::format("'steps' lists {} steps; a case has at most {}",
                                       items->size(), kMaxCaseSteps));
  }
  StepParser p(cx);
  std::vector<Step> steps;
  int index = 0;
  for (const Val& item : *items) {
    StatusOr<Step> st = p.Parse(item, ++index);
    if (!st.ok()) return st.status();
    steps.push_back(std::move(st).value());
  }
  return steps;
}

}  // namespace faultline
