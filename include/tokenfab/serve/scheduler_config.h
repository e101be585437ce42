// Scheduling limits of one instance (engine.* scenario keys).
#pragma once

namespace tokenfab {

// How KV blocks are committed when a request is admitted.
enum class KvAdmission {
  kOnDemand,    // blocks allocated as tokens are computed; preempt by recompute when out (vLLM, SGLang)
  kReserveFull, // blocks for prompt + all output reserved at admission; never preempts
                // (TensorRT-LLM GUARANTEED_NO_EVICT)
};

struct SchedulerConfig {
  int max_batch_size = 256;  // sequences per iteration (prefill + decode)
  int max_num_tokens = 8192; // tokens per iteration: the chunked-prefill budget
  int kv_block_size = 16;    // tokens per KV block
  bool chunked_prefill = true;
  KvAdmission kv_admission = KvAdmission::kOnDemand;
};

}  // namespace tokenfab
