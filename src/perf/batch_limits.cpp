#include "tokenfab/perf/batch_limits.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {
namespace {

double RoundUp(double x, double step) { return std::ceil(x / step) * step; }

}  // namespace

BatchLimits TrtllmBenchLimits(const ModelSpec& model, const GpuSpec& gpu, const Parallelism& p,
                              const PrecisionConfig& precision, double kv_fraction, double mean_isl,
                              double mean_osl, int max_isl) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const double kv_bytes = BytesPerElement(precision.kv_cache);
  double kv_gib_per_token;
  if (model.attention == AttentionKind::kMla) {
    kv_gib_per_token =
        model.num_layers * (model.kv_lora_rank + model.qk_rope_head_dim) * kv_bytes / kGiB;
  } else {
    kv_gib_per_token = 2.0 * model.num_layers * std::max(p.tp, model.num_kv_heads) *
                       model.head_dim * kv_bytes / kGiB;
  }
  const double engine_gib =
      CountParameters(model).total * BytesPerElement(precision.weights) / kGiB;
  const double ranks = p.attention_dp ? 1.0 : static_cast<double>(p.tp);
  // With attention DP the newer heuristic sizes one rank: memory of one GPU and the weights
  // split over the TensorRT-LLM world of the stage (DEPn runs tp_size = moe_ep_size = n, which
  // tokenfab writes tp = 1, ep = n: GpusPerStage()).
  const double world = p.attention_dp ? static_cast<double>(p.GpusPerStage()) : 1.0;
  const double available = gpu.hbm_bytes / kGiB * ranks * p.pp - engine_gib / world;
  const double cache = std::max(0.0, available * kv_fraction);
  const double kv_max_requests = cache / (kv_gib_per_token * (mean_isl + mean_osl));
  const double raw_bs = std::min(kv_max_requests, 4096.0) / p.pp;
  const double raw_tokens = std::min(raw_bs * (1.0 + mean_isl / mean_osl), 32768.0);
  double bs;
  if (raw_bs < 256) {
    bs = std::max(64.0, RoundUp(raw_bs, 32));
  } else if (raw_bs < 1024) {
    bs = RoundUp(raw_bs, 128);
  } else {
    bs = RoundUp(raw_bs, 256);
  }
  double tokens;
  if (raw_tokens < 4096) {
    tokens = std::max(2048.0, RoundUp(raw_tokens, 256));
  } else if (raw_tokens < 8192) {
    tokens = RoundUp(raw_tokens, 512);
  } else {
    tokens = RoundUp(raw_tokens, 1024);
  }
  // The PyTorch backend runs without chunked prefill here and lifts the budget so the longest
  // prompt fits next to a full batch of decodes.
  tokens = std::max(tokens, static_cast<double>(max_isl) + bs);
  return {static_cast<int>(bs), static_cast<int>(tokens)};
}

std::vector<int> CapturedGraphSizes(const std::vector<int>& listed, int max_batch_size) {
  std::vector<int> sizes;
  if (listed.empty() || max_batch_size < 1) return sizes;
  for (const int s : listed) {
    if (s < max_batch_size) sizes.push_back(s);
  }
  sizes.push_back(max_batch_size);
  return sizes;
}

}  // namespace tokenfab
