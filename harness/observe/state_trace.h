// StateTracer: the process-wide recorder of lab sockets' state transitions
// (one per runner process, shared by every lab of the run, started by the
// first case that needs it). A BPF_PROG_TYPE_RAW_TRACEPOINT program on
// inet_sock_set_state (state_bpf.h) sends every transition of a socket in a
// registered network namespace to a ring buffer; a reader thread files
// them into that namespace's MemoryStateHistory. See docs/design.md,
// "Socket state history".
//
// Threads: any. Lifetime: the process (Global()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "harness/common/status.h"
#include "harness/common/unique_fd.h"
#include "harness/observe/state_bpf.h"
#include "harness/observe/state_history.h"

struct ring_buffer;

namespace faultline {

class StateTracer : public StateHistorySource {
 public:
  static StateTracer& Global();
  ~StateTracer() override;

  // Loads and attaches the program once; later calls return the first
  // result. An error names what is missing ("no BTF at /sys/kernel/btf/vmlinux",
  // "bpf_prog_load: Operation not permitted", ...).
  Status Start() override;

  // Records the transitions of the namespace `netns_fd` refers to from now
  // until the returned history is released (the lab's teardown). Needs Start().
  StatusOr<std::shared_ptr<StateHistory>> Watch(int netns_fd) override;

  // Files every event the kernel has written so far (Watch's histories are
  // complete up to now when it returns).
  void Drain() override;

 private:
  StateTracer() = default;
  Status Load();
  void ReadLoop();
  static int OnEvent(void* ctx, void* data, size_t size);
  void Unwatch(uint32_t inum, const MemoryStateHistory* h);

  std::mutex start_mu_;
  bool started_ = false;
  Status start_status_;
  TraceOffsets offsets_;
  UniqueFd filter_, ringbuf_, prog_, link_, stop_;
  ring_buffer* rb_ = nullptr;
  std::thread reader_;
  std::mutex mu_;  // rb_ consumption and hist_
  std::map<uint32_t, std::weak_ptr<MemoryStateHistory>> hist_;
};

// Decodes one ring buffer event (pure; unit-tested).
bool DecodeStateEvent(const TraceOffsets& o, const uint8_t* data, size_t size, uint32_t* inum,
                      StateTransition* t);

}  // namespace faultline
