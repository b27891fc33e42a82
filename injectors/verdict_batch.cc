#include "injectors/verdict_batch.h"

namespace faultline {

void VerdictBatcher::Received(uint32_t id) { waiting_.insert(id); }

void VerdictBatcher::Add(uint32_t id, bool plain, std::vector<VerdictMsg>* out) {
  const bool known = waiting_.count(id) != 0;
  if (plain && known && (run_.empty() || id > run_.back())) {
    waiting_.erase(id);
    run_.push_back(id);
    return;
  }
  // Everything before this verdict goes first; `id` still counts as waiting
  // while the run ends, so a batch never covers it.
  EndRun(out);
  if (known) {
    waiting_.erase(id);
  } else {
    ++unknown_;
  }
  if (plain && known) {
    run_.push_back(id);  // a decreasing id starts a new run
    return;
  }
  out->push_back(VerdictMsg{plain ? VerdictMsg::Kind::kAccept : VerdictMsg::Kind::kOwn, id});
}

void VerdictBatcher::Close(std::vector<VerdictMsg>* out) { EndRun(out); }

void VerdictBatcher::EndRun(std::vector<VerdictMsg>* out) {
  if (run_.empty()) return;
  // The run's ids increase; those below every id still waiting can go as one
  // batch (nothing else the kernel holds is <= the last of them).
  size_t prefix = run_.size();
  if (!waiting_.empty()) {
    const uint32_t first_waiting = *waiting_.begin();
    prefix = 0;
    while (prefix < run_.size() && run_[prefix] < first_waiting) ++prefix;
  }
  size_t i = 0;
  if (prefix >= 2) {
    out->push_back(VerdictMsg{VerdictMsg::Kind::kBatchAccept, run_[prefix - 1]});
    i = prefix;
  }
  for (; i < run_.size(); ++i) out->push_back(VerdictMsg{VerdictMsg::Kind::kAccept, run_[i]});
  run_.clear();
}

}  // namespace faultline
