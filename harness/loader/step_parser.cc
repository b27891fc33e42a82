// steps: of a case (see docs/cases.md, "Steps").
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "harness/loader/case_parts.h"
#include "harness/loader/did_you_mean.h"
#include "harness/loader/endpoint_parse.h"
#include "harness/loader/format_keys.h"
#include "harness/loader/observe_parser.h"
#include "harness/model/lab_vars.h"

namespace faultline {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

struct OpInfo {
  const char* name;
  Op op;
  std::vector<std::string> params;  // besides the common ones
};

const std::vector<OpInfo>& Ops() {
  static const std::vector<OpInfo> ops = {
      {"socket", Op::kSocket, {"nonblock"}},
      {"bind", Op::kBind, {"addr"}},
      {"listen", Op::kListen, {"backlog"}},
      {"accept", Op::kAccept, {}},
      {"connect", Op::kConnect, {"to", "nonblock"}},
      {"send", Op::kSend, {"data", "size", "flags"}},
      {"write", Op::kWrite, {"data", "size"}},
      {"recv", Op::kRecv, {"size", "flags", "until"}},
      {"read", Op::kRead, {"size"}},
      {"sendto", Op::kSendto, {"to", "data", "size"}},
      {"recvfrom", Op::kRecvfrom, {"size"}},
      {"shutdown", Op::kShutdown, {"how"}},
      {"close", Op::kClose, {}},
      {"dup", Op::kDup, {}},
      {"setsockopt", Op::kSetsockopt, {"opt", "value"}},
      {"getsockopt", Op::kGetsockopt, {"opt"}},
      {"nonblock", Op::kNonblock, {"value"}},
      {"poll", Op::kPoll, {"events", "timeout"}},
      {"sleep", Op::kSleep, {}},
      {"sendfile", Op::kSendfile, {"size"}},
      {"run", Op::kRun, {"background", "ready", "stdin", "env"}},
      {"stop", Op::kStop, {}},
  };
  return ops;
}

const std::vector<std::string> kCommon = {"as", "async", "id", "expect"};
const std::vector<std::string> kReadyKeys = {"listening", "within"};  // run: ready: {...}
// The keys of a step besides its host.
const std::vector<std::string> kStepKeys = {"await", "label"};
const std::vector<std::string> kLingerKeys = {"onoff", "linger"};

std::vector<std::string> OpNames() {
  std::vector<std::string> v;
  for (const OpInfo& o : Ops()) v.push_back(o.name);
  return v;
}

const OpInfo* FindOp(std::string_view name) {
  for (const OpInfo& o : Ops()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

bool IsAnyParam(const std::string& key) {
  for (const OpInfo& o : Ops()) {
    if (std::find(o.params.begin(), o.params.end(), key) != o.params.end()) return true;
  }
  return false;
}

struct OptInfo {
  const char* name;
  SockOpt opt;
};
const std::vector<OptInfo> kOpts = {
    {"SO_REUSEADDR", SockOpt::kSoReuseaddr},
    {"SO_REUSEPORT", SockOpt::kSoReuseport},
    {"SO_LINGER", SockOpt::kSoLinger},
    {"SO_RCVBUF", SockOpt::kSoRcvbuf},
    {"SO_SNDBUF", SockOpt::kSoSndbuf},
    {"SO_KEEPALIVE", SockOpt::kSoKeepalive},
    {"SO_ERROR", SockOpt::kSoError},
    {"TCP_NODELAY", SockOpt::kTcpNodelay},
    {"TCP_CORK", SockOpt::kTcpCork},
    {"TCP_USER_TIMEOUT", SockOpt::kTcpUserTimeout},
    {"TCP_KEEPIDLE", SockOpt::kTcpKeepidle},
    {"TCP_KEEPINTVL", SockOpt::kTcpKeepintvl},
    {"TCP_KEEPCNT", SockOpt::kTcpKeepcnt},
    {"TCP_MAXSEG", SockOpt::kTcpMaxseg},
    {"TCP_CONGESTION", SockOpt::kTcpCongestion},
};

const std::vector<std::string> kSendFlags = {"MSG_DONTWAIT", "MSG_MORE", "MSG_NOSIGNAL", "MSG_OOB"};
const std::vector<std::string> kRecvFlags = {"MSG_PEEK", "MSG_DONTWAIT", "MSG_WAITALL"};
const std::vector<std::string> kPollEvents = {"in", "out", "pri", "rdhup"};

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

class StepParser {
 public:
  explicit StepParser(const CaseContext& cx) : cx_(cx) {}

  StatusOr<Step> Parse(const Val& item, int index);

 private:
  StatusOr<CallStep> ParseCall(const std::string& host, const Entry& he, const SourceLoc& step_loc,
                               const Scope& s);
  StatusOr<std::vector<Entry>> Shorthand(const Entry& he, const Scope& s);
  // The socket name an op is applied to; it must be live on `host`.
  StatusOr<std::string> UseFd(const std::string& host, const Entry& e, const Scope& s);
  // A new socket name (`as`); it must not be live on `host`.
  StatusOr<std::string> NewFd(const std::string& host, const Entry& e, const Scope& s);
  StatusOr<Endpoint> ReadEndpoint(const Entry& e, const Scope& s);
  Status ReadPayload(const std::vector<Entry>& m, const OpInfo& op, const SourceLoc& loc,
                     const Scope& s, SocketCall* c);
  Status ReadFlags(const Entry& e, const std::vector<std::string>& valid, const OpInfo& op,
                   const Scope& s, SocketCall* c);
  Status ReadSockOpt(const std::vector<Entry>& m, const OpInfo& op, const SourceLoc& loc,
                     const Scope& s, SocketCall* c);
  // run: argv, env, stdin, background, ready, as (docs/cases.md, "Commands").
  Status ReadCommand(const std::string& host, const std::vector<Entry>& m, const Entry& ope,
                     const Scope& s, SocketCall* c);
  // stop: NAME, a background command of `host` still running.
  Status ReadStop(const std::string& host, const Entry& ope, const Scope& s, SocketCall* c);

  const CaseContext& cx_;
  std::map<std::string, std::set<std::string>> live_;  // host -> open socket names
  std::map<std::string, std::string> closed_by_;       // "host/name" -> "step N"
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

StatusOr<std::string> StepParser::UseFd(const std::string& host, const Entry& e, const Scope& s) {
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
  if (live_[host].count(name) != 0) {
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

Status StepParser::ReadFlags(const Entry& e, const std::vector<std::string>& valid,
                             const OpInfo& op, const Scope& s, SocketCall* c) {
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
                                         op.name, Join(valid)));
      }
      return s.Fail(v.loc, fmt::format("unknown flag {} for '{}'{}", Describe(v.node), op.name,
                                       DidYouMean(*f, valid)));
    }
    c->flags.push_back(*f);
  }
  return Status::Ok();
}

Status StepParser::ReadPayload(const std::vector<Entry>& m, const OpInfo& op, const SourceLoc& loc,
                               const Scope& s, SocketCall* c) {
  const Entry* data = FindKey(m, "data");
  const Entry* size = FindKey(m, "size");
  if (data != nullptr && size != nullptr) {
    const Entry* later =
        data->key_loc.line > size->key_loc.line || (data->key_loc.line == size->key_loc.line &&
                                                    data->key_loc.column > size->key_loc.column)
            ? data
            : size;
    return s.Fail(later->key_loc, "'data' and 'size' cannot be combined");
  }
  if (data == nullptr && size == nullptr) {
    return s.Fail(loc, fmt::format("'{}' needs 'data' or 'size'", op.name));
  }
  if (data != nullptr) {
    StatusOr<std::string> d = ReadString(data->val, "data", s);
    if (!d.ok()) return d.status();
    c->data = *d;
    c->size = static_cast<int64_t>(d->size());
  } else {
    StatusOr<int64_t> n = ReadInt(size->val, "size", s, 1, 64 * kMiB);
    if (!n.ok()) return n.status();
    c->size = *n;
  }
  return Status::Ok();
}

Status StepParser::ReadSockOpt(const std::vector<Entry>& m, const OpInfo& op, const SourceLoc& loc,
                               const Scope& s, SocketCall* c) {
  const Entry* opt = FindKey(m, "opt");
  if (opt == nullptr) {
    return s.Fail(loc, fmt::format("missing required key 'opt' for '{}'", op.name));
  }
  StatusOr<std::string> name = ReadString(opt->val, "opt", s);
  if (!name.ok()) return name.status();
  std::vector<std::string> names;
  for (const OptInfo& o : kOpts) {
    names.push_back(o.name);
    if (*name == o.name) c->opt = o.opt;
  }
  if (!c->opt) {
    return s.Fail(opt->val.loc, fmt::format("unknown socket option {}{}", Describe(opt->val.node),
                                            DidYouMean(*name, names)));
  }
  if (op.op == Op::kGetsockopt) {
    if (*c->opt == SockOpt::kTcpCongestion) {
      return s.Fail(opt->val.loc, "getsockopt of TCP_CONGESTION is not supported");
    }
    return Status::Ok();
  }
  if (*c->opt == SockOpt::kSoError) {
    return s.Fail(opt->val.loc, "SO_ERROR can only be read (use getsockopt)");
  }
  const Entry* value = FindKey(m, "value");
  if (value == nullptr) {
    return s.Fail(loc, "missing required key 'value' for 'setsockopt'");
  }
  const Val& v = value->val;
  switch (*c->opt) {
    case SockOpt::kSoLinger: {
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
    case SockOpt::kTcpCongestion: {
      if (!v.node.IsScalar() || v.node.Scalar().empty() || v.node.Scalar().size() > 15 ||
          !IsIdentifier(v.node.Scalar())) {
        return s.Fail(v.loc, fmt::format("'value' of TCP_CONGESTION must be an algorithm name "
                                         "such as reno, not {}",
                                         Describe(v.node)));
      }
      c->opt_text = v.node.Scalar();
      return Status::Ok();
    }
    case SockOpt::kTcpUserTimeout: {
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
    default: {
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
  }
}

Status StepParser::ReadCommand(const std::string& host, const std::vector<Entry>& m,
                               const Entry& ope, const Scope& s, SocketCall* c) {
  Command& cmd = c->command;
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
    cmd.argv.push_back(a.node.Scalar());
  }
  if (cmd.argv[0].empty()) return s.Fail((*args)[0].loc, "the program of 'run' must not be empty");

  if (const Entry* e = FindKey(m, "env")) {
    StatusOr<std::vector<Entry>> vars = ReadMap(e->val, "env", s);
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
      cmd.env.emplace_back(v.key, v.val.node.Scalar());
    }
  }
  if (const Entry* e = FindKey(m, "stdin")) {
    StatusOr<std::string> t = ReadString(e->val, "stdin", s);
    if (!t.ok()) return t.status();
    FL_RETURN_IF_ERROR(CheckVars(e->val, *t, cx_, s));
    cmd.stdin_data = *t;
  }
  const Entry* bg = FindKey(m, "background");
  if (bg != nullptr) {
    StatusOr<bool> b = ReadBool(bg->val, "background", s);
    if (!b.ok()) return b.status();
    cmd.background = *b;
  }
  if (const Entry* e = FindKey(m, "async"); e != nullptr && cmd.background) {
    return s.Fail(e->key_loc,
                  "'async' and 'background' cannot be combined: a background command "
                  "already runs beside the later steps");
  }
  if (const Entry* e = FindKey(m, "ready")) {
    if (!cmd.background) {
      return s.Fail(e->key_loc,
                    "'ready' applies only to a background command (add background: "
                    "true)");
    }
    StatusOr<std::vector<Entry>> rm = ReadMap(e->val, "ready", s);
    if (!rm.ok()) return rm.status();
    FL_RETURN_IF_ERROR(CheckKeys(*rm, kReadyKeys, " in ready", s));
    const Entry* l = FindKey(*rm, "listening");
    if (l == nullptr) return s.Fail(e->val.loc, "missing required key 'listening' for 'ready'");
    StatusOr<int64_t> port = ReadInt(l->val, "listening", s, 1, 65535);
    if (!port.ok()) return port.status();
    cmd.ready_port = static_cast<uint16_t>(*port);
    if (const Entry* w = FindKey(*rm, "within")) {
      StatusOr<Duration> d = ReadWithin(w->val, s);
      if (!d.ok()) return d.status();
      cmd.ready_within = *d;
    }
  }
  const Entry* as = FindKey(m, "as");
  if (as != nullptr) {
    if (!as->val.node.IsScalar() || !IsIdentifier(as->val.node.Scalar())) {
      return s.Fail(as->val.loc, fmt::format("'as' must be a name (letters, digits and _, not "
                                             "starting with a digit), not {}",
                                             Describe(as->val.node)));
    }
    c->as = as->val.node.Scalar();
    auto running = commands_[host].find(c->as);
    if (running != commands_[host].end()) {
      return s.Fail(as->val.loc, fmt::format("'{}' is already a background command running on "
                                             "host '{}' (started by step {})",
                                             c->as, host, running->second));
    }
  } else if (cmd.background) {
    return s.Fail(ope.key_loc, "a background command needs a name ('as') for 'stop' and 'await'");
  }
  return Status::Ok();
}

Status StepParser::ReadStop(const std::string& host, const Entry& ope, const Scope& s,
                            SocketCall* c) {
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

StatusOr<CallStep> StepParser::ParseCall(const std::string& host, const Entry& he,
                                         const SourceLoc& step_loc, const Scope& s) {
  (void)step_loc;
  std::vector<Entry> m;
  SourceLoc map_loc = he.val.loc;
  if (he.val.node.IsScalar()) {
    StatusOr<std::vector<Entry>> sh = Shorthand(he, s);
    if (!sh.ok()) return sh.status();
    m = std::move(sh).value();
  } else if (he.val.node.IsMap()) {
    StatusOr<std::vector<Entry>> rm = ReadMap(he.val, host, s);
    if (!rm.ok()) return rm.status();
    m = std::move(rm).value();
  } else {
    return s.Fail(he.val.loc, fmt::format("the value of '{}' must be a map {{OP: ARG, ...}} or a "
                                          "string \"OP ARG [as NAME]\", not {}",
                                          host, Describe(he.val.node)));
  }

  // Find the operation: exactly one key naming an op. `nonblock` is both an
  // op and a param of socket/connect: with another op present it is a param.
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
      if (std::find(kCommon.begin(), kCommon.end(), e.key) == kCommon.end() && !IsAnyParam(e.key)) {
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
  const Entry& ope = *ops[0];
  const OpInfo& op = *FindOp(ope.key);
  std::vector<std::string> allowed = op.params;
  allowed.insert(allowed.end(), kCommon.begin(), kCommon.end());
  for (const Entry& e : m) {
    if (&e == &ope) continue;
    if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
    if (IsAnyParam(e.key)) {
      return s.Fail(e.key_loc, fmt::format("'{}' does not apply to '{}'", e.key, op.name));
    }
    if (e.key == "label" || e.key == "await") {
      return s.Fail(e.key_loc, fmt::format("'{}' belongs beside '{}' in the step, not inside its "
                                           "operation map",
                                           e.key, host));
    }
    return s.Fail(e.key_loc, fmt::format("unknown key {} for '{}'{}", Describe(YAML::Node(e.key)),
                                         op.name, DidYouMean(e.key, allowed)));
  }

  CallStep cs;
  cs.host = host;
  SocketCall& c = cs.call;
  c.op = op.op;
  const Entry* as = FindKey(m, "as");
  bool creates = false;      // the step creates the socket named by `as`
  bool as_required = false;  // ... and `as` has no default
  auto need = [&](const char* key) -> StatusOr<const Entry*> {
    const Entry* e = FindKey(m, key);
    if (e == nullptr) {
      return s.Fail(map_loc, fmt::format("missing required key '{}' for '{}'", key, op.name));
    }
    return e;
  };
  auto fd = [&]() -> Status {
    StatusOr<std::string> f = UseFd(host, ope, s);
    if (!f.ok()) return f.status();
    c.fd = *f;
    return Status::Ok();
  };
  auto read_size = [&](int64_t hi) -> Status {
    const Entry* e = FindKey(m, "size");
    c.size = 65536;
    if (e == nullptr) return Status::Ok();
    StatusOr<int64_t> n = ReadInt(e->val, "size", s, 1, hi);
    if (!n.ok()) return n.status();
    c.size = *n;
    return Status::Ok();
  };
  auto read_nonblock = [&]() -> Status {
    if (const Entry* e = FindKey(m, "nonblock")) {
      StatusOr<bool> b = ReadBool(e->val, "nonblock", s);
      if (!b.ok()) return b.status();
      c.nonblock = *b;
    }
    return Status::Ok();
  };

  switch (op.op) {
    case Op::kSocket: {
      if (!ope.val.node.IsScalar() || IsQuoted(ope.val.node) ||
          (ope.val.node.Scalar() != "tcp" && ope.val.node.Scalar() != "udp")) {
        return s.Fail(ope.val.loc,
                      fmt::format("'socket' must be tcp or udp, not {}", Describe(ope.val.node)));
      }
      c.proto = ope.val.node.Scalar() == "tcp" ? SocketCall::Proto::kTcp : SocketCall::Proto::kUdp;
      FL_RETURN_IF_ERROR(read_nonblock());
      creates = as_required = true;
      break;
    }
    case Op::kBind: {
      FL_RETURN_IF_ERROR(fd());
      StatusOr<const Entry*> a = need("addr");
      if (!a.ok()) return a.status();
      StatusOr<Endpoint> ep = ReadEndpoint(**a, s);
      if (!ep.ok()) return ep.status();
      c.endpoint = *ep;
      break;
    }
    case Op::kListen: {
      if (LooksLikeInt(ope.val.node)) {
        StatusOr<int64_t> port = ReadInt(ope.val, "listen", s, 0, 65535);
        if (!port.ok()) return port.status();
        Endpoint ep;
        ep.kind = Endpoint::Kind::kAny;
        ep.port = static_cast<uint16_t>(*port);
        c.endpoint = ep;
        creates = true;
        if (as == nullptr) c.as = "ls";
      } else {
        if (!ope.val.node.IsScalar()) {
          return s.Fail(ope.val.loc, fmt::format("'listen' must be a socket name or a port "
                                                 "number, not {}",
                                                 Describe(ope.val.node)));
        }
        FL_RETURN_IF_ERROR(fd());
      }
      if (const Entry* b = FindKey(m, "backlog")) {
        StatusOr<int64_t> n = ReadInt(b->val, "backlog", s, 0, 65535);
        if (!n.ok()) return n.status();
        c.backlog = static_cast<int>(*n);
      }
      break;
    }
    case Op::kAccept:
    case Op::kDup:
      FL_RETURN_IF_ERROR(fd());
      creates = as_required = true;
      break;
    case Op::kConnect: {
      if (ope.val.node.IsScalar() && ope.val.node.Scalar().find(':') != std::string::npos) {
        StatusOr<Endpoint> ep = ReadEndpoint(ope, s);
        if (!ep.ok()) return ep.status();
        c.endpoint = *ep;
        if (const Entry* to = FindKey(m, "to")) {
          return s.Fail(to->key_loc,
                        "'to' does not apply to 'connect' with an address (write "
                        "connect: SOCKET, to: ADDRESS, or connect: ADDRESS, as: NAME)");
        }
        FL_RETURN_IF_ERROR(read_nonblock());
        creates = as_required = true;
      } else {
        if (ope.val.node.IsScalar() &&
            std::find(cx_.hosts.begin(), cx_.hosts.end(), ope.val.node.Scalar()) !=
                cx_.hosts.end() &&
            live_[host].count(ope.val.node.Scalar()) == 0) {
          return s.Fail(ope.val.loc, fmt::format("'{0}' is a host, not a socket: an address needs "
                                                 "a port, as in connect: \"{0}:8080\"",
                                                 ope.val.node.Scalar()));
        }
        FL_RETURN_IF_ERROR(fd());
        if (const Entry* nb = FindKey(m, "nonblock")) {
          return s.Fail(nb->key_loc,
                        "'nonblock' does not apply to 'connect' on an existing socket "
                        "(set it on the socket step, or use a nonblock step)");
        }
        StatusOr<const Entry*> to = need("to");
        if (!to.ok()) return to.status();
        StatusOr<Endpoint> ep = ReadEndpoint(**to, s);
        if (!ep.ok()) return ep.status();
        c.endpoint = *ep;
      }
      break;
    }
    case Op::kSend:
    case Op::kWrite:
    case Op::kSendto: {
      FL_RETURN_IF_ERROR(fd());
      if (op.op == Op::kSendto) {
        StatusOr<const Entry*> to = need("to");
        if (!to.ok()) return to.status();
        StatusOr<Endpoint> ep = ReadEndpoint(**to, s);
        if (!ep.ok()) return ep.status();
        c.endpoint = *ep;
      }
      FL_RETURN_IF_ERROR(ReadPayload(m, op, map_loc, s, &c));
      if (const Entry* f = FindKey(m, "flags")) {
        FL_RETURN_IF_ERROR(ReadFlags(*f, kSendFlags, op, s, &c));
      }
      break;
    }
    case Op::kRecv:
    case Op::kRead:
    case Op::kRecvfrom: {
      FL_RETURN_IF_ERROR(fd());
      FL_RETURN_IF_ERROR(read_size(16 * kMiB));
      if (const Entry* f = FindKey(m, "flags")) {
        FL_RETURN_IF_ERROR(ReadFlags(*f, kRecvFlags, op, s, &c));
      }
      if (const Entry* u = FindKey(m, "until")) {
        StatusOr<std::string> t = ReadString(u->val, "until", s);
        if (!t.ok()) return t.status();
        if (t->empty()) return s.Fail(u->val.loc, "'until' must not be empty");
        c.until = *t;
      }
      break;
    }
    case Op::kShutdown: {
      FL_RETURN_IF_ERROR(fd());
      StatusOr<const Entry*> h = need("how");
      if (!h.ok()) return h.status();
      const YAML::Node& n = (*h)->val.node;
      std::string t = n.IsScalar() ? n.Scalar() : "";
      if (t == "rd")
        c.how = SHUT_RD;
      else if (t == "wr")
        c.how = SHUT_WR;
      else if (t == "rdwr")
        c.how = SHUT_RDWR;
      else {
        return s.Fail((*h)->val.loc,
                      fmt::format("'how' must be rd, wr or rdwr, not {}", Describe(n)));
      }
      break;
    }
    case Op::kClose: FL_RETURN_IF_ERROR(fd()); break;
    case Op::kSetsockopt:
    case Op::kGetsockopt:
      FL_RETURN_IF_ERROR(fd());
      FL_RETURN_IF_ERROR(ReadSockOpt(m, op, map_loc, s, &c));
      break;
    case Op::kNonblock: {
      FL_RETURN_IF_ERROR(fd());
      c.nonblock = true;
      if (const Entry* v = FindKey(m, "value")) {
        StatusOr<bool> b = ReadBool(v->val, "value", s);
        if (!b.ok()) return b.status();
        c.nonblock = *b;
      }
      break;
    }
    case Op::kPoll: {
      FL_RETURN_IF_ERROR(fd());
      StatusOr<const Entry*> ev = need("events");
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
        if (std::find(c.events.begin(), c.events.end(), *name) != c.events.end()) {
          return s.Fail(v.loc, fmt::format("poll event '{}' is listed twice", *name));
        }
        c.events.push_back(*name);
      }
      StatusOr<const Entry*> to = need("timeout");
      if (!to.ok()) return to.status();
      StatusOr<Duration> d = ReadDuration((*to)->val, "timeout", s);
      if (!d.ok()) return d.status();
      c.timeout = *d;
      break;
    }
    case Op::kSleep: {
      StatusOr<Duration> d = ReadDuration(ope.val, "sleep", s);
      if (!d.ok()) return d.status();
      if (*d <= Duration(0)) return s.Fail(ope.val.loc, "'sleep' must be longer than 0s");
      c.timeout = *d;
      break;
    }
    case Op::kRun: FL_RETURN_IF_ERROR(ReadCommand(host, m, ope, s, &c)); break;
    case Op::kStop: FL_RETURN_IF_ERROR(ReadStop(host, ope, s, &c)); break;
    case Op::kWaitCommand: break;  // never parsed (not in Ops())
    case Op::kSendfile: {
      FL_RETURN_IF_ERROR(fd());
      StatusOr<const Entry*> sz = need("size");
      if (!sz.ok()) return sz.status();
      StatusOr<int64_t> n = ReadInt((*sz)->val, "size", s, 1, 64 * kMiB);
      if (!n.ok()) return n.status();
      c.size = *n;
      break;
    }
  }

  if (op.op == Op::kRun) {
    // `as` names the command (ReadCommand), not a socket.
  } else if (creates) {
    if (as != nullptr) {
      StatusOr<std::string> n = NewFd(host, *as, s);
      if (!n.ok()) return n.status();
      c.as = *n;
    } else if (as_required) {
      return s.Fail(map_loc, fmt::format("missing required key 'as' for '{}' (the name of the new "
                                         "socket)",
                                         op.name));
    } else if (live_[host].count(c.as) != 0) {
      return s.Fail(ope.key_loc, fmt::format("'{}' is already an open socket on host '{}' (close "
                                             "it first or name this one with 'as')",
                                             c.as, host));
    }
  } else if (as != nullptr) {
    return s.Fail(as->key_loc, fmt::format("'as' does not apply to '{}' here: it names a socket "
                                           "that a step creates (use 'id' to name an async step)",
                                           op.name));
  }

  if (const Entry* a = FindKey(m, "async")) {
    StatusOr<bool> b = ReadBool(a->val, "async", s);
    if (!b.ok()) return b.status();
    cs.async = *b;
  }
  const Entry* id = FindKey(m, "id");
  if (id != nullptr) {
    if (!cs.async) {
      return s.Fail(id->key_loc, "'id' applies only to an async step (add async: true)");
    }
    if (!id->val.node.IsScalar() || !IsIdentifier(id->val.node.Scalar())) {
      return s.Fail(id->val.loc, fmt::format("'id' must be a name (letters, digits and _, not "
                                             "starting with a digit), not {}",
                                             Describe(id->val.node)));
    }
    cs.id = id->val.node.Scalar();
  }
  if (cs.async && cs.id.empty()) {
    if (c.as.empty()) {
      return s.Fail(map_loc, "an async step needs an 'id' (or an 'as') for 'await' to name it");
    }
    cs.id = c.as;
  }
  if (const Entry* x = FindKey(m, "expect")) {
    StatusOr<Expect> e = ParseExpect(x->val, op.op, s);
    if (!e.ok()) return e.status();
    if (e->out) FL_RETURN_IF_ERROR(CheckVars(x->val, e->out->text, cx_, s));
    if (e->err) FL_RETURN_IF_ERROR(CheckVars(x->val, e->err->text, cx_, s));
    cs.expect = *e;
    cs.has_expect = true;
  }
  return cs;
}

StatusOr<Step> StepParser::Parse(const Val& item, int index) {
  Scope s{cx_.file, fmt::format("step {}: ", index)};
  index_ = index;
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
  const Entry* label = nullptr;
  const Entry* await = nullptr;
  const Entry* host = nullptr;
  std::vector<std::string> keys = cx_.hosts;
  keys.insert(keys.end(), kStepKeys.begin(), kStepKeys.end());
  for (const Entry& e : *m) {
    if (e.key == "label") {
      label = &e;
      continue;
    }
    bool is_host = std::find(cx_.hosts.begin(), cx_.hosts.end(), e.key) != cx_.hosts.end();
    bool misplaced = FindOp(e.key) != nullptr || IsAnyParam(e.key) ||
                     std::find(kCommon.begin(), kCommon.end(), e.key) != kCommon.end();
    if (e.key == "expect" && !is_host) {
      return s.Fail(e.key_loc, fmt::format("'expect' must go inside a host's map, as in - {}: "
                                           "{{recv: s, expect: ...}} (for an async call: on the "
                                           "async step, not on its await)",
                                           cx_.hosts.front()));
    }
    if (e.key != "await" && !is_host && misplaced) {
      return s.Fail(e.key_loc, fmt::format("'{0}' must go inside a host's map, as in - {1}: {{..., "
                                           "{0}: ...}}",
                                           e.key, cx_.hosts.front()));
    }
    if (e.key != "await" && !is_host) {
      return s.Fail(e.key_loc, fmt::format("{} is not a declared host{}",
                                           Describe(YAML::Node(e.key)), DidYouMean(e.key, keys)));
    }
    if (host != nullptr || await != nullptr) {
      const Entry* first = host != nullptr ? host : await;
      if (e.key == "await" || first->key == "await") {
        return s.Fail(e.key_loc, "a step has either a host or 'await', not both");
      }
      return s.Fail(e.key_loc, fmt::format("a step runs on one host: '{}' and '{}' cannot be "
                                           "combined",
                                           first->key, e.key));
    }
    (e.key == "await" ? await : host) = &e;
  }
  if (host == nullptr && await == nullptr) {
    return s.Fail(item.loc, fmt::format("missing a host ({}) or 'await'", Join(cx_.hosts)));
  }
  if (label != nullptr) {
    if (!label->val.node.IsScalar() || !IsIdentifier(label->val.node.Scalar())) {
      return s.Fail(label->val.loc, fmt::format("'label' must be a name (letters, digits and _, "
                                                "not starting with a digit), not {}",
                                                Describe(label->val.node)));
    }
    step.label = label->val.node.Scalar();
    auto prev = labels_.find(step.label);
    if (prev != labels_.end()) {
      return s.Fail(label->val.loc,
                    fmt::format("label '{}' is already used by step {}", step.label, prev->second));
    }
  }
  if (await != nullptr) {
    const YAML::Node& n = await->val.node;
    if (!n.IsScalar() || !IsIdentifier(n.Scalar())) {
      return s.Fail(await->val.loc,
                    fmt::format("'await' must be the id of an async step, not {}", Describe(n)));
    }
    std::string id = n.Scalar();
    auto it = async_.find(id);
    if (it == async_.end()) {
      std::vector<std::string> pending;
      for (const auto& [k, a] : async_) {
        if (a.awaited_by == 0) pending.push_back(k);
      }
      return s.Fail(await->val.loc, fmt::format("'{}' is not the id of an earlier async step{}", id,
                                                DidYouMean(id, pending)));
    }
    if (auto st = stopped_.find(id); st != stopped_.end() && st->second > it->second.step) {
      return s.Fail(await->val.loc,
                    fmt::format("'{}' was already stopped by step {}", id, st->second));
    }
    if (it->second.awaited_by != 0) {
      return s.Fail(await->val.loc,
                    fmt::format("'{}' was already awaited by step {}", id, it->second.awaited_by));
    }
    it->second.awaited_by = index;
    for (auto& [h, running] : commands_) {
      if (running.erase(id) != 0)
        command_ended_[h + "/" + id] = fmt::format("awaited by step {}", index);
    }
    step.body = AwaitStep{id};
  } else if (IsObserveStep(host->val)) {
    // A runner-side observation (observe_parser.cc); it may name a closed socket.
    KnownSocket known = [this](const std::string& h, const std::string& n) {
      return live_[h].count(n) != 0 || closed_by_.count(h + "/" + n) != 0;
    };
    StatusOr<ObserveStep> o = ParseObserveStep(host->key, *host, cx_, known, s);
    if (!o.ok()) return o.status();
    step.body = std::move(o).value();
  } else {
    StatusOr<CallStep> cs = ParseCall(host->key, *host, item.loc, s);
    if (!cs.ok()) return cs.status();
    if (cs->async) {
      auto it = async_.find(cs->id);
      if (it != async_.end() && it->second.awaited_by == 0) {
        return s.Fail(item.loc, fmt::format("async id '{}' is already used by step {}, which is "
                                            "not awaited yet",
                                            cs->id, it->second.step));
      }
      async_[cs->id] = AsyncId{index, 0};
    }
    const SocketCall& c = cs->call;
    if (c.op == Op::kRun && c.command.background) {
      auto it = async_.find(c.as);
      if (it != async_.end() && it->second.awaited_by == 0) {
        return s.Fail(item.loc, fmt::format("'{}' is already the id of step {}, which is not "
                                            "awaited yet",
                                            c.as, it->second.step));
      }
      async_[c.as] = AsyncId{index, 0};
      commands_[cs->host][c.as] = index;
      command_ended_.erase(cs->host + "/" + c.as);
    }
    if (c.op == Op::kClose) {
      live_[cs->host].erase(c.fd);
      closed_by_[cs->host + "/" + c.fd] = fmt::format("step {}", index);
    }
    if (!c.as.empty() && c.op != Op::kRun) {
      live_[cs->host].insert(c.as);
      closed_by_.erase(cs->host + "/" + c.as);
    }
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
  for (const OpInfo& o : Ops()) k->ops.push_back(NamedKeys{o.name, o.params});
  k->so_linger_keys = kLingerKeys;
  k->ready_keys = kReadyKeys;
  k->socket_options.clear();
  for (const OptInfo& o : kOpts) k->socket_options.push_back(o.name);
  k->send_flags = kSendFlags;
  k->recv_flags = kRecvFlags;
  k->poll_events = kPollEvents;
}

StatusOr<std::vector<Step>> ParseSteps(const Val& v, const CaseContext& cx) {
  Scope top{cx.file, ""};
  StatusOr<std::vector<Val>> items = ReadList(v, "steps", top);
  if (!items.ok()) return items.status();
  if (items->empty()) return top.Fail(v.loc, "'steps' must list at least one step");
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
