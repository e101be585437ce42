#include "tokenfab/catalog/hf_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

namespace tokenfab {
namespace {

using Json = nlohmann::json;

// Bounds on what a config may say. Far above any real model, low enough that a product of two
// widths fits exactly in a double and that per-layer loops and vectors stay small.
constexpr int kMaxWidth = 1 << 24;
constexpr int kMaxLayers = 100000;
constexpr int kMaxPositions = 1 << 30;

constexpr char kSupported[] =
    "Llama/Mistral/Qwen2/Qwen3 dense (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, "
    "Qwen3ForCausalLM), Mixtral, Qwen2-MoE, Qwen3-MoE, DeepSeek-V2/V3/R1, gpt-oss, Llama 4 "
    "(Llama4ForConditionalGeneration, Llama4ForCausalLM) and GPT-J (GPTJForCausalLM)";

// A short, printable description of a value for error messages. Containers are not dumped:
// they may be huge or deeply nested.
std::string Describe(const Json& v) {
  if (v.is_structured()) return v.is_object() ? "an object" : "an array";
  const std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return fmt::format("{} ({})", text.size() > 40 ? text.substr(0, 37) + "..." : text,
                     v.type_name());
}

bool IsString(const Json& v, std::string_view text) {
  return v.is_string() && v.get_ref<const std::string&>() == text;
}

// Typed, range-checked reads from one JSON object of a config. Every failure names the file,
// the key (with its path, e.g. text_config.hidden_size) and what would be valid.
class Fields {
 public:
  Fields(const Json& object, const std::string& origin, std::string prefix,
         std::string_view architecture)
      : object_(object), origin_(origin), prefix_(std::move(prefix)), arch_(architecture) {}

  // nullptr when the key is absent or null (HF writes null for "use the default").
  const Json* Find(std::string_view key) const {
    const auto it = object_.find(std::string(key));
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  [[noreturn]] void Fail(std::string_view key, const std::string& problem) const {
    throw InputError(fmt::format("{}: key \"{}{}\" {}", origin_, prefix_, key, problem));
  }

  // A missing key is an error unless there is a fallback.
  int Int(std::string_view key, int min, int max, std::optional<int> fallback = {}) const {
    const Json* v = Find(key);
    if (v != nullptr) return ToInt(key, *v, min, max);
    if (fallback) return *fallback;
    throw InputError(fmt::format(
        "{}: missing required key \"{}{}\" for {}; tokenfab reads the config.json of: {}", origin_,
        prefix_, key, arch_, kSupported));
  }

  bool Bool(std::string_view key, bool fallback) const {
    const Json* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) Fail(key, "must be true or false, got " + Describe(*v));
    return v->get<bool>();
  }

  const Json* Array(std::string_view key) const {
    const Json* v = Find(key);
    if (v != nullptr && !v->is_array()) Fail(key, "must be an array, got " + Describe(*v));
    return v;
  }

  // Fails unless the array under `key` has one entry per layer.
  void RequireOneEntryPerLayer(std::string_view key, const Json& list, int num_layers) const {
    if (list.size() != static_cast<size_t>(num_layers)) {
      Fail(key, fmt::format("has {} entries but num_hidden_layers is {}", list.size(), num_layers));
    }
  }

  // The object under `key` (text_config), read with the key's path as prefix; nullopt if absent.
  std::optional<Fields> Nested(std::string_view key) const {
    const Json* v = Find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) Fail(key, "must be an object, got " + Describe(*v));
    return Fields(*v, origin_, prefix_ + std::string(key) + ".", arch_);
  }

  // The strings of the array under `key`; empty if absent.
  std::vector<std::string> Strings(std::string_view key) const {
    std::vector<std::string> out;
    if (const Json* list = Array(key)) {
      for (const Json& entry : *list) {
        if (!entry.is_string())
          Fail(key, "must hold module names (strings), got " + Describe(entry));
        out.push_back(entry.get<std::string>());
      }
    }
    return out;
  }

  // Layer indices listed under `key` (e.g. mlp_only_layers), as a mask over `num_layers`.
  std::vector<bool> LayerSet(std::string_view key, int num_layers) const {
    std::vector<bool> set(num_layers, false);
    if (const Json* list = Array(key)) {
      for (const Json& entry : *list) set[ToInt(key, entry, 0, num_layers - 1)] = true;
    }
    return set;
  }

 private:
  int ToInt(std::string_view key, const Json& v, int min, int max) const {
    // Integral floats (4096.0) pass; NaN and infinities fail the range test.
    const double x = v.is_number() ? v.get<double>() : std::nan("");
    if (!(x >= min && x <= max) || x != std::floor(x)) {
      Fail(key, fmt::format("must be an integer from {} to {}, got {}", min, max, Describe(v)));
    }
    return static_cast<int>(x);
  }

  const Json& object_;
  const std::string& origin_;
  std::string prefix_;
  std::string_view arch_;
};

Json ParseJson(std::string_view text, const std::string& origin) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string why = e.what();  // "[json.exception.parse_error.101] parse error at line 2, ..."
    why.erase(0, std::min(why.size(), why.find("parse error")));
    throw InputError(fmt::format("{}: invalid JSON at byte {}: {}", origin, e.byte, why));
  }
}

void ReadCore(const Fields& f, ModelSpec& s) {
  s.hidden_size = f.Int("hidden_size", 1, kMaxWidth);
  s.num_layers = f.Int("num_hidden_layers", 1, kMaxLayers);
  s.vocab_size = f.Int("vocab_size", 1, kMaxWidth);
  s.max_context = f.Int("max_position_embeddings", 1, kMaxPositions);
  s.tie_embeddings = f.Bool("tie_word_embeddings", s.tie_embeddings);
}

void ReadHeads(const Fields& f, ModelSpec& s) {
  s.num_heads = f.Int("num_attention_heads", 1, kMaxWidth);
  s.num_kv_heads = f.Int("num_key_value_heads", 1, s.num_heads, s.num_heads);
  if (s.num_heads % s.num_kv_heads != 0) {
    f.Fail("num_key_value_heads",
           fmt::format("({}) must divide num_attention_heads ({})", s.num_kv_heads, s.num_heads));
  }
  if (f.Find("head_dim") == nullptr && s.hidden_size % s.num_heads != 0) {
    f.Fail("head_dim", fmt::format("is absent and hidden_size ({}) is not a multiple of "
                                   "num_attention_heads ({}); give head_dim",
                                   s.hidden_size, s.num_heads));
  }
  s.head_dim = f.Int("head_dim", 1, kMaxWidth, s.hidden_size / s.num_heads);
}

// Llama, Qwen3 and gpt-oss put `attention_bias` on all four projections; Qwen2 hard-codes a
// bias on q/k/v only and has no key. Qwen3's q/k norms carry weights (Llama 4's do not).
void ReadAttentionExtras(const Fields& f, std::string_view model_type, ModelSpec& s) {
  const bool qwen2 = model_type == "qwen2" || model_type == "qwen2_moe";
  s.attention_bias = qwen2 || f.Bool("attention_bias", s.attention_bias);
  s.attention_output_bias = s.attention_bias && !qwen2;
  s.qk_norm = model_type == "qwen3" || model_type == "qwen3_moe";
  s.mlp_bias = f.Bool("mlp_bias", s.mlp_bias);
}

// Mistral: the window applies to every layer. Qwen2/3: only with use_sliding_window, from layer
// max_window_layers on. Newer configs (gpt-oss) list each layer's kind in layer_types.
void ReadSlidingWindow(const Fields& f, ModelSpec& s) {
  const int window = f.Int("sliding_window", 0, kMaxPositions, 0);
  if (window == 0 || !f.Bool("use_sliding_window", true)) return;
  s.sliding_window = window;
  if (const Json* types = f.Array("layer_types")) {
    f.RequireOneEntryPerLayer("layer_types", *types, s.num_layers);
    for (const Json& type : *types) s.sliding_window_layers += IsString(type, "sliding_attention");
  } else if (f.Find("max_window_layers") != nullptr) {
    const int full = f.Int("max_window_layers", 0, kMaxLayers);
    s.sliding_window_layers = s.num_layers - std::min(full, s.num_layers);
  } else {
    s.sliding_window_layers = s.num_layers;
  }
}

// Llama 4: attention_chunk_size sets the block; no_rope_layers flags the chunked (RoPE) layers
// with 1 and the global (NoPE) ones with 0. An empty or absent list means the model's
// default, every no_rope_layer_interval-th layer global (4 in Meta's and HF's Llama 4).
void ReadChunkedAttention(const Fields& f, ModelSpec& s) {
  const int chunk = f.Int("attention_chunk_size", 0, kMaxPositions, 0);
  if (chunk == 0) return;
  s.attention_chunk = chunk;
  const Json* flags = f.Array("no_rope_layers");
  if (flags != nullptr && !flags->empty()) {
    f.RequireOneEntryPerLayer("no_rope_layers", *flags, s.num_layers);
    for (const Json& flag : *flags) {
      if (!flag.is_number_integer() || (flag.get<int>() != 0 && flag.get<int>() != 1)) {
        f.Fail("no_rope_layers", "must hold only 0 and 1, got " + flag.dump());
      }
      s.chunked_attention_layers += flag.get<int>();
    }
  } else {
    const int interval = f.Int("no_rope_layer_interval", 1, kMaxLayers, 4);
    s.chunked_attention_layers = s.num_layers - s.num_layers / interval;
  }
}

void ReadGqaModel(const Fields& f, std::string_view model_type, ModelSpec& s) {
  ReadCore(f, s);
  ReadHeads(f, s);
  ReadAttentionExtras(f, model_type, s);
  ReadSlidingWindow(f, s);
  ReadChunkedAttention(f, s);
}

void ReadExperts(const Fields& f, std::string_view count, std::string_view width, ModelSpec& s) {
  s.num_experts = f.Int(count, 1, kMaxWidth);
  s.experts_per_token = f.Int("num_experts_per_tok", 1, s.num_experts);
  s.moe_intermediate_size = f.Int(width, 1, kMaxWidth);
}

void RequireDenseWidth(const Fields& f, std::string_view key, ModelSpec& s) {
  if (s.NumDenseLayers() > 0 && s.intermediate_size == 0) {
    s.intermediate_size = f.Int(key, 1, kMaxWidth);  // throws naming the key when absent
  }
}

void ReadDense(const Fields& f, std::string_view model_type, ModelSpec& s) {
  ReadGqaModel(f, model_type, s);
  s.intermediate_size = f.Int("intermediate_size", 1, kMaxWidth);
}

void ReadMixtral(const Fields& f, std::string_view model_type, ModelSpec& s) {
  ReadGqaModel(f, model_type, s);
  ReadExperts(f, "num_local_experts", "intermediate_size", s);
  s.num_moe_layers = s.num_layers;
}

// A layer is MoE unless listed in mlp_only_layers, and then only every decoder_sparse_step-th.
void ReadQwenMoe(const Fields& f, std::string_view model_type, ModelSpec& s) {
  ReadGqaModel(f, model_type, s);
  ReadExperts(f, "num_experts", "moe_intermediate_size", s);
  s.intermediate_size = f.Int("intermediate_size", 1, kMaxWidth, 0);
  const int step = f.Int("decoder_sparse_step", 1, kMaxLayers, 1);
  const std::vector<bool> dense = f.LayerSet("mlp_only_layers", s.num_layers);
  for (int i = 0; i < s.num_layers; ++i) s.num_moe_layers += !dense[i] && (i + 1) % step == 0;
  s.shared_expert_intermediate_size = f.Int("shared_expert_intermediate_size", 0, kMaxWidth, 0);
  s.num_shared_experts = s.shared_expert_intermediate_size > 0 ? 1 : 0;
  s.shared_expert_gate = s.num_shared_experts > 0;  // Qwen2-MoE gates its shared expert
  RequireDenseWidth(f, "intermediate_size", s);
}

void ReadMla(const Fields& f, ModelSpec& s) {
  s.attention = AttentionKind::kMla;
  s.num_heads = s.num_kv_heads = f.Int("num_attention_heads", 1, kMaxWidth);
  s.q_lora_rank = f.Int("q_lora_rank", 0, kMaxWidth, 0);  // null in DeepSeek-V2-Lite
  s.kv_lora_rank = f.Int("kv_lora_rank", 1, kMaxWidth);
  s.qk_nope_head_dim = f.Int("qk_nope_head_dim", 0, kMaxWidth);
  s.qk_rope_head_dim = f.Int("qk_rope_head_dim", 1, kMaxWidth);
  s.v_head_dim = f.Int("v_head_dim", 1, kMaxWidth);
  s.head_dim = s.qk_nope_head_dim + s.qk_rope_head_dim;
  s.attention_bias = s.attention_output_bias = f.Bool("attention_bias", false);
}

// Layers from first_k_dense_replace on are MoE, every moe_layer_freq-th. The multi-token
// prediction layers (num_nextn_predict_layers) are not part of the served model and are skipped.
void ReadDeepseek(const Fields& f, std::string_view /*model_type*/, ModelSpec& s) {
  ReadCore(f, s);
  ReadMla(f, s);
  s.intermediate_size = f.Int("intermediate_size", 1, kMaxWidth, 0);
  if (f.Find("n_routed_experts") != nullptr) {
    ReadExperts(f, "n_routed_experts", "moe_intermediate_size", s);
    s.num_shared_experts = f.Int("n_shared_experts", 0, kMaxWidth, 0);
    s.shared_expert_intermediate_size = s.moe_intermediate_size;
    const int first = f.Int("first_k_dense_replace", 0, kMaxLayers, 0);
    const int freq = f.Int("moe_layer_freq", 1, kMaxLayers, 1);
    for (int i = first; i < s.num_layers; ++i) s.num_moe_layers += i % freq == 0;
    // noaux_tc routing adds a learned per-expert bias (e_score_correction_bias).
    const Json* routing = f.Find("topk_method");
    s.router_bias = routing != nullptr && IsString(*routing, "noaux_tc");
  }
  RequireDenseWidth(f, "intermediate_size", s);
}

// Every layer is MoE; experts, router and all projections carry biases, each head a sink logit.
void ReadGptOss(const Fields& f, std::string_view model_type, ModelSpec& s) {
  s.attention_bias = true;  // the transformers default for gpt-oss
  ReadGqaModel(f, model_type, s);
  s.attention_sinks = s.mlp_bias = s.router_bias = true;
  s.num_experts = f.Int("num_local_experts", 1, kMaxWidth);
  const bool hf_key = f.Find("num_experts_per_tok") != nullptr;  // else the owner's key
  s.experts_per_token =
      f.Int(hf_key ? "num_experts_per_tok" : "experts_per_token", 1, s.num_experts);
  s.moe_intermediate_size = f.Int("intermediate_size", 1, kMaxWidth);
  s.num_moe_layers = s.num_layers;
}

// The text model sits under text_config (multimodal checkpoints) or at the top (text-only).
// MoE layers (moe_layers, else every interleave_moe_layer_step-th) have routed experts of width
// intermediate_size plus one shared expert of the same width; the other layers are dense with
// width intermediate_size_mlp.
void ReadLlama4(const Fields& top, std::string_view model_type, ModelSpec& s) {
  const std::optional<Fields> nested = top.Nested("text_config");
  const Fields& f = nested ? *nested : top;
  s.tie_embeddings = top.Bool("tie_word_embeddings", false);
  ReadGqaModel(f, model_type, s);
  ReadExperts(f, "num_local_experts", "intermediate_size", s);
  s.num_shared_experts = 1;
  s.shared_expert_intermediate_size = s.moe_intermediate_size;
  s.intermediate_size = f.Int("intermediate_size_mlp", 1, kMaxWidth, 0);
  if (f.Find("moe_layers") != nullptr) {
    for (bool moe : f.LayerSet("moe_layers", s.num_layers)) s.num_moe_layers += moe;
  } else {
    const int step = f.Int("interleave_moe_layer_step", 1, kMaxLayers, 1);
    s.num_moe_layers = s.num_layers / step;  // layers step-1, 2*step-1, ...
  }
  RequireDenseWidth(f, "intermediate_size_mlp", s);
}

// GPT-2 style names; parallel attention and MLP behind one LayerNorm, a plain GELU MLP with
// biases, full multi-head attention, and a biased output head. rotary_dim has no weights.
void ReadGptJ(const Fields& f, std::string_view /*model_type*/, ModelSpec& s) {
  s.hidden_size = f.Int("n_embd", 1, kMaxWidth);
  s.num_layers = f.Int("n_layer", 1, kMaxLayers);
  s.num_heads = s.num_kv_heads = f.Int("n_head", 1, kMaxWidth);
  if (s.hidden_size % s.num_heads != 0) {
    f.Fail("n_head", fmt::format("({}) must divide n_embd ({})", s.num_heads, s.hidden_size));
  }
  s.head_dim = s.hidden_size / s.num_heads;
  s.vocab_size = f.Int("vocab_size", 1, kMaxWidth);
  s.max_context = f.Int("n_positions", 1, kMaxPositions);
  s.tie_embeddings = f.Bool("tie_word_embeddings", false);
  s.intermediate_size = f.Int("n_inner", 1, kMaxWidth, 4 * s.hidden_size);
  s.gated_mlp = false;
  s.mlp_bias = s.layer_norm_bias = s.parallel_block = s.lm_head_bias = true;
}

struct Architecture {
  std::string_view model_type;
  std::string_view name;  // as listed in "architectures"
  void (*read)(const Fields& config, std::string_view model_type, ModelSpec& spec);
};

constexpr Architecture kArchitectures[] = {
    {"llama", "LlamaForCausalLM", ReadDense},
    {"mistral", "MistralForCausalLM", ReadDense},
    {"qwen2", "Qwen2ForCausalLM", ReadDense},
    {"qwen3", "Qwen3ForCausalLM", ReadDense},
    {"mixtral", "MixtralForCausalLM", ReadMixtral},
    {"qwen2_moe", "Qwen2MoeForCausalLM", ReadQwenMoe},
    {"qwen3_moe", "Qwen3MoeForCausalLM", ReadQwenMoe},
    {"deepseek_v2", "DeepseekV2ForCausalLM", ReadDeepseek},
    {"deepseek_v3", "DeepseekV3ForCausalLM", ReadDeepseek},
    {"gpt_oss", "GptOssForCausalLM", ReadGptOss},
    {"llama4", "Llama4ForConditionalGeneration", ReadLlama4},
    {"llama4_text", "Llama4ForCausalLM", ReadLlama4},
    {"gptj", "GPTJForCausalLM", ReadGptJ},
};

// model_type decides; "architectures" is the fallback for configs without it.
const Architecture& Identify(const Json& top, const std::string& origin) {
  const auto type = top.find("model_type");
  const auto names = top.find("architectures");
  const bool has_names = names != top.end() && names->is_array();
  for (const Architecture& a : kArchitectures) {
    if (type != top.end() && IsString(*type, a.model_type)) return a;
  }
  for (size_t i = 0; has_names && i < names->size(); ++i) {
    for (const Architecture& a : kArchitectures) {
      if (IsString((*names)[i], a.name)) return a;
    }
  }
  throw InputError(fmt::format(
      "{}: unsupported architecture (model_type {}, architectures {}); tokenfab reads the "
      "config.json of: {}. A model whose layers are exactly Llama's can be read by setting "
      "\"model_type\": \"llama\"",
      origin, type != top.end() ? Describe(*type) : "absent",
      has_names && !names->empty() ? Describe(names->front()) : "absent", kSupported));
}

// Whether a quantized checkpoint leaves the attention projections of every layer unquantized.
// The exclusion list is modules_to_not_convert (transformers), exclude_modules (ModelOpt) or
// ignore (compressed-tensors); an entry counts when it names attention for all layers (a
// wildcard or regular expression, no layer number) of the language model (not a vision tower).
bool AttentionLeftUnquantized(const Fields& q) {
  for (const char* key : {"modules_to_not_convert", "exclude_modules", "ignore"}) {
    for (const std::string& module : q.Strings(key)) {
      const bool attention =
          module.find("attn") != std::string::npos || module.find("attention") != std::string::npos;
      const bool one_layer =
          std::any_of(module.begin(), module.end(), [](char c) { return c >= '0' && c <= '9'; });
      const bool vision =
          module.find("vision") != std::string::npos || module.find("visual") != std::string::npos;
      if (attention && !one_layer && !vision) return true;
    }
  }
  return false;
}

ModelSpec Parse(std::string_view json_text, const std::string& origin, const std::string& id) {
  const Json top = ParseJson(json_text, origin);
  if (!top.is_object()) {
    throw InputError(origin + ": a config.json holds one JSON object, this file holds " +
                     Describe(top));
  }
  const Architecture& a = Identify(top, origin);
  const Fields f(top, origin, "", a.name);
  ModelSpec s;
  s.id = s.name = id;
  s.source = "Hugging Face config.json read from " + origin;
  a.read(f, a.model_type, s);
  if (const std::optional<Fields> q = f.Nested("quantization_config")) {
    s.attention_unquantized = AttentionLeftUnquantized(*q);
  }
  return s;
}

}  // namespace

Result<ModelSpec> ParseHfConfig(std::string_view json_text, const std::string& origin,
                                const std::string& id) {
  return CatchInputErrors([&] {
    try {
      return Parse(json_text, origin, id);
    } catch (const Json::exception& e) {
      // Backstop: the reads above check types first; a case they miss is still an input error.
      throw InputError(origin + ": " + e.what());
    }
  });
}

Result<ModelSpec> LoadHfConfig(const std::string& path) {
  Result<std::string> text = CatchInputErrors([&] {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      throw InputError(path + ": is a directory; give the path of a config.json file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
  });
  if (!text.ok()) return text.error();
  return ParseHfConfig(*text, path, path);
}

}  // namespace tokenfab
