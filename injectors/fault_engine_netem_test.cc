// The FaultEngine's netem models on crafted packets at fixed seeds: exact
// verdict sequences and log lines (the models' statistics are in
// netem_models_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "harness/packet/packet_craft.h"
#include "injectors/fault_engine.h"

namespace faultline {
namespace {

constexpr int64_t kMs = 1'000'000;

IpAddr Addr(const char* s) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::Parse(s, &a));
  return a;
}

class NetemEngineTest : public ::testing::Test {
 protected:
  void Configure(FaultMatch m, FaultAction a, uint64_t seed = 42) {
    ConfigureAll({{std::move(m), std::move(a)}}, seed);
  }
  // Faults 1, 2, ... in this order.
  void ConfigureAll(const std::vector<std::pair<FaultMatch, FaultAction>>& faults,
                    uint64_t seed = 42) {
    EngineConfig c;
    c.hosts.push_back({"client", Addr("198.18.1.2"), Addr("2001:2:0:1::2")});
    c.hosts.push_back({"server", Addr("198.18.2.2"), Addr("2001:2:0:2::2")});
    for (const auto& [m, a] : faults) {
      Fault f;
      f.index = static_cast<int>(c.faults.size()) + 1;
      f.match = m;
      f.action = a;
      c.faults.push_back(f);
    }
    c.seed = seed;
    engine_ = std::make_unique<FaultEngine>(c);
    next_id_ = 1;
    order_.clear();
    fates_.clear();
  }
  // A data segment (one byte; the connection's handshake is not needed).
  uint32_t Feed(int64_t t, bool from_client = true) {
    SegmentSpec u;
    u.src = Addr(from_client ? "198.18.1.2" : "198.18.2.2");
    u.dst = Addr(from_client ? "198.18.2.2" : "198.18.1.2");
    u.sport = from_client ? 40000 : 8080;
    u.dport = from_client ? 8080 : 40000;
    u.seq = 1000 + next_id_;
    u.ack = 5000;
    u.flags = kTcpAck | kTcpPsh;
    u.payload = "x";
    const uint32_t id = next_id_++;
    std::vector<Effect> fx;
    engine_->OnPacket(id, BuildSegment(u), t, &fx);
    Collect(fx);
    return id;
  }
  void Timer(int64_t t) {
    std::vector<Effect> fx;
    engine_->OnTimer(t, &fx);
    Collect(fx);
  }
  void Stop(int64_t t) {
    std::vector<Effect> fx;
    engine_->OnStop(t, &fx);
    Collect(fx);
    EXPECT_EQ(engine_->held(), 0u);
  }
  void Collect(const std::vector<Effect>& fx) {
    for (const Effect& e : fx) {
      if (e.kind == Effect::Kind::kInject) {
        order_.push_back("copy");
        continue;
      }
      EXPECT_EQ(fates_.count(e.id), 0u) << "second verdict for " << e.id;
      fates_[e.id] = e.kind == Effect::Kind::kAccept ? 'A' : 'D';
      order_.push_back(std::to_string(e.id));
    }
  }
  // One letter per packet id: A accepted, D dropped, - none yet.
  std::string Fates() const {
    std::string s;
    for (uint32_t id = 1; id < next_id_; ++id) {
      auto it = fates_.find(id);
      s += it == fates_.end() ? '-' : it->second;
    }
    return s;
  }
  const PacketRecord& Rec(uint32_t seq_no) const { return engine_->log().at(seq_no - 1); }

  std::unique_ptr<FaultEngine> engine_;
  uint32_t next_id_ = 1;
  std::vector<std::string> order_;
  std::map<uint32_t, char> fates_;
};

FaultAction Act(ActionKind k) {
  FaultAction a;
  a.kind = k;
  return a;
}

FaultMatch FromClient() {
  FaultMatch m;
  m.from = "client";
  return m;
}

int Runs(const std::string& s) {
  int runs = s.empty() ? 0 : 1;
  for (size_t i = 1; i < s.size(); ++i) runs += s[i] != s[i - 1];
  return runs;
}

TEST_F(NetemEngineTest, CorrelatedDropProbability) {
  FaultMatch m = FromClient();
  m.probability = 0.5;
  m.correlation = 0.9;
  Configure(m, Act(ActionKind::kDrop));
  for (int i = 0; i < 40; ++i) Feed(i * kMs);
  const std::string correlated = Fates();
  // Five runs where independent draws at the same seed make more than ten.
  EXPECT_EQ(correlated, "DDDDDDDDDDDDDDDDDAAAAAADDDDDDDDDDDDAAAAA");
  // Uncorrelated at the same seed: many more runs.
  m.correlation.reset();
  Configure(m, Act(ActionKind::kDrop));
  for (int i = 0; i < 40; ++i) Feed(i * kMs);
  EXPECT_LT(Runs(correlated) * 2, Runs(Fates()));
  Stop(100 * kMs);
}

TEST_F(NetemEngineTest, JitterDrawsDelaysAndReorders) {
  FaultAction a = Act(ActionKind::kDelay);
  a.delay = std::chrono::milliseconds(50);
  a.jitter = std::chrono::milliseconds(60);
  a.distribution = DelayDistribution::kNormal;
  Configure(FromClient(), a);
  for (int i = 0; i < 6; ++i) Feed(i * kMs);
  std::vector<std::string> actions;
  for (uint32_t i = 1; i <= 6; ++i) actions.push_back(Rec(i).action);
  // Drawn around 50ms (sd 60ms); below 0 it is 0: accepted at once.
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "delay 7.8ms (50ms±60ms normal)", "delay 0.0ms (50ms±60ms normal)",
                         "delay 113.0ms (50ms±60ms normal)", "delay 103.0ms (50ms±60ms normal)",
                         "delay 17.3ms (50ms±60ms normal)", "delay 25.9ms (50ms±60ms normal)"}));
  EXPECT_EQ(Rec(3).fate, PacketFate::kDelay);
  EXPECT_EQ(Fates(), "-A----");
  for (int t = 0; t <= 400; ++t) Timer(t * kMs);
  // Released by their drawn times: 2 (0ms), 1, 5, 6, 4, 3.
  EXPECT_EQ(order_, (std::vector<std::string>{"2", "1", "5", "6", "4", "3"}));
  EXPECT_EQ(Fates(), "AAAAAA");
  Stop(500 * kMs);
}

TEST_F(NetemEngineTest, ReorderWithGapSendsEveryThirdAtOnce) {
  FaultAction a = Act(ActionKind::kDelay);
  a.delay = std::chrono::milliseconds(100);
  a.reorder = DelayReorder{1.0, 0, 3};
  Configure(FromClient(), a);
  for (int i = 0; i < 6; ++i) Feed(i * kMs);
  EXPECT_EQ(Rec(1).action, "delay 100ms");
  EXPECT_EQ(Rec(2).action, "delay 100ms");
  EXPECT_EQ(Rec(3).action, "reorder: sent at once (not delayed)");
  EXPECT_EQ(Rec(3).fate, PacketFate::kReorder);
  EXPECT_EQ(Fates(), "--A--A");
  Timer(200 * kMs);
  EXPECT_EQ(order_, (std::vector<std::string>{"3", "6", "1", "2", "4", "5"}));
  Stop(300 * kMs);
}

TEST_F(NetemEngineTest, GilbertElliottLoss) {
  FaultAction a = Act(ActionKind::kDrop);
  LossModel l;
  l.kind = LossModel::Kind::kGemodel;
  l.p = 0.2;
  l.r = 0.4;
  a.loss = l;
  Configure(FromClient(), a);
  for (int i = 0; i < 40; ++i) Feed(i * kMs);
  EXPECT_EQ(Fates(), "AAAAAAAAAAAAAADADDDDDDDAAAADDAAAAAAADAAA");
  // Every drop was decided in the bad state, every pass in the good one
  // (1-h = 1, 1-k = 0).
  for (uint32_t i = 1; i <= 40; ++i) {
    EXPECT_EQ(Rec(i).action,
              fates_[i] == 'D' ? "drop (loss gemodel: bad)" : "pass (loss gemodel: good)");
    EXPECT_EQ(Rec(i).fault, 1);
  }
  // The server's packets do not match: passed, no draw.
  Feed(50 * kMs, false);
  EXPECT_EQ(Rec(41).action, "pass");
  Stop(100 * kMs);
}

// A packet a loss model passes is free for the next fault, as netem's next
// stage would see it: here a delay takes every passed packet. (Before, the
// loss fault kept it: the passes were accepted at once.)
TEST_F(NetemEngineTest, LossPassLeavesThePacketToTheNextFault) {
  FaultAction loss = Act(ActionKind::kDrop);
  LossModel l;
  l.kind = LossModel::Kind::kGemodel;
  l.p = 0.2;
  l.r = 0.4;
  loss.loss = l;
  FaultAction delay = Act(ActionKind::kDelay);
  delay.delay = std::chrono::milliseconds(10);
  ConfigureAll({{FromClient(), loss}, {FromClient(), delay}});
  for (int i = 0; i < 40; ++i) Feed(i * kMs);
  // The same draws as GilbertElliottLoss (fault 1's stream): its drops
  // happen at once, its passes wait for fault 2's delay.
  EXPECT_EQ(Fates(), "--------------D-DDDDDDD----DD-------D---");
  for (uint32_t i = 1; i <= 40; ++i) {
    if (fates_.count(i) != 0) {
      EXPECT_EQ(Rec(i).action, "drop (loss gemodel: bad)");
      EXPECT_EQ(Rec(i).fault, 1);
    } else {
      EXPECT_EQ(Rec(i).action, "delay 10ms");
      EXPECT_EQ(Rec(i).fault, 2);
    }
  }
  Timer(100 * kMs);
  EXPECT_EQ(Fates(), "AAAAAAAAAAAAAADADDDDDDDAAAADDAAAAAAADAAA");
  Stop(200 * kMs);
}

// Two loss models in a row: a packet the first passes gets the second's draw
// (netem's stages: each loss qdisc sees what the one before let through);
// one that both pass is logged with the second's pass.
TEST_F(NetemEngineTest, TwoLossModelsBothDraw) {
  auto random = [](double p) {
    FaultAction a = Act(ActionKind::kDrop);
    LossModel l;
    l.kind = LossModel::Kind::kRandom;
    l.random = p;
    a.loss = l;
    return a;
  };
  ConfigureAll({{FromClient(), random(0.3)}, {FromClient(), random(0.3)}}, 7);
  for (int i = 0; i < 30; ++i) Feed(i * kMs);
  const std::string both = Fates();
  EXPECT_EQ(both, "ADAAADDAAADDAAADAADDDADADDDADA");
  for (uint32_t i = 1; i <= 30; ++i) {
    if (fates_[i] == 'A') {
      EXPECT_EQ(Rec(i).action, "pass (loss random)");
      EXPECT_EQ(Rec(i).fault, 2);
    }
  }
  // Fault 1 alone at the same seed drops fewer (its own draws are the same).
  ConfigureAll({{FromClient(), random(0.3)}}, 7);
  for (int i = 0; i < 30; ++i) Feed(i * kMs);
  const std::string one = Fates();
  EXPECT_EQ(one, "ADAAAADAAADDAAADAADDDADAAADAAA");
  for (size_t i = 0; i < one.size(); ++i) {
    if (one[i] == 'D') {
      EXPECT_EQ(both[i], 'D') << i;
    }
  }
  Stop(100 * kMs);
}

TEST_F(NetemEngineTest, FourStateLoss) {
  FaultAction a = Act(ActionKind::kDrop);
  LossModel l;
  l.kind = LossModel::Kind::kState;
  l.p13 = 0.1;
  l.p31 = 0.3;
  l.p32 = 0.2;
  l.p23 = 0.5;
  l.p14 = 0.1;
  a.loss = l;
  Configure(FromClient(), a);
  for (int i = 0; i < 30; ++i) Feed(i * kMs);
  EXPECT_EQ(Fates(), "ADAAAAAAAAADAAADDDDDDAAAAADADA");
  std::string states;
  for (uint32_t i = 1; i <= 30; ++i) {
    const std::string& act = Rec(i).action;  // "drop (loss state 3)"
    states += act[act.size() - 2];
    EXPECT_EQ(act.substr(0, 4), fates_[i] == 'D' ? "drop" : "pass");
  }
  // 4 is always followed by 1; 3 and 4 are the losses.
  EXPECT_EQ(states, "141111111114111333333111113232");
  Stop(100 * kMs);
}

TEST_F(NetemEngineTest, SameSeedSameVerdictsOtherSeedOthers) {
  auto run = [&](uint64_t seed) {
    FaultAction a = Act(ActionKind::kDrop);
    LossModel l;
    l.kind = LossModel::Kind::kRandom;
    l.random = 0.3;
    l.correlation = 0.5;
    a.loss = l;
    Configure(FromClient(), a, seed);
    for (int i = 0; i < 200; ++i) Feed(i * kMs);
    Stop(300 * kMs);
    return Fates();
  };
  const std::string a = run(7), b = run(7), c = run(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace faultline
