// One serving instance: continuous batching with a token budget per iteration (decode first,
// then chunked prefill), paged KV blocks and preemption by recompute, FCFS admission.
//
// Invariant: the running decode sequences are kept in aggregate (count, sum of context,
// blocks that need a new page at each step modulo the block size, a heap of finish steps),
// so scheduling an iteration costs O(prefill chunks + finishing requests), not O(batch).
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <utility>
#include <vector>

#include "tokenfab/perf/batch.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/request.h"
#include "tokenfab/serve/scheduler_config.h"

namespace tokenfab {

// What an iteration did, reported to observers when it ends.
struct IterationRecord {
  int instance = 0;
  SimTime start = 0;
  SimTime end = 0;
  BatchShape batch;
  std::int64_t kv_blocks_used = 0;
  std::int64_t kv_blocks_total = 0;
  double joules = 0;
};

class Instance {
 public:
  Instance(int index, const InstanceCostModel* cost, const SchedulerConfig& config,
           std::vector<Request>* requests);

  void Enqueue(RequestId id);
  bool Busy() const { return busy_; }
  bool HasWork() const;
  int Outstanding() const { return outstanding_; }
  std::int64_t total_blocks() const { return total_blocks_; }
  std::int64_t used_blocks() const { return used_blocks_; }
  std::int64_t preemptions() const { return preemptions_; }
  // Largest request (prompt + output tokens) the KV pool can ever hold.
  std::int64_t CapacityTokens() const { return total_blocks_ * config_.kv_block_size; }

  // Plans the next iteration at `now`; returns its end time, or -1 when there is nothing to run.
  SimTime StartIteration(SimTime now);
  // Applies the running iteration's effects at its end time. Requests that produced their
  // first token or finished are appended to the given lists.
  void FinishIteration(std::vector<RequestId>& first_tokens, std::vector<RequestId>& finished);

  const IterationRecord& last_iteration() const { return record_; }

 private:
  struct FinishEntry {
    std::int64_t step;
    RequestId id;
    std::uint32_t stamp;
    bool operator>(const FinishEntry& o) const {
      return step != o.step ? step > o.step : id > o.id;
    }
  };

  std::int64_t BlocksFor(std::int64_t tokens) const;
  std::int64_t DecodeKv(const Request& r) const;  // KV length before the current step
  void JoinDecode(RequestId id);
  void LeaveDecode(RequestId id, std::int64_t kv_tokens);
  void Preempt(RequestId id);
  bool PreemptOne();
  void ScheduleDecode(BatchShape& batch);
  void SchedulePrefill(BatchShape& batch);
  bool TakeChunk(RequestId id, std::int64_t& budget, BatchShape& batch);

  int index_;
  const InstanceCostModel* cost_;
  SchedulerConfig config_;
  std::vector<Request>* requests_;

  std::deque<RequestId> waiting_;
  std::deque<RequestId> prefilling_;
  std::vector<std::pair<RequestId, std::int32_t>> chunks_;  // this iteration's prefill chunks

  // Decode aggregate.
  std::int64_t step_ = 0;          // index of the next decode step
  std::int64_t decoding_ = 0;      // running decode sequences
  std::int64_t kv_offset_sum_ = 0; // sum of (join_kv - join_step) over decode sequences
  std::vector<std::int64_t> phase_count_;  // decode sequences needing a new block when step % B == i
  std::priority_queue<FinishEntry, std::vector<FinishEntry>, std::greater<>> finish_heap_;
  RequestId newest_ = kNoRequest;  // tail of the admission-ordered decode list
  RequestId oldest_ = kNoRequest;
  bool decode_step_running_ = false;

  std::int64_t total_blocks_ = 0;
  std::int64_t used_blocks_ = 0;
  int outstanding_ = 0;
  std::int64_t preemptions_ = 0;
  bool busy_ = false;
  IterationRecord record_;
};

}  // namespace tokenfab
