#include "harness/peer/protocol.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "harness/common/clock.h"

namespace faultline::peer {
namespace {

// The codec is written out here, not built on a generic JSON tree: a step's
// request and reply are encoded and decoded once each per round trip, and
// nlohmann::json's object building and lookups cost ~25-35 us of CPU per
// message on the development VM against ~1 us for this (docs/performance.md,
// "Steps and peers"). The bytes are the same kind of CBOR (one definite map
// of text keys) and any well-formed CBOR map decodes as it did.
//
// First, the shape: a hostile message of nested arrays must not exhaust the
// stack. This walks the item structure iteratively and rejects nesting
// deeper than kMaxDepth (our messages are one flat map), tags, reserved
// encodings and truncation; the decoder below then recurses at most
// kMaxDepth levels.
constexpr size_t kMaxDepth = 4;

Status CheckCborShape(const uint8_t* p, size_t n) {
  struct Level {
    uint64_t left;  // items still expected; ignored when indefinite
    bool indefinite;
  };
  Level stack[kMaxDepth + 1];
  size_t depth = 0;
  stack[0] = {1, false};
  size_t pos = 0;
  auto fail = [&pos](const char* what) {
    return Status::Invalid(fmt::format("malformed message: {} at byte {}", what, pos));
  };
  for (;;) {
    while (depth > 0 && !stack[depth].indefinite && stack[depth].left == 0) --depth;
    if (depth == 0 && stack[0].left == 0) break;
    if (pos >= n) return fail("truncated");
    const uint8_t b = p[pos];
    const int major = b >> 5;
    const int ai = b & 31;
    if (b == 0xff) {
      if (depth == 0 || !stack[depth].indefinite) return fail("unexpected break");
      ++pos;
      --depth;
      continue;
    }
    ++pos;
    uint64_t arg = 0;
    bool indefinite = false;
    if (ai < 24) {
      arg = static_cast<uint64_t>(ai);
    } else if (ai <= 27) {
      const size_t len = size_t{1} << (ai - 24);
      if (n - pos < len) return fail("truncated");
      for (size_t i = 0; i < len; ++i) arg = (arg << 8) | p[pos + i];
      pos += len;
    } else if (ai == 31 && major >= 2 && major <= 5) {
      indefinite = true;
    } else {
      return fail("reserved encoding");
    }
    Level& top = stack[depth];
    if (!top.indefinite) --top.left;
    switch (major) {
      case 0:
      case 1:
      case 7: break;
      case 2:
      case 3:
        if (indefinite) {
          if (depth == kMaxDepth) return fail("nested too deeply");
          stack[++depth] = {0, true};
        } else {
          if (arg > n - pos) return fail("truncated");
          pos += static_cast<size_t>(arg);
        }
        break;
      case 4:
      case 5: {
        if (depth == kMaxDepth) return fail("nested too deeply");
        if (!indefinite) {
          // Every item takes at least one byte: bounds the count before doubling.
          if (arg > n - pos) return fail("truncated");
          if (major == 5) arg *= 2;
        }
        stack[++depth] = {arg, indefinite};
        break;
      }
      default: return fail("tags are not allowed");
    }
  }
  if (pos != n) return fail("trailing bytes");
  return Status::Ok();
}

// One CBOR head: major type, argument, indefinite length.
struct Head {
  int major = 0;
  int ai = 0;  // the head's low 5 bits (for major 7: which simple value or float width)
  uint64_t arg = 0;
  bool indefinite = false;
};

// Reads items of a message that passed CheckCborShape (so lengths are in
// bounds and nesting is shallow); still checks every read.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}

  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  bool AtBreak() const { return pos_ < n_ && p_[pos_] == 0xff; }
  bool SkipBreak() { return AtBreak() ? (++pos_, true) : false; }

  bool ReadHead(Head* h) {
    if (pos_ >= n_) return false;
    const uint8_t b = p_[pos_++];
    h->major = b >> 5;
    const int ai = b & 31;
    h->ai = ai;
    h->indefinite = false;
    h->arg = 0;
    if (ai < 24) {
      h->arg = static_cast<uint64_t>(ai);
    } else if (ai <= 27) {
      const size_t len = size_t{1} << (ai - 24);
      if (n_ - pos_ < len) return false;
      for (size_t i = 0; i < len; ++i) h->arg = (h->arg << 8) | p_[pos_ + i];
      pos_ += len;
    } else if (ai == 31 && h->major >= 2 && h->major <= 5) {
      h->indefinite = true;
    } else {
      return false;
    }
    return true;
  }

  // A byte or text string's contents (definite, or the chunks of an
  // indefinite one, each a definite string of the same major type).
  bool ReadString(const Head& h, std::string* out) {
    out->clear();
    if (!h.indefinite) return Append(h.arg, out);
    for (;;) {
      if (SkipBreak()) return true;
      Head chunk;
      if (!ReadHead(&chunk) || chunk.major != h.major || chunk.indefinite) return false;
      if (!Append(chunk.arg, out)) return false;
    }
  }

  // Skips one item after its head `h`; false if it is not valid CBOR of the
  // kinds a message may hold (undefined and other simple values are not).
  bool SkipAfter(const Head& h) {
    switch (h.major) {
      case 0:
      case 1: return true;
      case 2:
      case 3: {
        std::string ignored;
        return ReadString(h, &ignored);
      }
      case 4:
      case 5: {
        const uint64_t items = h.major == 5 ? 2 * h.arg : h.arg;
        for (uint64_t i = 0; h.indefinite || i < items; ++i) {
          if (h.indefinite && SkipBreak()) return true;
          Head inner;
          if (!ReadHead(&inner) || !SkipAfter(inner)) return false;
        }
        return true;
      }
      case 7:  // false, true, null (simple values 20-22), half/single/double floats
        return (h.ai >= 20 && h.ai <= 22) || (h.ai >= 25 && h.ai <= 27);
      default:  // 6: tags are not part of a message
        return false;
    }
  }

 private:
  bool Append(uint64_t len, std::string* out) {
    if (len > n_ - pos_) return false;
    out->append(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return true;
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

// A decoded message map: its keys and where each value starts.
struct Entry {
  std::string key;
  size_t value;  // offset of the value's head
};

StatusOr<std::vector<Entry>> ParseMap(const uint8_t* p, size_t n) {
  FL_RETURN_IF_ERROR(CheckCborShape(p, n));
  const Status invalid = Status::Invalid("malformed message: not valid CBOR");
  Reader r(p, n);
  Head top;
  if (!r.ReadHead(&top)) return invalid;
  if (top.major != 5) {
    if (!r.SkipAfter(top)) return invalid;
    return Status::Invalid("malformed message: not a map");
  }
  std::vector<Entry> entries;
  entries.reserve(top.indefinite ? 40 : static_cast<size_t>(std::min<uint64_t>(top.arg, 64)));
  for (uint64_t i = 0; top.indefinite || i < top.arg; ++i) {
    if (top.indefinite && r.SkipBreak()) break;
    Head k;
    if (!r.ReadHead(&k) || k.major != 3) return invalid;
    Entry e;
    if (!r.ReadString(k, &e.key)) return invalid;
    e.value = r.pos();
    Head v;
    if (!r.ReadHead(&v) || !r.SkipAfter(v)) return invalid;
    entries.push_back(std::move(e));
  }
  return entries;
}

// Reads typed fields out of a decoded map, remembering the first error.
// Lookups start where the last one matched: the encoder writes the keys in
// the order the decoder asks for them, so each is found at once. A key
// given twice: the first one found from there.
class Fields {
 public:
  Fields(const uint8_t* p, size_t n, const std::vector<Entry>& entries)
      : r_(p, n), entries_(entries) {}

  template <typename T>
  void Int(const char* key, T* out, bool required = false) {
    Head h;
    if (!Find(key, required, &h)) return;
    if (h.major == 0) {
      if (!std::in_range<T>(h.arg)) return Bad(key, "out of range");
      *out = static_cast<T>(h.arg);
    } else if (h.major == 1) {
      if (h.arg > static_cast<uint64_t>(INT64_MAX)) return Bad(key, "out of range");
      const int64_t s = -1 - static_cast<int64_t>(h.arg);
      if (!std::in_range<T>(s)) return Bad(key, "out of range");
      *out = static_cast<T>(s);
    } else {
      Bad(key, "not an integer");
    }
  }
  void Bool(const char* key, bool* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    if (h.major != 7 || (h.arg != 20 && h.arg != 21)) return Bad(key, "not a boolean");
    *out = h.arg == 21;
  }
  void Str(const char* key, std::string* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    if (h.major != 3 || !r_.ReadString(h, out)) return Bad(key, "not a string");
  }
  void Bytes(const char* key, std::vector<uint8_t>* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    std::string s;
    if (h.major != 2 || !r_.ReadString(h, &s)) return Bad(key, "not a byte string");
    out->assign(s.begin(), s.end());
  }
  void BytesList(const char* key, std::vector<std::string>* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    if (h.major != 4) return Bad(key, "not a list");
    out->clear();
    for (uint64_t i = 0; h.indefinite || i < h.arg; ++i) {
      if (h.indefinite && r_.SkipBreak()) break;
      Head e;
      std::string s;
      if (!r_.ReadHead(&e) || e.major != 2 || !r_.ReadString(e, &s)) {
        return Bad(key, "not a list of byte strings");
      }
      out->push_back(std::move(s));
    }
  }
  void StrList(const char* key, std::vector<std::string>* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    if (h.major != 4) return Bad(key, "not a list");
    out->clear();
    for (uint64_t i = 0; h.indefinite || i < h.arg; ++i) {
      if (h.indefinite && r_.SkipBreak()) break;
      Head e;
      std::string s;
      if (!r_.ReadHead(&e) || e.major != 3 || !r_.ReadString(e, &s)) {
        return Bad(key, "not a list of strings");
      }
      out->push_back(std::move(s));
    }
  }
  template <typename T>
  void IntList(const char* key, std::vector<T>* out) {
    Head h;
    if (!Find(key, false, &h)) return;
    if (h.major != 4) return Bad(key, "not a list");
    out->clear();
    for (uint64_t i = 0; h.indefinite || i < h.arg; ++i) {
      if (h.indefinite && r_.SkipBreak()) break;
      Head e;
      if (!r_.ReadHead(&e)) return Bad(key, "not a list of integers in range");
      T x{};
      if (e.major == 0 && std::in_range<T>(e.arg)) {
        x = static_cast<T>(e.arg);
      } else if (e.major == 1 && e.arg <= static_cast<uint64_t>(INT64_MAX) &&
                 std::in_range<T>(-1 - static_cast<int64_t>(e.arg))) {
        x = static_cast<T>(-1 - static_cast<int64_t>(e.arg));
      } else {
        return Bad(key, "not a list of integers in range");
      }
      out->push_back(x);
    }
  }
  const Status& status() const { return status_; }

 private:
  // Positions the reader after the value's head (in *h) and returns true,
  // or false when the key is absent (an error if required) or an earlier
  // field failed.
  bool Find(std::string_view key, bool required, Head* h) {
    if (!status_.ok()) return false;
    const size_t n = entries_.size();
    for (size_t i = 0; i < n; ++i) {
      const size_t at = (next_ + i) % n;
      if (entries_[at].key != key) continue;
      next_ = at + 1;
      r_.Seek(entries_[at].value);
      return r_.ReadHead(h);  // valid: ParseMap read it
    }
    if (required) Bad(key, "missing");
    return false;
  }
  void Bad(std::string_view key, const char* what) {
    if (status_.ok())
      status_ = Status::Invalid(fmt::format("malformed message: field '{}' {}", key, what));
  }

  Reader r_;
  const std::vector<Entry>& entries_;
  size_t next_ = 0;
  Status status_;
};

// Writes one definite CBOR map of text keys, with the heads in their
// shortest form (as nlohmann::json's to_cbor does) except the map's own,
// which is always two bytes (0xb8, count) so it can be filled in last.
class Writer {
 public:
  explicit Writer(size_t payload) {
    out_.reserve(256 + payload);
    out_.push_back(0xb8);
    out_.push_back(0);
  }
  std::vector<uint8_t> Finish() {
    out_[1] = static_cast<uint8_t>(count_);
    return std::move(out_);
  }

  void Int(const char* key, int64_t v) {
    Key(key);
    if (v >= 0) {
      Put(0, static_cast<uint64_t>(v));
    } else {
      Put(1, static_cast<uint64_t>(-1 - v));
    }
  }
  void UInt(const char* key, uint64_t v) {
    Key(key);
    Put(0, v);
  }
  void Bool(const char* key, bool v) {
    Key(key);
    out_.push_back(v ? 0xf5 : 0xf4);
  }
  void Str(const char* key, std::string_view v) {
    Key(key);
    Text(v);
  }
  void Bytes(const char* key, const std::vector<uint8_t>& v) {
    Key(key);
    Put(2, v.size());
    out_.insert(out_.end(), v.begin(), v.end());
  }
  void BytesList(const char* key, const std::vector<std::vector<uint8_t>>& v) {
    Key(key);
    Put(4, v.size());
    for (const std::vector<uint8_t>& b : v) {
      Put(2, b.size());
      out_.insert(out_.end(), b.begin(), b.end());
    }
  }
  void StrList(const char* key, const std::vector<std::string>& v) {
    Key(key);
    Put(4, v.size());
    for (const std::string& s : v) Text(s);
  }
  template <typename T>
  void IntList(const char* key, const std::vector<T>& v) {
    Key(key);
    Put(4, v.size());
    for (T x : v) {
      const int64_t i = static_cast<int64_t>(x);
      if (i >= 0) {
        Put(0, static_cast<uint64_t>(i));
      } else {
        Put(1, static_cast<uint64_t>(-1 - i));
      }
    }
  }

 private:
  void Key(const char* key) {
    ++count_;
    Text(key);
  }
  void Text(std::string_view s) {
    Put(3, s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void Put(int major, uint64_t arg) {
    const uint8_t m = static_cast<uint8_t>(major << 5);
    if (arg < 24) {
      out_.push_back(static_cast<uint8_t>(m | arg));
      return;
    }
    int bytes = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
    out_.push_back(static_cast<uint8_t>(m | (bytes == 1   ? 24
                                             : bytes == 2 ? 25
                                             : bytes == 4 ? 26
                                                          : 27)));
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(arg >> (8 * i)));
  }

  std::vector<uint8_t> out_;
  int count_ = 0;
};

}  // namespace

Reply ErrorReply(uint64_t id, std::string msg) {
  Reply r;
  r.id = id;
  r.ret = -1;
  r.harness_error = std::move(msg);
  r.start_ns = r.end_ns = MonotonicNs();
  return r;
}

std::vector<uint8_t> Encode(const Request& r) {
  size_t payload = r.data.size();
  for (const std::string& s : r.argv) payload += s.size() + 9;
  for (const std::string& s : r.env) payload += s.size() + 9;
  Writer w(payload + r.cwd.size() + r.until.size() + r.ready_text.size() + r.addr.size() +
           r.fd.size() + r.as.size());
  w.UInt("id", r.id);
  w.Int("op", static_cast<int>(r.op));
  w.Str("fd", r.fd);
  w.Str("as", r.as);
  w.Int("family", r.family);
  w.Bool("udp", r.udp);
  w.Bool("nonblock", r.nonblock);
  w.Str("addr", r.addr);
  w.UInt("port", r.port);
  w.Int("backlog", r.backlog);
  w.Bytes("data", r.data);
  w.Int("size", r.size);
  w.Int("flags", r.flags);
  w.Str("until", r.until);
  w.Int("how", r.how);
  w.Int("level", r.level);
  w.Int("optname", r.optname);
  w.Int("opt_value", r.opt_value);
  w.Bool("linger_on", r.linger_on);
  w.Str("opt_text", r.opt_text);
  w.Int("events", r.events);
  w.Int("timeout_ns", r.timeout_ns);
  if (!r.argv.empty()) {
    w.StrList("argv", r.argv);
    w.StrList("env", r.env);
    w.Str("cwd", r.cwd);
    w.Bool("has_stdin", r.has_stdin);
    w.Bool("background", r.background);
  }
  if (r.ready_stream != 0) {
    w.Int("ready_stream", r.ready_stream);
    w.Int("ready_test", r.ready_test);
    w.Str("ready_text", r.ready_text);
  }
  if (!r.iov.empty()) w.IntList("iov", r.iov);
  if (r.fcntl_cmd != 0) w.Int("fcntl_cmd", r.fcntl_cmd);
  if (r.ioctl_request != 0) w.Int("ioctl_request", r.ioctl_request);
  if (r.epoll_op != 0) w.Int("epoll_op", r.epoll_op);
  if (!r.target.empty()) w.Str("target", r.target);
  if (r.epoll_events != 0) w.UInt("epoll_events", r.epoll_events);
  if (r.epoll_max != 1) w.Int("epoll_max", r.epoll_max);
  if (r.bad_buffer) w.Bool("bad_buffer", true);
  if (r.to_unspec) w.Bool("to_unspec", true);
  if (r.control) w.Bool("control", true);
  if (r.argv.empty() && !r.cwd.empty()) w.Str("cwd", r.cwd);
  if (!r.path.empty()) w.Str("path", r.path);
  if (r.open_flags != 0) w.Int("open_flags", r.open_flags);
  if (!r.as2.empty()) w.Str("as2", r.as2);
  if (r.offset != -1) w.Int("offset", r.offset);
  if (r.fd_closed) w.Bool("fd_closed", true);
  if (r.go_on != Request::GoOn::kAny) {
    w.Int("go_on", static_cast<int>(r.go_on));
    w.Int("go_on_ret", r.go_on_ret);
    w.IntList("go_on_errnos", r.go_on_errnos);
  }
  if (!r.batch.empty()) {
    std::vector<std::vector<uint8_t>> members;
    members.reserve(r.batch.size());
    for (const Request& m : r.batch) members.push_back(Encode(m));
    w.BytesList("batch", members);
  }
  return w.Finish();
}

std::vector<uint8_t> Encode(const Reply& r) {
  size_t payload = r.data.size() + r.control.size() + r.out.size() + r.err_out.size() +
                   r.harness_error.size() + r.local_addr.size() + r.remote_addr.size() +
                   r.ready_line.size();
  for (const std::string& s : r.epoll_fds) payload += s.size() + 9;
  Writer w(payload + 5 * r.epoll_events.size());
  w.UInt("id", r.id);
  w.Int("ret", r.ret);
  w.Int("err", r.err);
  w.Int("bytes", r.bytes);
  w.Bytes("data", r.data);
  w.Int("start_ns", r.start_ns);
  w.Int("end_ns", r.end_ns);
  w.Int("run_delay_ns", r.run_delay_ns);
  w.Int("value", r.value);
  w.Int("revents", r.revents);
  w.Str("local_addr", r.local_addr);
  w.UInt("local_port", r.local_port);
  w.Str("remote_addr", r.remote_addr);
  w.UInt("remote_port", r.remote_port);
  w.Str("harness_error", r.harness_error);
  if (r.pid != 0) {
    w.Int("pid", r.pid);
    w.Bool("exited", r.exited);
    w.Int("exit_code", r.exit_code);
    w.Int("term_signal", r.term_signal);
    w.Bool("stopped", r.stopped);
    w.Bytes("out", r.out);
    w.Bytes("err_out", r.err_out);
    w.Int("out_bytes", r.out_bytes);
    w.Int("err_bytes", r.err_bytes);
  }
  if (r.ready) {
    w.Bool("ready", r.ready);
    w.Str("ready_line", r.ready_line);
  }
  if (r.msg_flags != 0) w.Int("msg_flags", r.msg_flags);
  if (!r.control.empty()) w.Bytes("control", r.control);
  if (!r.epoll_fds.empty()) {
    w.StrList("epoll_fds", r.epoll_fds);
    w.IntList("epoll_events", r.epoll_events);
  }
  return w.Finish();
}

namespace {

StatusOr<Request> DecodeRequestIn(const uint8_t* p, size_t n, bool member);

// A batch's members (Request::batch), each decoded as a request that may
// not be a batch itself: no recursion on nested input.
Status DecodeBatch(const std::vector<std::string>& members, Request* r) {
  for (const std::string& m : members) {
    StatusOr<Request> member =
        DecodeRequestIn(reinterpret_cast<const uint8_t*>(m.data()), m.size(), /*member=*/true);
    if (!member.ok()) {
      return Status::Invalid("malformed message: a batch member: " + member.status().message());
    }
    r->batch.push_back(std::move(*member));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Request> DecodeRequest(const uint8_t* p, size_t n) { return DecodeRequestIn(p, n, false); }

namespace {

StatusOr<Request> DecodeRequestIn(const uint8_t* p, size_t n, bool member) {
  StatusOr<std::vector<Entry>> entries = ParseMap(p, n);
  if (!entries.ok()) return entries.status();
  Request r;
  Fields f(p, n, *entries);
  int op = 0;
  f.Int("id", &r.id, /*required=*/true);
  f.Int("op", &op, /*required=*/true);
  f.Str("fd", &r.fd);
  f.Str("as", &r.as);
  f.Int("family", &r.family);
  f.Bool("udp", &r.udp);
  f.Bool("nonblock", &r.nonblock);
  f.Str("addr", &r.addr);
  f.Int("port", &r.port);
  f.Int("backlog", &r.backlog);
  f.Bytes("data", &r.data);
  f.Int("size", &r.size);
  f.Int("flags", &r.flags);
  f.Str("until", &r.until);
  f.Int("how", &r.how);
  f.Int("level", &r.level);
  f.Int("optname", &r.optname);
  f.Int("opt_value", &r.opt_value);
  f.Bool("linger_on", &r.linger_on);
  f.Str("opt_text", &r.opt_text);
  f.Int("events", &r.events);
  f.Int("timeout_ns", &r.timeout_ns);
  f.StrList("argv", &r.argv);
  f.StrList("env", &r.env);
  f.Str("cwd", &r.cwd);
  f.Bool("has_stdin", &r.has_stdin);
  f.Bool("background", &r.background);
  f.Int("ready_stream", &r.ready_stream);
  f.Int("ready_test", &r.ready_test);
  f.Str("ready_text", &r.ready_text);
  f.IntList("iov", &r.iov);
  f.Int("fcntl_cmd", &r.fcntl_cmd);
  f.Int("ioctl_request", &r.ioctl_request);
  f.Int("epoll_op", &r.epoll_op);
  f.Str("target", &r.target);
  f.Int("epoll_events", &r.epoll_events);
  f.Int("epoll_max", &r.epoll_max);
  f.Bool("bad_buffer", &r.bad_buffer);
  f.Bool("to_unspec", &r.to_unspec);
  f.Bool("control", &r.control);
  f.Str("path", &r.path);
  f.Int("open_flags", &r.open_flags);
  f.Str("as2", &r.as2);
  f.Int("offset", &r.offset);
  f.Bool("fd_closed", &r.fd_closed);
  int go_on = 0;
  f.Int("go_on", &go_on);
  f.Int("go_on_ret", &r.go_on_ret);
  f.IntList("go_on_errnos", &r.go_on_errnos);
  std::vector<std::string> members;
  f.BytesList("batch", &members);
  if (!f.status().ok()) return f.status();
  if (op < static_cast<int>(Op::kSocket) || op > static_cast<int>(Op::kWaitCommand)) {
    return Status::Invalid(fmt::format("malformed message: unknown op {}", op));
  }
  r.op = static_cast<Op>(op);
  if (go_on < 0 || go_on > static_cast<int>(Request::GoOn::kError)) {
    return Status::Invalid(fmt::format("malformed message: unknown go_on {}", go_on));
  }
  r.go_on = static_cast<Request::GoOn>(go_on);
  if (member && !members.empty()) {
    return Status::Invalid("malformed message: a batch inside a batch");
  }
  FL_RETURN_IF_ERROR(DecodeBatch(members, &r));
  return r;
}

}  // namespace

bool GoesOn(const Request& member, const Reply& r) {
  if (!r.harness_error.empty()) return false;
  bool ok = true;
  switch (member.go_on) {
    case Request::GoOn::kAny: break;
    case Request::GoOn::kSuccess: ok = r.ret >= 0; break;
    case Request::GoOn::kValue: ok = r.ret == member.go_on_ret; break;
    case Request::GoOn::kError: ok = r.ret < 0; break;
  }
  if (!member.go_on_errnos.empty()) {
    ok = ok && r.ret == -1 &&
         std::find(member.go_on_errnos.begin(), member.go_on_errnos.end(), r.err) !=
             member.go_on_errnos.end();
  }
  return ok;
}

Reply RunBatch(const Request& batch, const std::function<Reply(const Request&)>& run,
               const std::function<void(const Reply&)>& write) {
  for (size_t i = 0;; ++i) {
    const Request& m = batch.batch[i];
    Reply r = run(m);
    if (i + 1 == batch.batch.size() || !GoesOn(m, r)) return r;
    write(r);
  }
}

StatusOr<Reply> DecodeReply(const uint8_t* p, size_t n) {
  StatusOr<std::vector<Entry>> entries = ParseMap(p, n);
  if (!entries.ok()) return entries.status();
  Reply r;
  Fields f(p, n, *entries);
  f.Int("id", &r.id, /*required=*/true);
  f.Int("ret", &r.ret);
  f.Int("err", &r.err);
  f.Int("bytes", &r.bytes);
  f.Bytes("data", &r.data);
  f.Int("start_ns", &r.start_ns);
  f.Int("end_ns", &r.end_ns);
  f.Int("run_delay_ns", &r.run_delay_ns);
  f.Int("value", &r.value);
  f.Int("revents", &r.revents);
  f.Str("local_addr", &r.local_addr);
  f.Int("local_port", &r.local_port);
  f.Str("remote_addr", &r.remote_addr);
  f.Int("remote_port", &r.remote_port);
  f.Str("harness_error", &r.harness_error);
  f.Int("pid", &r.pid);
  f.Bool("exited", &r.exited);
  f.Int("exit_code", &r.exit_code);
  f.Int("term_signal", &r.term_signal);
  f.Bool("stopped", &r.stopped);
  f.Bytes("out", &r.out);
  f.Bytes("err_out", &r.err_out);
  f.Int("out_bytes", &r.out_bytes);
  f.Int("err_bytes", &r.err_bytes);
  f.Bool("ready", &r.ready);
  f.Str("ready_line", &r.ready_line);
  f.Int("msg_flags", &r.msg_flags);
  f.Bytes("control", &r.control);
  f.StrList("epoll_fds", &r.epoll_fds);
  f.IntList("epoll_events", &r.epoll_events);
  if (!f.status().ok()) return f.status();
  if (r.epoll_fds.size() != r.epoll_events.size()) {
    return Status::Invalid("malformed message: field 'epoll_events' does not match 'epoll_fds'");
  }
  return r;
}

}  // namespace faultline::peer
