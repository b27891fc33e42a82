// The table of operations (step_parser.h): one entry per Op, the same keys
// as the exported tables (format_keys.h), and for every entry: a minimal
// step loads, a misspelled key gets the did-you-mean message, a missing
// required key gets "missing required key".
#include "harness/loader/step_parser.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"
#include "harness/loader/format_keys.h"

namespace faultline {
namespace {

// Steps before the one under test: a listening server (ls), a connected
// client socket (c), a UDP socket (u), a background command (bg) and an
// epoll instance (ep).
const std::string kPrefix =
    "name: a\n"
    "steps:\n"
    "  - server: listen 8080\n"
    "  - client: connect server:8080 as c\n"
    "  - client: {socket: udp, as: u}\n"
    "  - client: {run: [sleep, \"5\"], background: true, as: bg}\n"
    "  - client: {epoll_create: 1, as: ep}\n";
constexpr int kStepUnderTest = 6;

// A minimal valid step of an operation: its host, its argument and its
// keys (every required one, and data for the sends).
struct Example {
  std::string host;
  std::string arg;
  std::vector<std::pair<std::string, std::string>> keys;
};

const std::map<std::string, Example>& Examples() {
  static const std::map<std::string, Example> examples = {
      {"socket", {"client", "tcp", {{"as", "t"}}}},
      {"bind", {"client", "u", {{"addr", "'any:9000'"}}}},
      {"listen", {"client", "9001", {{"as", "l2"}}}},
      {"accept", {"server", "ls", {{"as", "a"}}}},
      {"connect", {"client", "'server:8080'", {{"as", "c2"}}}},
      {"send", {"client", "c", {{"data", "x"}}}},
      {"write", {"client", "c", {{"data", "x"}}}},
      {"recv", {"client", "c", {}}},
      {"read", {"client", "c", {}}},
      {"sendto", {"client", "u", {{"to", "'server:9000'"}, {"data", "x"}}}},
      {"recvfrom", {"client", "u", {}}},
      {"shutdown", {"client", "c", {{"how", "wr"}}}},
      {"close", {"client", "c", {}}},
      {"dup", {"client", "c", {{"as", "d"}}}},
      {"setsockopt", {"client", "c", {{"opt", "TCP_NODELAY"}, {"value", "1"}}}},
      {"getsockopt", {"client", "c", {{"opt", "SO_ERROR"}}}},
      {"nonblock", {"client", "c", {}}},
      {"poll", {"client", "c", {{"events", "[in]"}, {"timeout", "1s"}}}},
      {"sleep", {"client", "10ms", {}}},
      {"sendfile", {"client", "c", {{"size", "10"}}}},
      {"run", {"client", "[\"true\"]", {}}},
      {"stop", {"client", "bg", {}}},
      {"sendmsg", {"client", "c", {{"data", "x"}}}},
      {"recvmsg", {"client", "c", {}}},
      {"writev", {"client", "c", {{"iov", "[1, 2]"}}}},
      {"readv", {"client", "c", {{"iov", "[1, 2]"}}}},
      {"fcntl", {"client", "c", {{"cmd", "getfl"}}}},
      {"ioctl", {"client", "c", {{"request", "SIOCINQ"}}}},
      {"epoll_create", {"client", "0", {{"as", "ep2"}}}},
      {"epoll_ctl", {"client", "ep", {{"op", "add"}, {"target", "c"}, {"events", "[in]"}}}},
      {"epoll_wait", {"client", "ep", {{"timeout", "1s"}}}},
      {"getsockname", {"client", "c", {}}},
      {"getpeername", {"client", "c", {}}},
  };
  return examples;
}

// The case with `op`'s example as its last step, `keys` in its map.
std::string CaseWith(const std::string& op, const Example& ex,
                     const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string map = "{" + op + ": " + ex.arg;
  for (const auto& [k, v] : keys) map += ", " + k + ": " + v;
  return kPrefix + "  - " + ex.host + ": " + map + "}\n";
}

// The load error of a case ("" when it loads).
std::string Err(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "a.yaml");
  return c.ok() ? "" : c.status().message();
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StepOps, EveryOperationHasExactlyOneEntry) {
  std::map<Op, int> seen;
  std::set<std::string> names;
  for (const OpSpec& o : StepOps()) {
    ++seen[o.op];
    EXPECT_EQ(std::string(o.name), OpName(o.op));
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
    EXPECT_NE(o.parse, nullptr) << o.name;
    std::set<std::string> keys;
    for (const OpKey& k : o.keys)
      EXPECT_TRUE(keys.insert(k.name).second) << o.name << " " << k.name;
  }
  // packetdrill's open, pipe and splice are .pkt scripts' only (no YAML key).
  const std::set<Op> pkt_only = {Op::kOpen, Op::kPipe, Op::kSplice};
  for (int i = static_cast<int>(Op::kSocket); i < static_cast<int>(Op::kWaitCommand); ++i) {
    const Op op = static_cast<Op>(i);
    EXPECT_EQ(seen[op], pkt_only.count(op) ? 0 : 1) << OpName(op);
  }
  EXPECT_EQ(seen.count(Op::kWaitCommand), 0u) << "the runner's own join is never parsed";
}

TEST(StepOps, NoEntryRepeatsACommonKey) {
  for (const OpSpec& o : StepOps()) {
    for (const OpKey& k : o.keys) {
      for (const std::string& c : CallCommonKeys()) EXPECT_NE(k.name, c) << o.name;
    }
  }
}

TEST(StepOps, FormatKeysAreTheTable) {
  FormatKeys fk = LoaderFormatKeys();
  EXPECT_EQ(fk.call_common_keys, CallCommonKeys());
  ASSERT_EQ(fk.ops.size(), StepOps().size());
  for (size_t i = 0; i < StepOps().size(); ++i) {
    const OpSpec& o = StepOps()[i];
    EXPECT_EQ(fk.ops[i].name, o.name);
    std::vector<std::string> keys;
    for (const OpKey& k : o.keys) keys.push_back(k.name);
    EXPECT_EQ(fk.ops[i].keys, keys) << o.name;
  }
}

TEST(StepOps, EveryEntryHasAMinimalStepThatLoads) {
  for (const OpSpec& o : StepOps()) {
    auto ex = Examples().find(o.name);
    ASSERT_NE(ex, Examples().end()) << "no example for '" << o.name << "' in this test";
    std::string yaml = CaseWith(o.name, ex->second, ex->second.keys);
    EXPECT_EQ(Err(yaml), "") << yaml;
  }
  EXPECT_EQ(Examples().size(), StepOps().size());
}

TEST(StepOps, UnknownKeyOnEachOperationGetsDidYouMean) {
  for (const OpSpec& o : StepOps()) {
    const Example& ex = Examples().at(o.name);
    std::vector<std::string> tried;
    for (const OpKey& k : o.keys) tried.push_back(k.name);
    tried.push_back("async");  // a common key, for the operations without keys of their own
    for (const std::string& key : tried) {
      std::string wrong = key + "x";
      auto keys = ex.keys;
      keys.emplace_back(wrong, "1");
      std::string e = Err(CaseWith(o.name, ex, keys));
      std::string want = "step " + std::to_string(kStepUnderTest) + ": unknown key '" + wrong +
                         "' for '" + o.name + "' (did you mean '" + key + "'?)";
      EXPECT_TRUE(Has(e, want)) << o.name << ": " << e << "\nwanted: " << want;
    }
  }
}

TEST(StepOps, MissingRequiredKeyIsNamed) {
  int required = 0;
  for (const OpSpec& o : StepOps()) {
    const Example& ex = Examples().at(o.name);
    for (const OpKey& k : o.keys) {
      if (!k.required) continue;
      ++required;
      auto keys = ex.keys;
      std::erase_if(keys, [&](const auto& kv) { return kv.first == k.name; });
      ASSERT_EQ(keys.size() + 1, ex.keys.size())
          << "the example of '" << o.name << "' lacks " << k.name;
      std::string e = Err(CaseWith(o.name, ex, keys));
      std::string want = std::string("missing required key '") + k.name + "' for '" + o.name + "'";
      EXPECT_TRUE(Has(e, want)) << o.name << ": " << e;
    }
  }
  EXPECT_GT(required, 0);
}

TEST(StepOps, AKeyOfAnotherOperationDoesNotApply) {
  // `backlog` is listen's only.
  std::string e = Err(CaseWith("close", Examples().at("close"), {{"backlog", "5"}}));
  EXPECT_TRUE(Has(e, "'backlog' does not apply to 'close'")) << e;
}

TEST(StepOps, Issue16CallsFillTheModel) {
  StatusOr<Case> c =
      LoadCaseText(kPrefix +
                       "  - client: {epoll_ctl: ep, op: add, target: c, events: "
                       "[in, et]}\n"
                       "  - client: {epoll_wait: ep, max: 4, timeout: 100ms, expect: "
                       "{ret: 1, epoll: [{fd: c, events: [in, rdhup]}]}}\n"
                       "  - client: {writev: c, iov: [2, 0, 3]}\n"
                       "  - client: {fcntl: c, cmd: setfl, flags: [nonblock]}\n"
                       "  - client: {setsockopt: c, opt: SO_SNDTIMEO, value: 1500ms}\n",
                   "a.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& ctl = std::get<CallStep>(c->steps[5].body).call;
  EXPECT_EQ(ctl.epoll_op, "add");
  EXPECT_EQ(ctl.epoll_target, "c");
  EXPECT_EQ(ctl.events, (std::vector<std::string>{"in", "et"}));
  const CallStep& wait = std::get<CallStep>(c->steps[6].body);
  EXPECT_EQ(wait.call.epoll_max, 4);
  EXPECT_TRUE(wait.expect.has_epoll);
  ASSERT_EQ(wait.expect.epoll.size(), 1u);
  EXPECT_EQ(wait.expect.epoll[0].first, "c");
  EXPECT_EQ(wait.expect.epoll[0].second, (std::vector<std::string>{"in", "rdhup"}));
  const auto& wv = std::get<CallStep>(c->steps[7].body).call;
  EXPECT_EQ(wv.iov, (std::vector<int64_t>{2, 0, 3}));
  EXPECT_EQ(wv.size, 5);
  EXPECT_EQ(std::get<CallStep>(c->steps[8].body).call.fcntl_flags,
            std::vector<std::string>{"nonblock"});
  EXPECT_EQ(std::get<CallStep>(c->steps[9].body).call.opt_value, 1'500'000);
}

}  // namespace
}  // namespace faultline
