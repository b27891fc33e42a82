// The exported tables (format_keys.h) are the ones the parsers check keys
// against: every key of a table is accepted where it belongs (the load may
// still fail on its value, never as an unknown or misplaced key), a key
// outside it is refused, and every value of a value table loads.
#include "harness/loader/format_keys.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "harness/loader/case_loader.h"

namespace faultline {
namespace {

const std::string kSteps =
    "steps:\n  - server: listen 8080\n  - client: connect server:8080 as c\n";

// The load error of a case ("" when it loads).
std::string Err(const std::string& yaml) {
  StatusOr<Case> c = LoadCaseText(yaml, "a.yaml");
  return c.ok() ? "" : c.status().message();
}

// A case with `steps` (YAML lines of the steps list) after kSteps' two.
std::string WithSteps(const std::string& steps) { return "name: a\n" + kSteps + steps; }

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void ExpectKeyKnown(const std::string& yaml, const std::string& key) {
  std::string e = Err(yaml);
  EXPECT_FALSE(Has(e, "unknown key '" + key + "'")) << yaml << "\n" << e;
  EXPECT_FALSE(Has(e, "'" + key + "' does not apply")) << yaml << "\n" << e;
  EXPECT_FALSE(Has(e, "unknown operation '" + key + "'")) << yaml << "\n" << e;
}

TEST(FormatKeys, TablesAreFilledWithoutRepeats) {
  FormatKeys k = LoaderFormatKeys();
  for (const auto* t : {&k.case_keys,
                        &k.host_keys,
                        &k.step_keys,
                        &k.call_common_keys,
                        &k.expect_keys,
                        &k.so_linger_keys,
                        &k.queue_fields,
                        &k.tcp_info_fields,
                        &k.fault_keys,
                        &k.match_keys,
                        &k.hold_until_keys,
                        &k.packets_keys,
                        &k.packets_no_match_keys,
                        &k.requires_keys,
                        &k.xfail_keys,
                        &k.matrix_keys,
                        &k.counter_keys,
                        &k.packet_keys,
                        &k.icmp_keys,
                        &k.packet_step_keys,
                        &k.wire_step_keys,
                        &k.tcp_classes,
                        &k.socket_options,
                        &k.send_flags,
                        &k.recv_flags,
                        &k.poll_events,
                        &k.revents,
                        &k.tcp_states}) {
    EXPECT_FALSE(t->empty());
    EXPECT_EQ(std::set<std::string>(t->begin(), t->end()).size(), t->size());
  }
  EXPECT_FALSE(k.ops.empty());
  EXPECT_FALSE(k.actions.empty());
  EXPECT_EQ(k.observe_ops.size(), 4u);  // state, queue, tcp_info, counters
}

TEST(FormatKeys, CaseAndHostKeys) {
  FormatKeys k = LoaderFormatKeys();
  for (const std::string& key : k.case_keys) {
    if (key == "name" || key == "steps") continue;
    ExpectKeyKnown(WithSteps("") + key + ": ~\n", key);
  }
  EXPECT_TRUE(Has(Err(WithSteps("") + "zzz: 1\n"), "unknown key 'zzz' in case"));
  for (const std::string& key : k.host_keys) {
    ExpectKeyKnown(WithSteps("") + "hosts:\n  client: {" + key + ": ~}\n  server:\n", key);
  }
  EXPECT_TRUE(
      Has(Err(WithSteps("") + "hosts:\n  client: {zzz: 1}\n  server:\n"), "unknown key 'zzz'"));
}

TEST(FormatKeys, StepKeysOperationsAndParams) {
  FormatKeys k = LoaderFormatKeys();
  for (const std::string& key : k.step_keys) {
    std::string e = Err(WithSteps("  - {client: close c, " + key + ": ~}\n"));
    EXPECT_FALSE(Has(e, "not a declared host")) << key << ": " << e;
  }
  for (const NamedKeys& op : k.ops) {
    for (const std::string& p : op.keys) {
      // connect's nonblock belongs to its ENDPOINT form.
      std::string arg = op.name == "connect" && p == "nonblock" ? "\"server:1\"" : "c";
      ExpectKeyKnown(WithSteps("  - client: {" + op.name + ": " + arg + ", " + p + ": ~}\n"), p);
    }
    // Common keys are known to every operation (`as` is then refused where
    // nothing is created, by a check of its own).
    for (const std::string& p : k.call_common_keys) {
      std::string e = Err(WithSteps("  - client: {" + op.name + ": c, " + p + ": ~}\n"));
      EXPECT_FALSE(Has(e, "unknown key '" + p + "'")) << op.name << " " << p << ": " << e;
    }
    EXPECT_TRUE(Has(Err(WithSteps("  - client: {" + op.name + ": c, zzz: 1}\n")),
                    "unknown key 'zzz' for '" + op.name + "'"))
        << op.name;
  }
  EXPECT_TRUE(Has(Err(WithSteps("  - client: {zzz: c}\n")), "unknown operation 'zzz'"));
  for (const std::string& key : k.expect_keys) {
    ExpectKeyKnown(WithSteps("  - client: {close: c, expect: {" + key + ": ~}}\n"), key);
  }
  EXPECT_TRUE(Has(Err(WithSteps("  - client: {close: c, expect: {zzz: 1}}\n")),
                  "unknown key 'zzz' in expect"));
  for (const std::string& key : k.so_linger_keys) {
    ExpectKeyKnown(
        WithSteps("  - client: {setsockopt: c, opt: SO_LINGER, value: {" + key + ": ~}}\n"), key);
  }
  EXPECT_TRUE(Has(Err(WithSteps("  - client: {setsockopt: c, opt: SO_LINGER, value: {zzz: 1}}\n")),
                  "unknown key 'zzz' in SO_LINGER value"));
}

TEST(FormatKeys, ObservationKeysAndFields) {
  FormatKeys k = LoaderFormatKeys();
  for (const NamedKeys& op : k.observe_ops) {
    for (const std::string& key : op.keys) {
      ExpectKeyKnown(WithSteps("  - server: {" + op.name + ": ls, " + key + ": ~}\n"), key);
    }
    EXPECT_TRUE(Has(Err(WithSteps("  - server: {" + op.name + ": ls, zzz: 1}\n")),
                    "unknown key 'zzz' for '" + op.name + "'"));
  }
  for (const std::string& f : k.queue_fields) {
    EXPECT_EQ(Err(WithSteps("  - server: {queue: ls, expect: {" + f + ": 0}}\n")), "") << f;
  }
  for (const std::string& f : k.tcp_info_fields) {
    std::string v = f == "rto" || f == "rtt" ? "1s" : "0";
    EXPECT_EQ(Err(WithSteps("  - client: {tcp_info: c, expect: {" + f + ": " + v + "}}\n")), "")
        << f;
  }
  for (const std::string& s : k.tcp_states) {
    EXPECT_EQ(Err(WithSteps("  - client: {state: c, is: " + s + "}\n")), "") << s;
  }
}

TEST(FormatKeys, FaultAndPacketsKeys) {
  FormatKeys k = LoaderFormatKeys();
  const std::string head = WithSteps("");
  for (const std::string& key : k.fault_keys) {
    std::string e = Err(head + "faults:\n  - {match: {}, do: drop, " + key + ": ~}\n");
    EXPECT_FALSE(Has(e, "unknown key '" + key + "'")) << key << ": " << e;
  }
  EXPECT_TRUE(Has(Err(head + "faults:\n  - {match: {}, do: drop, zzz: 1}\n"), "unknown key 'zzz'"));
  for (const NamedKeys& a : k.actions) {
    for (const std::string& p : a.keys) {
      ExpectKeyKnown(head + "faults:\n  - {match: {}, do: " + a.name + ", " + p + ": ~}\n", p);
    }
  }
  for (const std::string& key : k.match_keys) {
    ExpectKeyKnown(head + "faults:\n  - {match: {" + key + ": ~}, do: drop}\n", key);
  }
  for (const std::string& key : k.hold_until_keys) {
    ExpectKeyKnown(head + "faults:\n  - {match: {}, do: hold, until: {" + key + ": ~}}\n", key);
  }
  for (const std::string& c : k.tcp_classes) {
    EXPECT_EQ(Err(head + "faults:\n  - {match: {tcp: " + c + "}, do: drop}\n"), "") << c;
  }
  for (const std::string& key : k.packets_keys) {
    ExpectKeyKnown(head + "packets:\n  - {" + key + ": ~}\n", key);
  }
  for (const std::string& key : k.packets_no_match_keys) {
    EXPECT_TRUE(Has(Err(head + "packets:\n  - {match: {" + key + ": 1}}\n"),
                    "'" + key + "' does not apply to packets:"))
        << key;
  }
  for (const auto& [table, top] : {std::pair{&k.requires_keys, "requires"},
                                   {&k.xfail_keys, "xfail"},
                                   {&k.matrix_keys, "matrix"}}) {
    for (const std::string& key : *table) {
      ExpectKeyKnown(head + top + ": {" + key + ": ~}\n", key);
    }
    EXPECT_TRUE(Has(Err(head + top + ": {zzz: 1}\n"), "unknown key 'zzz'")) << top;
  }
}

TEST(FormatKeys, ValueTablesLoad) {
  FormatKeys k = LoaderFormatKeys();
  for (const std::string& o : k.socket_options) {
    if (o == "TCP_CONGESTION") continue;  // set only
    EXPECT_EQ(Err(WithSteps("  - client: {getsockopt: c, opt: " + o + "}\n")), "") << o;
  }
  for (const std::string& f : k.send_flags) {
    EXPECT_EQ(Err(WithSteps("  - client: {send: c, data: x, flags: [" + f + "]}\n")), "") << f;
  }
  for (const std::string& f : k.recv_flags) {
    EXPECT_EQ(Err(WithSteps("  - client: {recv: c, flags: [" + f + "]}\n")), "") << f;
  }
  for (const std::string& e : k.poll_events) {
    EXPECT_EQ(Err(WithSteps("  - client: {poll: c, events: [" + e + "], timeout: 1s}\n")), "") << e;
  }
  for (const std::string& r : k.revents) {
    EXPECT_EQ(Err(WithSteps("  - client: {poll: c, events: [in], timeout: 1s, expect: {revents: [" +
                            r + "]}}\n")),
              "")
        << r;
  }
}

}  // namespace
}  // namespace faultline
