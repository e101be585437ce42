// Batch limits an engine's benchmark tool picks by itself. trtllm-bench derives max_batch_size
// and max_num_tokens from the KV capacity at the dataset's mean ISL/OSL (engines.md 1.3).
#pragma once

#include <vector>

#include "tokenfab/catalog/gpu.h"
#include "tokenfab/catalog/model.h"
#include "tokenfab/perf/deployment.h"

namespace tokenfab {

struct BatchLimits {
  int max_batch_size = 0;
  int max_num_tokens = 0;
};

// REQUIRES: mean_isl, mean_osl >= 1. `kv_fraction` is kv_cache_free_gpu_mem_fraction.
BatchLimits TrtllmBenchLimits(const ModelSpec& model, const GpuSpec& gpu, const Parallelism& p,
                              const PrecisionConfig& precision, double kv_fraction, double mean_isl,
                              double mean_osl, int max_isl);

// The CUDA graph batch sizes an engine captures (per attention-DP rank): the listed sizes below
// the runtime max_batch_size, and that maximum (TensorRT-LLM's cuda_graph_config with
// max_batch_size = the runtime's, engines.md 1.1-1.2). Empty when `listed` is.
std::vector<int> CapturedGraphSizes(const std::vector<int>& listed, int max_batch_size);

}  // namespace tokenfab
