// What a serving framework does that the hardware does not explain: its defaults, its
// per-iteration overheads and the fractions of peak its kernels reach. Numbers live in
// data/catalog/engines.yaml with their sources.
#pragma once

#include <string>
#include <vector>

namespace tokenfab {

enum class PercentileMethod {
  kLinear,      // numpy default interpolation (vLLM, SGLang benchmarks)
  kFloorIndex,  // sorted[int(n * p)] (trtllm-bench, MLPerf LoadGen)
};

struct EngineProfile {
  std::string id;  // "trtllm", "vllm", "sglang"
  std::string name;
  std::string sources;

  // Scheduler defaults, used when the scenario does not set them.
  int max_batch_size = 256;
  int max_num_tokens = 8192;
  int kv_block_size = 16;
  bool chunked_prefill = true;
  // Prefill chunks share an iteration with the running decodes (vLLM, TensorRT-LLM); false:
  // a prefill batch, when one forms, runs alone and the decodes wait (SGLang's prefill-first
  // loop without enable_mixed_chunk).
  bool mixed_prefill = true;
  // MoE: the second expert GEMM adds each token-expert output straight into its token's row
  // (TensorRT-LLM's CUTLASS MoE finalize fusion) instead of writing every pair's output for
  // a separate finalize kernel to read back and sum.
  bool moe_fused_finalize = false;
  // Share of device memory the engine may use. With basis "total" (vLLM) it covers weights,
  // activations and KV; with "free_after_weights" (TensorRT-LLM free_gpu_memory_fraction) it
  // is the share of what is left after weights and activations that goes to KV.
  double gpu_memory_fraction = 0.9;
  std::string memory_fraction_basis = "total";
  // "defaults": max_batch_size / max_num_tokens above; "trtllm_bench": for offline runs the
  // limits trtllm-bench derives from KV capacity at the workload's mean ISL/OSL.
  std::string batch_limits = "defaults";
  // Whose limits max_batch_size and max_num_tokens are under attention data parallelism:
  // "instance" (all ranks together; SGLang divides a given value by the DP size) or "rank"
  // (each rank's own batch; TensorRT-LLM). Without attention DP both mean the instance's.
  std::string batch_limits_scope = "instance";
  PercentileMethod percentiles = PercentileMethod::kLinear;
  // "on_demand" (vLLM, SGLang: allocate as computed, preempt by recompute) or "reserve_full"
  // (TensorRT-LLM GUARANTEED_NO_EVICT: reserve prompt + output at admission).
  std::string kv_admission = "on_demand";
  // SGLang's admission reserve (engines.md 3.3): with on-demand KV, a waiting request is
  // admitted only if its prompt and output fit beside this share of the running requests'
  // remaining outputs; the share decays while the server decodes. 0: no reserve (vLLM).
  double new_token_ratio = 0;
  // Which running decode a preemption frees first: "newest" (vLLM: the last admitted) or
  // "fewest_outputs" (SGLang's retraction_policy "length": the fewest tokens generated, then
  // the longest prompt).
  std::string preemption_order = "newest";
  // Batch sizes (sequences per attention-DP rank) of the CUDA graphs captured for decode-only
  // iterations with padding on (TensorRT-LLM's cuda_graph_config.enable_padding): a batch of
  // n runs the graph of the smallest size >= n and computes the padded rows too. The runtime
  // max_batch_size is captured as well and larger sizes are not. Empty: no padding modelled.
  std::vector<int> cuda_graph_batch_sizes;

  // Per-iteration host time not hidden behind GPU work (scheduling, sampling, launches), s.
  double iteration_overhead_s = 0;
  // Extra host time per sequence in the batch per iteration, s.
  double per_sequence_overhead_s = 0;
  // Host work per sequence per iteration (scheduling, sampling bookkeeping, responses) that an
  // overlap scheduler runs while the GPU executes the previous iteration: the iteration takes
  // max(GPU time, host_time_per_sequence_s x sequences), s.
  double host_time_per_sequence_s = 0;
  // Fractions of peak reached by kernels (0..1].
  double gemm_efficiency = 0.7;  // GEMMs, of the GPU's achievable matmul rate (MAMF)
  // MoE grouped GEMMs (many experts with few tokens each), of the dense GEMM's compute rate
  // and bandwidth.
  double grouped_gemm_efficiency = 1.0;
  // Share of the shorter of an operator's compute and memory times hidden under the longer:
  // 1 = perfect roofline max(compute, memory), 0 = their sum.
  double compute_memory_overlap = 1.0;
  double attention_efficiency = 0.5;  // prefill attention, of peak FLOP/s
  double memory_efficiency = 0.8;     // streaming weights and KV, of HBM bandwidth
  // Decode attention reading the paged KV cache (blocks of a few KB per head, gathered through
  // a block table), as a share of the weight-streaming rate above; 1 = the same rate.
  double kv_read_efficiency = 1.0;
  double network_efficiency = 0.8;     // collectives, of link bandwidth
  double collective_latency_s = 5e-6;  // per collective step (alpha of the alpha-beta model)
};

}  // namespace tokenfab
