#include "tokenfab/serve/instance.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "tokenfab/perf/speculative.h"
#include "tokenfab/serve/workload.h"

namespace tokenfab {
namespace {

int HashBlockTokens(const SchedulerConfig& c) {
  return c.prefix_block_tokens > 0 ? c.prefix_block_tokens : kDefaultPrefixBlockTokens;
}

// SGLang's new-token ratio schedule (engines.md 3.1 and 3.3: minimum = 0.14 x the initial
// ratio, reached after 600 decode steps).
constexpr double kMinNewTokenRatioShare = 0.14;
constexpr double kNewTokenRatioDecaySteps = 600;

}  // namespace

Instance::Instance(int index, const InstanceCostModel* cost, const SchedulerConfig& config,
                   std::vector<Request>* requests, InstanceRole role, DecodeCostCache* decode_cache)
    : caching_(config.prefix_caching && role != InstanceRole::kDecode),
      requests_(requests),
      cost_(cost),
      decode_cache_(decode_cache),
      phase_count_(static_cast<std::size_t>(config.kv_block_size), 0),
      config_(config),
      index_(index),
      role_(role),
      own_decode_cache_(decode_cache ? nullptr : std::make_unique<DecodeCostCache>()),
      cache_(HashBlockTokens(config), config.kv_block_size, config.prefix_hashes) {
  if (decode_cache_ == nullptr) decode_cache_ = own_decode_cache_.get();
  total_blocks_ = cost->memory().kv_capacity_tokens / config.kv_block_size;
  const double per_step = ExpectedTokensPerStep(config.spec_tokens, config.spec_acceptance);
  step_rate_ = std::llround(per_step * static_cast<double>(std::int64_t{1} << kRateShift));
  record_.instance = index;
  record_.kv_blocks_total = total_blocks_;
  ResetNewTokenRatio(0);
}

bool Instance::HasWork() const {
  return decoding_ > 0 || !prefilling_.empty() || waiting_count_ > 0 || prefilled_count_ > 0;
}

void Instance::Enqueue(RequestId id) {
  Request& r = (*requests_)[id];
  r.instance = index_;
  LevelOf(r.priority).waiting.push_back(id);
  ++waiting_count_;
  ++outstanding_;
}

void Instance::EnqueuePrefilled(RequestId id) {
  Request& r = (*requests_)[id];
  r.instance = index_;
  LevelOf(r.priority).prefilled.push_back(id);
  ++prefilled_count_;
  ++outstanding_;
}

// Requests whose KV arrived join the decode set at the next step if a slot and blocks are free,
// highest priority first.
void Instance::AdmitPrefilled() {
  while (prefilled_count_ > 0 &&
         decoding_ + static_cast<std::int64_t>(prefilling_.size()) < config_.max_batch_size) {
    Level* level = TopPrefilled();
    const RequestId id = level->prefilled.front();
    Request& r = (*requests_)[id];
    const std::int64_t tokens = config_.kv_admission == KvAdmission::kReserveFull
                                    ? static_cast<std::int64_t>(r.input_tokens) + r.output_tokens
                                    : r.PrefillTarget() - 1;
    const std::int64_t need = BlocksFor(tokens);
    if (need > FreeBlocks()) return;
    level->prefilled.pop_front();
    --prefilled_count_;
    Allocate(need);
    r.blocks = static_cast<std::int32_t>(need);
    r.prefilled = r.PrefillTarget() - 1;
    JoinDecode(id);
  }
}

bool Instance::TakeChunk(RequestId id, std::int64_t& budget, BatchShape& batch) {
  Request& r = (*requests_)[id];
  const std::int64_t target = r.PrefillTarget();
  const std::int64_t done = r.prefilled;
  std::int64_t chunk = target - done;
  // Without chunking a prompt too long for the batch runs alone (MayRunAlone); under attention
  // DP it then takes its own rank's share of the budget.
  const bool too_long = TooLong(chunk, budget);
  if (too_long && !MayRunAlone(batch)) return false;
  const bool own_rank = too_long && config_.attention_dp_ranks > 1;
  if (config_.chunked_prefill) chunk = std::min(chunk, ChunkLimit(budget));
  if (config_.kv_admission == KvAdmission::kOnDemand) {
    const std::int64_t free = FreeBlocks();
    if (PrivateBlocks(r, done + chunk) - r.blocks > free) {
      if (!config_.chunked_prefill) return false;
      chunk = (BlocksFor(CachedTokens(r)) + r.blocks + free) * config_.kv_block_size - done;
      if (chunk <= 0) return false;
    }
    const std::int64_t extra = PrivateBlocks(r, done + chunk) - r.blocks;
    Allocate(extra);
    r.blocks += static_cast<std::int32_t>(extra);
  }
  budget -= own_rank ? std::min(chunk, RankTokenBudget()) : chunk;
  batch.prefill_tokens += chunk;
  ++batch.prefill_sequences;
  batch.prefill_attention_pairs +=
      static_cast<double>(chunk) * static_cast<double>(done) + 0.5 * chunk * (chunk + 1.0);
  if (done + chunk == target) ++batch.prefill_completions;
  chunks_.emplace_back(id, static_cast<std::int32_t>(chunk));
  return true;
}

// Decays by one 600th of (start - floor) per decode step (step_ counts decode steps only: a
// prefill batch that runs alone does not decay it), down to the floor.
double Instance::NewTokenRatio() const {
  const double start = config_.new_token_ratio;
  const double floor = kMinNewTokenRatioShare * start;
  const double decayed = ratio_start_ - static_cast<double>(step_ - ratio_step_) * (start - floor) /
                                            kNewTokenRatioDecaySteps;
  return std::max(floor, decayed);
}

double Instance::ReservedTokens() const {
  std::int64_t owed = 0;
  if (long_owed_ == 0) {
    owed = owed_offset_sum_ - decoding_ * Emitted(step_);  // every term is below the clip
  } else {
    VisitDecoding([&](RequestId id, std::int32_t generated) {
      owed +=
          std::min<std::int64_t>((*requests_)[id].output_tokens - generated, kReserveClipTokens);
    });
  }
  std::int64_t prompts = 0;
  for (RequestId id : prefilling_) {
    const Request& r = (*requests_)[id];
    prompts += r.PrefillTarget() - r.prefilled;
    owed += OwedHere(r);
  }
  return NewTokenRatio() * static_cast<double>(owed) + static_cast<double>(prompts);
}

// Holds new prompts for TensorRT-LLM's attention-DP balance: while decodes run and fewer
// prompts wait than there are ranks, up to attention_dp_balance_iters iterations in a row.
bool Instance::HoldForBalance(const BatchShape& batch) {
  const int limit = config_.attention_dp_balance_iters;
  const bool hold = limit > 0 && batch.decode_sequences > 0 && waiting_count_ > 0 &&
                    waiting_count_ < config_.attention_dp_ranks && balance_held_ < limit;
  balance_held_ = hold ? balance_held_ + 1 : 0;
  return hold;
}

// Continues the prompts in progress, then admits waiting requests, highest priority first and
// FCFS within a priority, stopping at the first that does not fit: a request is never admitted
// while one of higher priority waits.
void Instance::SchedulePrefill(BatchShape& batch) {
  const bool reserve = config_.kv_admission == KvAdmission::kReserveFull;
  std::int64_t budget =
      config_.max_num_tokens - std::int64_t{batch.decode_sequences} * batch.tokens_per_decode;
  // SGLang's reserve, taken before this iteration's chunks: the prompts in progress count in
  // full, so a chunk of theirs is never counted twice.
  const bool reserve_new = !reserve && config_.new_token_ratio > 0 && waiting_count_ > 0;
  double room = 0;
  if (reserve_new) {
    room = static_cast<double>(FreeBlocks() * config_.kv_block_size) - ReservedTokens();
  }
  for (RequestId id : prefilling_) {
    if (budget <= 0 || !TakeChunk(id, budget, batch)) return;
  }
  if (HoldForBalance(batch)) return;
  while (budget > 0 && waiting_count_ > 0 &&
         decoding_ + static_cast<std::int64_t>(prefilling_.size()) < config_.max_batch_size) {
    Level* level = TopWaiting();
    const RequestId id = level->waiting.front();
    Request& r = (*requests_)[id];
    AttachCachedPrefix(r);
    double wants = 0;
    if (reserve_new) {
      // Nothing running: admitted whatever it wants, as there is nothing to wait for.
      wants = static_cast<double>(r.PrefillTarget() - r.prefilled + OwedHere(r));
      if (wants >= room && (decoding_ > 0 || !prefilling_.empty())) {
        DetachCachedPrefix(r);
        return;
      }
    }
    if (reserve) {
      const std::int64_t need =
          PrivateBlocks(r, static_cast<std::int64_t>(r.input_tokens) + r.output_tokens);
      const bool too_long = TooLong(r.PrefillTarget() - r.prefilled, budget);
      if (need > FreeBlocks() || (too_long && !MayRunAlone(batch))) {
        DetachCachedPrefix(r);
        return;
      }
      Allocate(need);
      r.blocks = static_cast<std::int32_t>(need);
    }
    if (!TakeChunk(id, budget, batch)) {
      if (reserve) {
        used_blocks_ -= r.blocks;
        r.blocks = 0;
      }
      DetachCachedPrefix(r);
      return;
    }
    level->waiting.pop_front();
    --waiting_count_;
    room -= wants;
    prefilling_.push_back(id);
    ++level->prefilling;
    if (r.preemptions == 0) {
      prompt_tokens_ += r.input_tokens;
      prefix_hit_tokens_ += CachedTokens(r);
    }
  }
}

// SGLang's prefill-first loop: a prefill batch, when one forms, runs without the decodes.
void Instance::ScheduleUnmixed(BatchShape& batch, SimTime now) {
  decode_step_running_ = false;
  SchedulePrefill(batch);
  record_.wait_start = -1;
  record_.waited = 0;
  if (!chunks_.empty()) {
    if (decoding_ > 0 && decode_wait_start_ < 0) {
      decode_wait_start_ = now;  // the decodes' last tokens came at the last iteration's end
      decode_waiting_ = decoding_;
    }
    return;
  }
  ScheduleDecode(batch);
  if (decode_step_running_ && decode_wait_start_ >= 0) {
    record_.wait_start = decode_wait_start_;
    record_.waited = std::min(decode_waiting_, decoding_);
    decode_wait_start_ = -1;
  }
}

SimTime Instance::StartIteration(SimTime now) {
  assert(!busy_);
  chunks_.clear();
  BatchShape batch;
  AdmitPrefilled();
  PreemptForWaiting();
  if (config_.mixed_prefill) {
    ScheduleDecode(batch);
    SchedulePrefill(batch);
  } else {
    ScheduleUnmixed(batch, now);
  }
  if (batch.Empty()) {
    ResetNewTokenRatio(step_);  // SGLang resets the ratio when the server idles
    return -1;
  }
  const IterationCost cost = cost_->Cost(batch, *decode_cache_);
  record_.start = now;
  record_.end = now + SecondsToSimTime(cost.seconds);
  record_.batch = batch;
  record_.kv_blocks_used = used_blocks();
  record_.kv_blocks_cached = cached_blocks();
  record_.output_tokens = 0;
  record_.joules = cost.joules;
  busy_ = true;
  return record_.end;
}

void Instance::CompletePrefill(RequestId id, SimTime now, IterationOutcome& outcome) {
  Request& r = (*requests_)[id];
  const std::int64_t kv = r.prefilled;
  ++r.generated;
  if (r.first_token < 0 && role_ != InstanceRole::kPrefill) {
    r.first_token = now;
    outcome.first_tokens.push_back(id);
  }
  const bool done = r.generated >= r.output_tokens;
  if (done || role_ == InstanceRole::kPrefill) {
    ReleaseKv(r, kv, r.blocks);
    r.blocks = 0;
    --outstanding_;
    if (done) {
      if (r.first_token < 0) {
        r.first_token = now;
        outcome.first_tokens.push_back(id);
      }
      r.finish = now;
      outcome.finished.push_back(id);
    } else {
      r.prefill_done = now;
      outcome.handoffs.push_back(id);
    }
    return;
  }
  JoinDecode(id);
}

void Instance::FinishIteration(IterationOutcome& outcome) {
  assert(busy_);
  busy_ = false;
  const SimTime now = record_.end;
  std::int64_t produced = 0;
  if (decode_step_running_) produced += FinishDecodeStep(now, outcome);
  for (const auto& [id, chunk] : chunks_) {
    Request& r = (*requests_)[id];
    r.prefilled += chunk;
    if (r.prefilled < r.PrefillTarget()) continue;
    // Prompts complete in admission order, except under attention DP, where a long prompt's
    // chunk is held to its rank's share while shorter ones admitted after it complete.
    if (!prefilling_.empty() && prefilling_.front() == id) {
      prefilling_.pop_front();
    } else {
      const auto it = std::find(prefilling_.begin(), prefilling_.end(), id);
      assert(it != prefilling_.end() && config_.attention_dp_ranks > 1);
      prefilling_.erase(it);
    }
    --LevelOf(r.priority).prefilling;
    ++produced;
    CompletePrefill(id, now, outcome);
  }
  record_.output_tokens = produced;
}

}  // namespace tokenfab
