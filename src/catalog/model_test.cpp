#include "tokenfab/catalog/model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "tokenfab/catalog/hf_config.h"

namespace tokenfab {
namespace {

ModelSpec CatalogModel(const std::string& id) {
  const std::string path =
      std::string(TOKENFAB_SOURCE_DIR) + "/data/catalog/models/" + id + ".json";
  Result<ModelSpec> model = LoadHfConfig(path);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  return model.ok() ? model.value() : ModelSpec{};
}

// Parameters in billions, printed at the precision the expectation was written with.
std::string Billions(double params, int decimals) {
  return fmt::format("{:.{}f}", params / 1e9, decimals);
}

struct Expected {
  const char* id;
  const char* total;   // billions, at the rounding printed in SOURCES.md "Check against the files"
  const char* active;  // ParameterCount::active, input embedding and head included
};

// SOURCES.md counts from the configs with the same convention (untied embedding and head both
// counted, norms and biases included, MTP layer excluded). Dense: active == total. gpt-oss is
// checked separately because its published active count leaves out the input embedding.
constexpr Expected kExpected[] = {
    {"llama-3.1-8b", "8.030", "8.030"},     {"llama-3.1-70b", "70.554", "70.554"},
    {"llama-3.3-70b", "70.554", "70.554"},  {"llama-3.1-405b", "405.853", "405.853"},
    {"llama-2-70b", "68.977", "68.977"},    {"mistral-7b", "7.242", "7.242"},
    {"mixtral-8x7b", "46.70", "12.88"},     {"mixtral-8x22b", "140.62", "39.15"},
    {"qwen3-32b", "32.76", "32.76"},        {"qwen3-30b-a3b", "30.53", "3.35"},
    {"qwen3-235b-a22b", "235.09", "22.19"}, {"deepseek-v3", "671.03", "37.55"},
    {"deepseek-r1", "671.03", "37.55"},     {"gpt-oss-120b", "116.83", ""},
    {"gpt-oss-20b", "20.91", ""},
};

TEST(ModelParameters, MatchTheCountsInSources) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.id);
    const ParameterCount c = CountParameters(CatalogModel(e.id));
    const int decimals = static_cast<int>(std::string(e.total).size()) -
                         static_cast<int>(std::string(e.total).find('.')) - 1;
    EXPECT_EQ(Billions(c.total, decimals), e.total);
    if (*e.active != '\0') EXPECT_EQ(Billions(c.active, decimals), e.active);
  }
}

TEST(ModelParameters, GptOssActiveWithoutInputEmbeddingMatchesOpenAi) {
  for (const auto& [id, active] : {std::pair{"gpt-oss-120b", "5.13"}, {"gpt-oss-20b", "3.61"}}) {
    SCOPED_TRACE(id);
    const ModelSpec m = CatalogModel(id);
    const ParameterCount c = CountParameters(m);
    const double input_embedding = static_cast<double>(m.vocab_size) * m.hidden_size;
    EXPECT_EQ(Billions(c.active - input_embedding, 2), active);
  }
}

// Exact counts of the catalog files, worked by hand in docs/models.md; a regression guard for
// every term (biases, sinks, router bias, q/k norms, MLA norms).
TEST(ModelParameters, ExactCountsOfCatalogFiles) {
  EXPECT_EQ(CountParameters(CatalogModel("llama-3.1-8b")).total, 8'030'261'248.0);
  EXPECT_EQ(CountParameters(CatalogModel("gpt-oss-120b")).total, 116'829'156'672.0);
  EXPECT_EQ(CountParameters(CatalogModel("qwen3-30b-a3b")).total, 30'532'122'624.0);
  const ParameterCount v3 = CountParameters(CatalogModel("deepseek-v3"));
  EXPECT_EQ(v3.total, 671'026'419'200.0);
  EXPECT_EQ(v3.active, 37'552'297'472.0);
}

// Meta publishes 109B / 17B for Scout and 400B / 17B for Maverick, vision encoder included; the
// config's text model accounts for all but ~1B of Scout and all of Maverick.
TEST(ModelParameters, Llama4TextModels) {
  const ParameterCount scout = CountParameters(CatalogModel("llama-4-scout"));
  EXPECT_EQ(Billions(scout.total, 2), "107.77");
  EXPECT_EQ(Billions(scout.active, 2), "17.17");
  const ParameterCount maverick = CountParameters(CatalogModel("llama-4-maverick"));
  EXPECT_EQ(Billions(maverick.total, 2), "400.71");
  EXPECT_EQ(Billions(maverick.active, 2), "17.18");
}

// The model card's 6,053,381,344 counts the Mesh Transformer JAX checkpoint, in which the
// vectors replicated on each of the 8 model-parallel shards (per-layer LayerNorm and MLP output
// bias, final LayerNorm, and an input-embedding bias the HF weights fold away) appear 8 times.
TEST(ModelParameters, GptJCountsTheHfWeightsExactly) {
  const ModelSpec m = CatalogModel("gpt-j-6b");
  const ParameterCount c = CountParameters(m);
  EXPECT_EQ(c.total, 6'050'882'784.0);
  EXPECT_EQ(c.active, c.total);
  const double h = m.hidden_size;
  const double replicated = m.num_layers * (2 * h + h) + 2 * h;  // LayerNorm w+b, fc_out bias
  EXPECT_EQ(c.total + 7 * replicated + 8 * h, 6'053'381'344.0);
}

// A model small enough to count by hand: h=8, 2 layers, 4 heads of 2, 2 KV heads, MLP 16,
// vocab 10. Attention 8*(8+4+4) + 8*8 = 192; MLP 3*8*16 = 384; norms 2*8 per layer + 8.
TEST(ModelParameters, TinyDenseModelByHand) {
  ModelSpec m;
  m.hidden_size = 8;
  m.num_layers = 2;
  m.num_heads = 4;
  m.num_kv_heads = 2;
  m.head_dim = 2;
  m.vocab_size = 10;
  m.intermediate_size = 16;
  ParameterCount c = CountParameters(m);
  EXPECT_EQ(c.attention_per_layer, 192);
  EXPECT_EQ(c.dense_mlp_per_layer, 384);
  EXPECT_EQ(c.embedding, 160);
  EXPECT_EQ(c.norms, 40);
  EXPECT_EQ(c.total, 160 + 40 + 2 * (192 + 384));
  EXPECT_EQ(c.active, c.total);
  m.tie_embeddings = true;
  EXPECT_EQ(CountParameters(m).embedding, 80);
}

// The same model with 4 experts of width 4, 2 per token, MoE on one layer: an expert is
// 3*8*4 = 96, the router 4*8 = 32; active leaves out 2 of the 4 experts of that layer.
TEST(ModelParameters, TinyMoeModelByHand) {
  ModelSpec m;
  m.hidden_size = 8;
  m.num_layers = 2;
  m.num_heads = m.num_kv_heads = 4;
  m.head_dim = 2;
  m.vocab_size = 10;
  m.intermediate_size = 16;
  m.num_experts = 4;
  m.experts_per_token = 2;
  m.moe_intermediate_size = 4;
  m.num_moe_layers = 1;
  const ParameterCount c = CountParameters(m);
  EXPECT_EQ(c.expert, 96);
  EXPECT_EQ(c.router_per_layer, 32);
  EXPECT_EQ(c.total - c.active, 2 * 96);
}

TEST(ModelKvCache, ElementsPerTokenPerLayer) {
  EXPECT_EQ(KvElementsPerTokenPerLayer(CatalogModel("llama-3.1-70b")), 2 * 8 * 128);
  EXPECT_EQ(KvElementsPerTokenPerLayer(CatalogModel("deepseek-v3")), 512 + 64);
  EXPECT_EQ(KvElementsPerTokenPerLayer(CatalogModel("gpt-oss-120b")), 2 * 8 * 64);
  EXPECT_EQ(KvElementsPerTokenPerLayer(CatalogModel("gpt-j-6b")), 2 * 16 * 256);
  EXPECT_EQ(KvElementsPerTokenPerLayer(CatalogModel("qwen3-30b-a3b")), 2 * 4 * 128);
}

}  // namespace
}  // namespace tokenfab
