// The serving twin: model deployments, each one pool of instances (aggregated) or a prefill
// and a decode pool (disaggregated), behind routers, fed by a workload, run as a
// discrete-event simulation in integer nanoseconds. A Simulation is a value: build as many as
// needed in one process; nothing is global.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/core/status.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/instance.h"
#include "tokenfab/serve/metrics.h"
#include "tokenfab/serve/scheduler_config.h"
#include "tokenfab/serve/workload.h"

namespace tokenfab {

enum class RouterPolicy {
  kRoundRobin,
  kLeastOutstanding,
  kPrefixAware,  // the instance holding the longest cached prefix, else the least loaded
};

// Identical instances of one model shard layout and one role.
struct PoolConfig {
  std::string name = "serving";
  const InstanceCostModel* cost = nullptr;  // not owned; outlives the simulation
  SchedulerConfig scheduler;
  int instances = 1;
  InstanceRole role = InstanceRole::kAggregated;
  RouterPolicy router = RouterPolicy::kRoundRobin;
};

// One model served by one aggregated pool, or by a prefill pool feeding a decode pool.
struct DeploymentConfig {
  std::string name = "default";
  int pool = 0;                      // aggregated pool, or the prefill pool when disaggregated
  int decode_pool = -1;              // >= 0: disaggregated
  double kv_bytes_per_token = 0;     // KV moved per prompt token, all layers
  double kv_transfer_bandwidth = 0;  // bytes/s available to one request's transfer
  double kv_transfer_latency_s = 0;
  double difficulty_max = 1.0;  // requests with difficulty below this (and above the previous
                                // deployment's) go here when routing by difficulty
};

enum class ModelRouting { kByDifficulty, kByClass };

// How latency percentiles are computed: exactly from every sample, or from log-linear
// histograms within 0.05% (LogHistogram: a factory hour's samples took 2.9 GB and a sixth of
// the run). Auto: exact up to kExactPercentilesUpTo requests, histograms above.
enum class PercentileMode { kAuto, kExact, kHistogram };
inline constexpr std::int64_t kExactPercentilesUpTo = 4'000'000;

struct ServeConfig {
  // Single-pool shorthand, used when `pools` is empty (see Simulation's first constructor).
  int replicas = 1;
  SchedulerConfig scheduler;
  RouterPolicy router = RouterPolicy::kRoundRobin;

  std::vector<PoolConfig> pools;
  std::vector<DeploymentConfig> deployments;
  ModelRouting model_routing = ModelRouting::kByDifficulty;

  WorkloadSpec workload;
  double slo_ttft_ms = 0;  // 0: no objective
  double slo_tpot_ms = 0;
  double window_s = 0;  // > 0: metrics per time window of this length
  PercentileMode percentile_mode = PercentileMode::kAuto;
  std::uint64_t seed = 1;
  bool keep_iterations = false;  // keep every IterationRecord (for CSV and traces)
  // Keep every Request in ServeResult::requests. When false, a finished request's slot is
  // reused, so memory follows the requests in flight rather than all requests ever served
  // (factory-hour runs); ServeResult::requests then holds only the last occupants.
  bool keep_requests = true;
  // Plan steady decode steps back to back instead of one event each (Instance::FastForward).
  // Results are identical either way; off only to check that. Ignored with keep_iterations,
  // whose records must come in time order.
  bool fast_forward = true;
};

struct ServeResult {
  ServeMetrics metrics;
  std::vector<Request> requests;            // in arrival order
  std::vector<IterationRecord> iterations;  // when ServeConfig::keep_iterations
  std::vector<std::string> pool_names;  // IterationRecord::instance indexes all pools' instances
  std::vector<int> instance_pool;       // pool of each global instance index
};

class Simulation {
 public:
  // One aggregated pool of `config.replicas` instances of `cost`.
  Simulation(const InstanceCostModel& cost, ServeConfig config);
  // Pools and deployments as given in `config`.
  explicit Simulation(ServeConfig config);
  // Fails if a request can never fit in an instance's KV cache.
  Result<ServeResult> Run();

 private:
  ServeConfig config_;
};

}  // namespace tokenfab
