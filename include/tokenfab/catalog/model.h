// A transformer LLM's shape, as needed for FLOP, byte and memory counts. Read from the catalog
// or from a Hugging Face config.json (see hf_config.h).
#pragma once

#include <string>

namespace tokenfab {

enum class AttentionKind {
  kGqa,  // multi-head, grouped-query or multi-query attention
  kMla,  // DeepSeek multi-head latent attention (compressed KV)
};

struct ModelSpec {
  std::string id;      // catalog id or the config.json path it was read from
  std::string name;
  std::string source;  // provenance of the shape

  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  int max_context = 0;
  bool tie_embeddings = false;
  bool attention_bias = false;  // q/k/v projections carry a bias (Qwen2, gpt-oss)

  // Feed-forward of dense layers (and of DeepSeek's first dense layers).
  int intermediate_size = 0;
  bool gated_mlp = true;  // SwiGLU-style: three matrices (gate, up, down); false: two (GPT-J)

  AttentionKind attention = AttentionKind::kGqa;
  // MLA only (DeepSeek-V2/V3): q_lora_rank 0 means queries are projected without compression.
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;

  // Sliding-window attention: `sliding_window_layers` of the layers attend to at most
  // `sliding_window` previous tokens (gpt-oss alternates; Mistral-7B uses it on all layers).
  int sliding_window = 0;
  int sliding_window_layers = 0;

  // Mixture of experts. num_experts == 0 means a dense model.
  int num_experts = 0;
  int experts_per_token = 0;
  int moe_intermediate_size = 0;
  int num_shared_experts = 0;
  int shared_expert_intermediate_size = 0;  // per shared expert
  int num_moe_layers = 0;  // layers with an MoE feed-forward; the rest are dense

  bool IsMoe() const { return num_experts > 0; }
  int NumDenseLayers() const { return num_layers - num_moe_layers; }
};

// Parameter counts derived from the shape (embeddings and head included, norms included).
struct ParameterCount {
  double total = 0;
  double active = 0;          // per token: shared weights + experts_per_token experts
  double embedding = 0;       // input embedding + output head (once if tied)
  double attention_per_layer = 0;
  double dense_mlp_per_layer = 0;
  double expert = 0;          // one routed expert
  double shared_experts = 0;  // all shared experts of one MoE layer
  double router_per_layer = 0;
};

ParameterCount CountParameters(const ModelSpec& model);

// KV-cache elements per token per layer for full attention (K and V, or MLA's latent + rope key).
double KvElementsPerTokenPerLayer(const ModelSpec& model);

}  // namespace tokenfab
