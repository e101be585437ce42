// How one serving instance is laid out: parallelism and numeric formats.
#pragma once

#include <algorithm>
#include <optional>

#include "tokenfab/catalog/model.h"
#include "tokenfab/catalog/precision.h"

namespace tokenfab {

// Notation of TensorRT-LLM and SGLang deployments. One instance spans max(tp, ep) x pp GPUs.
// MoE experts are split ep ways (and tp/ep ways inside each expert when tp > ep). With
// attention_dp every GPU of the instance runs attention on its own share of the batch with
// replicated attention weights (DEP8 = tp 1, ep 8, attention_dp).
struct Parallelism {
  int tp = 1;
  int pp = 1;
  int ep = 1;
  bool attention_dp = false;

  int GpusPerStage() const { return std::max(tp, ep); }
  int GpusPerInstance() const { return GpusPerStage() * pp; }
  // Ranks that each run attention on a share of the batch.
  int AttentionDataParallel() const { return attention_dp ? GpusPerStage() : 1; }
  // Ways attention heads and dense feed-forward weights are split.
  int AttentionTensorParallel() const { return attention_dp ? 1 : tp; }
};

struct PrecisionConfig {
  Precision weights = Precision::kFp8;
  Precision kv_cache = Precision::kFp8;
  // Activations and collectives run in 16-bit; GEMMs run at the weights' format when the
  // hardware supports it (FP8/FP4 tensor cores), else at the next wider one.
  Precision activations = Precision::kBf16;
  // Attention projections (QKV and output): unset follows the checkpoint, i.e. 16 bits where
  // the model's published checkpoint leaves them unquantized, else `weights`.
  std::optional<Precision> attention_weights;
  // What GEMMs read their activations in: unset, the weights' format (W8A8, W4A4); a wider one
  // makes weight-only kernels (W4A16, W8A16) that dequantize the weights and multiply at it.
  std::optional<Precision> gemm_inputs;
};

// The format a GEMM with `weights` multiplies in, before the GPU widens what its tensor cores
// lack (GpuSpec::MatmulFormat).
inline Precision GemmMathPrecision(Precision weights, const PrecisionConfig& p) {
  if (p.gemm_inputs && BytesPerElement(*p.gemm_inputs) > BytesPerElement(weights)) {
    return *p.gemm_inputs;
  }
  return weights;
}

// The format the attention projections are stored and multiplied in.
inline Precision AttentionWeightPrecision(const ModelSpec& model, const PrecisionConfig& p) {
  if (p.attention_weights) return *p.attention_weights;
  if (model.attention_unquantized && BytesPerElement(p.weights) < 2) return Precision::kBf16;
  return p.weights;
}

}  // namespace tokenfab
