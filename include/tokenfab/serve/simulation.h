// The serving twin: replicas of one instance behind a router, fed by a workload, run as a
// discrete-event simulation in integer nanoseconds. A Simulation is a value: build as many as
// needed in one process; nothing is global.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/core/status.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/instance.h"
#include "tokenfab/serve/metrics.h"
#include "tokenfab/serve/scheduler_config.h"
#include "tokenfab/serve/workload.h"

namespace tokenfab {

enum class RouterPolicy { kRoundRobin, kLeastOutstanding };

struct ServeConfig {
  int replicas = 1;
  SchedulerConfig scheduler;
  RouterPolicy router = RouterPolicy::kRoundRobin;
  WorkloadSpec workload;
  double slo_ttft_ms = 0;  // 0: no objective
  double slo_tpot_ms = 0;
  std::uint64_t seed = 1;
  bool keep_iterations = false;  // keep every IterationRecord (for CSV and traces)
};

struct ServeResult {
  ServeMetrics metrics;
  std::vector<Request> requests;           // in arrival order
  std::vector<IterationRecord> iterations; // when ServeConfig::keep_iterations
};

class Simulation {
 public:
  Simulation(const InstanceCostModel& cost, ServeConfig config);
  // Fails if a request can never fit in an instance's KV cache.
  Result<ServeResult> Run();

 private:
  const InstanceCostModel& cost_;
  ServeConfig config_;
};

}  // namespace tokenfab
