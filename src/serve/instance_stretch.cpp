// Fast-forward of an instance through steady decode steps (see FastForward in instance.h).
//
// A step is steady when its batch is decode only, nothing waits (for admission or, decode
// role, with its KV), no prompt is in progress, and no sequence finishes at its end. Between
// two such steps the instance's state changes only by the step index and the KV blocks the
// next step allocates, and nobody outside looks at it: Outstanding() is unchanged, and
// instances with a prefix cache (which routers inspect) never fast-forward. So the steps can
// be planned back to back without events, and undone if a request arrives in the middle.
#include <algorithm>
#include <cassert>

#include "tokenfab/serve/instance.h"

namespace tokenfab {

void Instance::FastForward(SimTime horizon, int max_steps) {
  assert(busy_ && ahead_.empty());
  if (caching_ || !decode_step_running_ || !chunks_.empty() || waiting_count_ > 0 ||
      prefilled_count_ > 0 || !prefilling_.empty()) {
    return;
  }
  stretch_step_ = step_;
  const bool on_demand = config_.kv_admission == KvAdmission::kOnDemand;
  while (static_cast<int>(ahead_.size()) < max_steps && next_finish_ > step_) {
    // The running step ends without a finish; plan the next one as StartIteration would.
    const std::int64_t produced = decoding_ * (Emitted(step_ + 1) - Emitted(step_));
    ++step_;
    const std::int64_t need = on_demand ? DecodeBlocksNeeded() : 0;
    if (need > FreeBlocks()) {
      --step_;  // the step must preempt: leave it to the event loop
      break;
    }
    BatchShape batch = record_.batch;
    batch.decode_context_tokens =
        static_cast<double>(kv_offset_sum_ + decoding_ * (Emitted(step_) + 1));
    const IterationCost cost = cost_->Cost(batch);
    const SimTime end = record_.end + SecondsToSimTime(cost.seconds);
    if (end >= horizon) {
      --step_;
      break;
    }
    if (need > 0) Allocate(need);
    ahead_.push_back(record_);
    ahead_.back().output_tokens = produced;
    record_.start = record_.end;
    record_.end = end;
    record_.batch = batch;
    record_.kv_blocks_used = used_blocks();
    record_.joules = cost.joules;
  }
}

bool Instance::CutStretch(SimTime t, std::vector<IterationRecord>& done) {
  // Steps [0, k) of the stretch ended by t.
  const auto first_open =
      std::upper_bound(ahead_.begin(), ahead_.end(), t,
                       [](SimTime time, const IterationRecord& rec) { return time < rec.end; });
  const auto k = static_cast<std::size_t>(first_open - ahead_.begin());
  done.insert(done.end(), ahead_.begin(), first_open);
  const bool ended_at_t = k > 0 && ahead_[k - 1].end == t;
  if (k == ahead_.size() && !ended_at_t) {
    ahead_.clear();  // the running iteration is in flight at t
    return false;
  }
  // Undo the steps after the one in flight at t (or after the one that ended at t).
  step_ = stretch_step_ + static_cast<std::int64_t>(k);
  if (ended_at_t) {
    record_ = ahead_[k - 1];
    busy_ = false;
    decode_step_running_ = false;
  } else {
    record_ = ahead_[k];
    record_.output_tokens = 0;
  }
  used_blocks_ = record_.kv_blocks_used - cache_.pinned_blocks();
  ahead_.clear();
  return true;
}

void Instance::TakeStretch(std::vector<IterationRecord>& done) {
  done.insert(done.end(), ahead_.begin(), ahead_.end());
  ahead_.clear();
}

}  // namespace tokenfab
