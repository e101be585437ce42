#include "tokenfab/io/catalog_json.h"

#include <string>

namespace tokenfab {
namespace {

nlohmann::json GpuJson(const GpuSpec& g) {
  auto tflops = [&](Precision p) { return g.peak_flops[static_cast<int>(p)] / 1e12; };
  return {{"id", g.id},
          {"name", g.name},
          {"bf16_tflops", tflops(Precision::kBf16)},
          {"fp8_tflops", tflops(Precision::kFp8)},
          {"fp4_tflops", tflops(Precision::kFp4)},
          {"hbm_gb", g.hbm_bytes / 1e9},
          {"hbm_tb_s", g.hbm_bandwidth / 1e12},
          {"scale_up_gb_s", g.scale_up_bandwidth / 1e9},
          {"tdp_w", g.tdp_watts},
          {"sources", g.sources}};
}

nlohmann::json ModelJson(const ModelSpec& m) {
  const ParameterCount p = CountParameters(m);
  return {
      {"id", m.id},
      {"name", m.name},
      {"params_b", p.total / 1e9},
      {"active_b", p.active / 1e9},
      {"layers", m.num_layers},
      {"hidden", m.hidden_size},
      {"experts",
       m.IsMoe() ? std::to_string(m.experts_per_token) + "/" + std::to_string(m.num_experts) : "-"},
      {"attention", m.attention == AttentionKind::kMla ? "MLA" : "GQA"},
      {"source", m.source}};
}

nlohmann::json EngineJson(const EngineProfile& e) {
  return {{"id", e.id},
          {"name", e.name},
          {"max_batch_size", e.max_batch_size},
          {"max_num_tokens", e.max_num_tokens},
          {"batch_limits_scope", e.batch_limits_scope},
          {"kv_block_size", e.kv_block_size},
          {"chunked_prefill", e.chunked_prefill},
          {"kv_admission", e.kv_admission},
          {"new_token_ratio", e.new_token_ratio},
          {"preemption_order", e.preemption_order},
          {"cuda_graph_batch_sizes", e.cuda_graph_batch_sizes},
          {"iteration_overhead_ms", e.iteration_overhead_s * 1e3},
          {"sources", e.sources}};
}

}  // namespace

nlohmann::json CatalogJson(const Catalog& catalog) {
  nlohmann::json j = {{"gpus", nlohmann::json::array()},
                      {"systems", nlohmann::json::array()},
                      {"models", nlohmann::json::array()},
                      {"engines", nlohmann::json::array()}};
  for (const auto& [id, g] : catalog.gpus()) j["gpus"].push_back(GpuJson(g));
  for (const auto& [id, s] : catalog.systems()) {
    j["systems"].push_back({{"id", s.id},
                            {"name", s.name},
                            {"gpu", s.gpu},
                            {"gpus", s.gpus},
                            {"nvlink_domain", s.nvlink_domain},
                            {"power_kw", s.power_watts / 1e3},
                            {"sources", s.sources}});
  }
  for (const auto& [id, m] : catalog.models()) j["models"].push_back(ModelJson(m));
  for (const auto& [id, e] : catalog.engines()) j["engines"].push_back(EngineJson(e));
  return j;
}

}  // namespace tokenfab
