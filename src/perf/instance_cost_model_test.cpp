#include "tokenfab/perf/instance_cost_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tokenfab/catalog/catalog.h"

namespace tokenfab {
namespace {

class CostModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
    ASSERT_TRUE(c.ok()) << c.error().message;
    catalog_ = std::move(c).value();
  }
  InstanceCostModel Build(const std::string& model, const std::string& gpu, Parallelism p,
                          Precision w = Precision::kFp8) {
    PrecisionConfig prec;
    prec.weights = w;
    prec.kv_cache = w == Precision::kFp4 ? Precision::kFp8 : w;
    return Build(model, gpu, p, prec);
  }
  InstanceCostModel Build(const std::string& model, const std::string& gpu, Parallelism p,
                          const PrecisionConfig& prec) {
    auto m = InstanceCostModel::Build(*catalog_.Model(model), *catalog_.Gpu(gpu), p, prec,
                                      *catalog_.Engine("vllm"), 8192);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return std::move(m).value();
  }
  std::string BuildError(const std::string& model, const std::string& gpu, Parallelism p,
                         Precision w = Precision::kFp8) {
    PrecisionConfig prec;
    prec.weights = w;
    prec.kv_cache = w;
    auto m = InstanceCostModel::Build(*catalog_.Model(model), *catalog_.Gpu(gpu), p, prec,
                                      *catalog_.Engine("vllm"), 8192);
    return m.ok() ? "" : m.error().message;
  }
  Catalog catalog_;
};

// Llama-3.1-8B: hidden 4096, 32 layers, 32 heads, 8 KV heads of 128, FFN 14336, vocab 128256.
TEST_F(CostModelTest, FlopsOfAPrefillChunkAreExact) {
  const InstanceCostModel m = Build("llama-3.1-8b", "h100-sxm", {.tp = 1});
  BatchShape b;
  b.prefill_tokens = 1000;
  b.prefill_sequences = 1;
  b.prefill_completions = 1;
  b.prefill_attention_pairs = 1000.0 * 1001 / 2;
  const double attn_params = 4096.0 * 4096 * 2 + 2 * 4096.0 * 1024;
  const double mlp_params = 3 * 4096.0 * 14336;
  const double expected = 2 * 1000 * 32 * (attn_params + mlp_params) + 2 * 1 * 128256.0 * 4096 +
                          32 * b.prefill_attention_pairs * 4 * 32 * 128;
  EXPECT_DOUBLE_EQ(m.Flops(b), expected);
}

TEST_F(CostModelTest, DecodeIsBoundByReadingTheWeights) {
  const InstanceCostModel m = Build("llama-3.1-70b", "h100-sxm", {.tp = 8});
  BatchShape b;
  b.decode_sequences = 1;
  b.decode_context_tokens = 1;
  const IterationCost c = m.Cost(b);
  // One FP8 byte per parameter, split 8 ways, streamed at the engine's share of 3.35 TB/s.
  const ParameterCount p = CountParameters(m.model());
  const double layer_bytes = 80 * (p.attention_per_layer + p.dense_mlp_per_layer) / 8;
  const double head_bytes = 128256.0 * 8192 / 8 * 2;
  // Sampling the one token reads and writes its FP32 logits over the vocabulary three times.
  const double sampling_bytes = 128256.0 * 4 * 3;
  // The one token's activations through each block: H + P / (2 H tp) elements in (FP8, the
  // W8A8 GEMM's input) and as many out (16-bit).
  const double activation_bytes = 80 * (1 + 2) *
                                  (2 * 8192 + p.attention_per_layer / (2 * 8192.0 * 8) +
                                   p.dense_mlp_per_layer / (2 * 8192.0 * 8));
  const double expected = (layer_bytes + head_bytes + sampling_bytes + activation_bytes) /
                          (3.35e12 * m.engine().memory_efficiency);
  EXPECT_NEAR(c.gemm_s, expected, expected * 1e-9);
  EXPECT_GT(c.communication_s, 0);
  EXPECT_DOUBLE_EQ(c.seconds, c.gemm_s + c.attention_s + c.communication_s + c.overhead_s);
}

// An overlap scheduler runs host work beside the GPU: it shows only where it is longer.
TEST_F(CostModelTest, HostTimePerSequenceShowsOnlyWhereLongerThanTheGpu) {
  EngineProfile engine = *catalog_.Engine("vllm");
  engine.iteration_overhead_s = 0;
  engine.host_time_per_sequence_s = 1e-4;
  PrecisionConfig prec;
  prec.weights = Precision::kFp8;
  prec.kv_cache = Precision::kFp8;
  auto m = InstanceCostModel::Build(*catalog_.Model("llama-3.1-8b"), *catalog_.Gpu("h100-sxm"),
                                    {.tp = 1}, prec, engine, 8192);
  ASSERT_TRUE(m.ok());
  BatchShape small;
  small.decode_sequences = 1;
  small.decode_context_tokens = 100;
  EXPECT_DOUBLE_EQ(m->Cost(small).overhead_s, 0);  // 0.1 ms of host under ~3 ms of GPU
  BatchShape large;
  large.decode_sequences = 1000;
  large.decode_context_tokens = 100'000;
  const IterationCost c = m->Cost(large);
  EXPECT_DOUBLE_EQ(c.seconds, 1000 * 1e-4);  // 100 ms of host hides the GPU time
  EXPECT_GT(c.overhead_s, 0);
}

// With CUDA graph padding a decode-only batch runs the graph of the smallest captured size that
// holds it: its GEMMs, collectives and head compute the padded rows, its attention only the
// real ones. Batches with a prompt chunk, and batches above the largest size, run unpadded.
TEST_F(CostModelTest, CudaGraphPaddingComputesThePaddedRows) {
  PrecisionConfig prec;
  prec.weights = Precision::kFp8;
  prec.kv_cache = Precision::kFp8;
  const EngineProfile engine = *catalog_.Engine("vllm");  // by value: Engine() returns a copy
  auto build = [&](const std::string& model, Parallelism p, std::vector<int> sizes) {
    CostModelOptions options;
    options.cuda_graph_sizes = std::move(sizes);
    auto m = InstanceCostModel::Build(*catalog_.Model(model), *catalog_.Gpu("h100-sxm"), p, prec,
                                      engine, 8192, options);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return std::move(m).value();
  };
  const InstanceCostModel plain = build("llama-3.1-8b", {.tp = 1}, {});
  const InstanceCostModel graphs = build("llama-3.1-8b", {.tp = 1}, {128, 256});
  auto decode = [](int n) {
    BatchShape b;
    b.decode_sequences = n;
    b.decode_context_tokens = 1000.0 * n;
    return b;
  };
  BatchShape padded = decode(130);
  padded.decode_sequences = 256;  // the 130 sequences' context, 256 rows through the GEMMs
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(130)).gemm_s, plain.Cost(padded).gemm_s);
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(130)).attention_s, plain.Cost(decode(130)).attention_s);
  EXPECT_GT(graphs.Cost(decode(130)).seconds, plain.Cost(decode(130)).seconds);
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(256)).seconds, plain.Cost(decode(256)).seconds);
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(300)).seconds, plain.Cost(decode(300)).seconds);
  BatchShape mixed = decode(130);
  mixed.prefill_tokens = 100;
  mixed.prefill_sequences = 1;
  mixed.prefill_attention_pairs = 100.0 * 101 / 2;
  EXPECT_DOUBLE_EQ(graphs.Cost(mixed).seconds, plain.Cost(mixed).seconds);
  DecodeCostCache cache;
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(130), cache).seconds, graphs.Cost(decode(130)).seconds);
  EXPECT_DOUBLE_EQ(graphs.Cost(decode(130), cache).seconds, graphs.Cost(decode(130)).seconds);

  // Attention DP: the sizes are a rank's; every rank pads to the busiest one's graph
  // (130 sequences on 4 ranks: 33 on the busiest, graph 64, 256 rows in all).
  const Parallelism dep4{.tp = 1, .ep = 4, .attention_dp = true};
  const InstanceCostModel dep_plain = build("qwen3-30b-a3b", dep4, {});
  const InstanceCostModel dep_graphs = build("qwen3-30b-a3b", dep4, {32, 64});
  EXPECT_DOUBLE_EQ(dep_graphs.Cost(decode(130)).gemm_s, dep_plain.Cost(padded).gemm_s);
}

// compute_memory_overlap 1 is the roofline max; below 1 part of the shorter time shows.
TEST_F(CostModelTest, PartialOverlapAddsPartOfTheShorterTime) {
  EngineProfile engine = *catalog_.Engine("vllm");
  PrecisionConfig prec;
  prec.weights = Precision::kFp8;
  prec.kv_cache = Precision::kFp8;
  auto build = [&](double overlap) {
    engine.compute_memory_overlap = overlap;
    return InstanceCostModel::Build(*catalog_.Model("llama-3.1-8b"), *catalog_.Gpu("h100-sxm"),
                                    {.tp = 1}, prec, engine, 8192)
        .value();
  };
  BatchShape b;
  b.decode_sequences = 64;
  b.decode_context_tokens = 64 * 1000;
  EXPECT_GT(build(0.5).Cost(b).seconds, build(1.0).Cost(b).seconds);
}

// Llama 4 Scout: 36 of its 48 layers attend within blocks of 8192 tokens. A decode batch
// at context 8192 + 512 reads 512 tokens per sequence in those layers and all of it in the
// 12 global ones.
TEST_F(CostModelTest, ChunkedLayersReadOnlyTheirBlock) {
  ModelSpec scout = *catalog_.Model("llama-4-scout");
  ASSERT_EQ(scout.chunked_attention_layers, 36);
  ModelSpec global = scout;
  global.attention_chunk = 0;
  PrecisionConfig prec;
  prec.weights = Precision::kFp8;
  prec.kv_cache = Precision::kFp8;
  const EngineProfile vllm = *catalog_.Engine("vllm");
  const GpuSpec h200 = *catalog_.Gpu("h200-sxm");
  const auto chunked = InstanceCostModel::Build(scout, h200, {.tp = 4}, prec, vllm, 8192).value();
  const auto plain = InstanceCostModel::Build(global, h200, {.tp = 4}, prec, vllm, 8192).value();
  auto decode = [](double context) {
    BatchShape b;
    b.decode_sequences = 64;
    b.decode_context_tokens = 64 * context;
    return b;
  };
  const double expected = 0.25 * plain.Cost(decode(8192 + 512)).attention_s +
                          0.75 * plain.Cost(decode(512)).attention_s;
  EXPECT_NEAR(chunked.Cost(decode(8192 + 512)).attention_s, expected, 1e-12 * expected);
  // Below one block both read the whole context.
  EXPECT_DOUBLE_EQ(chunked.Cost(decode(4000)).attention_s, plain.Cost(decode(4000)).attention_s);
}

// A fused finalize saves the write and read back of every token-expert pair's output; a
// slower KV read lengthens only the attention.
TEST_F(CostModelTest, FusedFinalizeAndKvReadEfficiency) {
  EngineProfile engine = *catalog_.Engine("vllm");
  PrecisionConfig prec;
  prec.weights = Precision::kFp8;
  prec.kv_cache = Precision::kFp8;
  auto build = [&](const std::string& model, int tp) {
    return InstanceCostModel::Build(*catalog_.Model(model), *catalog_.Gpu("h200-sxm"), {.tp = tp},
                                    prec, engine, 8192)
        .value();
  };
  BatchShape b;
  b.decode_sequences = 512;
  b.decode_context_tokens = 512 * 2000.0;
  const IterationCost moe = build("qwen3-235b-a22b", 8).Cost(b);
  const IterationCost dense = build("llama-3.1-70b", 8).Cost(b);
  engine.moe_fused_finalize = true;
  EXPECT_LT(build("qwen3-235b-a22b", 8).Cost(b).gemm_s, moe.gemm_s);
  EXPECT_DOUBLE_EQ(build("llama-3.1-70b", 8).Cost(b).gemm_s, dense.gemm_s);
  engine.kv_read_efficiency = 0.5;
  const IterationCost slow = build("llama-3.1-70b", 8).Cost(b);
  EXPECT_DOUBLE_EQ(slow.gemm_s, dense.gemm_s);
  EXPECT_GT(slow.attention_s, 1.9 * dense.attention_s);  // memory-bound: about twice
}

TEST_F(CostModelTest, MoreTokensNeverCostLess) {
  const InstanceCostModel m = Build("mixtral-8x7b", "h100-sxm", {.tp = 2, .ep = 2});
  double previous = 0;
  for (int n = 1; n <= 4096; n *= 2) {
    BatchShape b;
    b.decode_sequences = n;
    b.decode_context_tokens = 1000.0 * n;
    const double t = m.Cost(b).seconds;
    EXPECT_GE(t, previous) << n;
    previous = t;
  }
}

TEST_F(CostModelTest, KvCapacityFollowsFromMemoryLeft) {
  const InstanceCostModel m = Build("llama-3.1-70b", "h100-sxm", {.tp = 8});
  const MemoryPlan& mem = m.memory();
  // FP8 KV of 80 layers x 1 KV head x 128 x 2 on each of 8 GPUs.
  EXPECT_DOUBLE_EQ(mem.kv_bytes_per_token, 80.0 * 2 * 1 * 128);
  EXPECT_EQ(mem.kv_capacity_tokens,
            static_cast<std::int64_t>(mem.kv_bytes / mem.kv_bytes_per_token));
  EXPECT_NEAR(mem.weight_bytes, 70.55e9 / 8, 1.5e9);
  EXPECT_NEAR(mem.usable_bytes, mem.weight_bytes + mem.activation_bytes + mem.kv_bytes, 1.0);
}

// gpt-oss's checkpoint keeps attention in BF16 under MXFP4 experts: its projections take two
// bytes per parameter and run at the BF16 rate unless precision.attention_weights says else.
TEST_F(CostModelTest, AttentionProjectionsFollowTheCheckpoint) {
  const ModelSpec model = *catalog_.Model("gpt-oss-20b");
  const ParameterCount p = CountParameters(model);
  auto build = [&](std::optional<Precision> attention) {
    return Build("gpt-oss-20b", "b200", {.tp = 1},
                 {.weights = Precision::kFp4, .attention_weights = attention});
  };
  const InstanceCostModel checkpoint = build(std::nullopt);
  const InstanceCostModel fp4 = build(Precision::kFp4);
  EXPECT_EQ(AttentionWeightPrecision(model, {.weights = Precision::kFp4}), Precision::kBf16);
  EXPECT_EQ(AttentionWeightPrecision(model, {.weights = Precision::kFp16}), Precision::kFp16);
  EXPECT_NEAR(checkpoint.memory().weight_bytes - fp4.memory().weight_bytes,
              24 * p.attention_per_layer * (2 - 0.5), 1.0);
  BatchShape b;
  b.decode_sequences = 512;
  b.decode_context_tokens = 512 * 1000;
  EXPECT_GT(checkpoint.Cost(b).gemm_s, fp4.Cost(b).gemm_s);
  EXPECT_DOUBLE_EQ(checkpoint.Flops(b), fp4.Flops(b));
}

// W4A16: FP4 weights on an H100 run at FP8 by default (W4A8, the tensor cores' narrowest);
// with 16-bit GEMM inputs they dequantize to BF16 and multiply at its rate. The weights'
// bytes are the same.
TEST_F(CostModelTest, WeightOnlyKernelsMultiplyAtTheInputFormat) {
  auto build = [&](std::optional<Precision> inputs) {
    return Build("llama-3.1-70b", "h100-sxm", {.tp = 4},
                 {.weights = Precision::kFp4, .gemm_inputs = inputs});
  };
  const InstanceCostModel w4a8 = build(std::nullopt);
  const InstanceCostModel w4a16 = build(Precision::kBf16);
  EXPECT_EQ(GemmMathPrecision(Precision::kFp4, {.gemm_inputs = Precision::kBf16}),
            Precision::kBf16);
  EXPECT_EQ(GemmMathPrecision(Precision::kBf16, {.gemm_inputs = Precision::kFp8}),
            Precision::kBf16);  // a narrower input format changes nothing
  EXPECT_DOUBLE_EQ(w4a8.memory().weight_bytes, w4a16.memory().weight_bytes);
  BatchShape prefill;
  prefill.prefill_tokens = 8192;
  prefill.prefill_sequences = 1;
  prefill.prefill_attention_pairs = 8192.0 * 8193 / 2;
  const double ratio = w4a16.Cost(prefill).gemm_s / w4a8.Cost(prefill).gemm_s;
  EXPECT_GT(ratio, 1.5);  // compute-bound: H100 MAMF BF16 794.5 vs FP8 1,403 TFLOPS
  EXPECT_LT(ratio, 1.9);
}

TEST_F(CostModelTest, AttentionDataParallelHoldsWholeTokensPerGpu) {
  const InstanceCostModel m =
      Build("deepseek-r1", "h200-sxm", {.tp = 1, .ep = 8, .attention_dp = true});
  EXPECT_DOUBLE_EQ(m.memory().kv_bytes_per_token, 61.0 * (512 + 64));
  EXPECT_EQ(m.num_gpus(), 8);
}

// Under attention DP a prompt chunk runs whole on its request's rank, and the MoE layers make
// every rank wait for the busiest: one 2,048-token prompt beside 800 decodes on DP8 puts
// 2,048 + 100 tokens on one rank, eight 256-token prompts put 256 + 100 on each.
TEST_F(CostModelTest, AttentionDataParallelWaitsForTheRankWithThePrompt) {
  const InstanceCostModel m =
      Build("deepseek-r1", "h200-sxm", {.tp = 1, .ep = 8, .attention_dp = true});
  BatchShape one;
  one.prefill_tokens = 2048;
  one.prefill_sequences = 1;
  one.decode_sequences = 800;
  EXPECT_DOUBLE_EQ(m.BusiestRankTokens(one), 2048 + 100);
  BatchShape spread = one;
  spread.prefill_sequences = 8;
  EXPECT_DOUBLE_EQ(m.BusiestRankTokens(spread), 256 + 100);
  spread.prefill_attention_pairs = 8 * 256.0 * 257 / 2;
  one.prefill_attention_pairs = 2048.0 * 2049 / 2;
  EXPECT_GT(m.Cost(one).seconds, m.Cost(spread).seconds);
}

// DeepSeek-R1 routes each token to k = 8 experts. One decode token on EP8: 8 assignments on 8
// ranks, mean 1, so the busiest rank is 1 + sqrt(2 (7/8) ln 8) = 2.9076 times the mean.
TEST_F(CostModelTest, ExpertParallelRanksWaitForTheBusiestOne) {
  const InstanceCostModel tp = Build("deepseek-r1", "h200-sxm", {.tp = 8});
  const InstanceCostModel ep = Build("deepseek-r1", "h200-sxm", {.tp = 8, .ep = 8});
  EXPECT_DOUBLE_EQ(tp.ExpertImbalance(1), 1.0);
  EXPECT_NEAR(ep.ExpertImbalance(1), 1.0 + std::sqrt(2 * 0.875 * std::log(8.0)), 1e-12);
  EXPECT_GT(ep.ExpertImbalance(64), ep.ExpertImbalance(4096));
  EXPECT_LT(ep.ExpertImbalance(4096), 1.06);
}

TEST_F(CostModelTest, ImpossibleLayoutsAreExplained) {
  EXPECT_NE(BuildError("llama-3.1-70b", "h100-sxm", {.tp = 3})
                .find("does not divide the 64 attention heads"),
            std::string::npos);
  EXPECT_NE(BuildError("llama-3.1-70b", "h100-sxm", {.tp = 8, .ep = 2}).find("dense model"),
            std::string::npos);
  const std::string fit = BuildError("llama-3.1-405b", "h100-sxm", {.tp = 1}, Precision::kBf16);
  EXPECT_NE(fit.find("does not fit"), std::string::npos) << fit;
  EXPECT_NE(fit.find("GB"), std::string::npos) << fit;
}

}  // namespace
}  // namespace tokenfab
