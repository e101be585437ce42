#include "tokenfab/perf/instance_cost_model.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace tokenfab {
namespace {

double CeilDiv(double a, double b) { return std::ceil(a / b); }

// Embeddings and the output head stay in 16-bit in FP8/FP4 checkpoints.
constexpr double kEmbeddingBytes = 2.0;
// Sampling touches each sampled token's FP32 logits over the whole vocabulary three times:
// the head writes them, softmax/max reads them, the sampler (top-k/top-p or argmax) reads
// them again.
constexpr double kSamplingBytesPerLogit = 3 * 4.0;

std::string CheckLayout(const ModelSpec& m, const Parallelism& p) {
  if (p.tp < 1 || p.pp < 1 || p.ep < 1) return "parallelism.tp, .pp and .ep must be at least 1";
  if (p.ep > 1 && !m.IsMoe()) {
    return fmt::format(
        "parallelism.ep = {} but {} is a dense model; expert parallelism needs an "
        "MoE model (use ep: 1)",
        p.ep, m.id);
  }
  if (m.IsMoe() && m.num_experts % p.ep != 0) {
    return fmt::format("parallelism.ep = {} does not divide the {} experts of {}", p.ep,
                       m.num_experts, m.id);
  }
  if (!p.attention_dp) {
    if (m.num_heads % p.tp != 0) {
      return fmt::format(
          "parallelism.tp = {} does not divide the {} attention heads of {}; "
          "valid tp: divisors of {}",
          p.tp, m.num_heads, m.id, m.num_heads);
    }
    if (p.ep > p.tp || p.tp % p.ep != 0) {
      return fmt::format(
          "parallelism.ep = {} with tp = {}: without attention_dp, ep must divide "
          "tp (experts split across the tensor-parallel group)",
          p.ep, p.tp);
    }
  } else if (p.tp > p.ep || p.ep % p.tp != 0) {
    return fmt::format(
        "with attention_dp, tp = {} must divide ep = {} (tp then splits each "
        "expert inside the expert-parallel group)",
        p.tp, p.ep);
  }
  if (p.pp > m.num_layers) {
    return fmt::format("parallelism.pp = {} exceeds the {} layers of {}", p.pp, m.num_layers, m.id);
  }
  return {};
}

// Decode context that a sliding-window layer reads for n sequences holding `context` tokens.
double WindowContext(double n, double context, double window) {
  return std::min(context, n * window);
}

// Decode context that a chunked layer reads: the part of each sequence's context inside its
// current block, taken at the batch's mean context (exact for batches that share a block
// offset, as fixed prompt lengths do; an approximation for batches spread over many blocks).
double ChunkedContext(double n, double context, double chunk) {
  const double mean = n > 0 ? context / n : 0;
  return n * std::fmod(mean, chunk);
}

}  // namespace

Result<InstanceCostModel> InstanceCostModel::Build(const ModelSpec& model, const GpuSpec& gpu,
                                                   const Parallelism& parallelism,
                                                   const PrecisionConfig& precision,
                                                   const EngineProfile& engine, int max_num_tokens,
                                                   const CostModelOptions& options) {
  if (const std::string problem = CheckLayout(model, parallelism); !problem.empty()) {
    return Error{problem};
  }
  InstanceCostModel m;
  m.model_ = model;
  m.gpu_ = gpu;
  m.parallelism_ = parallelism;
  m.precision_ = precision;
  m.engine_ = engine;
  m.options_ = options;
  m.params_ = CountParameters(model);
  m.kv_bytes_ = BytesPerElement(precision.kv_cache);
  m.act_bytes_ = BytesPerElement(precision.activations);
  // GEMMs run at the weights' format when the tensor cores have it (W8A8 / W4A4 paths; a wider
  // precision.gemm_inputs for weight-only kernels), at most at the achievable matmul rate of
  // that format (MAMF, not the datasheet peak); they read their inputs in it.
  auto format_of = [&](Precision weights) {
    const Precision math = gpu.MatmulFormat(GemmMathPrecision(weights, precision));
    return GemmFormat{BytesPerElement(weights), std::min(m.act_bytes_, BytesPerElement(math)),
                      gpu.AchievableMatmulFlops(math)};
  };
  const GemmFormat linear = format_of(precision.weights);
  m.weight_bytes_ = linear.weight_bytes;
  m.gemm_input_bytes_ = linear.input_bytes;
  m.gemm_peak_ = linear.peak;
  m.attention_format_ = format_of(AttentionWeightPrecision(model, precision));
  m.kv_read_rate_ = gpu.hbm_bandwidth * engine.memory_efficiency * engine.kv_read_efficiency;
  m.attention_peak_ =
      gpu.PeakFlops(precision.kv_cache == Precision::kFp8 ? Precision::kFp8 : Precision::kBf16);
  const int g = parallelism.GpusPerStage();
  m.link_bandwidth_ = g <= gpu.scale_up_domain ? gpu.scale_up_bandwidth : gpu.scale_out_bandwidth;
  if (m.gemm_peak_ <= 0 || m.attention_format_.peak <= 0 || gpu.hbm_bandwidth <= 0) {
    return Error{fmt::format("gpu {} has no peak FLOP/s or HBM bandwidth in the catalog", gpu.id)};
  }

  // Weights held by one GPU of the most loaded stage.
  const ParameterCount& pc = m.params_;
  const int at = parallelism.AttentionTensorParallel();
  const double layers_per_stage = CeilDiv(model.num_layers, parallelism.pp);
  const double dense_layer = pc.dense_mlp_per_layer / at;
  const double moe_layer =
      pc.router_per_layer + pc.shared_experts / at + model.num_experts * pc.expert / g;
  const double mean_layer =
      (model.NumDenseLayers() * dense_layer + model.num_moe_layers * moe_layer) /
      std::max(1, model.num_layers);
  MemoryPlan& mem = m.memory_;
  mem.weight_bytes =
      layers_per_stage * (mean_layer * m.weight_bytes_ +
                          pc.attention_per_layer / at * m.attention_format_.weight_bytes) +
      pc.embedding / (parallelism.attention_dp ? 1 : at) * kEmbeddingBytes +
      options.extra_weight_bytes;
  mem.usable_bytes = gpu.hbm_bytes * engine.gpu_memory_fraction;
  mem.activation_bytes =
      options.activation_reserve_bytes +
      static_cast<double>(max_num_tokens) *
          (4.0 * model.hidden_size +
           2.0 * std::max(model.intermediate_size, model.moe_intermediate_size) / at) *
          m.act_bytes_;
  mem.kv_bytes = mem.usable_bytes - mem.weight_bytes - mem.activation_bytes;
  if (engine.memory_fraction_basis == "free_after_weights") {
    mem.usable_bytes = gpu.hbm_bytes;
    mem.kv_bytes =
        (gpu.hbm_bytes - mem.weight_bytes - mem.activation_bytes) * engine.gpu_memory_fraction;
  }
  double kv_elements = KvElementsPerTokenPerLayer(model);
  if (model.attention == AttentionKind::kGqa) {
    kv_elements = 2.0 * CeilDiv(model.num_kv_heads, at) * model.head_dim;
  }
  mem.kv_bytes_per_token =
      layers_per_stage * kv_elements * m.kv_bytes_ + options.extra_kv_bytes_per_token;
  if (mem.kv_bytes <= 0) {
    return Error{fmt::format(
        "{} does not fit on {} with tp={} pp={} ep={}: each GPU needs {:.1f} GB of weights and "
        "{:.1f} GB of activations but only {:.1f} GB are usable ({:.0f} GB x {:.2f}); use more "
        "GPUs "
        "per instance (tp/pp/ep), a smaller precision.weights, or a larger GPU",
        model.id, gpu.id, parallelism.tp, parallelism.pp, parallelism.ep, mem.weight_bytes / 1e9,
        mem.activation_bytes / 1e9, mem.usable_bytes / 1e9, gpu.hbm_bytes / 1e9,
        engine.gpu_memory_fraction)};
  }
  mem.kv_capacity_tokens = static_cast<std::int64_t>(
      std::floor(parallelism.AttentionDataParallel() * mem.kv_bytes / mem.kv_bytes_per_token));
  m.decode_ = MakeDecodeConstants(m);
  return m;
}

double InstanceCostModel::Overlapped(double compute, double memory) const {
  return std::max(compute, memory) +
         (1 - engine_.compute_memory_overlap) * std::min(compute, memory);
}

double InstanceCostModel::RooflineAt(double peak, double flops, double bytes,
                                     double efficiency) const {
  const double compute = flops / (peak * efficiency);
  const double memory = bytes / (gpu_.hbm_bandwidth * engine_.memory_efficiency);
  return Overlapped(compute, memory);
}

// One GPU's time through all layers (stages run one after another for one batch).
double InstanceCostModel::LayerStackSeconds(const BatchShape& b, const BatchShape& attended,
                                            IterationCost& cost) const {
  const ModelSpec& m = model_;
  const ParameterCount& pc = params_;
  const int g = parallelism_.GpusPerStage();
  const double dp = parallelism_.AttentionDataParallel();
  const double at = parallelism_.AttentionTensorParallel();
  const double tokens = static_cast<double>(b.Tokens());
  // With attention DP the MoE layers hold every rank to the busiest one's pace, and a
  // request's prompt chunk runs whole on its own rank.
  const double local_tokens = dp == 1 ? tokens : BusiestRankTokens(b);
  const double gemm_eff = engine_.gemm_efficiency;

  // Every GEMM also reads its input and writes its output activations (16-bit): a block of
  // P parameters that maps H to H through inner widths summing to P / H reads and writes
  // 2 H + P / (H x split) elements per token (QKV in H, out (h + 2 h_kv) d; O in h d, out H;
  // gate/up in H, out 2 F; down in F, out H).
  const double hidden = m.hidden_size;
  // Inputs are read at the GEMM's format, outputs written at 16 bits; the inner widths are
  // about half inputs (O, down) and half outputs (QKV, gate/up).
  const double in_out_bytes = gemm_input_bytes_ + act_bytes_;
  auto activations_at = [&](double in_out, double tokens_here, double params, double split) {
    return tokens_here * (hidden + params / (2 * hidden * split)) * in_out;
  };
  auto activations = [&](double tokens_here, double params, double split) {
    return activations_at(in_out_bytes, tokens_here, params, split);
  };
  // Attention projections and dense feed-forward: local tokens against this GPU's shard.
  const GemmFormat& af = attention_format_;
  const double attn_proj = RooflineAt(
      af.peak, 2 * local_tokens * pc.attention_per_layer / at,
      pc.attention_per_layer / at * af.weight_bytes +
          activations_at(af.input_bytes + act_bytes_, local_tokens, pc.attention_per_layer, at),
      gemm_eff);
  const double dense_mlp = Roofline(2 * local_tokens * pc.dense_mlp_per_layer / at,
                                    pc.dense_mlp_per_layer / at * weight_bytes_ +
                                        activations(local_tokens, pc.dense_mlp_per_layer, at),
                                    gemm_eff);
  double moe = 0;
  if (m.IsMoe()) {
    // Routed experts: all tokens of the instance are dispatched; the experts they touch are
    // read once. Expected distinct experts touched by `tokens` tokens picking k of E.
    const double e = m.num_experts;
    const double k = m.experts_per_token;
    // Grouped GEMMs reach a share of the dense GEMM's rate on both ceilings.
    const double touched = e * (1.0 - std::pow(1.0 - k / e, tokens));
    const double grouped = engine_.grouped_gemm_efficiency;
    // Token-expert pairs on this GPU: tokens k / ep, each through X / (g / ep) parameters.
    const double ep = parallelism_.ep;
    const double pairs = tokens * k / ep;
    // Each pair's hidden-wide expert output, written by the second GEMM and read back by the
    // finalize step; neither happens when the finalize is fused into that GEMM's epilogue.
    const double pair_outputs = engine_.moe_fused_finalize ? 0.0 : pairs * hidden * act_bytes_;
    // Otherwise as activations(): the hidden-wide input at the GEMM's format, the inner
    // widths half in and half out.
    const double pair_bytes =
        pairs * (hidden * gemm_input_bytes_ + pc.expert / (2 * hidden * (g / ep)) * in_out_bytes) +
        pair_outputs;
    const double shared = pc.shared_experts / at + pc.router_per_layer;
    // Token permutation around the grouped GEMMs (memory-bound elementwise kernels): the
    // expand step reads each local token and writes one copy per chosen expert in expert
    // order, quantized to the GEMM's input format; the finalize step reads the pair outputs
    // and writes each token's weighted sum. The GEMMs' own reads of the copies are in
    // pair_bytes.
    const double expand = local_tokens * hidden * act_bytes_ + pairs * hidden * gemm_input_bytes_;
    const double finalize = pair_outputs + local_tokens * hidden * act_bytes_;
    const double permutation =
        (expand + finalize) / (gpu_.hbm_bandwidth * engine_.memory_efficiency);
    moe = permutation +
          Roofline(2 * tokens * k * pc.expert / g * ExpertImbalance(tokens) / grouped,
                   (touched * pc.expert / g * weight_bytes_ + pair_bytes) / grouped, gemm_eff) +
          Roofline(2 * local_tokens * shared,
                   shared * weight_bytes_ +
                       (shared > 0 ? activations(local_tokens, shared * at, at) : 0.0),
                   gemm_eff);
  }

  const double gemm =
      m.num_layers * attn_proj + m.NumDenseLayers() * dense_mlp + m.num_moe_layers * moe;
  // Output head: only tokens that sample produce logits.
  const double head = HeadSeconds(b.decode_sequences * b.tokens_per_decode + b.prefill_completions);

  cost.gemm_s = gemm + head;
  cost.attention_s = AttentionSeconds(attended);
  return cost.gemm_s + cost.attention_s;
}

// Attention-DP ranks the batch's prompt chunks run on: each chunk belongs to one request,
// which lives on one rank, so fewer chunks than ranks leave the others without prefill.
double InstanceCostModel::PrefillRanks(const BatchShape& b) const {
  const double dp = parallelism_.AttentionDataParallel();
  return std::min(dp, std::max(1.0, static_cast<double>(b.prefill_sequences)));
}

// Tokens of the busiest attention-DP rank: its share of the decode tokens and of the prompt
// chunks.
double InstanceCostModel::BusiestRankTokens(const BatchShape& b) const {
  const double decode = static_cast<double>(b.decode_sequences) * b.tokens_per_decode;
  return static_cast<double>(b.prefill_tokens) / PrefillRanks(b) +
         decode / parallelism_.AttentionDataParallel();
}

// One GPU's attention core through all layers.
double InstanceCostModel::AttentionSeconds(const BatchShape& b) const {
  const ModelSpec& m = model_;
  const double dp = parallelism_.AttentionDataParallel();
  const double prefill_ranks = PrefillRanks(b);
  const double at = parallelism_.AttentionTensorParallel();
  // Heads on this GPU and their KV elements per token.
  const double heads = m.num_heads / at;
  double prefill_flops_per_pair, decode_flops_per_ctx, kv_elements;
  if (m.attention == AttentionKind::kMla) {
    prefill_flops_per_pair = 2 * heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim);
    // Decode runs in the absorbed form, over the compressed latent.
    decode_flops_per_ctx = 2 * heads * (2.0 * m.kv_lora_rank + m.qk_rope_head_dim);
    kv_elements = m.kv_lora_rank + m.qk_rope_head_dim;
  } else {
    prefill_flops_per_pair = 4 * heads * m.head_dim;
    decode_flops_per_ctx = 4 * heads * m.head_dim;
    kv_elements = 2.0 * std::ceil(m.num_kv_heads / at) * m.head_dim;
  }
  auto attention_layer = [&](double pairs, double context) {
    const double prefill = pairs / prefill_ranks * prefill_flops_per_pair /
                           (attention_peak_ * engine_.attention_efficiency);
    const double decode_bytes = context / dp * kv_elements * kv_bytes_ +
                                b.prefill_tokens / prefill_ranks * kv_elements * kv_bytes_;
    const double decode_flops = context / dp * b.tokens_per_decode * decode_flops_per_ctx;
    return prefill + Overlapped(decode_flops / (attention_peak_ * engine_.attention_efficiency),
                                decode_bytes / kv_read_rate_);
  };
  const double full_attention = attention_layer(b.prefill_attention_pairs, b.decode_context_tokens);
  double window_attention = full_attention;
  if (m.sliding_window > 0) {
    const double w = m.sliding_window;
    window_attention =
        attention_layer(std::min(b.prefill_attention_pairs, b.prefill_tokens * w),
                        WindowContext(b.decode_sequences, b.decode_context_tokens, w));
  }
  const int window_layers = m.sliding_window > 0 ? m.sliding_window_layers : 0;
  double chunked_attention = 0;
  const int chunked_layers = m.attention_chunk > 0 ? m.chunked_attention_layers : 0;
  if (chunked_layers > 0) {
    // A prompt of n tokens has about n c / 2 pairs inside its blocks once n passes c (n^2 / 2
    // below).
    const double c = m.attention_chunk;
    chunked_attention =
        attention_layer(std::min(b.prefill_attention_pairs, b.prefill_tokens * c / 2),
                        ChunkedContext(b.decode_sequences, b.decode_context_tokens, c));
  }
  return (m.num_layers - window_layers - chunked_layers) * full_attention +
         window_layers * window_attention + chunked_layers * chunked_attention;
}

// With expert parallelism the layer waits for the most loaded rank. Under uniform routing the
// n = tokens x k expert assignments fall on ep ranks as a multinomial; its largest count is
// about mean + sqrt(2 mean (1 - 1/ep) ln ep) (the Gaussian extreme-value approximation), so
// the slowest rank computes that many over the mean. Tensor parallelism splits every expert
// across the GPUs instead and has no such term. Real routers are skewed beyond uniform; this
// is the floor that balancing (EPLB, redundant experts) can at best reach.
double InstanceCostModel::ExpertImbalance(double tokens) const {
  const double ep = parallelism_.ep;
  const double mean = tokens * model_.experts_per_token / ep;
  if (ep <= 1 || mean <= 0) return 1.0;
  return 1.0 + std::sqrt(2.0 * (1.0 - 1.0 / ep) * std::log(ep) / mean);
}

// The output head on one GPU: only tokens that sample produce logits.
double InstanceCostModel::HeadSeconds(double sampled) const {
  const double head_params = static_cast<double>(model_.vocab_size) * model_.hidden_size;
  const double at = parallelism_.AttentionTensorParallel();
  const double local = sampled / parallelism_.AttentionDataParallel();
  const double sampling = local * model_.vocab_size * kSamplingBytesPerLogit /
                          (gpu_.hbm_bandwidth * engine_.memory_efficiency);
  return Roofline(2 * local * head_params / at, head_params / at * 2.0, engine_.gemm_efficiency) +
         sampling;
}

double InstanceCostModel::AllReduceSeconds(double bytes, int ranks) const {
  if (ranks <= 1 || bytes <= 0) return 0;
  const double n = ranks;
  return 2 * (n - 1) / n * bytes / (link_bandwidth_ * engine_.network_efficiency) +
         2 * (n - 1) * engine_.collective_latency_s;
}

double InstanceCostModel::AllToAllSeconds(double bytes_per_rank, int ranks) const {
  if (ranks <= 1 || bytes_per_rank <= 0) return 0;
  const double n = ranks;
  return (n - 1) / n * bytes_per_rank / (link_bandwidth_ * engine_.network_efficiency) +
         engine_.collective_latency_s;
}

double InstanceCostModel::CommunicationSeconds(const BatchShape& b) const {
  const ModelSpec& m = model_;
  const double tokens = static_cast<double>(b.Tokens());
  const double hidden_bytes = m.hidden_size * act_bytes_;
  double seconds = 0;
  if (!parallelism_.attention_dp) {
    // Two all-reduces per layer: after attention and after the feed-forward.
    seconds += m.num_layers * 2 * AllReduceSeconds(tokens * hidden_bytes, parallelism_.tp);
  } else if (m.IsMoe()) {
    // Dispatch and combine of each MoE layer: every local token goes to k experts.
    const int g = parallelism_.GpusPerStage();
    const double per_rank = tokens / g * m.experts_per_token * hidden_bytes;
    seconds += m.num_moe_layers * 2 * AllToAllSeconds(per_rank, g);
  }
  if (parallelism_.pp > 1) {
    const double bw = gpu_.scale_up_bandwidth * engine_.network_efficiency;
    seconds += (parallelism_.pp - 1) * (tokens * hidden_bytes / bw + engine_.collective_latency_s);
  }
  return seconds;
}

// CUDA graphs run only iterations without prompt chunks (engines.md 1.4); with padding every
// rank runs the graph of the smallest captured size that holds the busiest rank's sequences,
// and the padding rows go through every GEMM, collective and the output head. Their attention
// is not counted (a padding row holds no context), nor their host work. A batch above the
// largest size runs without a graph, unpadded.
bool InstanceCostModel::PadToGraph(const BatchShape& batch, BatchShape& padded) const {
  const std::vector<int>& sizes = options_.cuda_graph_sizes;
  if (sizes.empty() || batch.prefill_tokens != 0 || batch.prefill_sequences != 0 ||
      batch.decode_sequences <= 0) {
    return false;
  }
  const int dp = static_cast<int>(parallelism_.AttentionDataParallel());
  const int per_rank = (batch.decode_sequences + dp - 1) / dp;
  const auto it = std::lower_bound(sizes.begin(), sizes.end(), per_rank);
  if (it == sizes.end()) return false;
  padded = batch;
  padded.decode_sequences = *it * dp;
  return true;
}

IterationCost InstanceCostModel::Cost(const BatchShape& batch) const {
  IterationCost cost;
  if (batch.Empty()) return cost;
  BatchShape padded;
  const BatchShape& graph = PadToGraph(batch, padded) ? padded : batch;
  const double compute = LayerStackSeconds(graph, batch, cost);
  cost.communication_s = CommunicationSeconds(graph);
  WithOverheads(batch, compute, cost);
  return cost;
}

InstanceCostModel::DecodeConstants InstanceCostModel::MakeDecodeConstants(
    const InstanceCostModel& cm) {
  const ModelSpec& m = cm.model_;
  DecodeConstants d;
  d.dp = cm.parallelism_.AttentionDataParallel();
  d.window_layers = m.sliding_window > 0 ? m.sliding_window_layers : 0;
  d.chunked_layers = m.attention_chunk > 0 ? m.chunked_attention_layers : 0;
  d.full_layers = m.num_layers - d.window_layers - d.chunked_layers;
  d.mixed_layers = d.window_layers > 0 || d.chunked_layers > 0;
  d.window = m.sliding_window;
  d.chunk = m.attention_chunk;
  const double at = cm.parallelism_.AttentionTensorParallel();
  const double heads = m.num_heads / at;
  if (m.attention == AttentionKind::kMla) {
    d.flops_per_ctx = 2 * heads * (2.0 * m.kv_lora_rank + m.qk_rope_head_dim);
    d.kv_elements = m.kv_lora_rank + m.qk_rope_head_dim;
  } else {
    d.flops_per_ctx = 4 * heads * m.head_dim;
    d.kv_elements = 2.0 * std::ceil(m.num_kv_heads / at) * m.head_dim;
  }
  d.attention_rate = cm.attention_peak_ * cm.engine_.attention_efficiency;
  d.memory_rate = cm.kv_read_rate_;
  d.not_overlapped = 1 - cm.engine_.compute_memory_overlap;
  d.layers = m.num_layers;
  d.gpus_watts = cm.num_gpus() * cm.gpu_.tdp_watts;
  d.idle = cm.options_.idle_power_fraction;
  d.busy_share = 1 - d.idle;
  return d;
}

// One layer of decode attention over `total_context` tokens, as AttentionSeconds' layer
// computes it when the batch has no prefill and one token per sequence.
double InstanceCostModel::DecodeLayerSeconds(double total_context) const {
  const DecodeConstants& d = decode_;
  const double context = d.dp == 1 ? total_context : total_context / d.dp;
  const double compute = context * d.flops_per_ctx / d.attention_rate;
  const double memory = context * d.kv_elements * kv_bytes_ / d.memory_rate;
  return std::max(compute, memory) + d.not_overlapped * std::min(compute, memory);
}

// AttentionSeconds' sum over layer kinds for a model with sliding-window or chunked layers;
// `full` is a full-attention layer's time.
double InstanceCostModel::MixedDecodeAttention(const BatchShape& b, double full) const {
  const DecodeConstants& d = decode_;
  const double n = b.decode_sequences;
  const double window =
      d.window_layers > 0 ? DecodeLayerSeconds(WindowContext(n, b.decode_context_tokens, d.window))
                          : full;
  const double chunked =
      d.chunked_layers > 0 ? DecodeLayerSeconds(ChunkedContext(n, b.decode_context_tokens, d.chunk))
                           : 0;
  return d.full_layers * full + d.window_layers * window + d.chunked_layers * chunked;
}

// AttentionSeconds and WithOverheads for prefill_tokens = prefill_attention_pairs = 0 and
// tokens_per_decode = 1: the prefill terms are exact zeros (0 + x = x), drafting is 0, and
// x / 1 = x, so each remaining operation is the general path's, in its order.
// Two instances: models whose layers all attend in full keep the straight-line form (no
// call out, which would cost the hot path of every plain model a tenth more instructions).
template <bool kMixedLayers>
IterationCost InstanceCostModel::DecodeCost(const BatchShape& b,
                                            const DecodeCostCache::Entry& entry) const {
  const DecodeConstants& d = decode_;
  const double layer = DecodeLayerSeconds(b.decode_context_tokens);
  double attention;
  if constexpr (kMixedLayers) {
    attention = MixedDecodeAttention(b, layer);
  } else {
    attention = d.layers * layer;
  }
  IterationCost cost;
  cost.gemm_s = entry.gemm_s;
  cost.attention_s = attention;
  cost.communication_s = entry.communication_s;
  const double gpu = cost.gemm_s + cost.attention_s + cost.communication_s;
  cost.overhead_s = entry.fixed_overhead_s + std::max(0.0, entry.host_s - gpu);
  cost.seconds = gpu + cost.overhead_s;
  const double busy = std::min(1.0, gpu / cost.seconds);
  cost.joules = d.gpus_watts * cost.seconds * (d.idle + d.busy_share * busy);
  return cost;
}

IterationCost InstanceCostModel::DecodeOnlyCost(const BatchShape& b,
                                                const DecodeCostCache::Entry& entry) const {
  return decode_.mixed_layers ? DecodeCost<true>(b, entry) : DecodeCost<false>(b, entry);
}

IterationCost InstanceCostModel::Cost(const BatchShape& batch, DecodeCostCache& cache) const {
  const bool decode_only = batch.decode_sequences > 0 && batch.tokens_per_decode == 1 &&
                           batch.prefill_tokens == 0 && batch.prefill_sequences == 0 &&
                           batch.prefill_completions == 0 && batch.prefill_attention_pairs == 0;
  if (!decode_only) return Cost(batch);
  const auto n = static_cast<std::size_t>(batch.decode_sequences);
  if (n >= cache.by_sequences.size()) cache.by_sequences.resize(n + 1);
  DecodeCostCache::Entry& entry = cache.by_sequences[n];
  if (!entry.known) {
    const IterationCost cost = Cost(batch);
    const double sequences =
        std::ceil(static_cast<double>(batch.Sequences()) / parallelism_.AttentionDataParallel());
    entry = {true, cost.gemm_s, cost.communication_s, engine_.host_time_per_sequence_s * sequences,
             engine_.iteration_overhead_s + engine_.per_sequence_overhead_s * sequences};
    return cost;
  }
  return DecodeOnlyCost(batch, entry);
}

void InstanceCostModel::WithOverheads(const BatchShape& batch, double compute,
                                      IterationCost& cost) const {
  cost.draft_s = DraftSeconds(batch);
  const double gpu = compute + cost.communication_s + cost.draft_s;
  // Host work the overlap scheduler runs beside the GPU shows only where it is longer. Every
  // GPU has its own executor process; with attention DP each schedules only its own share of
  // the sequences, without it each handles the whole batch.
  const double sequences =
      std::ceil(static_cast<double>(batch.Sequences()) / parallelism_.AttentionDataParallel());
  const double host = engine_.host_time_per_sequence_s * sequences;
  cost.overhead_s = engine_.iteration_overhead_s + engine_.per_sequence_overhead_s * sequences +
                    std::max(0.0, host - gpu);
  cost.seconds = gpu + cost.overhead_s;
  const double busy = std::min(1.0, gpu / cost.seconds);
  const double f = options_.idle_power_fraction;
  cost.joules = num_gpus() * gpu_.tdp_watts * cost.seconds * (f + (1 - f) * busy);
}

double InstanceCostModel::IdleJoules(double seconds) const {
  return num_gpus() * gpu_.tdp_watts * options_.idle_power_fraction * seconds;
}

double InstanceCostModel::Flops(const BatchShape& b) const {
  const ModelSpec& m = model_;
  const ParameterCount& pc = params_;
  const double tokens = static_cast<double>(b.Tokens());
  double linear =
      m.num_layers * pc.attention_per_layer + m.NumDenseLayers() * pc.dense_mlp_per_layer;
  if (m.IsMoe()) {
    linear += m.num_moe_layers *
              (m.experts_per_token * pc.expert + pc.shared_experts + pc.router_per_layer);
  }
  double flops = 2 * tokens * linear;
  const double sampled = b.decode_sequences * b.tokens_per_decode + b.prefill_completions;
  flops += 2 * sampled * static_cast<double>(m.vocab_size) * m.hidden_size;
  double per_pair = 4.0 * m.num_heads * m.head_dim;
  double per_ctx = per_pair;
  if (m.attention == AttentionKind::kMla) {
    per_pair = 2.0 * m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim);
    per_ctx = 2.0 * m.num_heads * (2.0 * m.kv_lora_rank + m.qk_rope_head_dim);
  }
  flops += m.num_layers * (b.prefill_attention_pairs * per_pair +
                           b.decode_context_tokens * b.tokens_per_decode * per_ctx);
  return flops;
}

}  // namespace tokenfab
