#include "tokenfab/catalog/hf_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace tokenfab {
namespace {

const std::string kModels = std::string(TOKENFAB_SOURCE_DIR) + "/data/catalog/models/";

ModelSpec Load(const std::string& id) {
  Result<ModelSpec> model = LoadHfConfig(kModels + id + ".json");
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  return model.ok() ? model.value() : ModelSpec{};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The error message of parsing `json`, or "" if it parsed.
std::string ParseError(const std::string& json) {
  Result<ModelSpec> model = ParseHfConfig(json, "cfg.json", "x");
  return model.ok() ? "" : model.error().message;
}

std::string Llama(const std::string& extra) {
  return R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 100,
             "max_position_embeddings": 128, "intermediate_size": 256)" +
         extra + "}";
}

TEST(HfConfig, EveryModelsYamlEntryParses) {
  const YAML::Node models = YAML::LoadFile(kModels + "models.yaml")["models"];
  ASSERT_TRUE(models.IsMap());
  EXPECT_EQ(models.size(), 18u);
  for (const auto& entry : models) {
    const std::string id = entry.first.as<std::string>();
    SCOPED_TRACE(id);
    for (const char* key : {"name", "config", "source", "params_published"}) {
      EXPECT_TRUE(entry.second[key].IsScalar()) << key;
    }
    EXPECT_EQ(entry.second["config"].as<std::string>(), id + ".json");
    const ModelSpec m = Load(id);
    EXPECT_EQ(m.id, kModels + id + ".json");
    EXPECT_GT(m.hidden_size, 0);
    EXPECT_GT(m.num_layers, 0);
    EXPECT_GT(m.vocab_size, 0);
    EXPECT_GT(m.max_context, 0);
  }
}

TEST(HfConfig, ReadsDenseModels) {
  const ModelSpec m = Load("llama-3.1-70b");
  EXPECT_EQ(m.hidden_size, 8192);
  EXPECT_EQ(m.num_layers, 80);
  EXPECT_EQ(m.num_heads, 64);
  EXPECT_EQ(m.num_kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.vocab_size, 128256);
  EXPECT_EQ(m.max_context, 131072);
  EXPECT_EQ(m.intermediate_size, 28672);
  EXPECT_FALSE(m.IsMoe());
  EXPECT_EQ(m.sliding_window, 0);
  const ModelSpec mistral = Load("mistral-7b");
  EXPECT_EQ(mistral.sliding_window, 4096);
  EXPECT_EQ(mistral.sliding_window_layers, 32);
  const ModelSpec qwen = Load("qwen3-32b");  // head_dim 128 although 5120 / 64 = 80
  EXPECT_EQ(qwen.head_dim, 128);
  EXPECT_TRUE(qwen.qk_norm);
  EXPECT_EQ(qwen.sliding_window, 0);  // use_sliding_window false
}

TEST(HfConfig, ReadsGptJ) {
  const ModelSpec m = Load("gpt-j-6b");
  EXPECT_EQ(m.hidden_size, 4096);
  EXPECT_EQ(m.num_layers, 28);
  EXPECT_EQ(m.num_heads, 16);
  EXPECT_EQ(m.num_kv_heads, 16);
  EXPECT_EQ(m.head_dim, 256);
  EXPECT_EQ(m.intermediate_size, 4 * 4096);  // n_inner null
  EXPECT_EQ(m.max_context, 2048);
  EXPECT_FALSE(m.gated_mlp);
  EXPECT_TRUE(m.mlp_bias && m.layer_norm_bias && m.parallel_block && m.lm_head_bias);
}

TEST(HfConfig, ReadsMixtralAndQwenMoe) {
  const ModelSpec mixtral = Load("mixtral-8x7b");
  EXPECT_EQ(mixtral.num_experts, 8);
  EXPECT_EQ(mixtral.experts_per_token, 2);
  EXPECT_EQ(mixtral.moe_intermediate_size, 14336);
  EXPECT_EQ(mixtral.num_moe_layers, 32);
  EXPECT_EQ(mixtral.sliding_window, 0);  // null
  const ModelSpec qwen = Load("qwen3-30b-a3b");
  EXPECT_EQ(qwen.num_experts, 128);
  EXPECT_EQ(qwen.experts_per_token, 8);
  EXPECT_EQ(qwen.moe_intermediate_size, 768);
  EXPECT_EQ(qwen.num_moe_layers, 48);
  EXPECT_EQ(Load("qwen3-235b-a22b").num_moe_layers, 94);
}

TEST(HfConfig, ReadsDeepseekMla) {
  const ModelSpec m = Load("deepseek-v3");
  EXPECT_EQ(m.attention, AttentionKind::kMla);
  EXPECT_EQ(m.q_lora_rank, 1536);
  EXPECT_EQ(m.kv_lora_rank, 512);
  EXPECT_EQ(m.qk_nope_head_dim, 128);
  EXPECT_EQ(m.qk_rope_head_dim, 64);
  EXPECT_EQ(m.v_head_dim, 128);
  EXPECT_EQ(m.num_experts, 256);
  EXPECT_EQ(m.experts_per_token, 8);
  EXPECT_EQ(m.num_shared_experts, 1);
  EXPECT_EQ(m.shared_expert_intermediate_size, 2048);
  EXPECT_EQ(m.num_moe_layers, 58);
  EXPECT_EQ(m.NumDenseLayers(), 3);
  EXPECT_EQ(m.intermediate_size, 18432);
  EXPECT_TRUE(m.router_bias);
}

TEST(HfConfig, ReadsGptOss) {
  const ModelSpec m = Load("gpt-oss-120b");
  EXPECT_EQ(m.num_experts, 128);
  EXPECT_EQ(m.experts_per_token, 4);
  EXPECT_EQ(m.num_moe_layers, 36);
  EXPECT_EQ(m.head_dim, 64);
  EXPECT_EQ(m.sliding_window, 128);
  EXPECT_EQ(m.sliding_window_layers, 18);
  EXPECT_TRUE(m.attention_bias && m.attention_output_bias && m.attention_sinks);
  EXPECT_EQ(Load("gpt-oss-20b").num_experts, 32);
}

// gpt-oss's MXFP4 checkpoint lists self_attn among modules_to_not_convert; DeepSeek's FP8
// checkpoint quantizes attention too.
TEST(HfConfig, ReadsWhichModulesTheCheckpointLeavesUnquantized) {
  EXPECT_TRUE(Load("gpt-oss-20b").attention_unquantized);
  EXPECT_TRUE(Load("gpt-oss-120b").attention_unquantized);
  EXPECT_FALSE(Load("deepseek-r1").attention_unquantized);
  EXPECT_FALSE(Load("llama-3.1-70b").attention_unquantized);
  auto unquantized = [](const std::string& quantization) {
    Result<ModelSpec> m =
        ParseHfConfig(Llama(R"(, "quantization_config": )" + quantization), "q.json", "q");
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() && m->attention_unquantized;
  };
  EXPECT_TRUE(unquantized(R"({"ignore": ["lm_head", "re:.*self_attn.*"]})"));
  EXPECT_TRUE(unquantized(R"({"exclude_modules": ["*attention*"]})"));
  EXPECT_FALSE(unquantized(R"({"exclude_modules": ["model.layers.0.self_attn"]})"));
  EXPECT_FALSE(unquantized(R"({"modules_to_not_convert": ["vision_model.*.self_attn"]})"));
  EXPECT_FALSE(unquantized(R"({"modules_to_not_convert": ["lm_head"]})"));
  EXPECT_NE(ParseError(Llama(R"(, "quantization_config": {"ignore": [3]})"))
                .find("key \"quantization_config.ignore\" must hold module names (strings), got 3"),
            std::string::npos);
  EXPECT_NE(ParseError(Llama(R"(, "quantization_config": [])"))
                .find("key \"quantization_config\" must be an object"),
            std::string::npos);
}

TEST(HfConfig, ReadsLlama4Interleave) {
  const ModelSpec scout = Load("llama-4-scout");
  EXPECT_EQ(scout.vocab_size, 202048);
  EXPECT_EQ(scout.num_experts, 16);
  EXPECT_EQ(scout.experts_per_token, 1);
  EXPECT_EQ(scout.num_moe_layers, 48);  // interleave_moe_layer_step 1
  EXPECT_EQ(scout.num_shared_experts, 1);
  EXPECT_EQ(scout.shared_expert_intermediate_size, 8192);
  const ModelSpec maverick = Load("llama-4-maverick");
  EXPECT_EQ(maverick.num_experts, 128);
  EXPECT_EQ(maverick.num_moe_layers, 24);  // interleave_moe_layer_step 2
  EXPECT_EQ(maverick.intermediate_size, 16384);
  EXPECT_EQ(maverick.moe_intermediate_size, 8192);
}

// Llama 4's iRoPE: every fourth layer global (no_rope_layers empty or absent), the others
// chunked; an explicit no_rope_layers list counts its 1 entries.
TEST(HfConfig, ReadsChunkedAttention) {
  for (const char* id : {"llama-4-scout", "llama-4-maverick"}) {
    const ModelSpec m = Load(id);
    EXPECT_EQ(m.attention_chunk, 8192) << id;
    EXPECT_EQ(m.chunked_attention_layers, 36) << id;
  }
  EXPECT_EQ(Load("llama-3.1-8b").attention_chunk, 0);
  Result<ModelSpec> listed = ParseHfConfig(
      Llama(R"(, "attention_chunk_size": 16, "no_rope_layers": [1, 0])"), "c.json", "c");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(listed->chunked_attention_layers, 1);
  EXPECT_NE(ParseError(Llama(R"(, "attention_chunk_size": 16, "no_rope_layers": [1])"))
                .find("\"no_rope_layers\" has 1 entries but num_hidden_layers is 2"),
            std::string::npos);
  EXPECT_NE(ParseError(Llama(R"(, "attention_chunk_size": 16, "no_rope_layers": [1, 2])"))
                .find("must hold only 0 and 1, got 2"),
            std::string::npos);
}

TEST(HfConfig, LayerPatternsOfSyntheticConfigs) {
  Result<ModelSpec> qwen = ParseHfConfig(Llama(R"(, "model_type": "qwen3_moe", "num_experts": 4,
      "num_experts_per_tok": 2, "moe_intermediate_size": 32, "decoder_sparse_step": 1,
      "mlp_only_layers": [1])"),
                                         "q.json", "q");
  ASSERT_TRUE(qwen.ok()) << qwen.error().message;
  EXPECT_EQ(qwen->num_moe_layers, 1);
  Result<ModelSpec> llama4 = ParseHfConfig(Llama(R"(, "model_type": "llama4_text",
      "num_local_experts": 4, "num_experts_per_tok": 1, "intermediate_size_mlp": 512,
      "moe_layers": [0, 1])"),
                                           "l.json", "l");
  ASSERT_TRUE(llama4.ok()) << llama4.error().message;
  EXPECT_EQ(llama4->num_moe_layers, 2);
  Result<ModelSpec> qwen2 = ParseHfConfig(Llama(R"(, "model_type": "qwen2")"), "q2.json", "q2");
  ASSERT_TRUE(qwen2.ok());
  EXPECT_TRUE(qwen2->attention_bias);
  EXPECT_FALSE(qwen2->attention_output_bias);
}

TEST(HfConfig, ArchitecturesIsTheFallbackForModelType) {
  std::string json = Llama("");
  json.replace(json.find("\"model_type\": \"llama\""), 21,
               R"("architectures": ["MistralForCausalLM"])");
  EXPECT_EQ(ParseError(json), "");
}

TEST(HfConfig, InvalidJsonNamesFileAndPosition) {
  const std::string msg = ParseError("{\n  \"hidden_size\": 4096,\n  oops\n}");
  EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(ParseError("").find("cfg.json"), std::string::npos);
  EXPECT_NE(ParseError("[1, 2]").find("one JSON object"), std::string::npos);
}

TEST(HfConfig, MissingKeyNamesKeyFileAndFamilies) {
  std::string json = Llama("");
  json.replace(json.find("\"vocab_size\": 100,"), 18, "");
  const std::string msg = ParseError(json);
  EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing required key \"vocab_size\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("DeepSeek"), std::string::npos) << msg;
  const std::string nested = ParseError(R"({"model_type": "llama4", "text_config": {}})");
  EXPECT_NE(nested.find("\"text_config.hidden_size\""), std::string::npos) << nested;
}

TEST(HfConfig, UnsupportedArchitectureIsExplained) {
  const std::string msg = ParseError(R"({"model_type": "falcon",
      "architectures": ["FalconForCausalLM"], "hidden_size": 4544})");
  EXPECT_NE(msg.find("unsupported architecture"), std::string::npos) << msg;
  EXPECT_NE(msg.find("falcon"), std::string::npos) << msg;
  EXPECT_NE(msg.find("LlamaForCausalLM"), std::string::npos) << msg;
  EXPECT_NE(ParseError("{}").find("unsupported architecture"), std::string::npos);
}

TEST(HfConfig, WrongTypesAndValuesAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(, "hidden_size": "64")", "\"hidden_size\" must be an integer"},
      {R"(, "hidden_size": 64.5)", "\"hidden_size\" must be an integer"},
      {R"(, "hidden_size": 0)", "\"hidden_size\" must be an integer from 1"},
      {R"(, "hidden_size": -64)", "\"hidden_size\""},
      {R"(, "hidden_size": 1e300)", "\"hidden_size\""},
      {R"(, "hidden_size": true)", "\"hidden_size\""},
      {R"(, "hidden_size": [64])", "an array"},
      {R"(, "hidden_size": 60)", "not a multiple of num_attention_heads"},
      {R"(, "num_key_value_heads": 16)", "\"num_key_value_heads\" must be an integer from 1 to 8"},
      {R"(, "num_key_value_heads": 3)", "must divide num_attention_heads"},
      {R"(, "num_hidden_layers": 0)", "\"num_hidden_layers\""},
      {R"(, "tie_word_embeddings": "yes")", "must be true or false"},
      {R"(, "sliding_window": 16, "layer_types": ["full_attention"])", "has 1 entries"},
      {R"(, "sliding_window": 16, "layer_types": "all")", "must be an array"},
  };
  for (const auto& [extra, expected] : cases) {
    const std::string msg = ParseError(Llama(extra));  // later duplicate keys win
    EXPECT_NE(msg.find(expected), std::string::npos) << extra << " -> " << msg;
    EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
  }
}

TEST(HfConfig, MoeValuesAreChecked) {
  const std::string moe = R"(, "model_type": "qwen3_moe", "num_experts": 4,
      "moe_intermediate_size": 32, )";
  EXPECT_NE(ParseError(Llama(moe + R"("num_experts_per_tok": 5)")).find("num_experts_per_tok"),
            std::string::npos);
  EXPECT_NE(ParseError(Llama(moe + R"("num_experts_per_tok": 2, "mlp_only_layers": [7])"))
                .find("mlp_only_layers"),
            std::string::npos);
  EXPECT_NE(ParseError(Llama(moe + R"("num_experts_per_tok": 2, "decoder_sparse_step": 0)"))
                .find("decoder_sparse_step"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model_type": "llama4", "text_config": 5})").find("must be an object"),
            std::string::npos);
}

TEST(HfConfig, LoadReportsUnreadableFiles) {
  Result<ModelSpec> missing = LoadHfConfig(kModels + "no-such-model.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no-such-model.json"), std::string::npos);
  Result<ModelSpec> directory = LoadHfConfig(kModels);
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("directory"), std::string::npos);
}

// The parser is fed untrusted files: truncations and byte flips of every catalog config must
// come back as a result (ok or error), never a crash or an escaping exception.
TEST(HfConfig, MangledConfigsNeverCrash) {
  std::mt19937 rng(7);
  for (const char* id : {"llama-3.1-8b", "gpt-j-6b", "deepseek-v3", "gpt-oss-20b", "llama-4-scout",
                         "qwen3-30b-a3b", "mixtral-8x7b"}) {
    const std::string text = ReadFile(kModels + id + ".json");
    for (size_t n = 0; n < text.size(); n += 13) {
      EXPECT_FALSE(ParseHfConfig(text.substr(0, n), id, id).ok());
    }
    for (int trial = 0; trial < 300; ++trial) {
      std::string mangled = text;
      for (int flips = 0; flips < 3; ++flips) {
        mangled[rng() % mangled.size()] = static_cast<char>("0-9.e\":,[]{}n \xff"[rng() % 16]);
      }
      Result<ModelSpec> m = ParseHfConfig(mangled, id, id);
      if (m.ok()) EXPECT_TRUE(std::isfinite(CountParameters(*m).total));
    }
  }
}

}  // namespace
}  // namespace tokenfab
