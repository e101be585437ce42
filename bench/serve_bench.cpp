// Speed of the serving twin itself: simulated requests per wall-second on one core.
// Run: make bench   (or build/tokenfab_bench --benchmark_filter=...)
#include <benchmark/benchmark.h>

#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

const Catalog& TheCatalog() {
  static const Catalog catalog = *Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
  return catalog;
}

void RunScenario(benchmark::State& state, const std::vector<std::string>& overrides) {
  auto scenario = ParseScenario(DefaultScenarioYaml(), "<built-in default>", overrides);
  if (!scenario) {
    state.SkipWithError(scenario.error().message.c_str());
    return;
  }
  auto resolved = ResolveScenario(*scenario, TheCatalog());
  if (!resolved) {
    state.SkipWithError(resolved.error().message.c_str());
    return;
  }
  std::int64_t requests = 0, events = 0;
  double simulated = 0;
  for (auto _ : state) {
    auto out = RunSimulate(*resolved);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    requests += out->result.metrics.requests_completed;
    events += out->result.metrics.events;
    simulated += out->result.metrics.simulated_s;
  }
  state.SetItemsProcessed(requests);
  state.counters["requests_per_wall_min"] =
      benchmark::Counter(static_cast<double>(requests) * 60, benchmark::Counter::kIsRate);
  state.counters["events_per_wall_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["simulated_s_per_run"] = simulated / static_cast<double>(state.iterations());
}

// The built-in default (Llama-3.1-70B FP8, 8x H100 TP8, Poisson chat) with 100,000 requests.
void BM_Default100kRequests(benchmark::State& state) {
  RunScenario(state, {"workload.num_requests=100000"});
}
BENCHMARK(BM_Default100kRequests)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The same at 1,000 GPUs: 125 TP8 replicas behind a least-outstanding router, open loop.
void BM_Open1000Gpus(benchmark::State& state) {
  RunScenario(state, {"hardware.num_gpus=1000", "workload.rate=750",
                      "workload.num_requests=1000000", "router.policy=least_outstanding"});
}
BENCHMARK(BM_Open1000Gpus)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Offline max-throughput run (all requests queued at t=0), as trtllm-bench measures.
void BM_Offline100kRequests(benchmark::State& state) {
  RunScenario(state, {"workload.kind=offline", "workload.num_requests=100000",
                      "workload.input_tokens=1024", "workload.output_tokens=1024"});
}
BENCHMARK(BM_Offline100kRequests)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Issue 5's scale case, the whole example: 10,000 GPUs (1,250 TP8 H100 servers) for one
// simulated hour, 67.5 million requests, with bounded memory (no request table), as
// `tokenfab simulate examples/factory-10k-gpu-hour.yaml` runs it. One run (about a minute);
// alone: build/tokenfab_bench --benchmark_filter=Factory10kGpuHour
void BM_Factory10kGpuHour(benchmark::State& state) {
  auto scenario =
      LoadScenario(std::string(TOKENFAB_SOURCE_DIR) + "/examples/factory-10k-gpu-hour.yaml", {});
  if (!scenario) {
    state.SkipWithError(scenario.error().message.c_str());
    return;
  }
  auto resolved = ResolveScenario(*scenario, TheCatalog());
  if (!resolved) {
    state.SkipWithError(resolved.error().message.c_str());
    return;
  }
  SimulateOptions options;
  options.keep_requests = false;
  for (auto _ : state) {
    auto out = RunSimulate(*resolved, options);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    const ServeMetrics& m = out->result.metrics;
    state.counters["requests"] = static_cast<double>(m.requests_completed);
    state.counters["events"] = static_cast<double>(m.events);
    state.counters["iterations"] = static_cast<double>(m.iterations);
    state.counters["simulated_s"] = m.simulated_s;
  }
}
BENCHMARK(BM_Factory10kGpuHour)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace tokenfab

BENCHMARK_MAIN();
