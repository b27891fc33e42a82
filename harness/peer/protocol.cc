#include "harness/peer/protocol.h"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/common/clock.h"

namespace faultline::peer {
namespace {

using json = nlohmann::json;

// nlohmann's CBOR reader recurses once per nesting level, so a hostile
// message of nested arrays could exhaust the stack. This walks the item
// structure iteratively first and rejects nesting deeper than kMaxDepth (our
// messages are one flat map), tags, reserved encodings and truncation.
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

StatusOr<json> ParseObject(const uint8_t* p, size_t n) {
  FL_RETURN_IF_ERROR(CheckCborShape(p, n));
  json j = json::from_cbor(p, p + n, /*strict=*/true, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("malformed message: not valid CBOR");
  if (!j.is_object()) return Status::Invalid("malformed message: not a map");
  return j;
}

// Reads typed fields out of a decoded map, remembering the first error.
class Fields {
 public:
  explicit Fields(const json& j) : j_(j) {}

  template <typename T>
  void Int(const char* key, T* out, bool required = false) {
    const json* v = Find(key, required);
    if (!v) return;
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      if (!std::in_range<T>(u)) return Bad(key, "out of range");
      *out = static_cast<T>(u);
    } else if (v->is_number_integer()) {
      const int64_t s = v->get<int64_t>();
      if (!std::in_range<T>(s)) return Bad(key, "out of range");
      *out = static_cast<T>(s);
    } else {
      Bad(key, "not an integer");
    }
  }
  void Bool(const char* key, bool* out) {
    const json* v = Find(key, false);
    if (!v) return;
    if (!v->is_boolean()) return Bad(key, "not a boolean");
    *out = v->get<bool>();
  }
  void Str(const char* key, std::string* out) {
    const json* v = Find(key, false);
    if (!v) return;
    if (!v->is_string()) return Bad(key, "not a string");
    *out = v->get<std::string>();
  }
  void Bytes(const char* key, std::vector<uint8_t>* out) {
    const json* v = Find(key, false);
    if (!v) return;
    if (!v->is_binary()) return Bad(key, "not a byte string");
    const auto& b = v->get_binary();
    out->assign(b.begin(), b.end());
  }
  void StrList(const char* key, std::vector<std::string>* out) {
    const json* v = Find(key, false);
    if (!v) return;
    if (!v->is_array()) return Bad(key, "not a list");
    out->clear();
    for (const json& e : *v) {
      if (!e.is_string()) return Bad(key, "not a list of strings");
      out->push_back(e.get<std::string>());
    }
  }
  template <typename T>
  void IntList(const char* key, std::vector<T>* out) {
    const json* v = Find(key, false);
    if (!v) return;
    if (!v->is_array()) return Bad(key, "not a list");
    out->clear();
    for (const json& e : *v) {
      T x{};
      if (e.is_number_unsigned() && std::in_range<T>(e.get<uint64_t>())) {
        x = static_cast<T>(e.get<uint64_t>());
      } else if (e.is_number_integer() && std::in_range<T>(e.get<int64_t>())) {
        x = static_cast<T>(e.get<int64_t>());
      } else {
        return Bad(key, "not a list of integers in range");
      }
      out->push_back(x);
    }
  }
  const Status& status() const { return status_; }

 private:
  const json* Find(const char* key, bool required) {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) Bad(key, "missing");
      return nullptr;
    }
    return &*it;
  }
  void Bad(const char* key, const char* what) {
    if (status_.ok())
      status_ = Status::Invalid(fmt::format("malformed message: field '{}' {}", key, what));
  }

  const json& j_;
  Status status_;
};

json::binary_t Binary(const std::vector<uint8_t>& v) { return json::binary_t(v); }

std::vector<uint8_t> ToCbor(const json& j) { return json::to_cbor(j); }

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
  json j = json::object();
  j["id"] = r.id;
  j["op"] = static_cast<int>(r.op);
  j["fd"] = r.fd;
  j["as"] = r.as;
  j["family"] = r.family;
  j["udp"] = r.udp;
  j["nonblock"] = r.nonblock;
  j["addr"] = r.addr;
  j["port"] = r.port;
  j["backlog"] = r.backlog;
  j["data"] = Binary(r.data);
  j["size"] = r.size;
  j["flags"] = r.flags;
  j["until"] = r.until;
  j["how"] = r.how;
  j["level"] = r.level;
  j["optname"] = r.optname;
  j["opt_value"] = r.opt_value;
  j["linger_on"] = r.linger_on;
  j["opt_text"] = r.opt_text;
  j["events"] = r.events;
  j["timeout_ns"] = r.timeout_ns;
  if (!r.argv.empty()) {
    j["argv"] = r.argv;
    j["env"] = r.env;
    j["cwd"] = r.cwd;
    j["has_stdin"] = r.has_stdin;
    j["background"] = r.background;
  }
  if (!r.iov.empty()) j["iov"] = r.iov;
  if (r.fcntl_cmd != 0) j["fcntl_cmd"] = r.fcntl_cmd;
  if (r.ioctl_request != 0) j["ioctl_request"] = r.ioctl_request;
  if (r.epoll_op != 0) j["epoll_op"] = r.epoll_op;
  if (!r.target.empty()) j["target"] = r.target;
  if (r.epoll_events != 0) j["epoll_events"] = r.epoll_events;
  if (r.epoll_max != 1) j["epoll_max"] = r.epoll_max;
  if (r.bad_buffer) j["bad_buffer"] = true;
  if (r.to_unspec) j["to_unspec"] = true;
  if (r.control) j["control"] = true;
  return ToCbor(j);
}

std::vector<uint8_t> Encode(const Reply& r) {
  json j = json::object();
  j["id"] = r.id;
  j["ret"] = r.ret;
  j["err"] = r.err;
  j["bytes"] = r.bytes;
  j["data"] = Binary(r.data);
  j["start_ns"] = r.start_ns;
  j["end_ns"] = r.end_ns;
  j["run_delay_ns"] = r.run_delay_ns;
  j["value"] = r.value;
  j["revents"] = r.revents;
  j["local_addr"] = r.local_addr;
  j["local_port"] = r.local_port;
  j["remote_addr"] = r.remote_addr;
  j["remote_port"] = r.remote_port;
  j["harness_error"] = r.harness_error;
  if (r.msg_flags != 0) j["msg_flags"] = r.msg_flags;
  if (!r.control.empty()) j["control"] = Binary(r.control);
  if (!r.epoll_fds.empty()) {
    j["epoll_fds"] = r.epoll_fds;
    j["epoll_events"] = r.epoll_events;
  }
  if (r.pid != 0) {
    j["pid"] = r.pid;
    j["exited"] = r.exited;
    j["exit_code"] = r.exit_code;
    j["term_signal"] = r.term_signal;
    j["stopped"] = r.stopped;
    j["out"] = Binary(r.out);
    j["err_out"] = Binary(r.err_out);
    j["out_bytes"] = r.out_bytes;
    j["err_bytes"] = r.err_bytes;
  }
  return ToCbor(j);
}

StatusOr<Request> DecodeRequest(const uint8_t* p, size_t n) {
  StatusOr<json> j = ParseObject(p, n);
  if (!j.ok()) return j.status();
  Request r;
  Fields f(*j);
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
  if (!f.status().ok()) return f.status();
  if (op < static_cast<int>(Op::kSocket) || op > static_cast<int>(Op::kWaitCommand)) {
    return Status::Invalid(fmt::format("malformed message: unknown op {}", op));
  }
  r.op = static_cast<Op>(op);
  return r;
}

StatusOr<Reply> DecodeReply(const uint8_t* p, size_t n) {
  StatusOr<json> j = ParseObject(p, n);
  if (!j.ok()) return j.status();
  Reply r;
  Fields f(*j);
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
