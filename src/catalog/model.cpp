#include "tokenfab/catalog/model.h"

namespace tokenfab {
namespace {

// All arithmetic is in double: shapes come from user files, and products such as
// num_experts * hidden_size * moe_intermediate_size overflow 32-bit integers for real models.

double NormWeights(const ModelSpec& m) { return m.hidden_size * (m.layer_norm_bias ? 2.0 : 1.0); }

// DeepSeek MLA: queries through an optional low-rank bottleneck (with its own RMSNorm), keys
// and values through the kv_lora_rank latent plus one shared rope key.
double MlaAttention(const ModelSpec& m) {
  const double h = m.hidden_size;
  const double heads = m.num_heads;
  const double qk = static_cast<double>(m.qk_nope_head_dim) + m.qk_rope_head_dim;
  double q = h * heads * qk;
  double q_in = heads * qk;  // width of the first query projection, which carries the bias
  if (m.q_lora_rank > 0) {
    q = h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * heads * qk;
    q_in = m.q_lora_rank;
  }
  const double kv_a = static_cast<double>(m.kv_lora_rank) + m.qk_rope_head_dim;
  const double kv =
      h * kv_a + m.kv_lora_rank +
      m.kv_lora_rank * heads * (static_cast<double>(m.qk_nope_head_dim) + m.v_head_dim);
  double params = q + kv + heads * m.v_head_dim * h;
  if (m.attention_bias) params += q_in + kv_a;
  if (m.attention_output_bias) params += h;
  return params;
}

double GqaAttention(const ModelSpec& m) {
  const double h = m.hidden_size;
  const double q = static_cast<double>(m.num_heads) * m.head_dim;
  const double kv = static_cast<double>(m.num_kv_heads) * m.head_dim;
  double params = h * (q + 2 * kv) + q * h;
  if (m.attention_bias) params += q + 2 * kv;
  if (m.attention_output_bias) params += h;
  if (m.qk_norm) params += 2.0 * m.head_dim;
  if (m.attention_sinks) params += m.num_heads;
  return params;
}

double FeedForward(const ModelSpec& m, int width) {
  const double h = m.hidden_size;
  const double matrices = m.gated_mlp ? 3 : 2;
  double params = matrices * h * width;
  if (m.mlp_bias) params += (m.gated_mlp ? 2.0 : 1.0) * width + h;
  return params;
}

}  // namespace

ParameterCount CountParameters(const ModelSpec& m) {
  ParameterCount c;
  const double h = m.hidden_size;
  const double vocab = m.vocab_size;
  c.embedding = vocab * h * (m.tie_embeddings ? 1 : 2) + (m.lm_head_bias ? vocab : 0);
  c.norms = NormWeights(m) * (m.num_layers * (m.parallel_block ? 1.0 : 2.0) + 1);
  c.attention_per_layer = m.attention == AttentionKind::kMla ? MlaAttention(m) : GqaAttention(m);
  c.dense_mlp_per_layer = m.intermediate_size > 0 ? FeedForward(m, m.intermediate_size) : 0;
  if (m.IsMoe()) {
    c.expert = FeedForward(m, m.moe_intermediate_size);
    c.shared_experts = m.num_shared_experts * FeedForward(m, m.shared_expert_intermediate_size);
    c.router_per_layer =
        m.num_experts * h + (m.router_bias ? m.num_experts : 0) + (m.shared_expert_gate ? h : 0);
  }
  const double shared = c.embedding + c.norms + m.num_layers * c.attention_per_layer +
                        m.NumDenseLayers() * c.dense_mlp_per_layer +
                        m.num_moe_layers * (c.router_per_layer + c.shared_experts);
  c.total = shared + static_cast<double>(m.num_moe_layers) * m.num_experts * c.expert;
  c.active = shared + static_cast<double>(m.num_moe_layers) * m.experts_per_token * c.expert;
  return c;
}

double KvElementsPerTokenPerLayer(const ModelSpec& m) {
  if (m.attention == AttentionKind::kMla) {
    return static_cast<double>(m.kv_lora_rank) + m.qk_rope_head_dim;
  }
  return 2.0 * m.num_kv_heads * m.head_dim;
}

}  // namespace tokenfab
