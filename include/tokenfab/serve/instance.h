// One serving instance: continuous batching with a token budget per iteration (decode first,
// then chunked prefill), paged KV blocks, preemption by recompute, admission by priority then
// FCFS, an optional prefix cache and speculative decoding.
//
// Invariant: the running decode sequences are kept in aggregate (count, sum of context,
// sequences grouped by KV offset modulo the block size, a heap of finish steps), so
// scheduling an iteration costs O(prefill chunks + finishing requests + priority levels), not
// O(batch). Every decode step advances every sequence by the same m_s tokens: 1 without
// speculation, else m_s = C(s + 1) - C(s) with C(s) = floor(E s), E the expected tokens per
// step (ExpectedTokensPerStep), so a sequence that joined at step J with KV length K has
// K + C(s) - C(J) tokens of KV before step s.
//
// KV blocks: used_blocks_ are the blocks requests hold privately; the prefix cache's pinned
// entries are shared by the requests using them; its evictable entries are free for
// admission and evicted (LRU) when an allocation needs them. private + pinned + evictable
// never exceeds total_blocks_.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "tokenfab/perf/batch.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/prefix_cache.h"
#include "tokenfab/serve/request.h"
#include "tokenfab/serve/scheduler_config.h"

namespace tokenfab {

// Aggregated instances do both phases; in a disaggregated deployment prefill instances hand a
// request off after its first token and decode instances receive it with its KV computed.
enum class InstanceRole { kAggregated, kPrefill, kDecode };

// Requests whose state changed at the end of an iteration.
struct IterationOutcome {
  std::vector<RequestId> first_tokens;
  std::vector<RequestId> finished;
  std::vector<RequestId> handoffs;  // prefill role: prefill done, KV to transfer
  void Clear() {
    first_tokens.clear();
    finished.clear();
    handoffs.clear();
  }
};

// What an iteration did, reported to observers when it ends.
struct IterationRecord {
  int instance = 0;
  SimTime start = 0;
  SimTime end = 0;
  BatchShape batch;
  std::int64_t kv_blocks_used = 0;    // held by running requests (private + pinned cache)
  std::int64_t kv_blocks_cached = 0;  // evictable prefix-cache entries
  std::int64_t kv_blocks_total = 0;
  // Tokens sampled: one per completed prefill plus the tokens decode sequences gained (with
  // speculation, accepted drafts and the verifier's token). Set when the iteration ends.
  std::int64_t output_tokens = 0;
  double joules = 0;
  // A decode step after iterations that prefilled without the decodes (mixed_prefill off):
  // `waited` of its sequences last emitted at `wait_start`, so their gap runs from there.
  SimTime wait_start = -1;
  std::int64_t waited = 0;
};

class alignas(64) Instance {
 public:
  // Instances of one cost model may share `decode_cache` (one simulation, one thread): one
  // cache per instance was 9 MB at factory scale and a cache miss per step. Null: its own.
  Instance(int index, const InstanceCostModel* cost, const SchedulerConfig& config,
           std::vector<Request>* requests, InstanceRole role = InstanceRole::kAggregated,
           DecodeCostCache* decode_cache = nullptr);

  void Enqueue(RequestId id);
  // Decode role: a request whose prompt KV arrived from a prefill instance.
  void EnqueuePrefilled(RequestId id);
  InstanceRole role() const { return role_; }
  int index() const { return index_; }
  bool Busy() const { return busy_; }
  bool HasWork() const;
  int Outstanding() const { return outstanding_; }
  std::int64_t total_blocks() const { return total_blocks_; }
  // Blocks held by requests: private ones plus pinned prefix-cache entries. Evictable cache
  // entries are not counted (see cached_blocks()).
  std::int64_t used_blocks() const { return used_blocks_ + PinnedBlocks(); }
  std::int64_t cached_blocks() const { return caching_ ? cache_.evictable_blocks() : 0; }
  std::int64_t preemptions() const { return preemptions_; }
  // Prefix cache statistics over requests at their first admission here: prompt tokens, and
  // those served from the cache (hit rate = prefix_hit_tokens / prompt_tokens).
  std::int64_t prompt_tokens() const { return prompt_tokens_; }
  std::int64_t prefix_hit_tokens() const { return prefix_hit_tokens_; }
  std::int64_t prefix_evictions() const { return cache_.evictions(); }
  // Leading prefix-cache entries this instance holds for r's prompt (0 without caching).
  // O(entries matched): for prefix-aware routing.
  int CachedPrefixEntries(const Request& r) const;
  const PrefixCache& prefix_cache() const { return cache_; }
  // The running iteration's prefill chunks: (request, tokens).
  const std::vector<std::pair<RequestId, std::int32_t>>& prefill_chunks() const { return chunks_; }
  // Largest request (prompt + output tokens) the KV pool can ever hold.
  std::int64_t CapacityTokens() const { return total_blocks_ * config_.kv_block_size; }

  // Plans the next iteration at `now`; returns its end time, or -1 when there is nothing to run.
  SimTime StartIteration(SimTime now);
  // Applies the running iteration's effects at its end time.
  void FinishIteration(IterationOutcome& outcome);

  const IterationRecord& last_iteration() const { return record_; }

  // Fast-forward (instance_stretch.cpp). While the running iteration is a steady decode step
  // (no prefill, nothing waiting, no prefix cache) and the step after it would be steady too
  // (no sequence finishing, KV blocks enough), plans that next step at once, without an
  // event: the planned steps before the running one form the stretch, and the running
  // iteration becomes the last planned step, whose end is the next event. Every step is
  // computed by the same code as step by step, so a stretch changes no result. Stops before
  // a step that would end at or after `horizon` (the metrics window boundary) or after
  // `max_steps` steps. REQUIRES: Busy(), no stretch.
  void FastForward(SimTime horizon, int max_steps);
  bool Stretched() const { return !ahead_.empty(); }
  // The stretch's steps, oldest first: StretchRecord(i) for i < StretchSteps(). The caller
  // reports them before CutStretch or DropStretch.
  std::size_t StretchSteps() const { return ahead_.size(); }
  IterationRecord StretchRecord(std::size_t i) const;
  // Calls visit(base, start, end, kv_blocks_used, output_tokens, joules) for steps [0,
  // count) of the stretch, oldest first: StretchRecord(i) without building it (its instance,
  // batch but for the context, and KV total are base's).
  template <typename Visit>
  void VisitStretchSteps(std::size_t count, Visit visit) const {
    if (count == 0) return;
    if (planned_) {
      const IterationRecord& r = cut_record_;
      visit(r, r.start, r.end, r.kv_blocks_used, r.output_tokens, r.joules);
      return;
    }
    SimTime start = stretch_start_;
    for (std::size_t i = 0; i < count; ++i) {
      const StretchStep& step = ahead_[i];
      visit(record_, start, step.end, step.kv_blocks_used, step.output_tokens, step.joules);
      start = step.end;
    }
  }
  // Steps of the stretch that ended by t: [0, StepsEndedBy(t)).
  std::size_t StepsEndedBy(SimTime t) const;
  // A request is delivered at t while a stretch is planned, and the steps that ended by t
  // have been reported: drops them and undoes the steps after the one in flight at t.
  // Returns true when the running iteration changed: the caller schedules the end of
  // last_iteration() if Busy(), else the instance is idle at t (a step ended exactly at t).
  // When the step in flight at t is a planned step before the running iteration (it ends
  // without a finish), the instance is left idle until that step's end with the step as the
  // stretch's only one (Pending()): PlanCut then plans the iteration after it at once, so
  // the step needs no event of its own.
  bool CutStretch(SimTime t);
  // Drops the stretch (all its steps ended before the running iteration), once reported.
  void DropStretch() {
    ahead_.clear();
    planned_ = false;
  }

  // Planning at a cut (instance_cut.cpp). Pending(): cut at this instant, idle until the
  // stretch's only step ends. PlanCut runs StartIteration for that end now when the next
  // iteration cannot preempt, admit KV-ready requests or end at or after `horizon`, so
  // that only a request delivered before it starts can change it (Unplan); otherwise the
  // step becomes the running iteration again, as without planning. Busy() after.
  bool Pending() const { return !busy_ && !ahead_.empty(); }
  void PlanCut(SimTime horizon);
  // The running iteration was planned at a cut and starts at last_iteration().start.
  bool Planned() const { return planned_; }
  // A request is delivered before the planned iteration starts: undoes its planning
  // (admissions, blocks), back to Pending().
  void Unplan();

  // Cache prefetches ahead of this instance's next event (the simulation's events interleave
  // 1,250 instances, so an instance's lines have left the L2 cache between two of its events):
  // the object's lines, then, once those are in, the data its next iteration end reads.
  // The object's first six lines hold what every iteration end reads (see the member
  // layout below); prefetching all fourteen lines stalled on the line-fill buffers.
  static constexpr std::size_t kHotBytes = 384;
  void PrefetchObject() const {
    const char* p = reinterpret_cast<const char*>(this);
    for (std::size_t i = 0; i < kHotBytes; i += 64) __builtin_prefetch(p + i);
  }
  // The request the running iteration's end reads first: the sequence that finishes at
  // its end, else the first prompt chunk (kNoRequest when neither). Kept by the simulation
  // beside the queue of iteration ends, so it can be prefetched two events ahead without
  // reading this object, which is not in the cache yet then.
  RequestId FirstRequestRead() const {
    if (decode_step_running_ && next_finish_ <= step_) return next_finish_id_;
    return chunks_.empty() ? kNoRequest : chunks_.front().first;
  }
  void PrefetchData() const {
    if (next_finish_ <= step_) __builtin_prefetch(&(*requests_)[next_finish_id_]);
    if (!finish_heap_.empty()) {
      // The levels a pop or push walks first: the top three (15 entries, 4 lines).
      const char* heap = reinterpret_cast<const char*>(&finish_heap_.top());
      const std::size_t bytes =
          std::min<std::size_t>(finish_heap_.size(), 15) * sizeof(FinishEntry);
      for (std::size_t i = 0; i < bytes; i += 64) __builtin_prefetch(heap + i);
    }
    if (!ahead_.empty()) __builtin_prefetch(ahead_.data());
    if (!chunks_.empty()) __builtin_prefetch(chunks_.data());
    const char* phases = reinterpret_cast<const char*>(phase_count_.data());
    const std::size_t phase_bytes = phase_count_.size() * sizeof(std::int32_t);
    for (std::size_t i = 0; i < phase_bytes; i += 64) __builtin_prefetch(phases + i);
    __builtin_prefetch(levels_.data());
    if (!levels_.empty() && !levels_.front().admitted.empty()) {
      __builtin_prefetch(&levels_.front().admitted.back());
    }
  }

  // Calls visit(id, generated) for each running decode request, by priority (highest first)
  // then oldest admission first, with
  // the output tokens it has produced so far. O(batch): for the real-time emulator, which must
  // name the requests that got a token; the simulation loop never calls it.
  void VisitDecoding(const std::function<void(RequestId, std::int32_t)>& visit) const;

 private:
  struct FinishEntry {
    std::int64_t step;
    RequestId id;
    std::uint32_t stamp;
    bool operator>(const FinishEntry& o) const {
      return step != o.step ? step > o.step : id > o.id;
    }
  };

  // Requests of one priority: waiting for admission, waiting with their KV (decode role), and
  // running decode sequences in admission order (preemption victims come from the newest).
  // `admitted` holds (request, stamp at its join); an entry whose request has left decode
  // since (finished, or preempted: the stamp moved on) is stale and skipped, and stale
  // entries are swept when they outnumber the live ones, so joining and leaving touch no
  // other request (a linked list cost two cache misses per finish and one per join).
  struct Level {
    std::int16_t priority = 0;
    std::deque<RequestId> waiting;
    std::deque<RequestId> prefilled;
    std::int64_t prefilling = 0;  // requests of this level in prefilling_
    std::int64_t decoding = 0;    // running decode sequences of this level
    std::vector<std::pair<RequestId, std::uint32_t>> admitted;
    bool Running() const { return prefilling > 0 || decoding > 0; }
  };

  // KV blocks and the prefix cache (instance_kv.cpp).
  std::int64_t BlocksFor(std::int64_t tokens) const;
  std::int64_t FreeBlocks() const { return total_blocks_ - used_blocks_ - PinnedBlocks(); }
  // Without caching the prefix cache stays empty; not reading it spares a cache line per step.
  std::int64_t PinnedBlocks() const { return caching_ ? cache_.pinned_blocks() : 0; }
  void Allocate(std::int64_t blocks);  // REQUIRES: blocks <= FreeBlocks()
  std::int64_t CachedTokens(const Request& r) const { return caching_ ? r.cached_tokens : 0; }
  // Private blocks of a request holding kv_tokens of KV (its cached prefix is shared).
  std::int64_t PrivateBlocks(const Request& r, std::int64_t kv_tokens) const {
    return BlocksFor(kv_tokens) - BlocksFor(CachedTokens(r));
  }
  void ReleaseKv(Request& r, std::int64_t kv_tokens, std::int64_t private_blocks);
  void AttachCachedPrefix(Request& r);
  void DetachCachedPrefix(Request& r);

  // Priority levels, admission order and preemption (instance_queues.cpp).
  // Inline for the common case (one priority): a call per join, leave and arrival.
  Level& LevelOf(std::int16_t priority) {
    if (!levels_.empty() && levels_.front().priority == priority) return levels_.front();
    return FindOrAddLevel(priority);
  }
  Level& FindOrAddLevel(std::int16_t priority);
  Level* TopWaiting();
  Level* TopPrefilled();
  Level* LowestRunning();
  bool CanAdmit(const Request& r) const;
  void PreemptForWaiting();
  void Preempt(RequestId id);
  // Back to the front of its level's queue, holding no KV blocks (preempted or unplanned).
  void Requeue(RequestId id);
  bool PreemptOne();
  bool PreemptFrom(Level& level);
  RequestId FewestOutputs(const Level& level) const;

  // Decode aggregate (instance_decode.cpp).
  std::int64_t Emitted(std::int64_t step) const { return (step_rate_ * step) >> kRateShift; }
  std::int64_t DecodeKv(const Request& r) const;  // KV length before the current step
  std::int64_t Group(const Request& r) const;
  std::int64_t DecodeBlocksNeeded() const;
  bool Admitted(const std::pair<RequestId, std::uint32_t>& entry) const;
  void JoinDecode(RequestId id);
  void LeaveDecode(RequestId id, std::int64_t kv_tokens);
  void ScheduleDecode(BatchShape& batch);
  std::int64_t FinishDecodeStep(SimTime now, IterationOutcome& outcome);

  // SGLang's new-token reserve (instance.cpp; config_.new_token_ratio > 0). Outputs count at
  // most this many tokens (engines.md 3.1, reserve clip).
  static constexpr std::int64_t kReserveClipTokens = 4096;
  double NewTokenRatio() const;
  void ResetNewTokenRatio(std::int64_t step) {
    ratio_start_ = config_.new_token_ratio;
    ratio_step_ = step;
  }
  // Output tokens a request still owes at its join, and the reserve's tokens for the running
  // requests: the share of their clipped remaining outputs plus the prompts' remaining tokens.
  std::int64_t OwedAtJoin(const Request& r) const {
    return r.output_tokens - (r.join_kv + 1 - r.input_tokens);
  }
  double ReservedTokens() const;
  // The clipped output a prompt will generate on this instance: none on a prefill-role
  // instance, whose requests decode elsewhere.
  std::int64_t OwedHere(const Request& r) const {
    if (role_ == InstanceRole::kPrefill) return 0;
    return std::min<std::int64_t>(r.output_tokens - r.generated, kReserveClipTokens);
  }

  // Prefill (instance.cpp).
  void SchedulePrefill(BatchShape& batch);
  // mixed_prefill off: a prefill batch if one forms, else the decode step; keeps the decodes'
  // wait behind prefill batches for their next inter-token gap.
  void ScheduleUnmixed(BatchShape& batch, SimTime now);
  // One attention-DP rank's share of the token budget.
  std::int64_t RankTokenBudget() const {
    return std::max<std::int64_t>(1, config_.max_num_tokens / config_.attention_dp_ranks);
  }
  // The largest chunk of a prompt within `budget`: under attention DP it runs on its request's
  // rank, within that rank's share (SGLang: chunked_prefill_size / dp_size per worker).
  std::int64_t ChunkLimit(std::int64_t budget) const {
    return config_.attention_dp_ranks > 1 ? std::min(budget, RankTokenBudget()) : budget;
  }
  // Without chunked prefill a whole prompt must fit what is left of the budget and, under
  // attention DP, its rank's share; one that does not runs alone (MayRunAlone).
  bool TooLong(std::int64_t prompt, std::int64_t budget) const {
    return !config_.chunked_prefill &&
           (prompt > budget || (config_.attention_dp_ranks > 1 && prompt > RankTokenBudget()));
  }
  // Without chunked prefill, a prompt longer than the budget runs alone: in a batch without
  // decodes, on a rank no other prompt of the batch uses (one rank without attention DP).
  bool MayRunAlone(const BatchShape& batch) const {
    return batch.decode_sequences == 0 && batch.prefill_sequences < config_.attention_dp_ranks;
  }
  bool TakeChunk(RequestId id, std::int64_t& budget, BatchShape& batch);
  bool HoldForBalance(const BatchShape& batch);
  void AdmitPrefilled();
  void CompletePrefill(RequestId id, SimTime now, IterationOutcome& outcome);

  static constexpr int kRateShift = 20;  // step_rate_ is fixed point with 20 fraction bits
  static constexpr std::int64_t kOneTokenPerStep = std::int64_t{1} << kRateShift;
  static constexpr std::int64_t kNever = INT64_MAX;

  // Members in the order an iteration end touches them, in 64-byte lines (the object is
  // aligned to a line): flags and the decode aggregate's scalars, then blocks, pointers and
  // this iteration's chunks, then the stretch, then the configuration. Per event an instance
  // touched about nine lines, spread over 848 bytes at any offset.
  // Line 0.
  bool busy_ = false;
  bool decode_step_running_ = false;
  bool planned_ = false;  // see "Planning at a cut" below
  bool caching_ = false;  // prefix caching on (never on decode-role instances)
  int outstanding_ = 0;
  // Decode aggregate.
  std::int64_t step_ = 0;       // index of the next decode step
  std::int64_t step_rate_ = 0;  // E x 2^kRateShift: C(s) = Emitted(s)
  std::int64_t decoding_ = 0;   // running decode sequences
  // finish_heap_.top().step (kNever when empty), kept here so a step without a finishing
  // sequence touches neither the heap nor a request.
  std::int64_t next_finish_ = kNever;
  RequestId next_finish_id_ = kNoRequest;  // its request, for PrefetchData
  std::int64_t kv_offset_sum_ = 0;         // sum of (join_kv - C(join_step)) over decode sequences
  std::int64_t waiting_count_ = 0;
  std::int64_t prefilled_count_ = 0;  // decode role: KV arrived, waiting for a slot and blocks
  // Line 1.
  std::int64_t total_blocks_ = 0;
  std::int64_t used_blocks_ = 0;  // private blocks of running requests
  std::vector<Request>* requests_;
  const InstanceCostModel* cost_;
  DecodeCostCache* decode_cache_;
  std::vector<std::pair<RequestId, std::int32_t>> chunks_;  // this iteration's prefill chunks

  // Line 2. The stretch (FastForward): planned steady decode steps before the running
  // iteration, oldest first; the first is decode step stretch_step_ and starts at
  // stretch_start_. A step keeps only what differs from the running iteration (its batch
  // differs only in the context, which follows from the step index): whole records made
  // the stretch the largest part of an instance's working set.
  struct StretchStep {
    SimTime end;
    double joules;
    std::int64_t kv_blocks_used;
    std::int64_t output_tokens;
  };
  std::vector<StretchStep> ahead_;
  std::int64_t stretch_step_ = 0;
  SimTime stretch_start_ = 0;
  // Decode sequences by group (join_kv - C(join_step)) mod B: the group's KV length before
  // step s is congruent to group + C(s), which says whether the step needs a new block.
  std::vector<std::int32_t> phase_count_;  // 32 bits: half the lines to prefetch

  // Line 3.
  SchedulerConfig config_;
  int index_;
  InstanceRole role_;
  // Line 4.
  std::priority_queue<FinishEntry, std::vector<FinishEntry>, std::greater<>> finish_heap_;
  std::vector<Level> levels_;  // by priority, highest first; few levels
  std::unique_ptr<DecodeCostCache> own_decode_cache_;
  IterationRecord record_;
  std::deque<RequestId> prefilling_;  // admitted, prompt not complete; in admission order

  // Planning at a cut: the running iteration starts after the stretch's only step, whose
  // whole record (the running one's is the planned iteration's) and the state before the
  // planning are kept for StretchRecord and Unplan.
  IterationRecord cut_record_;
  std::int64_t plan_used_blocks_ = 0;
  std::int64_t plan_prompt_tokens_ = 0;
  int plan_balance_held_ = 0;
  SimTime plan_decode_wait_start_ = -1;
  std::int64_t plan_decode_waiting_ = 0;

  int balance_held_ = 0;  // iterations new prompts have waited for attention-DP balance
  // mixed_prefill off: since when the running decodes have waited behind prefill batches, and
  // how many of them (-1: not waiting).
  SimTime decode_wait_start_ = -1;
  std::int64_t decode_waiting_ = 0;

  // SGLang's new-token reserve: the ratio was ratio_start_ at decode step ratio_step_; decode
  // sequences' sum of (OwedAtJoin + C(join_step)), and how many owed more than the clip.
  double ratio_start_ = 0;
  std::int64_t ratio_step_ = 0;
  std::int64_t owed_offset_sum_ = 0;
  std::int64_t long_owed_ = 0;

  // Last: what a decode step does not touch.
  PrefixCache cache_;
  std::int64_t prompt_tokens_ = 0;
  std::int64_t prefix_hit_tokens_ = 0;
  std::int64_t preemptions_ = 0;
};

}  // namespace tokenfab
