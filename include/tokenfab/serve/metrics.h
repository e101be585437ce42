// Metrics of a serving run, defined as the benchmarks whose published numbers tokenfab is
// checked against define them (docs/metrics.md).
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/catalog/engine_profile.h"
#include "tokenfab/serve/instance.h"
#include "tokenfab/serve/request.h"

namespace tokenfab {

struct LatencySummary {
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
};

struct ServeMetrics {
  std::int64_t requests_completed = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  int num_gpus = 0;
  double span_s = 0;  // first arrival to last completion

  double requests_per_s = 0;
  double input_tokens_per_s = 0;
  double output_tokens_per_s = 0;
  double output_tokens_per_s_per_gpu = 0;
  double output_tokens_per_s_per_user = 0;  // mean over requests of 1 / TPOT

  LatencySummary ttft_ms;
  LatencySummary tpot_ms;
  LatencySummary itl_ms;
  LatencySummary e2e_ms;
  double goodput_requests_per_s = 0;  // requests meeting both SLOs, per second of span

  double kv_peak_utilization = 0;  // max over instances and iterations of used / total blocks
  std::int64_t preemptions = 0;
  double mean_batch_size = 0;      // sequences per iteration, mean over iterations
  std::int64_t iterations = 0;

  double energy_j = 0;
  double joules_per_output_token = 0;
  double mean_power_w = 0;

  double mean_in_system = 0;  // time-average of requests in the system (Little's L)
  std::int64_t events = 0;
  double simulated_s = 0;
  double wall_s = 0;
};

// Percentile of sorted values by the engine benchmark's method, p in [0, 1].
double Percentile(const std::vector<double>& sorted, double p, PercentileMethod method);
// Same over (value, weight) pairs sorted by value: the value below which a fraction p of the
// total weight lies (the pooled ITL samples of an iteration share one value).
double WeightedPercentile(const std::vector<std::pair<double, double>>& sorted, double p,
                          PercentileMethod method);

}  // namespace tokenfab
