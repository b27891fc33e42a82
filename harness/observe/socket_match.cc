#include "harness/observe/socket_match.h"

#include <algorithm>

#include <fmt/format.h>

namespace faultline {
namespace {

constexpr int kListen = 10;  // TCP_LISTEN

bool IsAny(const std::string& a) { return a.empty() || a == "0.0.0.0" || a == "::"; }

}  // namespace

StatusOr<const DiagSocket*> FindSocket(const std::vector<DiagSocket>& dump, const SockTuple& t,
                                       bool reverse, const std::vector<uint16_t>& claimed) {
  std::vector<const DiagSocket*> hits;
  if (t.listener && !reverse) {
    for (const DiagSocket& s : dump) {
      if (s.state == kListen && s.sport == t.lport && (IsAny(t.laddr) || s.src == t.laddr)) {
        hits.push_back(&s);
      }
    }
  } else if (reverse) {
    if (t.lport == 0 || t.rport == 0) {
      return Status::Invalid(
          "the other end's address is not known yet (the call that connects "
          "it has not returned)");
    }
    for (const DiagSocket& s : dump) {
      if (s.state != kListen && s.sport == t.rport && s.dport == t.lport && s.src == t.raddr &&
          (IsAny(t.laddr) || s.dst == t.laddr)) {
        hits.push_back(&s);
      }
    }
  } else {
    if (t.rport == 0) {
      return Status::Invalid("the socket has no known remote address (it is not connected)");
    }
    for (const DiagSocket& s : dump) {
      if (s.state == kListen || s.dport != t.rport || s.dst != t.raddr) continue;
      if (t.lport != 0 && s.sport != t.lport) continue;
      if (t.lport == 0 && std::find(claimed.begin(), claimed.end(), s.sport) != claimed.end()) {
        continue;
      }
      if (!IsAny(t.laddr) && s.src != t.laddr) continue;
      hits.push_back(&s);
    }
  }
  if (hits.empty()) return static_cast<const DiagSocket*>(nullptr);
  if (hits.size() > 1) {
    std::string l;
    for (const DiagSocket* s : hits) l += (l.empty() ? "" : "; ") + s->ToString();
    return Status::Invalid(fmt::format(
        "{} sockets match and the case's addresses cannot tell them apart: {}", hits.size(), l));
  }
  return hits[0];
}

}  // namespace faultline
