// `tokenfab calibrate --from BENCH.json`: fits free constants of the engine profile so that the
// twin, simulating the scenario a `tokenfab bench` run measured, reproduces the measured mean
// TTFT and TPOT. Least squares on log(predicted / measured), Nelder-Mead in the constants'
// bounds (CalibratedConstants()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"

namespace tokenfab {

struct BenchFitOptions {
  // Constants to fit; empty: gemm_efficiency (prefill, so TTFT) and memory_efficiency (decode,
  // so TPOT).
  std::vector<std::string> constants;
  int max_evaluations = 80;
  std::int64_t max_requests = 0;  // > 0: simulate at most this many requests per evaluation
};

// The scenario a bench JSON measured, from its "bench.scenario" (path, yaml, overrides).
Result<ResolvedScenario> BenchScenario(const nlohmann::json& bench, const Catalog& catalog);

// {"profile", "gpu", "model", "endpoint", "constants": {fitted}, "initial": {catalog values},
//  "targets": {"ttft_ms": {"measured", "before", "after"}, "tpot_ms": {...}},
//  "rms_log_error_before", "rms_log_error_after", "evaluations",
//  "converged" (false: max_evaluations ran out first)}
Result<nlohmann::json> FitProfileFromBench(const nlohmann::json& bench, const Catalog& catalog,
                                           const BenchFitOptions& options = {});

// The fit as a calibration file (calibration.h): the constants under gpus: <gpu>.
std::string BenchFitYaml(const nlohmann::json& fit, const std::string& command);

}  // namespace tokenfab
