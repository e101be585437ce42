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
  std::string id;  // catalog id or the config.json path it was read from
  std::string name;
  std::string source;  // provenance of the shape

  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;  // MLA: equal to num_heads (the cache holds the latent, see below)
  int head_dim = 0;      // MLA: qk_nope_head_dim + qk_rope_head_dim, the query/key width
  int vocab_size = 0;
  int max_context = 0;  // max_position_embeddings (n_positions for GPT-J)
  bool tie_embeddings = false;
  bool attention_bias = false;         // q/k/v projections carry a bias (Qwen2, gpt-oss)
  bool attention_output_bias = false;  // the output projection carries a bias (gpt-oss)
  bool qk_norm = false;                // learned RMSNorm of width head_dim on q and k (Qwen3)
  bool attention_sinks = false;        // one learned softmax sink logit per head (gpt-oss)
  bool lm_head_bias = false;           // the output head carries a bias (GPT-J)
  // Normalisation: RMSNorm (weight only) unless layer_norm_bias (LayerNorm, weight and bias).
  // parallel_block: attention and feed-forward read the same normed input, so one norm per
  // layer instead of two (GPT-J).
  bool layer_norm_bias = false;
  bool parallel_block = false;

  // Feed-forward width of dense layers (DeepSeek's first layers, Llama 4's interleaved ones);
  // 0 when the config gives only an expert width (Mixtral, gpt-oss).
  int intermediate_size = 0;
  bool gated_mlp = true;  // SwiGLU-style: three matrices (gate, up, down); false: two (GPT-J)
  bool mlp_bias = false;  // feed-forward matrices, dense and expert, carry biases (GPT-J, gpt-oss)

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
  // Chunked local attention (Llama 4's iRoPE): `chunked_attention_layers` of the layers attend
  // only within aligned blocks of `attention_chunk` tokens, so a token at position p sees the
  // p mod attention_chunk tokens before it in its block; the other layers attend globally.
  int attention_chunk = 0;
  int chunked_attention_layers = 0;

  // Mixture of experts. num_experts == 0 means a dense model.
  int num_experts = 0;
  int experts_per_token = 0;
  int moe_intermediate_size = 0;
  int num_shared_experts = 0;
  int shared_expert_intermediate_size = 0;  // per shared expert
  int num_moe_layers = 0;                   // layers with an MoE feed-forward; the rest are dense
  bool router_bias = false;         // per-expert router bias (gpt-oss; DeepSeek-V3's correction)
  bool shared_expert_gate = false;  // a hidden_size -> 1 gate on the shared expert (Qwen2-MoE)

  // The published checkpoint is quantized but leaves every layer's attention projections in 16
  // bits (its quantization_config excludes them: gpt-oss's MXFP4 checkpoint). Input embedding
  // and output head are always costed in 16 bits; routers are too small to matter.
  bool attention_unquantized = false;

  bool IsMoe() const { return num_experts > 0; }
  int NumDenseLayers() const { return num_layers - num_moe_layers; }
};

// Parameter counts derived from the shape. Convention (as the "[D]" checks in
// data/catalog/models/SOURCES.md): input embedding and output head both counted unless tied,
// all norms and biases included, DeepSeek's multi-token-prediction layer excluded.
// `active` counts what one token uses, INCLUDING the input embedding and the output head; some
// publishers leave the input embedding out (gpt-oss: active - vocab_size * hidden_size).
struct ParameterCount {
  double total = 0;
  double active = 0;     // per token: shared weights + experts_per_token experts
  double embedding = 0;  // input embedding + output head (once if tied)
  double norms = 0;      // all layer norms and the final norm
  double attention_per_layer = 0;
  double dense_mlp_per_layer = 0;
  double expert = 0;          // one routed expert
  double shared_experts = 0;  // all shared experts of one MoE layer
  double router_per_layer = 0;
};

ParameterCount CountParameters(const ModelSpec& model);

// KV-cache elements per token per layer for full attention: 2 * num_kv_heads * head_dim for
// GQA (K and V), kv_lora_rank + qk_rope_head_dim for MLA (latent and shared rope key).
double KvElementsPerTokenPerLayer(const ModelSpec& model);

}  // namespace tokenfab
