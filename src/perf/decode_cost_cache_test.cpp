// Cost through a DecodeCostCache equals Cost without it, bit for bit: the serving twin's
// results may not depend on whether a batch size was seen before.
#include <gtest/gtest.h>

#include <string>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/perf/instance_cost_model.h"

namespace tokenfab {
namespace {

void ExpectSameCost(const IterationCost& a, const IterationCost& b) {
  EXPECT_EQ(a.seconds, b.seconds);
  EXPECT_EQ(a.gemm_s, b.gemm_s);
  EXPECT_EQ(a.attention_s, b.attention_s);
  EXPECT_EQ(a.communication_s, b.communication_s);
  EXPECT_EQ(a.overhead_s, b.overhead_s);
  EXPECT_EQ(a.draft_s, b.draft_s);
  EXPECT_EQ(a.joules, b.joules);
}

// Dense GQA, MoE with expert and attention data parallelism, sliding-window attention,
// chunked attention (Llama 4), MLA (DeepSeek-R1), BF16 KV, and each engine profile (their overheads
// differ): the decode-only path (DecodeOnlyCost) recomputes none of the model's constants but must
// agree to the bit.
TEST(DecodeCostCache, CachedCostIsBitIdentical) {
  auto catalog = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  struct Layout {
    const char* model;
    const char* gpu;
    const char* engine;
    Parallelism parallelism;
    Precision kv;
  };
  const Layout layouts[] = {
      {"llama-3.1-70b", "h100-sxm", "vllm", {.tp = 8}, Precision::kFp8},
      {"llama-3.1-70b", "h100-sxm", "trtllm", {.tp = 4}, Precision::kBf16},
      {"mixtral-8x7b",
       "h100-sxm",
       "vllm",
       {.tp = 1, .ep = 8, .attention_dp = true},
       Precision::kFp8},
      {"mistral-7b", "h100-sxm", "sglang", {.tp = 1}, Precision::kFp8},
      {"deepseek-r1", "h200-sxm", "trtllm", {.tp = 8, .ep = 8}, Precision::kFp8},
      {"deepseek-r1", "b200", "sglang", {.tp = 8, .ep = 8, .attention_dp = true}, Precision::kFp8},
      {"gpt-oss-120b", "b200", "trtllm-engine", {.tp = 2}, Precision::kFp8},
      {"gpt-oss-20b", "h100-sxm", "trtllm", {.tp = 1}, Precision::kBf16},
      {"llama-4-scout", "h200-sxm", "trtllm", {.tp = 4}, Precision::kFp8},
      {"llama-4-maverick",
       "b200",
       "trtllm",
       {.tp = 1, .ep = 4, .attention_dp = true},
       Precision::kFp8}};
  for (const Layout& layout : layouts) {
    PrecisionConfig precision;
    precision.weights = Precision::kFp8;
    precision.kv_cache = layout.kv;
    auto m = InstanceCostModel::Build(*catalog->Model(layout.model), *catalog->Gpu(layout.gpu),
                                      layout.parallelism, precision,
                                      *catalog->Engine(layout.engine), 8192);
    ASSERT_TRUE(m.ok()) << layout.model << ": " << m.error().message;
    SCOPED_TRACE(std::string(layout.model) + " on " + layout.gpu + " with " + layout.engine);
    DecodeCostCache cache;
    for (int round = 0; round < 3; ++round) {  // the first round fills the cache
      for (int n = 1; n <= 300; n += 7) {
        BatchShape b;
        b.decode_sequences = n;
        b.decode_context_tokens = 1000.5 * n + 37 * round + (round == 2 ? 123456.0 * n : 0);
        ExpectSameCost(m->Cost(b, cache), m->Cost(b));
        b.prefill_tokens = 512;  // mixed batches bypass the cache
        b.prefill_sequences = 1;
        b.prefill_attention_pairs = 512.0 * 513 / 2;
        ExpectSameCost(m->Cost(b, cache), m->Cost(b));
      }
    }
  }
}

}  // namespace
}  // namespace tokenfab
