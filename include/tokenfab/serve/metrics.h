// Metrics of a serving run, defined as the benchmarks whose published numbers tokenfab is
// checked against define them (docs/metrics.md).
#pragma once

#include <cstdint>
#include <string>
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

struct PoolMetrics {
  std::string name;
  int instances = 0;
  int gpus = 0;
  double utilization = 0;  // busy instance-seconds / (instances x span)
  std::int64_t iterations = 0;
};

// One request class (WorkloadSpec::classes): its completed requests, their latencies, and its
// rates over the whole run's span (ServeMetrics::span_s).
struct ClassMetrics {
  std::string name;
  std::int64_t completed = 0;
  std::int64_t output_tokens = 0;
  double requests_per_s = 0;
  double output_tokens_per_s = 0;
  LatencySummary ttft_ms;
  LatencySummary tpot_ms;
  LatencySummary e2e_ms;
  // Requests meeting the class's SLOs (each falling back to ServeConfig::slo_*_ms when 0).
  double goodput_requests_per_s = 0;
};

// One window [start_s, end_s) of simulated time, ServeConfig::window_s long; windows tile the
// run from time 0 to the last event. An event counts in the window its time falls in:
// arrivals at arrival, first tokens (and their TTFT) at the first token, completions at
// completion, output tokens when the iteration producing them ends. So each count summed over
// the windows is the run's total, and mean_in_system x window_s summed is the area under the
// requests-in-system curve.
struct WindowMetrics {
  double start_s = 0;
  double end_s = 0;
  std::int64_t arrivals = 0;
  std::int64_t first_tokens = 0;
  std::int64_t completed = 0;
  std::int64_t output_tokens = 0;
  double output_tokens_per_s = 0;
  double ttft_p50_ms = 0;  // over the first tokens in the window; 0 if none
  double ttft_p99_ms = 0;
  double mean_in_system = 0;  // time-average of requests in the system over the window
};

// Prefix caching over the run: prompt tokens at their first admission, those served from
// the cache, and cache entries evicted (LRU) to make room.
struct PrefixCacheMetrics {
  std::int64_t prompt_tokens = 0;
  std::int64_t hit_tokens = 0;
  std::int64_t evictions = 0;
  double hit_rate() const {
    return prompt_tokens > 0 ? static_cast<double>(hit_tokens) / prompt_tokens : 0.0;
  }
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
  // Requests meeting both SLOs (their class's, else ServeConfig's), per second of span.
  double goodput_requests_per_s = 0;

  double kv_peak_utilization = 0;  // max over instances and iterations of used / total blocks
  std::int64_t preemptions = 0;
  double mean_batch_size = 0;  // sequences per iteration, mean over iterations
  std::int64_t iterations = 0;

  double energy_j = 0;
  double joules_per_output_token = 0;
  double mean_power_w = 0;

  std::vector<PoolMetrics> pools;
  double kv_transfer_mean_ms = 0;  // disaggregated: prefill end to KV at the decode instance
  std::int64_t kv_transfers = 0;
  PrefixCacheMetrics prefix_cache;

  std::vector<ClassMetrics> classes;   // when the workload has classes, in their order
  std::vector<WindowMetrics> windows;  // when ServeConfig::window_s > 0

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
