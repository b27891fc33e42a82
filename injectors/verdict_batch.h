// VerdictBatcher: plans which NFQUEUE verdict messages to send, merging runs
// of plain accepts into one NFQNL_MSG_VERDICT_BATCH.
//
// A batch verdict with id N applies to EVERY packet still queued in the
// kernel with an id <= N (the kernel walks its queue, which is in id order,
// and reinjects in that order). So a run of accepts may become one batch only
// if (a) its ids increase (the kernel releases in id order, and release order
// must stay the order the engine chose) and (b) no other packet with a
// smaller id is still waiting for a verdict (a delayed or held packet would
// otherwise be released early: the exactly-one-verdict rule). The batcher
// tracks which received ids still wait for a verdict to decide (b).
//
// Ids: the kernel numbers queued packets 1, 2, 3... per queue; packets the
// socket has not delivered yet always have larger ids than any delivered one,
// so they are never covered by a batch over delivered ids.
//
// Pure code: no socket. Not thread-safe (one thread: the wire thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace faultline {

struct VerdictMsg {
  enum class Kind {
    kAccept,       // NF_ACCEPT for `id`, no replacement bytes
    kBatchAccept,  // NFQNL_MSG_VERDICT_BATCH NF_ACCEPT: every waiting id <= `id`
    kOwn,          // the verdict (and bytes) passed to the Add() call that returned it
  };
  Kind kind = Kind::kAccept;
  uint32_t id = 0;
  bool operator==(const VerdictMsg&) const = default;
};

class VerdictBatcher {
 public:
  // A packet with this id was delivered by the queue and waits for a verdict.
  void Received(uint32_t id);

  // A verdict for `id`. `plain` = NF_ACCEPT without replacement bytes (may be
  // merged into a batch); anything else (drop, mangled accept) is sent as a
  // single message. Messages that must go out now, in order, are appended to
  // `out` (an open run of plain accepts is kept open until a non-plain
  // verdict, a decreasing id, or Close()).
  void Add(uint32_t id, bool plain, std::vector<VerdictMsg>* out);

  // Ends the open run (the caller is about to send): appends its messages.
  void Close(std::vector<VerdictMsg>* out);

  // Ids delivered that still wait for a verdict (not counting an open run).
  size_t waiting() const { return waiting_.size(); }
  // Verdicts given for ids that were not waiting (a bug in the caller, or an
  // id the kernel never delivered). They are still sent, as singles, so the
  // kernel's refusal is counted where verdict errors are.
  uint64_t unknown() const { return unknown_; }

 private:
  void EndRun(std::vector<VerdictMsg>* out);

  std::set<uint32_t> waiting_;
  std::vector<uint32_t> run_;  // plain accepts, increasing ids, already removed from waiting_
  uint64_t unknown_ = 0;
};

}  // namespace faultline
