#include "tokenfab/study/simulate.h"

#include "tokenfab/io/results.h"

namespace tokenfab {

Result<SimulateOutput> RunSimulate(const ResolvedScenario& resolved, const SimulateOptions& options) {
  auto cost = InstanceCostModel::Build(resolved.model, resolved.gpu, resolved.scenario.parallelism,
                                       resolved.precision, resolved.engine,
                                       resolved.serve.scheduler.max_num_tokens, resolved.cost_options);
  if (!cost) return Error{resolved.scenario.origin + ": " + cost.error().message};
  ServeConfig serve = resolved.serve;
  serve.keep_iterations = options.keep_iterations;
  Simulation sim(*cost, serve);
  auto result = sim.Run();
  if (!result) return Error{resolved.scenario.origin + ": " + result.error().message};
  SimulateOutput out;
  out.resolved = resolved;
  out.memory = cost->memory();
  out.result = std::move(result).value();
  out.json = MetricsJson(out.result.metrics, resolved.config);
  const MemoryPlan& m = out.memory;
  out.json["memory"] = {{"weights_gb_per_gpu", m.weight_bytes / 1e9},
                        {"kv_gb_per_gpu", m.kv_bytes / 1e9},
                        {"kv_capacity_tokens_per_instance", m.kv_capacity_tokens}};
  return out;
}

}  // namespace tokenfab
