// The simulate job: a resolved scenario through the cost model and the serving twin.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/io/scenario.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab {

struct SimulateOptions {
  bool keep_iterations = false;  // needed for CSV tables and timelines
  bool keep_requests = true;     // false: bounded memory for very large runs (no request table)
};

struct SimulateOutput {
  ResolvedScenario resolved;
  std::vector<std::unique_ptr<InstanceCostModel>> cost_models;   // one per pool
  std::vector<std::unique_ptr<InstanceCostModel>> draft_models;  // speculative drafters
  ServeResult result;
  MemoryPlan memory;
  nlohmann::json json;  // MetricsJson(...) plus "memory"
};

Result<SimulateOutput> RunSimulate(const ResolvedScenario& resolved,
                                   const SimulateOptions& options = {});

}  // namespace tokenfab
