#include "harness/pktdrill/pkt_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace faultline::pkt {
namespace {

Status ErrorAt(const SourceLoc& loc, const std::string& msg) {
  return Status::Invalid(fmt::format("{}: {}", loc.ToString(), msg));
}

std::vector<std::string> SymbolsOf(const Expr& e) {
  if (e.kind == Expr::Kind::kSymbol) return {e.text};
  std::vector<std::string> out;
  if (e.kind == Expr::Kind::kOr) {
    for (const Expr& x : e.elems) out.push_back(x.kind == Expr::Kind::kSymbol ? x.text : "");
  }
  return out;
}

bool IsNull(const Expr& e) {
  return (e.kind == Expr::Kind::kSymbol && e.text == "NULL") ||
         (e.kind == Expr::Kind::kInt && e.num == 0);
}

std::optional<int64_t> IntArg(const Syscall& sc, size_t i) {
  if (i >= sc.args.size()) return std::nullopt;
  const Expr& e = sc.args[i];
  if (e.kind == Expr::Kind::kInt) return e.num;
  if (e.kind == Expr::Kind::kList && e.elems.size() == 1 && e.elems[0].kind == Expr::Kind::kInt) {
    return e.elems[0].num;
  }
  return std::nullopt;
}

Status FdArgOf(const Syscall& sc, size_t i, std::string* out) {
  if (i >= sc.args.size() || sc.args[i].kind != Expr::Kind::kInt) {
    return ErrorAt(sc.name_loc,
                   fmt::format("{}: argument {} must be an fd number", sc.name, i + 1));
  }
  *out = fmt::format("fd{}", sc.args[i].num);
  return Status::Ok();
}

// open(PATH, O_FLAGS[, MODE]).
Status OpenArgs(const Syscall& sc, SocketCall* c) {
  if (sc.args.size() < 2 || sc.args.size() > 3) {
    return ErrorAt(sc.name_loc, "open: expected (\"PATH\", FLAGS[, MODE])");
  }
  if (sc.args[0].kind != Expr::Kind::kString || sc.args[0].text.empty()) {
    return ErrorAt(sc.args[0].loc, "open: the path must be a string (\"/tmp/file\")");
  }
  c->path = WorkdirFileName(sc.args[0].text);
  static const char* kFlags[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",     "O_CREAT",  "O_TRUNC",
                                 "O_APPEND", "O_EXCL",   "O_NONBLOCK", "O_CLOEXEC"};
  for (const std::string& f : SymbolsOf(sc.args[1])) {
    if (std::find(std::begin(kFlags), std::end(kFlags), f) == std::end(kFlags)) {
      return ErrorAt(sc.args[1].loc,
                     fmt::format("open: flag '{}' is not supported (supported: O_RDONLY, "
                                 "O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, "
                                 "O_NONBLOCK, O_CLOEXEC)",
                                 f.empty() ? sc.args[1].ToString() : f));
    }
    std::string name = f.substr(2);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c->open_flags.push_back(name);
  }
  if (SymbolsOf(sc.args[1]).empty()) {
    return ErrorAt(sc.args[1].loc, fmt::format("open: flags '{}' are not supported (O_* names)",
                                               sc.args[1].ToString()));
  }
  return Status::Ok();
}

// pipe([R, W]).
Status PipeArgs(const Syscall& sc, SocketCall* c) {
  const bool ok = sc.args.size() == 1 && sc.args[0].kind == Expr::Kind::kList &&
                  sc.args[0].elems.size() == 2 && sc.args[0].elems[0].kind == Expr::Kind::kInt &&
                  sc.args[0].elems[1].kind == Expr::Kind::kInt &&
                  sc.args[0].elems[0].num != sc.args[0].elems[1].num;
  if (!ok) return ErrorAt(sc.name_loc, "pipe: expected ([READ_FD, WRITE_FD]), two fd numbers");
  c->as = fmt::format("fd{}", sc.args[0].elems[0].num);
  c->as_write = fmt::format("fd{}", sc.args[0].elems[1].num);
  return Status::Ok();
}

// sendfile(OUT_FD, IN_FD, [OFFSET] | NULL, COUNT).
Status SendfileArgs(const Syscall& sc, SocketCall* c) {
  if (sc.args.size() != 4) {
    return ErrorAt(sc.name_loc, "sendfile: expected (out_fd, in_fd, [offset] | NULL, count)");
  }
  FL_RETURN_IF_ERROR(FdArgOf(sc, 0, &c->fd));
  FL_RETURN_IF_ERROR(FdArgOf(sc, 1, &c->other_fd));
  const Expr& off = sc.args[2];
  if (off.kind == Expr::Kind::kList) {
    c->offset = IntArg(sc, 2);
    if (!c->offset || *c->offset < 0) {
      return ErrorAt(off.loc, fmt::format("sendfile: offset '{}' is not supported ([N] or NULL)",
                                          off.ToString()));
    }
  } else if (!IsNull(off) && off.kind != Expr::Kind::kEllipsis) {
    return ErrorAt(off.loc, fmt::format("sendfile: offset '{}' is not supported ([N] or NULL)",
                                        off.ToString()));
  }
  c->size = IntArg(sc, 3).value_or(0);
  return Status::Ok();
}

// splice(FD_IN, NULL, FD_OUT, NULL, LEN, FLAGS).
Status SpliceArgs(const Syscall& sc, SocketCall* c) {
  if (sc.args.size() != 6) {
    return ErrorAt(sc.name_loc, "splice: expected (fd_in, NULL, fd_out, NULL, len, flags)");
  }
  FL_RETURN_IF_ERROR(FdArgOf(sc, 0, &c->fd));
  FL_RETURN_IF_ERROR(FdArgOf(sc, 2, &c->other_fd));
  for (size_t i : {size_t{1}, size_t{3}}) {
    if (!IsNull(sc.args[i])) {
      return ErrorAt(sc.args[i].loc, fmt::format("splice: offset '{}' is not supported (NULL)",
                                                 sc.args[i].ToString()));
    }
  }
  c->size = IntArg(sc, 4).value_or(0);
  const Expr& flags = sc.args[5];
  if (flags.kind == Expr::Kind::kInt && flags.num == 0) return Status::Ok();
  static const char* kFlags[] = {"SPLICE_F_MOVE", "SPLICE_F_NONBLOCK", "SPLICE_F_MORE",
                                 "SPLICE_F_GIFT"};
  const std::vector<std::string> names = SymbolsOf(flags);
  if (names.empty()) return ErrorAt(flags.loc, "splice: flags must be 0 or SPLICE_F_* names");
  for (const std::string& f : names) {
    if (std::find(std::begin(kFlags), std::end(kFlags), f) == std::end(kFlags)) {
      return ErrorAt(flags.loc, fmt::format("splice: flag '{}' is not supported", f));
    }
    c->flags.push_back(f);
  }
  return Status::Ok();
}

bool ContinuesPath(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-' ||
         ch == '/';
}

}  // namespace

std::string WorkdirFileName(const std::string& path) {
  std::string name = path.substr(
      path.find_first_not_of('/') == std::string::npos ? path.size() : path.find_first_not_of('/'));
  std::replace(name.begin(), name.end(), '/', '_');
  if (name.empty() || name == "." || name == "..") name = "file_" + name;
  return name;
}

std::map<std::string, std::string> OpenedFiles(const Script& script) {
  std::map<std::string, std::string> out;
  for (const Event& e : script.events) {
    const auto* sc = std::get_if<Syscall>(&e.body);
    if (sc == nullptr || sc->name != "open" || sc->args.empty()) continue;
    if (sc->args[0].kind != Expr::Kind::kString || sc->args[0].text.empty()) continue;
    out[sc->args[0].text] = WorkdirFileName(sc->args[0].text);
  }
  return out;
}

namespace {

enum class Quoting { kNone, kSingle, kDouble };

// The work directory's file `name` as text for a place in a shell command
// quoted as `q`: one word that expands $FAULTLINE_WORKDIR, whatever the work
// directory or the name hold (spaces included). Unquoted: the variable in
// double quotes, the name single-quoted; inside '...': the quote is closed,
// the variable put in double quotes, and the quote reopened for the name;
// inside "...": the variable as is, the name with ", $, ` and \ escaped.
std::string WorkdirWord(const std::string& name, Quoting q) {
  if (q == Quoting::kDouble) {
    std::string out = "${FAULTLINE_WORKDIR}/";
    for (char ch : name) {
      if (ch == '"' || ch == '$' || ch == '`' || ch == '\\') out += '\\';
      out += ch;
    }
    return out;
  }
  std::string quoted;
  for (char ch : name) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  if (q == Quoting::kSingle) return "'\"${FAULTLINE_WORKDIR}\"'/" + quoted;
  return "\"${FAULTLINE_WORKDIR}\"'/" + quoted + "'";
}

// The quoting in force after `ch` (at the start of an unescaped character).
Quoting NextQuoting(Quoting q, char ch) {
  if (q == Quoting::kNone && ch == '\'') return Quoting::kSingle;
  if (q == Quoting::kNone && ch == '"') return Quoting::kDouble;
  if ((q == Quoting::kSingle && ch == '\'') || (q == Quoting::kDouble && ch == '"'))
    return Quoting::kNone;
  return q;
}

}  // namespace

std::string MapShellPaths(const std::string& command,
                          const std::map<std::string, std::string>& files) {
  std::string out;
  Quoting q = Quoting::kNone;
  for (size_t at = 0; at < command.size();) {
    const bool starts = at == 0 || !ContinuesPath(command[at - 1]);
    bool mapped = false;
    for (const auto& [path, name] : files) {
      const size_t end = at + path.size();
      if (!starts || command.compare(at, path.size(), path) != 0 ||
          (end < command.size() && ContinuesPath(command[end]))) {
        continue;
      }
      out += WorkdirWord(name, q);
      at = end;
      mapped = true;
      break;
    }
    if (mapped) continue;
    const char ch = command[at++];
    out += ch;
    // A backslash outside '...' keeps the next character literal.
    if (ch == '\\' && q != Quoting::kSingle && at < command.size()) {
      out += command[at++];
      continue;
    }
    q = NextQuoting(q, ch);
  }
  return out;
}

bool IsFileCall(const std::string& name) {
  return name == "open" || name == "pipe" || name == "sendfile" || name == "splice";
}

Status FileCallArgs(const Syscall& sc, SocketCall* c) {
  if (sc.name == "open") {
    c->op = Op::kOpen;
    return OpenArgs(sc, c);
  }
  if (sc.name == "pipe") {
    c->op = Op::kPipe;
    return PipeArgs(sc, c);
  }
  if (sc.name == "sendfile") {
    c->op = Op::kSendfile;
    return SendfileArgs(sc, c);
  }
  c->op = Op::kSplice;
  return SpliceArgs(sc, c);
}

}  // namespace faultline::pkt
