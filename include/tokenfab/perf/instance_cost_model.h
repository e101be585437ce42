// The cost model of one serving instance: for a batch, the iteration time and energy, built
// from operators (GEMMs, attention, MoE experts, collectives) on a roofline with the engine
// profile's efficiencies. See docs/cost-model.md for the equations.
#pragma once

#include <string>
#include <vector>

#include "tokenfab/catalog/engine_profile.h"
#include "tokenfab/catalog/gpu.h"
#include "tokenfab/catalog/model.h"
#include "tokenfab/core/status.h"
#include "tokenfab/perf/batch.h"
#include "tokenfab/perf/deployment.h"
#include "tokenfab/perf/speculative.h"

namespace tokenfab {

// Device memory of one GPU of the instance (the most loaded one), bytes.
struct MemoryPlan {
  double usable_bytes = 0;        // hbm x engine gpu_memory_fraction
  double weight_bytes = 0;        // weights held by one GPU
  double activation_bytes = 0;    // workspace reserved for activations, graphs, communication
  double kv_bytes = 0;            // what is left for the KV cache on one GPU
  double kv_bytes_per_token = 0;  // KV of one token of one sequence held on one GPU
  // KV tokens the whole instance can hold: with attention_dp every GPU holds whole tokens of
  // its own sequences; otherwise every GPU holds a shard of every token.
  std::int64_t kv_capacity_tokens = 0;
};

// Time of one iteration split by where it goes, seconds; energy in joules for the instance.
struct IterationCost {
  double seconds = 0;
  double gemm_s = 0;
  double attention_s = 0;
  double communication_s = 0;
  double overhead_s = 0;
  double draft_s = 0;  // speculative decoding: drafting the decode sequences' tokens
  double joules = 0;
};

// Decode-only batches (no prefill, no speculation) of one size differ only in their context:
// their GEMM, head and communication times are kept here per decode_sequences, so Cost
// computes only the attention again. Owned by the caller (one per simulated instance), so a
// cost model shared between threads stays read-only.
struct DecodeCostCache {
  struct Entry {
    bool known = false;
    double gemm_s = 0;
    double communication_s = 0;
    // WithOverheads' terms that depend only on the batch size.
    double host_s = 0;
    double fixed_overhead_s = 0;  // iteration + per-sequence overhead
  };
  std::vector<Entry> by_sequences;
};

struct CostModelOptions {
  // Fraction of board power drawn while the GPU waits (between kernels and when idle).
  // Not published in the shared facts for these GPUs; see docs/cost-model.md.
  double idle_power_fraction = 0.3;
  double activation_reserve_bytes = 2.0e9;  // CUDA graphs, NCCL buffers, allocator slack
  // What another model sharing each GPU (a speculative-decoding draft model) takes from the
  // KV cache: its weights on one GPU, and its KV of one token on one GPU.
  double extra_weight_bytes = 0;
  double extra_kv_bytes_per_token = 0;
  // Captured CUDA graph batch sizes per attention-DP rank, ascending (CapturedGraphSizes);
  // empty: decode-only batches run unpadded.
  std::vector<int> cuda_graph_sizes;
};

class InstanceCostModel {
 public:
  // Fails with an explanation when the layout is impossible (TP not dividing heads, EP on a
  // dense model, weights that do not fit, ...).
  static Result<InstanceCostModel> Build(const ModelSpec& model, const GpuSpec& gpu,
                                         const Parallelism& parallelism,
                                         const PrecisionConfig& precision,
                                         const EngineProfile& engine, int max_num_tokens,
                                         const CostModelOptions& options = {});

  IterationCost Cost(const BatchShape& batch) const;
  // The same result, bit for bit, through the caller's cache for decode-only batches.
  IterationCost Cost(const BatchShape& batch, DecodeCostCache& cache) const;
  // For a run of decode-only batches of batch's size that differ only in their context (a
  // fast-forward stretch): the cache entry through which Cost(batch, cache) computes them,
  // or null when it does not use one (then call Cost). Valid until the cache next grows.
  const DecodeCostCache::Entry* DecodeEntry(const BatchShape& batch,
                                            const DecodeCostCache& cache) const {
    if (batch.tokens_per_decode != 1 || batch.decode_sequences <= 0 || batch.prefill_tokens != 0 ||
        batch.prefill_sequences != 0 || batch.prefill_completions != 0 ||
        batch.prefill_attention_pairs != 0) {
      return nullptr;
    }
    const auto n = static_cast<std::size_t>(batch.decode_sequences);
    if (n >= cache.by_sequences.size() || !cache.by_sequences[n].known) return nullptr;
    return &cache.by_sequences[n];
  }
  // Cost(batch, cache) for a batch whose entry DecodeEntry returned.
  IterationCost DecodeStepCost(const BatchShape& batch, const DecodeCostCache::Entry& entry) const {
    return DecodeOnlyCost(batch, entry);
  }
  // Speculative decoding: batches whose decode sequences verify tokens_per_decode = k + 1
  // tokens also pay for drafting k tokens each (IterationCost::draft_s).
  void set_speculative(const SpeculativeConfig& s) { speculative_ = s; }
  const SpeculativeConfig& speculative() const { return speculative_; }
  // Joules the instance draws while idle for `seconds`.
  double IdleJoules(double seconds) const;

  const MemoryPlan& memory() const { return memory_; }
  int num_gpus() const { return parallelism_.GpusPerInstance(); }
  const Parallelism& parallelism() const { return parallelism_; }
  const ModelSpec& model() const { return model_; }
  const GpuSpec& gpu() const { return gpu_; }
  const EngineProfile& engine() const { return engine_; }
  double weight_bytes_per_param() const { return weight_bytes_; }

  // Expert-parallel load imbalance for a batch of `tokens`: the most loaded EP rank's expert
  // assignments over the mean, under uniform routing (1 without expert parallelism).
  double ExpertImbalance(double tokens) const;
  // Attention DP: tokens on the busiest rank (prompt chunks stay whole on their request's
  // rank; decode tokens spread evenly).
  double BusiestRankTokens(const BatchShape& batch) const;

  // FLOPs of one iteration on the whole instance (for MFU-style reporting and tests).
  double Flops(const BatchShape& batch) const;

 private:
  InstanceCostModel() = default;
  // Sets cost.gemm_s (which must depend only on the batch's token counts, not on its
  // context: DecodeCostCache) and cost.attention_s; returns their sum.
  // `b` is the batch the GEMMs compute (padded by PadToGraph), `attended` the real one whose
  // KV attention reads.
  double LayerStackSeconds(const BatchShape& b, const BatchShape& attended,
                           IterationCost& cost) const;
  double AttentionSeconds(const BatchShape& batch) const;
  double PrefillRanks(const BatchShape& batch) const;
  // A decode-only batch padded up to its CUDA graph's size (options_.cuda_graph_sizes), the
  // batch its GEMMs and collectives compute, into `padded`; false (untouched) when none applies.
  bool PadToGraph(const BatchShape& batch, BatchShape& padded) const;
  // Adds drafting, host and fixed overheads and energy to a cost whose compute and
  // communication are known. In place: a cost passed by value went through the stack in
  // pieces, and reading it back stalled (store forwarding), 4% of a factory run.
  void WithOverheads(const BatchShape& batch, double compute, IterationCost& cost) const;
  double CommunicationSeconds(const BatchShape& batch) const;
  double HeadSeconds(double sampled_tokens) const;
  double DraftSeconds(const BatchShape& batch) const;
  double AllReduceSeconds(double bytes, int ranks) const;
  double AllToAllSeconds(double bytes_per_rank, int ranks) const;
  double Roofline(double flops, double bytes, double efficiency) const {
    return RooflineAt(gemm_peak_, flops, bytes, efficiency);
  }
  double RooflineAt(double peak, double flops, double bytes, double efficiency) const;
  // Time of an operator with these compute and memory times (engine's overlap between them).
  double Overlapped(double compute, double memory) const;
  // Cost of a decode-only batch of the cached size (no speculation, no sliding window): the
  // same operations as Cost(batch), in the same order, with what depends only on the model
  // and the batch size computed once (decode_, the entry). A factory hour plans ~2 x 10^8
  // such steps; the general path was a quarter of the run's instructions.
  IterationCost DecodeOnlyCost(const BatchShape& batch, const DecodeCostCache::Entry& entry) const;
  template <bool kMixedLayers>
  IterationCost DecodeCost(const BatchShape& batch, const DecodeCostCache::Entry& entry) const;
  double DecodeLayerSeconds(double total_context) const;
  double MixedDecodeAttention(const BatchShape& batch, double full) const;

  // Model constants of AttentionSeconds and WithOverheads for DecodeOnlyCost, set by Build.
  struct DecodeConstants {
    double dp = 1;
    // Layers by attention kind, as AttentionSeconds sums them: full, sliding-window (at most
    // `window` tokens read per sequence), chunked (the part of the context in its block).
    int full_layers = 0;
    int window_layers = 0;
    int chunked_layers = 0;
    bool mixed_layers = false;  // window_layers or chunked_layers
    double window = 0;
    double chunk = 0;
    double kv_elements = 0;
    double flops_per_ctx = 0;
    double attention_rate = 0;  // attention_peak_ x attention_efficiency
    double memory_rate = 0;     // kv_read_rate_
    double not_overlapped = 1;  // 1 - compute_memory_overlap
    double layers = 0;
    double gpus_watts = 0;  // num_gpus() x tdp_watts
    double idle = 0;        // idle_power_fraction f
    double busy_share = 1;  // 1 - f
  };
  static DecodeConstants MakeDecodeConstants(const InstanceCostModel& m);

  ModelSpec model_;
  GpuSpec gpu_;
  Parallelism parallelism_;
  PrecisionConfig precision_;
  EngineProfile engine_;
  CostModelOptions options_;
  ParameterCount params_;
  MemoryPlan memory_;
  double weight_bytes_ = 1;  // per parameter
  double kv_bytes_ = 1;      // per element
  double act_bytes_ = 2;     // per element
  // A GEMM's input activations, per element: W8A8 and W4A4 GEMMs read them quantized to the
  // format they run in; outputs stay at act_bytes_.
  double gemm_input_bytes_ = 2;
  // Bytes/s at which decode attention reads the KV cache (hbm x memory_efficiency x
  // kv_read_efficiency), one product for the general and the decode-only path.
  double kv_read_rate_ = 0;
  double gemm_peak_ = 0;  // achievable FLOP/s of one GPU at the GEMM format (MAMF)
  // The same three for the attention projections, whose format may differ
  // (AttentionWeightPrecision).
  struct GemmFormat {
    double weight_bytes = 1;
    double input_bytes = 2;
    double peak = 0;
  };
  GemmFormat attention_format_;
  double attention_peak_ = 0;
  double link_bandwidth_ = 0;  // per direction, for collectives inside the instance
  SpeculativeConfig speculative_;
  DecodeConstants decode_;
};

}  // namespace tokenfab
