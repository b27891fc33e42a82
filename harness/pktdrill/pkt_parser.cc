#include "harness/pktdrill/pkt_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace faultline::pkt {
namespace {

enum class Tok {
  kEnd,
  kInt,
  kFloat,
  kWord,
  kString,
  kBackquote,
  kCode,
  kEllipsis,
  kOption,
  kPunct
};

struct Token {
  Tok type = Tok::kEnd;
  std::string text;
  int64_t num = 0;  // kInt
  int line = 1, col = 1;
  size_t offset = 0, end = 0;
};

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Turns the script into tokens; comments and whitespace are dropped.
class Lexer {
 public:
  Lexer(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      Status st = SkipSpace();
      if (!st.ok()) return st;
      Token t;
      t.line = line_;
      t.col = col_;
      t.offset = i_;
      if (i_ >= s_.size()) {
        t.end = i_;
        out.push_back(t);
        return out;
      }
      st = Lex(&t);
      if (!st.ok()) return st;
      t.end = i_;
      out.push_back(std::move(t));
    }
  }

 private:
  Status Error(int line, int col, const std::string& msg) const {
    return Status::Invalid(fmt::format("{}:{}:{}: {}", file_, line, col, msg));
  }
  char At(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void Advance(size_t n = 1) {
    for (size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') {
        ++line_;
        col_ = 1;
        line_start_ = true;
      } else {
        ++col_;
        if (!std::isspace(static_cast<unsigned char>(s_[i_]))) line_start_ = false;
      }
    }
  }
  bool StartsWith(const char* p) const {
    return s_.compare(i_, std::char_traits<char>::length(p), p) == 0;
  }

  Status SkipSpace() {
    while (i_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[i_]))) {
        Advance();
      } else if (StartsWith("//")) {
        while (i_ < s_.size() && s_[i_] != '\n') Advance();
      } else if (StartsWith("/*")) {
        const int l = line_, c = col_;
        const size_t e = s_.find("*/", i_ + 2);
        if (e == std::string::npos) return Error(l, c, "unterminated comment /* (no */)");
        Advance(e + 2 - i_);
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  // Everything up to `close` (not included), which must come.
  Status Delimited(Token* t, const char* open, const char* close, Tok type, const char* what) {
    const size_t e = s_.find(close, i_ + std::char_traits<char>::length(open));
    if (e == std::string::npos) {
      return Error(t->line, t->col, fmt::format("unterminated {} (no closing {})", what, close));
    }
    const size_t from = i_ + std::char_traits<char>::length(open);
    t->type = type;
    t->text = s_.substr(from, e - from);
    Advance(e + std::char_traits<char>::length(close) - i_);
    return Status::Ok();
  }

  Status Lex(Token* t) {
    const char c = s_[i_];
    // The word after `md5` is its digest: hex digits of any length (an
    // all-digit one is not a number).
    const bool digest = after_md5_;
    after_md5_ = false;
    if (digest && std::isxdigit(static_cast<unsigned char>(c))) {
      size_t e = i_;
      while (e < s_.size() && IsWordChar(s_[e])) ++e;
      t->type = Tok::kWord;
      t->text = s_.substr(i_, e - i_);
      Advance(e - i_);
      return Status::Ok();
    }
    if (line_start_ && StartsWith("--")) {
      size_t e = i_;
      while (e < s_.size() && s_[e] != '\n' && s_.compare(e, 2, "//") != 0) ++e;
      t->type = Tok::kOption;
      t->text = s_.substr(i_ + 2, e - i_ - 2);
      while (!t->text.empty() && std::isspace(static_cast<unsigned char>(t->text.back()))) {
        t->text.pop_back();
      }
      Advance(e - i_);
      return Status::Ok();
    }
    if (c == '`') return Delimited(t, "`", "`", Tok::kBackquote, "`shell` line");
    if (StartsWith("%{")) return Delimited(t, "%{", "}%", Tok::kCode, "%{ block");
    if (c == '"') return String(t);
    if (StartsWith("...")) {
      t->type = Tok::kEllipsis;
      t->text = "...";
      Advance(3);
      return Status::Ok();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && std::isdigit(static_cast<unsigned char>(At(1))))) {
      return Number(t);
    }
    if (IsWordChar(c)) {
      size_t e = i_;
      while (e < s_.size() && IsWordChar(s_[e])) ++e;
      t->type = Tok::kWord;
      t->text = s_.substr(i_, e - i_);
      after_md5_ = t->text == "md5";
      Advance(e - i_);
      return Status::Ok();
    }
    t->type = Tok::kPunct;
    t->text = std::string(1, c);
    Advance();
    return Status::Ok();
  }

  Status String(Token* t) {
    std::string v;
    size_t k = i_ + 1;
    while (k < s_.size() && s_[k] != '"' && s_[k] != '\n') {
      if (s_[k] == '\\' && k + 1 < s_.size()) {
        const char e = s_[k + 1];
        v += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == '0' ? '\0' : e;
        k += 2;
      } else {
        v += s_[k++];
      }
    }
    if (k >= s_.size() || s_[k] != '"') return Error(t->line, t->col, "unterminated string");
    t->type = Tok::kString;
    t->text = std::move(v);
    Advance(k + 1 - i_);
    return Status::Ok();
  }

  Status Number(Token* t) {
    size_t e = i_;
    if (s_.compare(i_, 2, "0x") == 0 || s_.compare(i_, 2, "0X") == 0) {
      e += 2;
      while (e < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[e]))) ++e;
      t->type = Tok::kInt;
      t->text = s_.substr(i_, e - i_);
      if (e - i_ == 2 || e - i_ > 18) return Error(t->line, t->col, "bad hex number " + t->text);
      t->num = static_cast<int64_t>(std::stoull(t->text.substr(2), nullptr, 16));
      Advance(e - i_);
      return Status::Ok();
    }
    while (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) ++e;
    bool is_float = false;
    if (e + 1 < s_.size() && s_[e] == '.' && std::isdigit(static_cast<unsigned char>(s_[e + 1]))) {
      is_float = true;
      ++e;
      while (e < s_.size() && std::isdigit(static_cast<unsigned char>(s_[e]))) ++e;
    }
    if (e < s_.size() && IsWordChar(s_[e]) && !is_float) {  // a hex run: an FO cookie
      while (e < s_.size() && IsWordChar(s_[e])) ++e;
      t->type = Tok::kWord;
    } else {
      t->type = is_float ? Tok::kFloat : Tok::kInt;
    }
    t->text = s_.substr(i_, e - i_);
    if (t->type == Tok::kInt) {
      if (t->text.size() > 18) return Error(t->line, t->col, "number too large: " + t->text);
      t->num = std::stoll(t->text);
    }
    Advance(e - i_);
    return Status::Ok();
  }

  const std::string& s_;
  const std::string& file_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
  bool line_start_ = true;
  bool after_md5_ = false;  // the previous token was the word `md5`
};

std::string Describe(const Token& t) {
  switch (t.type) {
    case Tok::kEnd: return "end of file";
    case Tok::kString: return fmt::format("string \"{}\"", t.text);
    case Tok::kBackquote: return "`shell` line";
    case Tok::kCode: return "%{ }% block";
    case Tok::kOption: return fmt::format("option --{}", t.text);
    default: return fmt::format("'{}'", t.text);
  }
}

// "0.100" / "2" / ".5" seconds in microseconds; false when not a time.
bool SecondsToUsecs(const std::string& text, int64_t* out) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.size() > 9 || frac.size() > 9) return false;
  frac.resize(6, '0');
  *out = (whole.empty() ? 0 : std::stoll(whole)) * 1000000 + std::stoll(frac.substr(0, 6));
  return true;
}

// ------------------------------------------------------------------ parser --

class Parser {
 public:
  Parser(std::vector<Token> toks, const std::string& text, const std::string& file)
      : t_(std::move(toks)), text_(text), file_(file) {}

  StatusOr<Script> Run() {
    Script s;
    s.file = file_;
    while (Peek().type == Tok::kOption) {
      Status st = Option(&s);
      if (!st.ok()) return st;
    }
    while (Peek().type != Tok::kEnd) {
      if (Peek().type == Tok::kOption) {
        return Error(Peek(), "header options (--" + Peek().text.substr(0, Peek().text.find('=')) +
                                 ") must come before the first event");
      }
      Event e;
      if (Peek().type == Tok::kBackquote) {
        Status st = UntimedShell(s, &e);
        if (!st.ok()) return st;
        s.events.push_back(std::move(e));
        continue;
      }
      Status st = ParseEvent(&e);
      if (!st.ok()) return st;
      s.events.push_back(std::move(e));
    }
    return s;
  }

 private:
  const Token& Peek(size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  const Token& Next() {
    const Token& t = t_[p_];
    if (p_ + 1 < t_.size()) ++p_;
    return t;
  }
  bool IsPunct(const char* c, size_t k = 0) const {
    return Peek(k).type == Tok::kPunct && Peek(k).text == c;
  }
  bool IsWord(const char* w) const { return Peek().type == Tok::kWord && Peek().text == w; }
  SourceLoc Loc(const Token& t) const { return SourceLoc{file_, t.line, t.col}; }
  Status Error(const Token& t, const std::string& msg) const {
    return Status::Invalid(fmt::format("{}:{}:{}: {}", file_, t.line, t.col, msg));
  }
  Status Expected(const std::string& what) const {
    return Error(Peek(), fmt::format("expected {}, found {}", what, Describe(Peek())));
  }
  Status Expect(const char* punct, const std::string& where) {
    if (!IsPunct(punct)) return Expected(fmt::format("'{}' {}", punct, where));
    Next();
    return Status::Ok();
  }
  Status Int(int64_t* out, const std::string& what) {
    bool neg = false;
    if (IsPunct("-") && Peek(1).type == Tok::kInt) {
      Next();
      neg = true;
    }
    if (Peek().type != Tok::kInt) return Expected(what);
    *out = neg ? -Next().num : Next().num;
    return Status::Ok();
  }

  Status Option(Script* s) {
    const Token& t = Next();
    HeaderOption o;
    o.loc = Loc(t);
    const size_t eq = t.text.find('=');
    o.name = t.text.substr(0, eq);
    if (eq != std::string::npos) o.value = t.text.substr(eq + 1);
    if (o.name == "define" || o.name.empty()) {
      return Error(t, fmt::format("unsupported header option --{}", o.name));
    }
    if (!KnownHeaderOption(o.name)) {
      return Error(t, fmt::format("unknown header option --{}", o.name));
    }
    s->options.push_back(std::move(o));
    return Status::Ok();
  }

  // packetdrill's grammar: `script: options [init_command] events
  // [cleanup_command]`, both commands a `shell` line without a time.
  Status UntimedShell(const Script& s, Event* e) {
    const Token& t = Peek();
    const bool first = s.events.empty();
    const bool last = Peek(1).type == Tok::kEnd;
    if (!first && !last) {
      return Error(t,
                   "a `shell` line without a time may only be the script's first event (its "
                   "init command) or its last (its cleanup command); give it a time (+0 `...`)");
    }
    e->loc = Loc(t);
    e->time.kind = Time::Kind::kRelative;
    e->body = Shell{Next().text, first ? Shell::Role::kInit : Shell::Role::kCleanup};
    return Status::Ok();
  }

  Status TimeValue(int64_t* usecs) {
    const Token& t = Peek();
    if ((t.type != Tok::kInt && t.type != Tok::kFloat) || !SecondsToUsecs(t.text, usecs)) {
      return Expected("a time in seconds");
    }
    Next();
    return Status::Ok();
  }

  Status ParseTime(Time* tm) {
    if (IsPunct("*")) {
      Next();
      tm->kind = Time::Kind::kAny;
      return Status::Ok();
    }
    const bool rel = IsPunct("+");
    if (rel) Next();
    if (!rel && Peek().type != Tok::kInt && Peek().type != Tok::kFloat) {
      return Expected("an event time (0.1, +0.1, *, 0.1~0.2)");
    }
    tm->kind = rel ? Time::Kind::kRelative : Time::Kind::kAbsolute;
    Status st = TimeValue(&tm->usecs);
    if (!st.ok()) return st;
    if (IsPunct("~")) {
      Next();
      if (rel) {
        st = Expect("+", "(a relative range is +A~+B)");
        if (!st.ok()) return st;
      }
      int64_t end = 0;
      st = TimeValue(&end);
      if (!st.ok()) return st;
      if (end < tm->usecs) return Error(Peek(), "time range is backwards");
      tm->range_end_usecs = end;
    }
    if (Peek().type == Tok::kEllipsis) {
      Next();
      if (IsPunct("+")) Next();
      int64_t end = 0;
      st = TimeValue(&end);
      if (!st.ok()) return st;
      tm->blocking_end_usecs = end;
    }
    return Status::Ok();
  }

  Status ParseEvent(Event* e) {
    const Token& start = Peek();
    e->loc = Loc(start);
    Status st = ParseTime(&e->time);
    if (!st.ok()) return st;
    const Token& a = Peek();
    if (IsPunct("<") || IsPunct(">")) {
      Packet p;
      st = ParsePacket(&p);
      if (!st.ok()) return st;
      if (p.inbound && e->time.range_end_usecs) {
        return Error(start, "event time range can only be used with outbound packets");
      }
      if (p.inbound && e->time.kind == Time::Kind::kAny) {
        return Error(start, "event time * can only be used with outbound packets");
      }
      e->body = std::move(p);
    } else if (a.type == Tok::kBackquote) {
      e->body = Shell{Next().text};
    } else if (a.type == Tok::kCode) {
      e->body = Code{Next().text};
    } else if (a.type == Tok::kWord && IsPunct("(", 1)) {
      Syscall c;
      st = ParseSyscall(&c);
      if (!st.ok()) return st;
      e->body = std::move(c);
    } else {
      return Expected("a packet (< or >), a system call, a `shell` line or a %{ }% block");
    }
    if (!std::holds_alternative<Packet>(e->body) &&
        (e->time.range_end_usecs || e->time.kind == Time::Kind::kAny)) {
      return Error(start, e->time.kind == Time::Kind::kAny
                              ? "event time * can only be used with outbound packets"
                              : "event time range can only be used with outbound packets");
    }
    if (e->time.blocking_end_usecs && !std::holds_alternative<Syscall>(e->body)) {
      return Error(start, "a blocking time (A...B) applies only to a system call");
    }
    return Status::Ok();
  }

  // ---- packets

  Status ParseIpInfo(Packet* p) {
    if (!IsPunct("[") && !IsPunct("(")) return Status::Ok();
    const std::string close = IsPunct("[") ? "]" : ")";
    Next();
    static const char* kEcn[] = {"noecn", "ect0", "ect1", "ce", "ect01"};
    if (Peek().type != Tok::kWord ||
        std::find_if(std::begin(kEcn), std::end(kEcn),
                     [&](const char* n) { return Peek().text == n; }) == std::end(kEcn)) {
      return Error(Peek(), fmt::format("unsupported IP information {} (supported: noecn, ect0, "
                                       "ect1, ce, ect01)",
                                       Describe(Peek())));
    }
    p->ecn = Next().text;
    return Expect(close.c_str(), "after the ECN marker");
  }

  Status ParsePacket(Packet* p) {
    p->inbound = Next().text == "<";
    Status st = ParseIpInfo(p);
    if (!st.ok()) return st;
    if (IsWord("udp")) {
      Next();
      p->proto = Packet::Proto::kUdp;
      st = Expect("(", "before the UDP payload length");
      if (!st.ok()) return st;
      st = Int(&p->len, "the UDP payload length");
      if (!st.ok()) return st;
      return Expect(")", "after the UDP payload length");
    }
    if (IsWord("icmp")) return ParseIcmp(p);
    st = ParseFlags(p);
    if (!st.ok()) return st;
    st = ParseSeq(p);
    if (!st.ok()) return st;
    for (const char* key : {"ack", "win", "urg"}) {
      if (!IsWord(key)) continue;
      Next();
      int64_t v = 0;
      st = Int(&v, fmt::format("a number after '{}'", key));
      if (!st.ok()) return st;
      (key[0] == 'a' ? p->ack : key[0] == 'w' ? p->win : p->urg) = v;
    }
    if (IsPunct("<")) return ParseOptions(p);
    return Status::Ok();
  }

  Status ParseIcmp(Packet* p) {
    Next();
    p->proto = Packet::Proto::kIcmp;
    if (Peek().type != Tok::kWord) return Expected("an ICMP type (unreachable, ...)");
    p->icmp_type = Next().text;
    if (Peek().type == Tok::kWord && Peek().text != "mtu") p->icmp_code = Next().text;
    if (IsWord("mtu")) {
      Next();
      int64_t mtu = 0;
      Status st = Int(&mtu, "a number after 'mtu'");
      if (!st.ok()) return st;
      p->icmp_mtu = mtu;
    }
    if (IsPunct("[")) {  // the quoted segment: kept as written, not checked
      int depth = 0;
      do {
        if (Peek().type == Tok::kEnd) return Expected("']' closing the quoted segment");
        if (IsPunct("[")) ++depth;
        if (IsPunct("]")) --depth;
        Next();
      } while (depth > 0);
    }
    return Status::Ok();
  }

  Status ParseFlags(Packet* p) {
    if (IsPunct("-")) {
      Next();
      return Status::Ok();
    }
    if (IsPunct(".")) {
      Next();
      p->flags = ".";
      return Status::Ok();
    }
    if (Peek().type != Tok::kWord) return Expected("TCP flags (S, S., P., F., R, ., -)");
    const Token& w = Peek();
    for (char c : w.text) {
      if (std::string("SFRPEWU").find(c) == std::string::npos) {
        return Error(
            w, fmt::format("unknown TCP flag '{}' in '{}' (flags: S F R P . E W U)", c, w.text));
      }
    }
    p->flags = Next().text;
    if (IsPunct(".")) {
      Next();
      p->flags += ".";
    }
    return Status::Ok();
  }

  Status ParseSeq(Packet* p) {
    const Token& at = Peek();
    Status st = Int(&p->seq_start, "a sequence range START:END(LENGTH)");
    if (!st.ok()) return st;
    if (!(st = Expect(":", "in START:END(LENGTH)")).ok()) return st;
    if (!(st = Int(&p->seq_end, "the END of START:END(LENGTH)")).ok()) return st;
    if (!(st = Expect("(", "in START:END(LENGTH)")).ok()) return st;
    if (!(st = Int(&p->len, "the LENGTH of START:END(LENGTH)")).ok()) return st;
    if (!(st = Expect(")", "closing START:END(LENGTH)")).ok()) return st;
    if (p->seq_start < 0 || p->seq_start > 0xffffffffLL || p->seq_end < 0 ||
        p->seq_end > 0xffffffffLL || p->len < 0 || p->len > 0xffff) {
      return Error(at, "sequence range out of range");
    }
    if (((p->seq_start + p->len) & 0xffffffffLL) != p->seq_end) {
      return Error(at, fmt::format("inconsistent TCP sequence numbers and payload size: {}:{}({})",
                                   p->seq_start, p->seq_end, p->len));
    }
    return Status::Ok();
  }

  Status ParseOptions(Packet* p) {
    Next();  // <
    if (Peek().type == Tok::kEllipsis) {
      Next();
      p->options_any = true;
      return Expect(">", "after <...");
    }
    p->options.emplace();
    while (true) {
      TcpOption o;
      Status st = ParseOption(&o);
      if (!st.ok()) return st;
      p->options->push_back(std::move(o));
      if (p->options->size() > 40) return Error(Peek(), "TCP option list too long");
      if (IsPunct(",")) {
        Next();
        continue;
      }
      return Expect(">", "or ',' in the TCP options");
    }
  }

  Status ParseOption(TcpOption* o) {
    o->loc = Loc(Peek());
    if (Peek().type != Tok::kWord) return Expected("a TCP option");
    o->name = Next().text;
    Status st;
    if (o->name == "nop" || o->name == "eol" || o->name == "sackOK") return Status::Ok();
    if (o->name == "mss" || o->name == "wscale") {
      return Int(&o->value, fmt::format("a number after '{}'", o->name));
    }
    if (o->name == "sack") {
      while (Peek().type == Tok::kInt) {
        int64_t a = 0, b = 0;
        a = Next().num;
        if (!(st = Expect(":", "in a SACK block L:R")).ok()) return st;
        if (!(st = Int(&b, "the right edge of a SACK block")).ok()) return st;
        o->sack.emplace_back(a, b);
      }
      return Status::Ok();
    }
    if (o->name == "TS") {
      if (!IsWord("val")) return Expected("'val' after TS");
      Next();
      if (!(st = Int(&o->ts_val, "a number after 'val'")).ok()) return st;
      if (!IsWord("ecr")) return Expected("'ecr' in TS val N ecr N");
      Next();
      return Int(&o->ts_ecr, "a number after 'ecr'");
    }
    if (o->name == "FO" || o->name == "FOEXP") {
      if (Peek().type == Tok::kWord || Peek().type == Tok::kInt) o->cookie = Next().text;
      return Status::Ok();
    }
    if (o->name == "md5") {  // `md5 HEX`: the digest, hex bytes (issue 16 part E)
      if (Peek().type != Tok::kWord && Peek().type != Tok::kInt) {
        return Expected("the digest's hex bytes after 'md5'");
      }
      o->cookie = Next().text;
      return Status::Ok();
    }
    return Status::Invalid(
        fmt::format("{}:{}:{}: unsupported TCP option '{}' (supported: nop, "
                    "eol, mss, wscale, sackOK, sack, TS, FO, FOEXP, md5)",
                    file_, o->loc.line, o->loc.column, o->name));
  }

  // ---- system calls

  Status ParseSyscall(Syscall* c) {
    const Token& name = Next();
    c->name = name.text;
    c->name_loc = Loc(name);
    Next();  // (
    Status st;
    if (!IsPunct(")")) {
      while (true) {
        Expr e;
        if (!(st = ParseExpr(&e, 0)).ok()) return st;
        c->args.push_back(std::move(e));
        if (c->args.size() > 16) return Error(Peek(), "too many system call arguments");
        if (IsPunct(",")) {
          Next();
          continue;
        }
        break;
      }
    }
    if (!(st = Expect(")", "closing the arguments of " + c->name)).ok()) return st;
    // The errno name is on the line of the result (`= -1 EAGAIN`), which is
    // not the call's first line when its arguments span several.
    const int result_line = Peek().line;
    if (!(st = Expect("=", "and the result after " + c->name + "(...)")).ok()) return st;
    if (!(st = ParseExpr(&c->result, 0)).ok()) return st;
    if (Peek().type == Tok::kWord && Peek().line == result_line && Peek().text[0] == 'E') {
      c->errno_name = Next().text;
    }
    if (IsPunct("(")) return ParseNote(c);
    return Status::Ok();
  }

  // `(Operation now in progress)`: the raw text up to the matching ')'.
  Status ParseNote(Syscall* c) {
    const Token& open = Next();
    int depth = 1;
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kEnd) return Error(open, "unterminated note '(' after the result");
      if (IsPunct("(")) ++depth;
      if (IsPunct(")") && --depth == 0) {
        c->note = text_.substr(open.end, t.offset - open.end);
        Next();
        return Status::Ok();
      }
      Next();
    }
  }

  Status ParseExpr(Expr* e, int depth) {
    if (depth > kMaxNesting) return Error(Peek(), "expression nested too deeply");
    Status st = ParsePrimary(e, depth);
    if (!st.ok() || !IsPunct("|")) return st;
    Expr first = std::move(*e);
    *e = Expr{};
    e->kind = Expr::Kind::kOr;
    e->loc = first.loc;
    e->elems.push_back(std::move(first));
    while (IsPunct("|")) {
      Next();
      Expr next;
      if (!(st = ParsePrimary(&next, depth)).ok()) return st;
      e->elems.push_back(std::move(next));
    }
    return Status::Ok();
  }

  Status ParseList(Expr* e, const char* close, int depth) {
    Next();
    Status st;
    if (e->kind == Expr::Kind::kStruct && Peek().type == Tok::kEllipsis && IsPunct(",", 1)) {
      return ParseShortIovec(e, depth);
    }
    while (!IsPunct(close)) {
      if (e->kind == Expr::Kind::kStruct) {
        st = ParseField(e, depth);
      } else {
        Expr item;
        st = ParseExpr(&item, depth + 1);
        e->elems.push_back(std::move(item));
      }
      if (!st.ok()) return st;
      if (!IsPunct(",")) break;
      Next();
    }
    return Expect(close, e->kind == Expr::Kind::kStruct ? "closing '{'" : "closing the list");
  }

  // packetdrill's short iovec `{..., LEN}`: {iov_base=..., iov_len=LEN}.
  Status ParseShortIovec(Expr* e, int depth) {
    Expr base;
    base.loc = Loc(Next());
    Next();  // ','
    Expr len;
    Status st = ParseExpr(&len, depth + 1);
    if (!st.ok()) return st;
    e->fields.emplace_back("iov_base", std::move(base));
    e->fields.emplace_back("iov_len", std::move(len));
    e->counts = {-1, -1};
    return Expect("}", "closing '{' (an iovec {..., LEN})");
  }

  Status ParseField(Expr* e, int depth) {
    if (Peek().type != Tok::kWord) return Expected("a field name (name=value)");
    std::string name = Next().text;
    int64_t count = -1;
    Status st;
    if (IsPunct("(")) {
      Next();
      if (Peek().type == Tok::kEllipsis) {
        Next();
      } else if (!(st = Int(&count, "a count in name(N)")).ok()) {
        return st;
      }
      if (!(st = Expect(")", "after the count")).ok()) return st;
    }
    if (!(st = Expect("=", "after the field name '" + name + "'")).ok()) return st;
    Expr v;
    if (!(st = ParseExpr(&v, depth + 1)).ok()) return st;
    e->fields.push_back(ExprField{std::move(name), std::move(v)});
    e->counts.push_back(count);
    return Status::Ok();
  }

  Status ParsePrimary(Expr* e, int depth) {
    const Token& t = Peek();
    e->loc = Loc(t);
    if (t.type == Tok::kEllipsis) {
      Next();
      e->kind = Expr::Kind::kEllipsis;
      return Status::Ok();
    }
    if (t.type == Tok::kInt || (IsPunct("-") && Peek(1).type == Tok::kInt)) {
      e->kind = Expr::Kind::kInt;
      return Int(&e->num, "a number");
    }
    if (t.type == Tok::kString) {
      e->kind = Expr::Kind::kString;
      e->text = Next().text;
      return Status::Ok();
    }
    if (IsPunct("[")) {
      e->kind = Expr::Kind::kList;
      return ParseList(e, "]", depth);
    }
    if (IsPunct("{")) {
      e->kind = Expr::Kind::kStruct;
      return ParseList(e, "}", depth);
    }
    if (t.type == Tok::kWord) {
      e->text = Next().text;
      e->kind = Expr::Kind::kSymbol;
      if (IsPunct("(")) {
        e->kind = Expr::Kind::kCall;
        return ParseList(e, ")", depth);
      }
      return Status::Ok();
    }
    return Expected("an expression (a number, NAME, \"string\", [..], {..} or ...)");
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  const std::string& text_;
  const std::string& file_;
};

}  // namespace

bool KnownHeaderOption(const std::string& name) {
  static const char* kKnown[] = {"ip_version",
                                 "bind_port",
                                 "connect_port",
                                 "remote_ip",
                                 "local_ip",
                                 "gateway_ip",
                                 "netmask_ip",
                                 "mss",
                                 "mtu",
                                 "tolerance_usecs",
                                 "tolerance_percent",
                                 "tcp_ts_ecr_scaled",
                                 "tcp_ts_tick_usecs",
                                 "strict_segments",
                                 "speed",
                                 "init_scripts",
                                 "non_fatal",
                                 "so_flags",
                                 "is_anyip",
                                 "send_omit_free"};
  return std::find_if(std::begin(kKnown), std::end(kKnown),
                      [&](const char* k) { return name == k; }) != std::end(kKnown);
}

// packetdrill's word(): a defined NAME becomes its VALUE's token.
void Substitute(const Defines& defines, Token* t) {
  if (t->type != Tok::kWord) return;
  const std::string* value = nullptr;
  for (const auto& [name, v] : defines) {
    if (name == t->text) value = &v;  // the last definition wins
  }
  if (value == nullptr) return;
  const std::string& v = *value;
  if (v.size() >= 2 && (v[0] == '"' || v[0] == '`') && v.back() == v[0]) {
    t->type = v[0] == '"' ? Tok::kString : Tok::kBackquote;
    t->text = v.substr(1, v.size() - 2);
    return;
  }
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 0);
  if (!v.empty() && errno == 0 && *end == '\0') {
    t->type = Tok::kInt;
    t->num = n;
  }
  t->text = v;
}

StatusOr<Script> ParseScript(const std::string& text, const std::string& file,
                             const Defines& defines) {
  if (text.size() > kMaxScriptBytes) {
    return Status::Invalid(fmt::format("{}: script is {} bytes; at most {} are read", file,
                                       text.size(), kMaxScriptBytes));
  }
  if (text.find('\0') != std::string::npos) {
    return Status::Invalid(fmt::format("{}: script holds a NUL byte (not a text file)", file));
  }
  StatusOr<std::vector<Token>> toks = Lexer(text, file).Run();
  if (!toks.ok()) return toks.status();
  for (Token& t : *toks) Substitute(defines, &t);
  return Parser(std::move(toks).value(), text, file).Run();
}

// ---------------------------------------------------------------- Expr --

const Expr* Expr::Field(const std::string& name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string Expr::ToString() const {
  auto join = [](const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
  };
  std::vector<std::string> parts;
  switch (kind) {
    case Kind::kEllipsis: return "...";
    case Kind::kInt: return std::to_string(num);
    case Kind::kSymbol: return text;
    case Kind::kString: return "\"" + text + "\"";
    case Kind::kOr:
      for (const Expr& e : elems) parts.push_back(e.ToString());
      return join(parts, "|");
    case Kind::kList:
    case Kind::kCall:
      for (const Expr& e : elems) parts.push_back(e.ToString());
      return (kind == Kind::kCall ? text + "(" : "[") + join(parts, ", ") +
             (kind == Kind::kCall ? ")" : "]");
    case Kind::kStruct:
      for (size_t i = 0; i < fields.size(); ++i) {
        parts.push_back(fields[i].first +
                        (counts[i] >= 0 ? "(" + std::to_string(counts[i]) + ")" : "") + "=" +
                        fields[i].second.ToString());
      }
      return "{" + join(parts, ", ") + "}";
  }
  return "";
}

}  // namespace faultline::pkt
