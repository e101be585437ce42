// The catalog as JSON for front ends (the web app's /api/catalog): the headline numbers of
// every GPU, system, model and engine profile, with their sources.
#pragma once

#include <nlohmann/json.hpp>

#include "tokenfab/catalog/catalog.h"

namespace tokenfab {

// {"gpus": [{"id", "name", "bf16_tflops", "fp8_tflops", "fp4_tflops", "hbm_gb", "hbm_tb_s",
//   "scale_up_gb_s", "tdp_w", "sources"}], "systems": [...], "models": [{"id", "name",
//   "params_b", "active_b", "layers", "hidden", "experts", "attention", "source"}],
//   "engines": [{"id", "name", "max_batch_size", "max_num_tokens", "batch_limits_scope",
//   "kv_block_size", "chunked_prefill", "kv_admission", "iteration_overhead_ms", "sources"}]}, each
//   sorted by id.
nlohmann::json CatalogJson(const Catalog& catalog);

}  // namespace tokenfab
