// The eBPF program behind the socket state history (state_trace.h),
// assembled here from struct bpf_insn -- no BPF compiler at build time --
// and the kernel struct offsets it needs, read from the kernel's BTF at run
// time (never hard-coded). Pure: unit-tested without privileges.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/status.h"

struct btf;

namespace faultline {

// Byte offsets into kernel structs, from BTF.
struct TraceOffsets {
  // Read by the program.
  uint32_t skc_net = 0;     // struct sock: __sk_common.skc_net.net (a struct net *)
  uint32_t net_inum = 0;    // struct net: ns.inum (the namespace's inode)
  uint32_t sk_err = 0;      // struct sock: sk_err (int)
  uint32_t sk_flags = 0;    // struct sock: sk_flags = __sk_common.skc_flags (unsigned long)
  uint32_t sock_done = 0;   // enum sock_flags: SOCK_DONE (the bit: the peer's FIN came)
  uint32_t common_len = 0;  // bytes of struct sock_common copied (covers the fields below)
  // Decoded from the copy.
  uint32_t daddr = 0, rcv_saddr = 0, dport = 0, num = 0, family = 0;
  uint32_t v6_daddr = 0, v6_rcv_saddr = 0;
};

// The byte offset of member `path` ("a.b.c"; anonymous structs and unions
// are looked through) of struct `type` in `btf`. kNotFound-style error
// (kUnsupported) naming the struct and the member when there is none, or
// when it is a bitfield not on a byte boundary.
StatusOr<uint32_t> BtfMemberOffset(const btf* b, const std::string& type, const std::string& path);

// The value of enumerator `name` of enum `type` in `btf`.
StatusOr<uint32_t> BtfEnumValue(const btf* b, const std::string& type, const std::string& name);

// Every offset the tracer needs; the first missing one is the error.
StatusOr<TraceOffsets> TraceOffsetsFromBtf(const btf* b);

// The ring buffer event the program writes.
inline constexpr uint32_t kEvTime = 0;     // u64 bpf_ktime_get_ns
inline constexpr uint32_t kEvSk = 8;       // u64 the struct sock pointer
inline constexpr uint32_t kEvInum = 16;    // u32 netns inode
inline constexpr uint32_t kEvOld = 20;     // u32 old state
inline constexpr uint32_t kEvNew = 24;     // u32 new state
inline constexpr uint32_t kEvErr = 28;     // i32 sk_err
inline constexpr uint32_t kEvFlags = 32;   // u64 sk_flags
inline constexpr uint32_t kEvCommon = 40;  // struct sock_common, common_len bytes
uint32_t TraceEventSize(const TraceOffsets& o);

// The BPF_PROG_TYPE_RAW_TRACEPOINT program for inet_sock_set_state
// (ctx[0] sk, ctx[1] oldstate, ctx[2] newstate): when the socket's netns
// inode is a key of hash map `filter_fd`, reserves an event in ring buffer
// `ringbuf_fd` and fills it. The map's value is the namespace's u64 count
// of events lost because the ring buffer was full (added to atomically).
std::vector<bpf_insn> StateProgram(const TraceOffsets& o, int filter_fd, int ringbuf_fd);

}  // namespace faultline
