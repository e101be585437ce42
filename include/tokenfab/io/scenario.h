// A scenario: what to simulate, read from YAML (with --set overrides) into typed values, then
// resolved against the catalog into the configuration the simulator runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/core/status.h"
#include "tokenfab/perf/deployment.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab {

// serving.prefill.* / serving.decode.*: a pool's layout, each key defaulting to the top level.
struct PoolOverrides {
  std::optional<int> instances;
  std::optional<int> tp;
  std::optional<int> ep;
  std::optional<bool> attention_dp;
  std::optional<int> max_batch_size;
};

// classes.<name>: a request class.
struct ClassScenario {
  std::string name;
  double share = 1;
  int priority = 0;
  std::optional<LengthDistribution> input;
  std::optional<LengthDistribution> output;
  double slo_ttft_ms = 0;
  double slo_tpot_ms = 0;
  std::string deployment;  // routing.policy by_class: the deployment serving this class
};

struct Scenario {
  std::string origin;    // file path, or "<built-in default>"
  std::string base_dir;  // relative paths (traces, config.json) resolve against it

  std::string model;
  std::string gpu;
  std::optional<int> num_gpus;
  double idle_power_fraction = 0.3;
  Parallelism parallelism;
  std::optional<int> replicas;
  std::string weights_precision;
  std::string kv_precision;          // empty: derived from weights
  std::string attention_precision;   // empty or "auto": the checkpoint's (PrecisionConfig)
  std::string gemm_input_precision;  // empty or "auto": the weights' format
  std::string engine;
  std::optional<int> max_batch_size;
  std::optional<int> max_num_tokens;
  std::string batch_limits_scope;  // empty: profile default ("instance" or "rank")
  int attention_dp_balance_iters = 0;
  std::optional<int> kv_block_size;
  std::optional<bool> chunked_prefill;
  std::optional<bool> mixed_prefill;
  std::string kv_admission;      // empty: profile default
  std::string preemption_order;  // empty: profile default
  std::optional<double> gpu_memory_fraction;
  double schedule_conservativeness = 1.0;      // SGLang's; scales the profile's new_token_ratio
  std::optional<double> iteration_overhead_s;  // engine.iteration_overhead
  // engine.cuda_graph_batch_sizes; empty list: no padding; absent: the profile's.
  std::optional<std::vector<int>> cuda_graph_batch_sizes;
  std::string router;
  std::string workload_kind;
  WorkloadSpec workload;  // lengths, rates and counts (trace filled in at resolution)
  std::string trace_path;
  bool trace_requests_given = false;  // workload.num_requests set: cut the trace there
  double slo_ttft_ms = 0;
  double slo_tpot_ms = 0;
  std::uint64_t seed = 1;

  std::string serving_mode = "aggregated";
  PoolOverrides prefill;
  PoolOverrides decode;
  std::string kv_transfer_bandwidth;  // quantity text, empty: derived from the links
  std::string kv_transfer_latency;
  std::vector<ClassScenario> classes;
  // deployments: several models in one factory. Each is the base scenario with its own keys.
  std::vector<Scenario> deployments;
  std::string deployment_name;  // this deployment's name (default: its model id)
  double difficulty_max = 1.0;
  std::string model_routing = "by_difficulty";
  double window_s = 0;
  std::string percentile_mode = "auto";  // auto, exact or histogram
  int spec_tokens = 0;
  double spec_acceptance = 0;
  std::string spec_method = "mtp";  // mtp or draft_model
  std::string spec_draft_model;     // catalog id or config.json path
  bool prefix_cache = false;
};

// The YAML of the built-in default scenario (examples/default.yaml holds the same text).
const std::string& DefaultScenarioYaml();

// Reads a scenario from YAML text; `origin` names it in errors. Overrides are "key=value"
// with a dotted key; the value is read as YAML (so "{dist: fixed, mean: 128}" works).
Result<Scenario> ParseScenario(const std::string& yaml_text, const std::string& origin,
                               const std::vector<std::string>& overrides = {});
Result<Scenario> LoadScenario(const std::string& path,
                              const std::vector<std::string>& overrides = {});

// A pool of identical instances, resolved.
struct PoolSpec {
  std::string name;
  Parallelism parallelism;
  int instances = 1;
  SchedulerConfig scheduler;
  InstanceRole role = InstanceRole::kAggregated;
  RouterPolicy router = RouterPolicy::kRoundRobin;
};

// One model deployment, resolved: its hardware, engine and pools.
struct DeploymentSpec {
  std::string name;
  ModelSpec model;
  GpuSpec gpu;
  EngineProfile engine;
  PrecisionConfig precision;
  CostModelOptions cost_options;
  std::vector<PoolSpec> pools;  // one (aggregated) or prefill then decode
  bool disaggregated = false;
  double kv_transfer_bandwidth = 0;  // bytes/s; 0: derived from the links when building
  double kv_transfer_latency_s = 0;
  double difficulty_max = 1.0;
  int num_gpus = 0;
  bool batch_limits_per_rank = false;  // the pools' limits were given per attention-DP rank
  // Speculative decoding's drafter (SchedulerConfig::spec_tokens > 0): MTP layers of the
  // model itself, or a separate draft model on the same GPUs.
  SpeculativeMethod spec_method = SpeculativeMethod::kNone;
  std::optional<ModelSpec> draft_model;
};

// engine.max_batch_size / max_num_tokens as the engine reads them: the instance's, or each
// attention-DP rank's (per_rank). Pools turn them into their instance's limits.
struct EngineBatchLimits {
  int max_batch_size = 0;
  int max_num_tokens = 0;
  bool per_rank = false;
};

// Everything the simulator needs, resolved and checked.
struct ResolvedScenario {
  Scenario scenario;
  EngineBatchLimits batch_limits;
  ModelSpec model;
  GpuSpec gpu;
  EngineProfile engine;
  PrecisionConfig precision;
  ServeConfig serve;
  CostModelOptions cost_options;
  int num_gpus = 0;
  std::vector<DeploymentSpec> deployments;  // the first one is the fields above
  nlohmann::json config;  // every key with its resolved value (the `config` of the results)
};

Result<ResolvedScenario> ResolveScenario(const Scenario& scenario, const Catalog& catalog);

// The cost-model options of one pool's instances: the deployment's, with the CUDA graph sizes
// its engine captures at the pool's batch limit.
CostModelOptions PoolCostOptions(const DeploymentSpec& d, const PoolSpec& p);

}  // namespace tokenfab
