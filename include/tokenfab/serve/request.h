// One inference request as the serving twin tracks it.
#pragma once

#include <cstdint>

#include "tokenfab/core/sim_time.h"

namespace tokenfab {

using RequestId = std::int32_t;
inline constexpr RequestId kNoRequest = -1;

// Layout: the fields a step touches when the request's prefill chunk ends or the request
// finishes (the finish-heap check, leaving the decode aggregate, the finish metrics) share
// the first cache line, so each costs one cache miss (at factory scale the request was evicted
// since it joined); the record is aligned to a line so that line is never split.
struct alignas(64) Request {
  // Decode bookkeeping (see the decode aggregate in instance.h): a stamp that invalidates
  // stale heap entries after preemption, the decode step the request joined at and its KV
  // length then.
  std::uint32_t stamp = 0;
  std::int32_t generated = 0;  // output tokens produced (at the last join or preemption)
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;
  std::int32_t join_kv = 0;
  std::int32_t blocks = 0;     // KV blocks held while waiting or prefilling
  std::int16_t cls = 0;        // request class (ServeConfig::classes)
  std::int16_t priority = 0;   // higher is admitted first and preempted last
  std::int32_t prefilled = 0;  // tokens of PrefillTarget() whose KV has been computed
  std::int64_t join_step = 0;
  SimTime arrival = 0;
  SimTime first_token = -1;
  SimTime finish = -1;

  RequestId id = kNoRequest;
  std::int32_t session = -1;    // multi-turn session, -1 for none
  std::int32_t deployment = 0;  // which model deployment serves it (multi-model routing)
  std::int32_t turn = 0;        // 1-based turn within the session, 0 for none
  // Prompt prefix identity for the prefix cache: `prefix_blocks` whole blocks of the
  // workload's hash block size (PrefixBlockTokens(), workload.h), hashed by PrefixBlockHash.
  // prefix_hashes_begin >= 0: explicit hashes from a trace, WorkloadSource::hashes()
  // [begin, begin + prefix_blocks). prefix_hashes_begin == kDerivedHashes (-1, a synthetic
  // session turn, session >= 0): block i's hash is derived from (session, i); the blocks are
  // floor(conversation so far / block size), the earlier turns' prompts and outputs, which
  // every later turn of the session repeats at its start.
  std::int32_t prefix_hashes_begin = 0;
  std::int32_t prefix_blocks = 0;
  std::int32_t cached_tokens = 0;  // prompt tokens served from the prefix cache

  std::int32_t instance = -1;  // global instance index currently holding it
  SimTime prefill_done = -1;   // disaggregated: prefill finished, KV transfer starts
  SimTime kv_ready = -1;       // disaggregated: KV arrived at the decode instance
  std::int32_t preemptions = 0;

  bool Finished() const { return finish >= 0; }
  // Tokens a prefill must compute: the prompt, plus what was generated before a preemption
  // (recompute).
  std::int32_t PrefillTarget() const { return input_tokens + generated; }
};

static_assert(sizeof(Request) == 128);

}  // namespace tokenfab
