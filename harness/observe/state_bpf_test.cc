#include "harness/observe/state_bpf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <memory>

namespace faultline {
namespace {

struct BtfFree {
  void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfFree>;

// A tiny BTF with the shapes the kernel uses: sock_common with anonymous
// unions/structs, sock with __sk_common first, net with ns.inum.
BtfPtr FakeKernelBtf(bool with_inum) {
  btf* b = btf__new_empty();
  const int u8 = btf__add_int(b, "u8", 1, 0);
  const int u16 = btf__add_int(b, "u16", 2, 0);
  const int u32 = btf__add_int(b, "u32", 4, 0);
  const int u64 = btf__add_int(b, "u64", 8, 0);
  const int v6 = btf__add_array(b, u32, u32, 4);  // 16 bytes
  const int ns = btf__add_struct(b, "ns_common", 16);
  btf__add_field(b, "stashed", u64, 0, 0);
  if (with_inum) btf__add_field(b, "inum", u32, 64, 0);
  const int net = btf__add_struct(b, "net", 32);
  btf__add_field(b, "passive", u64, 0, 0);
  btf__add_field(b, "ns", ns, 128, 0);
  const int net_ptr = btf__add_ptr(b, net);
  const int possible = btf__add_struct(b, "", 8);
  btf__add_field(b, "net", net_ptr, 0, 0);
  const int addrs = btf__add_struct(b, "", 8);  // { skc_daddr, skc_rcv_saddr }
  btf__add_field(b, "skc_daddr", u32, 0, 0);
  btf__add_field(b, "skc_rcv_saddr", u32, 32, 0);
  const int addr_union = btf__add_union(b, "", 8);
  btf__add_field(b, "skc_addrpair", u64, 0, 0);
  btf__add_field(b, "", addrs, 0, 0);
  const int ports = btf__add_struct(b, "", 4);  // { skc_dport, skc_num }
  btf__add_field(b, "skc_dport", u16, 0, 0);
  btf__add_field(b, "skc_num", u16, 16, 0);
  const int port_union = btf__add_union(b, "", 4);
  btf__add_field(b, "skc_portpair", u32, 0, 0);
  btf__add_field(b, "", ports, 0, 0);
  const int common = btf__add_struct(b, "sock_common", 96);
  btf__add_field(b, "", addr_union, 0, 0);
  btf__add_field(b, "", port_union, 96, 0);
  btf__add_field(b, "skc_family", u16, 128, 0);
  btf__add_field(b, "skc_flags", u64, 192, 0);
  btf__add_field(b, "skc_net", possible, 256, 0);
  btf__add_field(b, "skc_v6_daddr", v6, 448, 0);
  btf__add_field(b, "skc_v6_rcv_saddr", v6, 576, 0);
  btf__add_struct(b, "sock", 128);
  btf__add_field(b, "__sk_common", common, 0, 0);
  btf__add_field(b, "sk_shutdown", u8, 800, 0);
  btf__add_field(b, "sk_err", u32, 832, 0);
  btf__add_enum(b, "sock_flags", 4);
  btf__add_enum_value(b, "SOCK_DEAD", 0);
  btf__add_enum_value(b, "SOCK_DONE", 1);
  return BtfPtr(b);
}

TEST(StateBpf, OffsetsThroughAnonymousMembers) {
  BtfPtr b = FakeKernelBtf(true);
  StatusOr<TraceOffsets> o = TraceOffsetsFromBtf(b.get());
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->skc_net, 32u);
  EXPECT_EQ(o->net_inum, 24u);  // ns at 16, inum at 8 in it
  EXPECT_EQ(o->sk_err, 104u);
  EXPECT_EQ(o->sk_flags, 24u);
  EXPECT_EQ(o->sock_done, 1u);
  EXPECT_EQ(o->daddr, 0u);
  EXPECT_EQ(o->rcv_saddr, 4u);
  EXPECT_EQ(o->dport, 12u);
  EXPECT_EQ(o->num, 14u);
  EXPECT_EQ(o->family, 16u);
  EXPECT_EQ(o->v6_daddr, 56u);
  EXPECT_EQ(o->v6_rcv_saddr, 72u);
  EXPECT_EQ(o->common_len, 88u);
  EXPECT_EQ(TraceEventSize(*o), 128u);
}

TEST(StateBpf, MissingMemberFailsCleanly) {
  BtfPtr b = FakeKernelBtf(false);
  StatusOr<TraceOffsets> o = TraceOffsetsFromBtf(b.get());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().message(),
            "no member ns.inum (byte-aligned) in struct net of the kernel's BTF");
  EXPECT_EQ(BtfMemberOffset(b.get(), "tcp_sock", "snd_una").status().message(),
            "no struct tcp_sock in the kernel's BTF");
  EXPECT_EQ(BtfEnumValue(b.get(), "sock_flags", "SOCK_NOPE").status().message(),
            "no SOCK_NOPE in enum sock_flags of the kernel's BTF");
}

// Where the program reads, what it looks up and writes.
TEST(StateBpf, ProgramForOffsets) {
  TraceOffsets o;
  o.skc_net = 48;
  o.net_inum = 200;
  o.sk_err = 300;
  o.sk_flags = 24;
  o.common_len = 88;
  std::vector<bpf_insn> p = StateProgram(o, 7, 9);
  ASSERT_GT(p.size(), 40u);
  // r6 = r1; r7 = *(u64 *)(r6 + 0)
  EXPECT_EQ(p[0].code, BPF_ALU64 | BPF_MOV | BPF_X);
  EXPECT_EQ(p[1].code, BPF_LDX | BPF_DW | BPF_MEM);
  EXPECT_EQ(p[1].dst_reg, BPF_REG_7);
  std::vector<int32_t> adds, sizes, calls, maps;
  int skips = 0, lost_reg = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const bpf_insn& x = p[i];
    if (x.code == (BPF_ALU64 | BPF_ADD | BPF_K) && x.dst_reg == BPF_REG_3) adds.push_back(x.imm);
    if (x.code == (BPF_ALU64 | BPF_MOV | BPF_K) && x.dst_reg == BPF_REG_2) sizes.push_back(x.imm);
    if (x.code == (BPF_JMP | BPF_CALL)) calls.push_back(x.imm);
    if (x.code == (BPF_LD | BPF_DW | BPF_IMM)) {
      EXPECT_EQ(x.src_reg, BPF_PSEUDO_MAP_FD);
      maps.push_back(x.imm);
    }
    // Every jump goes to the final "r0 = 0; exit", but the one that skips
    // counting a lost event when the ring buffer had room.
    if (x.code == (BPF_JMP | BPF_JNE | BPF_K) && i > 0 && p[i - 1].code == (BPF_JMP | BPF_CALL) &&
        p[i - 1].imm == BPF_FUNC_ringbuf_reserve) {
      EXPECT_EQ(x.off, 3);
      EXPECT_EQ(p[i + 2].code, BPF_STX | BPF_DW | BPF_ATOMIC);  // lock *(u64 *)(r9 + 0) += r1
      EXPECT_EQ(p[i + 2].dst_reg, BPF_REG_9);
      EXPECT_EQ(p[i + 2].imm, BPF_ADD);
      EXPECT_EQ(p[i + 3].code, BPF_JMP | BPF_JA | BPF_K);
      skips++;
    } else if (BPF_CLASS(x.code) == BPF_JMP && BPF_OP(x.code) != BPF_CALL &&
               BPF_OP(x.code) != BPF_EXIT) {
      EXPECT_EQ(i + 1 + x.off, p.size() - 2) << "jump at " << i;
    }
    // r9 holds the filter map's value (the lost counter) from the lookup on.
    if (x.code == (BPF_ALU64 | BPF_MOV | BPF_X) && x.dst_reg == BPF_REG_9) {
      EXPECT_EQ(p[i - 2].code, BPF_JMP | BPF_CALL);
      EXPECT_EQ(p[i - 2].imm, BPF_FUNC_map_lookup_elem);
      lost_reg++;
    }
  }
  EXPECT_EQ(adds, (std::vector<int32_t>{48, 200, 300, 24}));
  EXPECT_EQ(sizes, (std::vector<int32_t>{8, 4, 128, 4, 8, 88, 0}));
  EXPECT_EQ(maps, (std::vector<int32_t>{7, 9}));
  EXPECT_EQ(skips, 1);
  EXPECT_EQ(lost_reg, 1);
  EXPECT_EQ(calls,
            (std::vector<int32_t>{
                BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_kernel, BPF_FUNC_map_lookup_elem,
                BPF_FUNC_ringbuf_reserve, BPF_FUNC_ktime_get_ns, BPF_FUNC_probe_read_kernel,
                BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_kernel, BPF_FUNC_ringbuf_submit}));
  EXPECT_EQ(p.back().code, BPF_JMP | BPF_EXIT);
}

}  // namespace
}  // namespace faultline
