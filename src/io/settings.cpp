#include "tokenfab/io/settings.h"

#include <array>

namespace tokenfab {
namespace {

constexpr std::array kSettings = {
    SettingInfo{"model", SettingType::kString, "llama-3.1-70b",
                "catalog model id, or a path to a Hugging Face config.json"},
    SettingInfo{"hardware.gpu", SettingType::kString, "h100-sxm", "catalog GPU id"},
    SettingInfo{"hardware.num_gpus", SettingType::kInt, "",
                "GPUs of the deployment = replicas x GPUs per instance; derived when omitted"},
    SettingInfo{
        "hardware.idle_power_fraction", SettingType::kNumber, "0.3",
        "fraction of board power a GPU draws while waiting (assumption, see docs/cost-model.md)"},
    SettingInfo{"parallelism.tp", SettingType::kInt, "8", "tensor-parallel ways"},
    SettingInfo{"parallelism.pp", SettingType::kInt, "1", "pipeline-parallel stages"},
    SettingInfo{"parallelism.ep", SettingType::kInt, "1", "expert-parallel ways (MoE models)"},
    SettingInfo{"parallelism.attention_dp", SettingType::kBool, "false",
                "attention data-parallel across the instance (DeepSeek-style DEP)"},
    SettingInfo{
        "parallelism.replicas", SettingType::kInt, "",
        "instances behind the router; derived from hardware.num_gpus when omitted (else 1)"},
    SettingInfo{"precision.weights", SettingType::kString, "fp8", "bf16, fp16, fp8 or fp4"},
    SettingInfo{"precision.kv_cache", SettingType::kString, "",
                "bf16, fp16, fp8 or fp4; defaults to precision.weights (fp4 weights: fp8)"},
    SettingInfo{"precision.attention_weights", SettingType::kString, "auto",
                "attention projections' format: auto (the model checkpoint's: bf16 where it "
                "leaves attention unquantized, as gpt-oss does, else precision.weights), bf16, "
                "fp16, fp8 or fp4"},
    SettingInfo{"precision.gemm_inputs", SettingType::kString, "auto",
                "format GEMMs read activations in: auto (the weights' format: W8A8, W4A4) or a "
                "wider one for weight-only kernels that multiply at it (bf16 with fp4 weights: "
                "W4A16), bf16, fp16, fp8 or fp4"},
    SettingInfo{"engine.profile", SettingType::kString, "vllm",
                "trtllm (TensorRT-LLM PyTorch backend, after 1.0), trtllm-1.0 (the PyTorch "
                "backend of release 1.0), trtllm-engine (TensorRT engines, v0.x), vllm or sglang"},
    SettingInfo{"engine.max_batch_size", SettingType::kInt, "",
                "sequences per iteration of one instance, or under attention DP with "
                "engine.batch_limits_scope rank of each rank; the profile's default when omitted"},
    SettingInfo{"engine.max_num_tokens", SettingType::kInt, "",
                "tokens per iteration (chunked-prefill budget) of one instance, or under "
                "attention DP with engine.batch_limits_scope rank of each rank; the profile's "
                "default when omitted"},
    SettingInfo{"engine.batch_limits_scope", SettingType::kString, "",
                "instance (max_batch_size and max_num_tokens are the instance's, all attention-DP "
                "ranks together, as SGLang reads them) or rank (each attention-DP rank's, as "
                "TensorRT-LLM reads them); the profile's default when omitted"},
    SettingInfo{"engine.attention_dp_balance_iters", SettingType::kInt, "0",
                "TensorRT-LLM attention-DP balance (attention_dp_config enable_balance, "
                "timeout_iters): while decodes run, new prompts wait until every rank can take "
                "one, for at most this many iterations; 0 = off"},
    SettingInfo{"engine.kv_block_size", SettingType::kInt, "",
                "tokens per KV block; the profile's default when omitted"},
    SettingInfo{"engine.chunked_prefill", SettingType::kBool, "",
                "split long prompts across iterations; the profile's default when omitted"},
    SettingInfo{"engine.mixed_prefill", SettingType::kBool, "",
                "prefill chunks share an iteration with the running decodes; false: a prefill "
                "batch runs alone and the decodes wait (SGLang without --enable-mixed-chunk); the "
                "profile's default when omitted"},
    SettingInfo{"engine.preemption_order", SettingType::kString, "",
                "which running decode a preemption frees first: newest (vLLM) or fewest_outputs "
                "(SGLang: fewest tokens generated, then longest prompt); the profile's default "
                "when omitted"},
    SettingInfo{"engine.cuda_graph_batch_sizes", SettingType::kStructure, "",
                "decode batch sizes (sequences per attention-DP rank) of the CUDA graphs the "
                "engine captures with padding, e.g. [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]; a "
                "decode-only batch runs the smallest that holds it, padded rows included, and "
                "max_batch_size is captured too; [] = no padding; the profile's default when "
                "omitted"},
    SettingInfo{"engine.kv_admission", SettingType::kString, "",
                "on_demand (allocate as computed, preempt by recompute) or reserve_full "
                "(reserve prompt + output at admission); the profile's default when omitted"},
    SettingInfo{"engine.schedule_conservativeness", SettingType::kNumber, "1",
                "SGLang's --schedule-conservativeness: scales the share of the running requests' "
                "remaining outputs kept free before admitting a prompt (the profile's "
                "new_token_ratio; x 0.3 under attention DP); 0: no reserve; profiles without "
                "one ignore it"},
    SettingInfo{"engine.gpu_memory_fraction", SettingType::kNumber, "",
                "share of GPU memory the engine may use (vLLM gpu_memory_utilization, TensorRT-LLM "
                "kv_cache_free_gpu_mem_fraction); the profile's default when omitted"},
    SettingInfo{"engine.iteration_overhead", SettingType::kString, "",
                "host time per iteration not hidden behind GPU work, e.g. '0.5 ms', at most 50 ms; "
                "the profile's calibrated constant when omitted"},
    SettingInfo{"router.policy", SettingType::kString, "round_robin",
                "round_robin, least_outstanding, or prefix_aware (the instance holding the "
                "request's longest cached prefix, else the least loaded)"},
    SettingInfo{
        "workload.kind", SettingType::kString, "poisson",
        "offline (all queued at t=0), closed (fixed concurrency), poisson, gamma, trace, or "
        "sessions (multi-turn sessions whose first turns arrive as a Poisson process at "
        "workload.rate)"},
    SettingInfo{"workload.num_requests", SettingType::kInt, "1000", "requests to simulate"},
    SettingInfo{"workload.concurrency", SettingType::kInt, "64", "closed loop: requests in flight"},
    SettingInfo{"workload.rate", SettingType::kNumber, "4",
                "open loop: requests per second; num_requests / rate at most 1e8 s"},
    SettingInfo{"workload.cv", SettingType::kNumber, "1",
                "gamma: coefficient of variation of inter-arrival times, at most 100"},
    SettingInfo{"workload.input_tokens", SettingType::kLength,
                "{dist: lognormal, mean: 1024, cv: 0.5, max: 8192}", "prompt tokens per request"},
    SettingInfo{"workload.output_tokens", SettingType::kLength,
                "{dist: lognormal, mean: 256, cv: 0.5, max: 2048}", "generated tokens per request"},
    SettingInfo{"workload.trace", SettingType::kString, "",
                "trace file (CSV or Mooncake JSONL) replayed when workload.kind is trace; relative "
                "to the scenario file"},
    SettingInfo{"workload.sessions.enabled", SettingType::kBool, "false",
                "requests come in multi-turn sessions (implied by workload.kind sessions); with "
                "offline, closed, poisson or gamma the kind's process starts the sessions"},
    SettingInfo{"workload.sessions.turns", SettingType::kLength, "4",
                "sessions: turns per session (each turn's prompt is the conversation so far "
                "plus workload.input_tokens new tokens)"},
    SettingInfo{"workload.sessions.think_time_s", SettingType::kNumber, "0",
                "sessions: seconds between a turn's last token and the next turn's arrival "
                "(user reading, or an agent's tool call), at most 1e6"},
    SettingInfo{"workload.sessions.max_context_tokens", SettingType::kInt, "",
                "sessions: a session ends before a turn would exceed this many tokens "
                "(default: the model's context window)"},
    SettingInfo{"workload.rate_curve", SettingType::kStructure, "",
                "poisson, gamma and sessions: time-varying rate, a list of [t_s, rate] points "
                "(linear in between, flat outside), e.g. [[0, 2], [1800, 10], [3600, 2]]"},
    SettingInfo{"workload.rate_period_s", SettingType::kNumber, "0",
                "> 0: workload.rate_curve repeats with this period (every point's t_s below it)"},
    SettingInfo{"workload.diurnal.peak_rate", SettingType::kNumber, "",
                "a day-like cycle instead of workload.rate_curve: requests (or sessions) per "
                "second at the peak, reached half a period after t = 0"},
    SettingInfo{"workload.diurnal.trough_rate", SettingType::kNumber, "",
                "the diurnal cycle's rate at t = 0 (default: a quarter of the peak)"},
    SettingInfo{"workload.diurnal.period_s", SettingType::kNumber, "",
                "the diurnal cycle's period, seconds (default 86400, a day)"},
    SettingInfo{"prefix_cache.enabled", SettingType::kBool, "false",
                "reuse KV blocks of a shared prompt prefix across requests (LRU eviction of "
                "unused blocks), as vLLM's automatic prefix caching and SGLang's radix cache"},
    SettingInfo{"slo.ttft_ms", SettingType::kNumber, "1000", "time-to-first-token objective, ms"},
    SettingInfo{"slo.tpot_ms", SettingType::kNumber, "100", "time-per-output-token objective, ms"},
    SettingInfo{"seed", SettingType::kInt, "1", "seed of every random stream"},
    SettingInfo{"serving.mode", SettingType::kString, "aggregated",
                "aggregated (prefill and decode on the same instances) or disaggregated "
                "(a prefill pool hands KV to a decode pool)"},
    SettingInfo{"serving.prefill.instances", SettingType::kInt, "1",
                "disaggregated: prefill instances"},
    SettingInfo{"serving.prefill.tp", SettingType::kInt, "",
                "prefill pool tp (default parallelism.tp)"},
    SettingInfo{"serving.prefill.ep", SettingType::kInt, "",
                "prefill pool ep (default parallelism.ep)"},
    SettingInfo{"serving.prefill.attention_dp", SettingType::kBool, "",
                "prefill pool attention_dp (default parallelism.attention_dp)"},
    SettingInfo{"serving.prefill.max_batch_size", SettingType::kInt, "",
                "prefill pool max_batch_size, per instance or rank as engine.max_batch_size "
                "(default engine.max_batch_size)"},
    SettingInfo{"serving.decode.instances", SettingType::kInt, "1",
                "disaggregated: decode instances"},
    SettingInfo{"serving.decode.tp", SettingType::kInt, "",
                "decode pool tp (default parallelism.tp)"},
    SettingInfo{"serving.decode.ep", SettingType::kInt, "",
                "decode pool ep (default parallelism.ep)"},
    SettingInfo{"serving.decode.attention_dp", SettingType::kBool, "",
                "decode pool attention_dp (default parallelism.attention_dp)"},
    SettingInfo{"serving.decode.max_batch_size", SettingType::kInt, "",
                "decode pool max_batch_size, per instance or rank as engine.max_batch_size "
                "(default engine.max_batch_size)"},
    SettingInfo{
        "serving.kv_transfer.bandwidth", SettingType::kString, "",
        "bandwidth of one request's KV transfer, e.g. '400 GB/s', at least 1 MB/s; default: "
        "the GPU links (NVLink inside one NVLink domain, else the network) times the GPUs "
        "of the smaller instance"},
    SettingInfo{"serving.kv_transfer.latency", SettingType::kString, "0 us",
                "fixed cost of one KV transfer, e.g. '20 us', at most 3600 s"},
    SettingInfo{"classes", SettingType::kStructure, "",
                "request classes: {<name>: {share:, priority:, input_tokens:, output_tokens:, "
                "slo: {ttft_ms:, tpot_ms:}, deployment:}}"},
    SettingInfo{
        "deployments", SettingType::kStructure, "",
        "several models in one factory: a list of {name:, difficulty_max:, <scenario keys>} "
        "each overriding the top-level keys (model, hardware, parallelism, precision, "
        "engine, serving)"},
    SettingInfo{"routing.policy", SettingType::kString, "by_difficulty",
                "with deployments: by_difficulty (each request has a difficulty score in [0, 1); "
                "the first deployment whose difficulty_max exceeds it serves it) or by_class"},
    SettingInfo{"speculative.num_tokens", SettingType::kInt, "0",
                "speculative decoding: draft tokens proposed per decode step (0: off)"},
    SettingInfo{"speculative.acceptance_rate", SettingType::kNumber, "0",
                "speculative decoding: probability that each draft token is accepted"},
    SettingInfo{"speculative.method", SettingType::kString, "mtp",
                "with speculative.num_tokens > 0: mtp (multi-token prediction: one extra layer "
                "of the main model per draft token, DeepSeek-V3 style) or draft_model"},
    SettingInfo{"speculative.draft_model", SettingType::kString, "",
                "speculative.method draft_model: the draft model, a catalog id or a "
                "config.json path; it runs on the same GPUs with the same tp, and its weights "
                "and KV take HBM from the main model's KV cache"},
    SettingInfo{"metrics.window_s", SettingType::kNumber, "0",
                "> 0: also report metrics per time window of this many seconds (at least 0.001)"},
    SettingInfo{"metrics.percentile_mode", SettingType::kString, "auto",
                "latency percentiles: exact (from every sample), histogram (log-linear "
                "buckets, within 0.05% of exact, constant memory) or auto (exact up to "
                "4,000,000 requests, histogram above); means are exact in every mode"},
};

}  // namespace

std::span<const SettingInfo> ScenarioSettings() { return kSettings; }

const SettingInfo* FindSetting(std::string_view key) {
  for (const SettingInfo& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::string_view SettingTypeName(SettingType type) {
  switch (type) {
    case SettingType::kString:
      return "string";
    case SettingType::kInt:
      return "integer";
    case SettingType::kNumber:
      return "number";
    case SettingType::kBool:
      return "boolean";
    case SettingType::kLength:
      return "token count or distribution";
    case SettingType::kStructure:
      return "mapping or list";
  }
  return "value";
}

}  // namespace tokenfab
