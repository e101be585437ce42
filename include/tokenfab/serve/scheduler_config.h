// Scheduling limits of one instance (engine.* scenario keys).
#pragma once

#include <cstdint>
#include <vector>

namespace tokenfab {

// How KV blocks are committed when a request is admitted.
enum class KvAdmission {
  kOnDemand,     // blocks allocated as tokens are computed; preempt by recompute when out (vLLM,
                 // SGLang)
  kReserveFull,  // blocks for prompt + all output reserved at admission; never preempts
                 // (TensorRT-LLM GUARANTEED_NO_EVICT)
};

struct SchedulerConfig {
  int max_batch_size = 256;   // sequences per iteration (prefill + decode)
  int max_num_tokens = 8192;  // tokens per iteration: the chunked-prefill budget
  int kv_block_size = 16;     // tokens per KV block
  bool chunked_prefill = true;
  // Prefill chunks ride along with the decode step; false: a prefill batch, when one forms,
  // runs alone and the decodes wait that iteration (SGLang without enable_mixed_chunk).
  bool mixed_prefill = true;
  // Attention data-parallel ranks in the instance (1 without attention DP). Each rank runs its
  // own requests' prompts: without chunked prefill up to this many prompts longer than the
  // budget run together, one per rank, each taking its rank's share of max_num_tokens.
  int attention_dp_ranks = 1;
  // TensorRT-LLM's attention-DP balance (attention_dp_config.enable_balance, timeout_iters):
  // while decodes run, new prompts wait until every rank can take one, for at most this many
  // iterations, so that no rank prefills while the others only decode. 0: off.
  int attention_dp_balance_iters = 0;
  KvAdmission kv_admission = KvAdmission::kOnDemand;
  // SGLang's new-token reserve (on-demand KV only; 0: off). A waiting request is admitted
  // only while prompt + min(output, 4,096) < free KV tokens - ratio x the running requests'
  // sum of min(remaining output, 4,096) - what this iteration already admitted. The ratio
  // starts at new_token_ratio, falls linearly to 0.14 of it over 600 decode steps, and
  // returns to the start when the instance idles or retracts (preempts) a decode.
  double new_token_ratio = 0;
  // Preemption of a decode sequence frees the fewest-outputs one (SGLang's retraction order:
  // fewest tokens generated, then longest prompt) instead of the newest (vLLM).
  bool preempt_fewest_outputs = false;

  // Priorities (Request::priority, higher first): a waiting request that cannot be admitted
  // for lack of batch slots or KV blocks preempts running requests of lower priority
  // (vLLM policy=priority). Only with on-demand KV admission.
  bool priority_preemption = true;

  // Prefix cache (KV block reuse across requests, LRU eviction): off by default. Requests'
  // prefix hashes come in blocks of prefix_block_tokens tokens (the workload's
  // PrefixBlockTokens(); 0: kDefaultPrefixBlockTokens), explicit hashes from `prefix_hashes`
  // (the workload's hash pool, not owned; may be null without trace hashes).
  bool prefix_caching = false;
  int prefix_block_tokens = 0;
  const std::vector<std::uint64_t>* prefix_hashes = nullptr;

  // Speculative decoding: spec_tokens draft tokens per sequence per decode step, each accepted
  // with probability spec_acceptance (chain). 0: off.
  int spec_tokens = 0;
  double spec_acceptance = 0;
};

}  // namespace tokenfab
