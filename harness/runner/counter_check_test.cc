// Counters steps and family-neutral counter names against made-up counters.
#include "harness/runner/counter_check.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

ObserveStep Step(std::vector<std::pair<std::string, ValueExpect>> fields, std::string since = "") {
  ObserveStep o;
  o.host = "server";
  o.kind = ObserveKind::kCounters;
  for (auto& [n, x] : fields) o.fields.push_back(FieldExpect{n, x});
  o.since = std::move(since);
  return o;
}

ValueExpect AtLeast(int64_t n) {
  ValueExpect x;
  x.lo = n;
  x.text = ">= " + std::to_string(n);
  return x;
}

ValueExpect Exactly(int64_t n) {
  ValueExpect x;
  x.lo = x.hi = n;
  x.text = std::to_string(n);
  return x;
}

TEST(CounterStep, DeltasFromTheBase) {
  const Counters base = {{"TcpExt.ListenOverflows", 5}, {"TcpExt.TCPTimeouts", 2}};
  Counters now = {{"TcpExt.ListenOverflows", 5}, {"TcpExt.TCPTimeouts", 2}};
  ObserveStep o = Step({{"ListenOverflows", AtLeast(1)}, {"TCPTimeouts", Exactly(0)}}, "fill");
  StatusOr<Probe> p = CounterStepProbe(o, base, now, Family::kIPv4);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_FALSE(p->holds);
  EXPECT_EQ(p->value,
            "ListenOverflows 0 (TcpExt.ListenOverflows), TCPTimeouts 0 (TcpExt.TCPTimeouts)");
  now["TcpExt.ListenOverflows"] = 7;
  p = CounterStepProbe(o, base, now, Family::kIPv4);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->holds);
  EXPECT_EQ(p->value,
            "ListenOverflows 2 (TcpExt.ListenOverflows), TCPTimeouts 0 (TcpExt.TCPTimeouts)");
  now["TcpExt.TCPTimeouts"] = 3;
  p = CounterStepProbe(o, base, now, Family::kIPv4);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->holds);
  EXPECT_EQ(CounterStepExpected(o), "ListenOverflows delta >= 1, TCPTimeouts delta 0 since fill");
}

TEST(CounterStep, FamilyNeutralNamesResolvePerFamily) {
  const Counters base = {{"Udp.NoPorts", 1}, {"Udp6NoPorts", 10}};
  const Counters now = {{"Udp.NoPorts", 1}, {"Udp6NoPorts", 11}};
  ObserveStep o = Step({{"Udp*.NoPorts", Exactly(1)}});
  StatusOr<Probe> v6 = CounterStepProbe(o, base, now, Family::kIPv6);
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->holds);
  EXPECT_EQ(v6->value, "Udp*.NoPorts 1 (Udp6NoPorts)");
  StatusOr<Probe> v4 = CounterStepProbe(o, base, now, Family::kIPv4);
  ASSERT_TRUE(v4.ok());
  EXPECT_FALSE(v4->holds);
  EXPECT_EQ(v4->value, "Udp*.NoPorts 0 (Udp.NoPorts)");
  EXPECT_EQ(ResolveCaseCounter(now, "Udp*.NoPorts", Family::kIPv6).value(), "Udp6NoPorts");
}

TEST(CounterStep, UnknownCounterIsAnError) {
  const Counters now = {{"Udp.NoPorts", 1}};
  ObserveStep o = Step({{"Udp*.NoPorts", Exactly(1)}});
  StatusOr<Probe> p = CounterStepProbe(o, {}, now, Family::kIPv6);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "counters: host 'server': no counter 'Udp6NoPorts' in /proc/net/netstat, snmp or "
            "snmp6 on this kernel (did you mean 'Udp.NoPorts'?)");
  o = Step({{"Tcp*.ActiveOpens", Exactly(1)}});
  p = CounterStepProbe(o, {}, now, Family::kIPv4);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "counters: host 'server': counter 'Tcp*.ActiveOpens' has no name in ipv4");
}

}  // namespace
}  // namespace faultline
