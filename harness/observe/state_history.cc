#include "harness/observe/state_history.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "harness/model/observe.h"

namespace faultline {
namespace {

constexpr int kTcpClose = 7;

bool Wild(const std::string& a) { return a.empty() || a == "0.0.0.0" || a == "::"; }

std::string Unmapped(const std::string& a) {
  return a.rfind("::ffff:", 0) == 0 && a.find('.') != std::string::npos ? a.substr(7) : a;
}

bool AddrIs(const std::string& want, const std::string& have) {
  return Wild(want) || Unmapped(want) == Unmapped(have);
}

struct Life {
  std::vector<StateTransition> ts;
  const StateTransition* named = nullptr;  // the latest one with a local port
};

bool LifeMatches(const Life& l, const HistoryKey& k) {
  const StateTransition& t = l.named ? *l.named : l.ts.back();
  if (k.by_port) {
    const bool local = t.lport == k.port;
    const bool remote = t.rport == k.port && t.rport != 0;
    return k.port_side == 1 ? local : k.port_side == 2 ? remote : (local || remote);
  }
  std::string la = t.laddr, ra = t.raddr;
  uint16_t lp = t.lport, rp = t.rport;
  if (k.reverse) {
    std::swap(la, ra);
    std::swap(lp, rp);
  }
  if (k.listener) return lp == k.lport && t.rport == 0;
  if (k.rport != 0 && rp != k.rport) return false;
  if (k.lport != 0 && lp != k.lport && lp != 0) return false;
  if (k.rport == 0 && k.lport == 0) return false;
  return AddrIs(k.raddr, ra) && (lp == 0 || AddrIs(k.laddr, la)) && rp != 0;
}

}  // namespace

std::string StateTransition::ToString() const {
  return fmt::format("{}:{} > {}:{} {} -> {}", laddr, lport, raddr, rport, TcpStateName(old_state),
                     TcpStateName(new_state));
}

void MemoryStateHistory::Add(StateTransition t) {
  std::lock_guard<std::mutex> lock(mu_);
  all_.push_back(std::move(t));
}

std::vector<StateTransition> MemoryStateHistory::Transitions(int64_t until_ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<StateTransition> out;
  for (const StateTransition& t : all_) {
    if (t.at_ns <= until_ns) out.push_back(t);
  }
  return out;
}

std::vector<std::vector<StateTransition>> MatchLives(const std::vector<StateTransition>& all,
                                                     const HistoryKey& key) {
  // Split by socket identity into lives: a socket freed and its memory
  // reused starts again from CLOSE; a transition that does not continue
  // the socket's last state (a lost event, or a reuse whose close was not
  // traced) starts a new life too.
  std::vector<Life> lives;
  std::map<uint64_t, size_t> open;  // sk -> index in lives
  for (const StateTransition& t : all) {
    auto it = open.find(t.sk);
    const StateTransition* last = it == open.end() ? nullptr : &lives[it->second].ts.back();
    if (last == nullptr || (last->new_state == kTcpClose && t.new_state != kTcpClose) ||
        t.old_state != last->new_state) {
      open[t.sk] = lives.size();
      lives.emplace_back();
      it = open.find(t.sk);
    }
    lives[it->second].ts.push_back(t);
  }
  std::vector<std::vector<StateTransition>> out;
  for (Life& l : lives) {
    for (const StateTransition& t : l.ts) {
      if (t.lport != 0) l.named = &t;
    }
    if (LifeMatches(l, key)) out.push_back(l.ts);
  }
  return out;
}

std::vector<StateTransition> MatchHistory(const std::vector<StateTransition>& all,
                                          const HistoryKey& key) {
  std::vector<StateTransition> out;
  for (const std::vector<StateTransition>& l : MatchLives(all, key)) {
    out.insert(out.end(), l.begin(), l.end());
  }
  std::stable_sort(out.begin(), out.end(), [](const StateTransition& a, const StateTransition& b) {
    return a.at_ns < b.at_ns;
  });
  return out;
}

std::vector<int> StatePath(const std::vector<StateTransition>& ts, int64_t since_ns) {
  std::vector<int> path;
  auto add = [&](int st) {
    if (path.empty() || path.back() != st) path.push_back(st);
  };
  bool before = false;
  for (const StateTransition& t : ts) {
    if (t.at_ns < since_ns) {
      before = true;
      path.assign(1, t.new_state);
      continue;
    }
    if (path.empty() && !before && t.old_state != kTcpClose) add(t.old_state);
    add(t.new_state);
  }
  return path;
}

bool InStateDuring(const std::vector<StateTransition>& ts, const std::vector<int>& states,
                   int64_t from_ns, int64_t to_ns) {
  auto in = [&](int s) { return std::find(states.begin(), states.end(), s) != states.end(); };
  std::map<uint64_t, int> at_from;  // per socket: its state at from_ns
  for (const StateTransition& t : ts) {
    if (t.at_ns > to_ns) break;
    if (t.at_ns <= from_ns) {
      at_from[t.sk] = t.new_state;
    } else if (in(t.new_state) || in(t.old_state)) {
      return true;
    }
  }
  for (const auto& [sk, s] : at_from) {
    if (in(s)) return true;
  }
  return false;
}

}  // namespace faultline
