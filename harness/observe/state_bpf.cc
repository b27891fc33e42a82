#include "harness/observe/state_bpf.h"

#include <bpf/btf.h>

#include <algorithm>

#include <fmt/format.h>

namespace faultline {
namespace {

// Instruction helpers (linux/bpf.h opcodes).
bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn MovReg(uint8_t dst, uint8_t src) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn MovImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn AddImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
}
bpf_insn Load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  return Insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
}
bpf_insn Store(uint8_t size, uint8_t dst, int16_t off, uint8_t src) {
  return Insn(BPF_STX | size | BPF_MEM, dst, src, off, 0);
}
bpf_insn Call(int32_t helper) { return Insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

class Asm {
 public:
  void Add(bpf_insn i) { p_.push_back(i); }
  // if (dst OP imm) goto out
  void JumpOut(uint8_t op, uint8_t dst, int32_t imm) {
    out_.push_back(p_.size());
    Add(Insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm));
  }
  void MapFd(uint8_t dst, int fd) {
    Add(Insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd));
    Add(Insn(0, 0, 0, 0, 0));
  }
  // bpf_probe_read_kernel(dst_reg + dst_off, len, src_reg + src_off)
  void ProbeRead(uint8_t dst_reg, int32_t dst_off, int32_t len, uint8_t src_reg, int32_t src_off) {
    Add(MovReg(BPF_REG_1, dst_reg));
    Add(AddImm(BPF_REG_1, dst_off));
    Add(MovImm(BPF_REG_2, len));
    Add(MovReg(BPF_REG_3, src_reg));
    if (src_off != 0) Add(AddImm(BPF_REG_3, src_off));
    Add(Call(BPF_FUNC_probe_read_kernel));
  }
  std::vector<bpf_insn> Finish() {
    const size_t exit_at = p_.size();
    Add(MovImm(BPF_REG_0, 0));
    Add(Exit());
    for (size_t j : out_) p_[j].off = static_cast<int16_t>(exit_at - j - 1);
    return p_;
  }

 private:
  std::vector<bpf_insn> p_;
  std::vector<size_t> out_;
};

// Follows typedefs and qualifiers.
const btf_type* Resolve(const btf* b, uint32_t id) {
  int r = btf__resolve_type(b, id);
  return r < 0 ? nullptr : btf__type_by_id(b, r);
}

// Finds member `name` of struct/union `t`, looking through anonymous
// members; adds its bit offset to *bits.
bool FindMember(const btf* b, const btf_type* t, const std::string& name, uint32_t* bits,
                const btf_type** type) {
  if (!btf_is_composite(t)) return false;
  const btf_member* m = btf_members(t);
  for (uint16_t i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* n = btf__name_by_offset(b, m->name_off);
    const uint32_t off = btf_member_bit_offset(t, i);
    const btf_type* mt = Resolve(b, m->type);
    if (n != nullptr && name == n) {
      if (btf_member_bitfield_size(t, i) != 0 && (off % 8) != 0) return false;
      *bits += off;
      *type = mt;
      return true;
    }
    if ((n == nullptr || *n == '\0') && mt != nullptr) {
      uint32_t inner = 0;
      if (FindMember(b, mt, name, &inner, type)) {
        *bits += off + inner;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

StatusOr<uint32_t> BtfMemberOffset(const btf* b, const std::string& type, const std::string& path) {
  int id = btf__find_by_name_kind(b, type.c_str(), BTF_KIND_STRUCT);
  if (id < 0) return Status::Unsupported(fmt::format("no struct {} in the kernel's BTF", type));
  const btf_type* t = btf__type_by_id(b, id);
  uint32_t bits = 0;
  size_t pos = 0;
  while (true) {
    size_t dot = path.find('.', pos);
    std::string part = path.substr(pos, dot == std::string::npos ? dot : dot - pos);
    const btf_type* mt = nullptr;
    if (t == nullptr || !FindMember(b, t, part, &bits, &mt)) {
      return Status::Unsupported(
          fmt::format("no member {} (byte-aligned) in struct {} of the kernel's BTF", path, type));
    }
    t = mt;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return bits / 8;
}

StatusOr<uint32_t> BtfEnumValue(const btf* b, const std::string& type, const std::string& name) {
  int id = btf__find_by_name_kind(b, type.c_str(), BTF_KIND_ENUM);
  if (id >= 0) {
    const btf_type* t = btf__type_by_id(b, id);
    const struct btf_enum* e = btf_enum(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++e) {
      const char* n = btf__name_by_offset(b, e->name_off);
      if (n != nullptr && name == n) return static_cast<uint32_t>(e->val);
    }
  }
  return Status::Unsupported(fmt::format("no {} in enum {} of the kernel's BTF", name, type));
}

StatusOr<TraceOffsets> TraceOffsetsFromBtf(const btf* b) {
  TraceOffsets o;
  struct Want {
    const char* type;
    const char* path;
    uint32_t* out;
  };
  const Want wants[] = {
      {"sock", "__sk_common.skc_net.net", &o.skc_net},
      {"net", "ns.inum", &o.net_inum},
      {"sock", "sk_err", &o.sk_err},
      {"sock", "__sk_common.skc_flags", &o.sk_flags},
      {"sock_common", "skc_daddr", &o.daddr},
      {"sock_common", "skc_rcv_saddr", &o.rcv_saddr},
      {"sock_common", "skc_dport", &o.dport},
      {"sock_common", "skc_num", &o.num},
      {"sock_common", "skc_family", &o.family},
      {"sock_common", "skc_v6_daddr", &o.v6_daddr},
      {"sock_common", "skc_v6_rcv_saddr", &o.v6_rcv_saddr},
  };
  for (const Want& w : wants) {
    StatusOr<uint32_t> off = BtfMemberOffset(b, w.type, w.path);
    if (!off.ok()) return off.status();
    *w.out = *off;
  }
  StatusOr<uint32_t> done = BtfEnumValue(b, "sock_flags", "SOCK_DONE");
  if (!done.ok()) return done.status();
  o.sock_done = *done;
  StatusOr<uint32_t> common = BtfMemberOffset(b, "sock", "__sk_common");
  if (!common.ok()) return common.status();
  if (*common != 0) return Status::Unsupported("struct sock: __sk_common is not its first member");
  o.common_len = std::max({o.daddr + 4, o.rcv_saddr + 4, o.dport + 2, o.num + 2, o.family + 2,
                           o.v6_daddr + 16, o.v6_rcv_saddr + 16});
  return o;
}

uint32_t TraceEventSize(const TraceOffsets& o) { return (kEvCommon + o.common_len + 7) / 8 * 8; }

std::vector<bpf_insn> StateProgram(const TraceOffsets& o, int filter_fd, int ringbuf_fd) {
  constexpr uint8_t kCtx = BPF_REG_6, kSk = BPF_REG_7, kEv = BPF_REG_8, kLost = BPF_REG_9,
                    kFp = BPF_REG_10;
  Asm a;
  a.Add(MovReg(kCtx, BPF_REG_1));
  a.Add(Load(BPF_DW, kSk, kCtx, 0));  // sk = ctx[0]
  // net = sk->__sk_common.skc_net.net -> fp-8
  a.ProbeRead(kFp, -8, 8, kSk, static_cast<int32_t>(o.skc_net));
  a.JumpOut(BPF_JNE, BPF_REG_0, 0);
  a.Add(Load(BPF_DW, BPF_REG_4, kFp, -8));
  a.JumpOut(BPF_JEQ, BPF_REG_4, 0);
  // inum = net->ns.inum -> fp-16
  a.ProbeRead(kFp, -16, 4, BPF_REG_4, static_cast<int32_t>(o.net_inum));
  a.JumpOut(BPF_JNE, BPF_REG_0, 0);
  // a lab namespace?
  a.MapFd(BPF_REG_1, filter_fd);
  a.Add(MovReg(BPF_REG_2, kFp));
  a.Add(AddImm(BPF_REG_2, -16));
  a.Add(Call(BPF_FUNC_map_lookup_elem));
  a.JumpOut(BPF_JEQ, BPF_REG_0, 0);
  a.Add(MovReg(kLost, BPF_REG_0));  // the namespace's u64 lost-event counter
  a.MapFd(BPF_REG_1, ringbuf_fd);
  a.Add(MovImm(BPF_REG_2, static_cast<int32_t>(TraceEventSize(o))));
  a.Add(MovImm(BPF_REG_3, 0));
  a.Add(Call(BPF_FUNC_ringbuf_reserve));
  // The ring buffer is full: count the lost event (atomically: other CPUs
  // may count too) and stop.
  a.Add(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 3, 0));
  a.Add(MovImm(BPF_REG_1, 1));
  a.Add(Insn(BPF_STX | BPF_DW | BPF_ATOMIC, kLost, BPF_REG_1, 0, BPF_ADD));
  a.JumpOut(BPF_JA, BPF_REG_0, 0);
  a.Add(MovReg(kEv, BPF_REG_0));
  a.Add(Call(BPF_FUNC_ktime_get_ns));
  a.Add(Store(BPF_DW, kEv, kEvTime, BPF_REG_0));
  a.Add(Store(BPF_DW, kEv, kEvSk, kSk));
  a.Add(Load(BPF_W, BPF_REG_1, kFp, -16));
  a.Add(Store(BPF_W, kEv, kEvInum, BPF_REG_1));
  a.Add(Load(BPF_DW, BPF_REG_1, kCtx, 8));
  a.Add(Store(BPF_W, kEv, kEvOld, BPF_REG_1));
  a.Add(Load(BPF_DW, BPF_REG_1, kCtx, 16));
  a.Add(Store(BPF_W, kEv, kEvNew, BPF_REG_1));
  a.ProbeRead(kEv, kEvErr, 4, kSk, static_cast<int32_t>(o.sk_err));
  a.ProbeRead(kEv, kEvFlags, 8, kSk, static_cast<int32_t>(o.sk_flags));
  a.ProbeRead(kEv, kEvCommon, static_cast<int32_t>(o.common_len), kSk, 0);
  a.Add(MovReg(BPF_REG_1, kEv));
  a.Add(MovImm(BPF_REG_2, 0));
  a.Add(Call(BPF_FUNC_ringbuf_submit));
  return a.Finish();
}

}  // namespace faultline
