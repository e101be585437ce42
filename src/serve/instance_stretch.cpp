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
      prefilled_count_ > 0 || !prefilling_.empty() || record_.wait_start >= 0) {
    return;
  }
  stretch_step_ = step_;
  stretch_start_ = record_.start;
  const bool on_demand = config_.kv_admission == KvAdmission::kOnDemand;
  const DecodeCostCache::Entry* entry = nullptr;
  while (static_cast<int>(ahead_.size()) < max_steps && next_finish_ > step_) {
    // The running step ends without a finish; plan the next one as StartIteration would.
    const std::int64_t produced = decoding_ * (Emitted(step_ + 1) - Emitted(step_));
    ++step_;
    const std::int64_t need = on_demand ? DecodeBlocksNeeded() : 0;
    if (need > FreeBlocks()) {
      --step_;  // the step must preempt: leave it to the event loop
      break;
    }
    // Only the context changes from step to step (the batch size is the stretch's).
    const double context_before = record_.batch.decode_context_tokens;
    record_.batch.decode_context_tokens =
        static_cast<double>(kv_offset_sum_ + decoding_ * (Emitted(step_) + 1));
    if (entry == nullptr) entry = cost_->DecodeEntry(record_.batch, *decode_cache_);
    const IterationCost cost = entry != nullptr ? cost_->DecodeStepCost(record_.batch, *entry)
                                                : cost_->Cost(record_.batch, *decode_cache_);
    const SimTime end = record_.end + SecondsToSimTime(cost.seconds);
    if (end >= horizon) {
      record_.batch.decode_context_tokens = context_before;
      --step_;
      break;
    }
    if (need > 0) Allocate(need);
    ahead_.push_back({record_.end, record_.joules, record_.kv_blocks_used, produced});
    record_.start = record_.end;
    record_.end = end;
    record_.kv_blocks_used = used_blocks();
    record_.joules = cost.joules;
  }
}

IterationRecord Instance::StretchRecord(std::size_t i) const {
  if (planned_) return cut_record_;  // the only step; record_ is the planned iteration's
  IterationRecord rec = record_;
  const StretchStep& step = ahead_[i];
  rec.start = i == 0 ? stretch_start_ : ahead_[i - 1].end;
  rec.end = step.end;
  rec.batch.decode_context_tokens = static_cast<double>(
      kv_offset_sum_ + decoding_ * (Emitted(stretch_step_ + static_cast<std::int64_t>(i)) + 1));
  rec.kv_blocks_used = step.kv_blocks_used;
  rec.output_tokens = step.output_tokens;
  rec.joules = step.joules;
  return rec;
}

std::size_t Instance::StepsEndedBy(SimTime t) const {
  const auto first_open =
      std::upper_bound(ahead_.begin(), ahead_.end(), t,
                       [](SimTime time, const StretchStep& step) { return time < step.end; });
  return static_cast<std::size_t>(first_open - ahead_.begin());
}

bool Instance::CutStretch(SimTime t) {
  const std::size_t k = StepsEndedBy(t);  // steps [0, k) ended by t
  const bool ended_at_t = k > 0 && ahead_[k - 1].end == t;
  if (k == ahead_.size() && !ended_at_t) {
    ahead_.clear();  // the running iteration is in flight at t
    planned_ = false;
    return false;
  }
  // Undo the steps after the one in flight at t (or after the one that ended at t).
  if (ended_at_t) {
    record_ = StretchRecord(k - 1);
    busy_ = false;
    decode_step_running_ = false;
    step_ = stretch_step_ + static_cast<std::int64_t>(k);
    ahead_.clear();
  } else {
    // Step k ends without a finish: keep it as the only step, idle after it (Pending()).
    record_ = StretchRecord(k);
    const StretchStep in_flight = ahead_[k];
    stretch_step_ += static_cast<std::int64_t>(k);
    stretch_start_ = record_.start;
    step_ = stretch_step_ + 1;
    busy_ = false;
    decode_step_running_ = false;
    ahead_.assign(1, in_flight);
  }
  used_blocks_ = record_.kv_blocks_used - PinnedBlocks();
  return true;
}

}  // namespace tokenfab
