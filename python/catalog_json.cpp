// The catalog as JSON for the Python front end: every field of every entry keyed by id, in SI
// units (FLOP/s, bytes, bytes/s, watts, seconds) as the C++ structs hold them. (The web app's
// io/catalog_json.h has the headline numbers only, in display units.)
#include "jobs.h"

namespace tokenfab::python {
namespace {

nlohmann::json PerPrecision(const std::array<double, 5>& values) {
  nlohmann::json j = nlohmann::json::object();
  for (int p = 0; p < static_cast<int>(values.size()); ++p) {
    j[std::string(PrecisionName(static_cast<Precision>(p)))] = values[p];
  }
  return j;
}

nlohmann::json GpuJson(const GpuSpec& g) {
  return {{"id", g.id},
          {"name", g.name},
          {"vendor", g.vendor},
          {"peak_flops", PerPrecision(g.peak_flops)},
          {"achievable_matmul_flops", PerPrecision(g.achievable_matmul_flops)},
          {"hbm_bytes", g.hbm_bytes},
          {"hbm_bandwidth", g.hbm_bandwidth},
          {"scale_up_bandwidth", g.scale_up_bandwidth},
          {"scale_up_domain", g.scale_up_domain},
          {"scale_out_bandwidth", g.scale_out_bandwidth},
          {"tdp_watts", g.tdp_watts},
          {"sources", g.sources},
          {"notes", g.notes}};
}

nlohmann::json SystemJson(const SystemSpec& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"gpu", s.gpu},
          {"gpus", s.gpus},
          {"nvlink_domain", s.nvlink_domain},
          {"power_watts", s.power_watts},
          {"sources", s.sources},
          {"notes", s.notes}};
}

nlohmann::json ModelJson(const ModelSpec& m) {
  const ParameterCount p = CountParameters(m);
  return {{"id", m.id},
          {"name", m.name},
          {"sources", m.source},
          {"parameters", p.total},
          {"active_parameters", p.active},
          {"attention", m.attention == AttentionKind::kMla ? "mla" : "gqa"},
          {"hidden_size", m.hidden_size},
          {"num_layers", m.num_layers},
          {"num_heads", m.num_heads},
          {"num_kv_heads", m.num_kv_heads},
          {"head_dim", m.head_dim},
          {"vocab_size", m.vocab_size},
          {"max_context", m.max_context},
          {"intermediate_size", m.intermediate_size},
          {"q_lora_rank", m.q_lora_rank},
          {"kv_lora_rank", m.kv_lora_rank},
          {"sliding_window", m.sliding_window},
          {"sliding_window_layers", m.sliding_window_layers},
          {"num_experts", m.num_experts},
          {"experts_per_token", m.experts_per_token},
          {"moe_intermediate_size", m.moe_intermediate_size},
          {"num_shared_experts", m.num_shared_experts},
          {"num_moe_layers", m.num_moe_layers},
          {"attention_unquantized", m.attention_unquantized}};
}

nlohmann::json EngineJson(const EngineProfile& e) {
  return {{"id", e.id},
          {"name", e.name},
          {"sources", e.sources},
          {"max_batch_size", e.max_batch_size},
          {"max_num_tokens", e.max_num_tokens},
          {"kv_block_size", e.kv_block_size},
          {"chunked_prefill", e.chunked_prefill},
          {"moe_fused_finalize", e.moe_fused_finalize},
          {"gpu_memory_fraction", e.gpu_memory_fraction},
          {"memory_fraction_basis", e.memory_fraction_basis},
          {"batch_limits", e.batch_limits},
          {"batch_limits_scope", e.batch_limits_scope},
          {"percentiles", e.percentiles == PercentileMethod::kLinear ? "linear" : "floor_index"},
          {"kv_admission", e.kv_admission},
          {"new_token_ratio", e.new_token_ratio},
          {"preemption_order", e.preemption_order},
          {"cuda_graph_batch_sizes", e.cuda_graph_batch_sizes},
          {"iteration_overhead_s", e.iteration_overhead_s},
          {"per_sequence_overhead_s", e.per_sequence_overhead_s},
          {"gemm_efficiency", e.gemm_efficiency},
          {"attention_efficiency", e.attention_efficiency},
          {"memory_efficiency", e.memory_efficiency},
          {"network_efficiency", e.network_efficiency},
          {"collective_latency_s", e.collective_latency_s},
          {"host_time_per_sequence_s", e.host_time_per_sequence_s},
          {"grouped_gemm_efficiency", e.grouped_gemm_efficiency},
          {"compute_memory_overlap", e.compute_memory_overlap},
          {"kv_read_efficiency", e.kv_read_efficiency}};
}

template <typename Map, typename Fn>
nlohmann::json ById(const Map& entries, Fn to_json) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [id, entry] : entries) j[id] = to_json(entry);
  return j;
}

}  // namespace

nlohmann::json CatalogFieldsJson(const Catalog& c) {
  return {{"data_dir", c.data_dir()},
          {"gpus", ById(c.gpus(), GpuJson)},
          {"systems", ById(c.systems(), SystemJson)},
          {"models", ById(c.models(), ModelJson)},
          {"engines", ById(c.engines(), EngineJson)}};
}

}  // namespace tokenfab::python
