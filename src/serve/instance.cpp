#include "tokenfab/serve/instance.h"

#include <algorithm>
#include <cassert>

namespace tokenfab {
namespace {

std::int64_t Mod(std::int64_t a, std::int64_t b) { return ((a % b) + b) % b; }

}  // namespace

Instance::Instance(int index, const InstanceCostModel* cost, const SchedulerConfig& config,
                   std::vector<Request>* requests)
    : index_(index),
      cost_(cost),
      config_(config),
      requests_(requests),
      phase_count_(static_cast<std::size_t>(config.kv_block_size), 0) {
  total_blocks_ = cost->memory().kv_capacity_tokens / config.kv_block_size;
  record_.instance = index;
  record_.kv_blocks_total = total_blocks_;
}

std::int64_t Instance::BlocksFor(std::int64_t tokens) const {
  return (tokens + config_.kv_block_size - 1) / config_.kv_block_size;
}

std::int64_t Instance::DecodeKv(const Request& r) const { return r.join_kv + (step_ - r.join_step); }

bool Instance::HasWork() const { return decoding_ > 0 || !prefilling_.empty() || !waiting_.empty(); }

void Instance::Enqueue(RequestId id) {
  (*requests_)[id].instance = index_;
  waiting_.push_back(id);
  ++outstanding_;
}

void Instance::JoinDecode(RequestId id) {
  Request& r = (*requests_)[id];
  r.join_step = step_;
  r.join_kv = r.PrefillTarget();
  ++r.stamp;
  finish_heap_.push({step_ + r.output_tokens - r.generated - 1, id, r.stamp});
  ++decoding_;
  kv_offset_sum_ += r.join_kv - r.join_step;
  ++phase_count_[Mod(r.join_step - r.join_kv, config_.kv_block_size)];
  r.prev = newest_;
  r.next = kNoRequest;
  if (newest_ != kNoRequest) (*requests_)[newest_].next = id;
  newest_ = id;
  if (oldest_ == kNoRequest) oldest_ = id;
}

void Instance::LeaveDecode(RequestId id, std::int64_t kv_tokens) {
  Request& r = (*requests_)[id];
  --decoding_;
  kv_offset_sum_ -= r.join_kv - r.join_step;
  --phase_count_[Mod(r.join_step - r.join_kv, config_.kv_block_size)];
  used_blocks_ -= config_.kv_admission == KvAdmission::kOnDemand ? BlocksFor(kv_tokens) : r.blocks;
  r.blocks = 0;
  if (r.prev != kNoRequest) (*requests_)[r.prev].next = r.next; else oldest_ = r.next;
  if (r.next != kNoRequest) (*requests_)[r.next].prev = r.prev; else newest_ = r.prev;
  r.prev = r.next = kNoRequest;
}

void Instance::Preempt(RequestId id) {
  Request& r = (*requests_)[id];
  r.prefilled = 0;
  ++r.stamp;
  ++r.preemptions;
  ++preemptions_;
  waiting_.push_front(id);
}

// Frees the most recently admitted running request (vLLM's recompute preemption).
bool Instance::PreemptOne() {
  if (config_.kv_admission == KvAdmission::kReserveFull) return false;
  if (!prefilling_.empty()) {
    const RequestId id = prefilling_.back();
    prefilling_.pop_back();
    Request& r = (*requests_)[id];
    used_blocks_ -= r.blocks;
    r.blocks = 0;
    Preempt(id);
    return true;
  }
  if (newest_ == kNoRequest) return false;
  const RequestId id = newest_;
  Request& r = (*requests_)[id];
  const std::int64_t kv = DecodeKv(r);
  r.generated += static_cast<std::int32_t>(step_ - r.join_step);
  LeaveDecode(id, kv);
  Preempt(id);
  return true;
}

void Instance::ScheduleDecode(BatchShape& batch) {
  decode_step_running_ = false;
  if (decoding_ == 0) return;
  if (config_.kv_admission == KvAdmission::kOnDemand) {
    const std::size_t phase = static_cast<std::size_t>(step_ % config_.kv_block_size);
    while (total_blocks_ - used_blocks_ < phase_count_[phase] && PreemptOne()) {
    }
    if (decoding_ == 0) return;
    used_blocks_ += phase_count_[phase];
  }
  batch.decode_sequences = static_cast<int>(decoding_);
  batch.decode_context_tokens = static_cast<double>(kv_offset_sum_ + decoding_ * (step_ + 1));
  decode_step_running_ = true;
}

bool Instance::TakeChunk(RequestId id, std::int64_t& budget, BatchShape& batch) {
  Request& r = (*requests_)[id];
  const std::int64_t target = r.PrefillTarget();
  const std::int64_t done = r.prefilled;
  std::int64_t chunk = target - done;
  if (config_.chunked_prefill || chunk > budget) {
    // Without chunking a whole prompt must fit the budget, except alone in an empty batch.
    if (!config_.chunked_prefill && !batch.Empty()) return false;
    if (config_.chunked_prefill) chunk = std::min(chunk, budget);
  }
  if (config_.kv_admission == KvAdmission::kOnDemand) {
    const std::int64_t free = total_blocks_ - used_blocks_;
    if (BlocksFor(done + chunk) - r.blocks > free) {
      if (!config_.chunked_prefill) return false;
      chunk = (r.blocks + free) * config_.kv_block_size - done;
      if (chunk <= 0) return false;
    }
    const std::int64_t extra = BlocksFor(done + chunk) - r.blocks;
    used_blocks_ += extra;
    r.blocks += static_cast<std::int32_t>(extra);
  }
  budget -= chunk;
  batch.prefill_tokens += chunk;
  ++batch.prefill_sequences;
  batch.prefill_attention_pairs +=
      static_cast<double>(chunk) * static_cast<double>(done) + 0.5 * chunk * (chunk + 1.0);
  if (done + chunk == target) ++batch.prefill_completions;
  chunks_.emplace_back(id, static_cast<std::int32_t>(chunk));
  return true;
}

void Instance::SchedulePrefill(BatchShape& batch) {
  std::int64_t budget = config_.max_num_tokens - decoding_ * batch.tokens_per_decode;
  for (RequestId id : prefilling_) {
    if (budget <= 0 || !TakeChunk(id, budget, batch)) return;
  }
  while (budget > 0 && !waiting_.empty() &&
         decoding_ + static_cast<std::int64_t>(prefilling_.size()) < config_.max_batch_size) {
    const RequestId id = waiting_.front();
    Request& r = (*requests_)[id];
    if (config_.kv_admission == KvAdmission::kReserveFull) {
      const std::int64_t need = BlocksFor(static_cast<std::int64_t>(r.input_tokens) + r.output_tokens);
      if (need > total_blocks_ - used_blocks_) return;
      if (!config_.chunked_prefill && r.PrefillTarget() > budget && !batch.Empty()) return;
      used_blocks_ += need;
      r.blocks = static_cast<std::int32_t>(need);
    }
    if (!TakeChunk(id, budget, batch)) {
      if (config_.kv_admission == KvAdmission::kReserveFull) {
        used_blocks_ -= r.blocks;
        r.blocks = 0;
      }
      return;
    }
    waiting_.pop_front();
    prefilling_.push_back(id);
  }
}

SimTime Instance::StartIteration(SimTime now) {
  assert(!busy_);
  chunks_.clear();
  BatchShape batch;
  ScheduleDecode(batch);
  SchedulePrefill(batch);
  if (batch.Empty()) return -1;
  const IterationCost cost = cost_->Cost(batch);
  record_.start = now;
  record_.end = now + SecondsToSimTime(cost.seconds);
  record_.batch = batch;
  record_.kv_blocks_used = used_blocks_;
  record_.joules = cost.joules;
  busy_ = true;
  return record_.end;
}

void Instance::FinishIteration(std::vector<RequestId>& first_tokens, std::vector<RequestId>& finished) {
  assert(busy_);
  busy_ = false;
  const SimTime now = record_.end;
  if (decode_step_running_) {
    while (!finish_heap_.empty()) {
      const FinishEntry top = finish_heap_.top();
      Request& r = (*requests_)[top.id];
      if (top.stamp != r.stamp || r.Finished()) {
        finish_heap_.pop();
        continue;
      }
      if (top.step != step_) break;
      finish_heap_.pop();
      r.generated = r.output_tokens;
      LeaveDecode(top.id, DecodeKv(r) + 1);
      r.finish = now;
      --outstanding_;
      finished.push_back(top.id);
    }
    ++step_;
  }
  for (const auto& [id, chunk] : chunks_) {
    Request& r = (*requests_)[id];
    r.prefilled += chunk;
    if (r.prefilled < r.PrefillTarget()) continue;
    assert(!prefilling_.empty() && prefilling_.front() == id);
    prefilling_.pop_front();
    ++r.generated;
    if (r.first_token < 0) {
      r.first_token = now;
      first_tokens.push_back(id);
    }
    if (r.generated >= r.output_tokens) {
      used_blocks_ -= r.blocks;
      r.blocks = 0;
      r.finish = now;
      --outstanding_;
      finished.push_back(id);
    } else {
      JoinDecode(id);
    }
  }
}

}  // namespace tokenfab
