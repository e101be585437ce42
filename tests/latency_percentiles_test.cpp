// The run's TTFT, TPOT and E2E percentiles (selection in MetricsCollector, which skips the
// second neighbour with one pass when it follows a selected rank, and the neighbours that
// floor-index percentiles do not use) against Percentile() over each request's sorted values.
#include <gtest/gtest.h>

#include <algorithm>

#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

void ExpectPercentiles(const std::vector<double>& values, const LatencySummary& s,
                       PercentileMethod method) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(s.p50, Percentile(sorted, 0.50, method));
  EXPECT_EQ(s.p90, Percentile(sorted, 0.90, method));
  EXPECT_EQ(s.p99, Percentile(sorted, 0.99, method));
}

void ExpectExact(const std::vector<std::string>& overrides, PercentileMethod method) {
  const Catalog catalog = *Catalog::Load(Catalog::DefaultDataDir());
  auto scenario = ParseScenario(DefaultScenarioYaml(), "<built-in default>", overrides);
  ASSERT_TRUE(scenario.ok()) << scenario.error().message;
  auto resolved = ResolveScenario(*scenario, catalog);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  auto out = RunSimulate(*resolved);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_GT(out->result.requests.size(), 2000u);
  std::vector<double> ttft, tpot, e2e;
  for (const Request& r : out->result.requests) {
    ttft.push_back(SimTimeToMillis(r.first_token - r.arrival));
    e2e.push_back(SimTimeToMillis(r.finish - r.arrival));
    if (r.output_tokens > 1) {
      tpot.push_back(SimTimeToMillis(r.finish - r.first_token) / (r.output_tokens - 1));
    }
  }
  const ServeMetrics& m = out->result.metrics;
  ExpectPercentiles(ttft, m.ttft_ms, method);
  ExpectPercentiles(tpot, m.tpot_ms, method);
  ExpectPercentiles(e2e, m.e2e_ms, method);
}

TEST(LatencyPercentiles, LinearEqualsPercentileOverSortedValues) {
  ExpectExact({"workload.num_requests=3001"}, PercentileMethod::kLinear);  // vllm
}

TEST(LatencyPercentiles, FloorIndexEqualsPercentileOverSortedValues) {
  ExpectExact({"engine.profile=trtllm", "workload.num_requests=2999"},
              PercentileMethod::kFloorIndex);
}

}  // namespace
}  // namespace tokenfab
