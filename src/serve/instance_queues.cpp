// Priority levels of an instance: admission order and preemption victims.
#include <algorithm>
#include <cassert>

#include "tokenfab/serve/instance.h"

namespace tokenfab {

Instance::Level& Instance::FindOrAddLevel(std::int16_t priority) {
  auto it = std::find_if(levels_.begin(), levels_.end(),
                         [&](const Level& l) { return l.priority <= priority; });
  if (it != levels_.end() && it->priority == priority) return *it;
  Level level;
  level.priority = priority;
  return *levels_.insert(it, std::move(level));
}

Instance::Level* Instance::TopWaiting() {
  for (Level& l : levels_) {
    if (!l.waiting.empty()) return &l;
  }
  return nullptr;
}

Instance::Level* Instance::TopPrefilled() {
  for (Level& l : levels_) {
    if (!l.prefilled.empty()) return &l;
  }
  return nullptr;
}

Instance::Level* Instance::LowestRunning() {
  for (auto it = levels_.rbegin(); it != levels_.rend(); ++it) {
    if (it->Running()) return &*it;
  }
  return nullptr;
}

// Whether r would get a batch slot and the KV blocks for its first chunk next to this step's
// decode blocks (ignoring what prompts in progress take first).
bool Instance::CanAdmit(const Request& r) const {
  if (decoding_ + static_cast<std::int64_t>(prefilling_.size()) >= config_.max_batch_size) {
    return false;
  }
  const std::int64_t target = r.PrefillTarget();
  const std::int64_t cached =
      caching_
          ? std::int64_t{cache_.Match(r, cache_.Entries(r, target - 1))} * cache_.entry_tokens()
          : 0;
  std::int64_t chunk = target - cached;
  if (config_.chunked_prefill) {
    const std::int64_t budget = config_.max_num_tokens - decoding_ * (config_.spec_tokens + 1);
    chunk = std::min(chunk, ChunkLimit(std::max<std::int64_t>(budget, 0)));
  }
  const std::int64_t need = DecodeBlocksNeeded() + BlocksFor(cached + chunk) - BlocksFor(cached);
  return need <= FreeBlocks();
}

// vLLM policy=priority: while the first waiting request cannot be admitted and a lower
// priority runs, the lowest-priority, most recently admitted running request is preempted.
void Instance::PreemptForWaiting() {
  if (config_.kv_admission == KvAdmission::kReserveFull || !config_.priority_preemption) return;
  if (waiting_count_ == 0) return;
  while (true) {
    Level* top = TopWaiting();
    if (top == nullptr) return;
    Level* low = LowestRunning();
    if (low == nullptr || low->priority >= top->priority) return;
    if (CanAdmit((*requests_)[top->waiting.front()])) return;
    PreemptFrom(*low);
  }
}

void Instance::Preempt(RequestId id) {
  Request& r = (*requests_)[id];
  r.prefilled = 0;
  ++r.stamp;
  ++r.preemptions;
  ++preemptions_;
  Requeue(id);
}

void Instance::Requeue(RequestId id) {
  LevelOf((*requests_)[id].priority).waiting.push_front(id);
  ++waiting_count_;
}

// Frees the most recently admitted running request of the lowest running priority (vLLM's
// recompute preemption): a prompt in progress before a decode sequence.
bool Instance::PreemptOne() {
  if (config_.kv_admission == KvAdmission::kReserveFull) return false;
  Level* low = LowestRunning();
  return low != nullptr && PreemptFrom(*low);
}

// SGLang's retraction order: the running sequence with the fewest tokens generated, then the
// longest prompt, then the newest. A walk over the level: preemptions are rare events.
RequestId Instance::FewestOutputs(const Level& level) const {
  RequestId best = kNoRequest;
  std::int64_t best_generated = 0;
  for (const auto& entry : level.admitted) {
    if (!Admitted(entry)) continue;
    const Request& r = (*requests_)[entry.first];
    const std::int64_t generated = r.generated + Emitted(step_) - Emitted(r.join_step);
    if (best == kNoRequest || generated < best_generated ||
        (generated == best_generated && r.input_tokens >= (*requests_)[best].input_tokens)) {
      best = entry.first;
      best_generated = generated;
    }
  }
  return best;
}

bool Instance::PreemptFrom(Level& level) {
  if (level.prefilling > 0) {
    // Prompts in progress are few (the token budget bounds them); scan from the newest.
    auto it = prefilling_.end();
    do {
      --it;
    } while ((*requests_)[*it].priority != level.priority);
    const RequestId id = *it;
    prefilling_.erase(it);
    --level.prefilling;
    Request& r = (*requests_)[id];
    ReleaseKv(r, r.prefilled, r.blocks);
    r.blocks = 0;
    Preempt(id);
    return true;
  }
  while (!level.admitted.empty() && !Admitted(level.admitted.back())) level.admitted.pop_back();
  if (level.admitted.empty()) return false;
  RequestId id = level.admitted.back().first;
  if (config_.preempt_fewest_outputs) {
    // The victim's entry goes stale (its stamp moves on) and is swept with the others.
    id = FewestOutputs(level);
  } else {
    level.admitted.pop_back();
  }
  Request& r = (*requests_)[id];
  const std::int64_t kv = DecodeKv(r);
  r.generated += static_cast<std::int32_t>(Emitted(step_) - Emitted(r.join_step));
  LeaveDecode(id, kv);
  Preempt(id);
  return true;
}

}  // namespace tokenfab
