// One inference request as the serving twin tracks it.
#pragma once

#include <cstdint>

#include "tokenfab/core/sim_time.h"

namespace tokenfab {

using RequestId = std::int32_t;
inline constexpr RequestId kNoRequest = -1;

struct Request {
  RequestId id = kNoRequest;
  SimTime arrival = 0;
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;

  std::int32_t instance = -1;
  std::int32_t prefilled = 0;   // tokens of PrefillTarget() whose KV has been computed
  std::int32_t generated = 0;   // output tokens produced (at the last join or preemption)
  std::int32_t blocks = 0;      // KV blocks held while waiting or prefilling
  SimTime first_token = -1;
  SimTime finish = -1;
  std::int32_t preemptions = 0;

  // Decode bookkeeping (see DecodeSet): the decode step the request joined at, its KV length
  // then, and a stamp that invalidates stale heap entries after preemption.
  std::int64_t join_step = 0;
  std::int32_t join_kv = 0;
  std::uint32_t stamp = 0;
  // Admission-ordered doubly-linked list of running decode requests (victims come from the back).
  RequestId prev = kNoRequest;
  RequestId next = kNoRequest;

  bool Finished() const { return finish >= 0; }
  // Tokens a prefill must compute: the prompt, plus what was generated before a preemption
  // (recompute).
  std::int32_t PrefillTarget() const { return input_tokens + generated; }
};

}  // namespace tokenfab
