#include "tokenfab/serve/simulation.h"

#include <gtest/gtest.h>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

// The toy deployment (toy_serving_test_util.h): every iteration takes exactly 10 ms.
class ToyServing : public ::testing::Test {
 protected:
  InstanceCostModel Cost() { return toy_.Cost(); }
  ServeResult Run() { return toy_.Run(); }
  void Fixed(int input, int output, std::int64_t n) { toy_.FixedRequests(input, output, n); }

  ToyDeployment toy_;
  ServeConfig& config_ = toy_.config;
};

TEST_F(ToyServing, OneRequestTakesOnePrefillAndOutputMinusOneDecodeSteps) {
  Fixed(100, 10, 1);
  const ServeResult r = Run();
  const ServeMetrics& m = r.metrics;
  EXPECT_EQ(m.requests_completed, 1);
  EXPECT_DOUBLE_EQ(m.ttft_ms.mean, 10.0);
  EXPECT_DOUBLE_EQ(m.e2e_ms.mean, 100.0);
  EXPECT_DOUBLE_EQ(m.tpot_ms.mean, 10.0);
  EXPECT_DOUBLE_EQ(m.itl_ms.p99, 10.0);
  EXPECT_EQ(m.iterations, 10);
  EXPECT_DOUBLE_EQ(m.output_tokens_per_s, 100.0);
  EXPECT_DOUBLE_EQ(m.output_tokens_per_s_per_user, 100.0);
}

// Histogram percentiles change no other metric, keep the exact means, and are within the
// LogHistogram bound (2^-11) of the exact ones.
TEST_F(ToyServing, HistogramPercentilesMatchExactOnesWithinTheBound) {
  config_.workload.kind = WorkloadSpec::Kind::kPoisson;
  config_.workload.rate = 150;
  config_.workload.num_requests = 3000;
  config_.workload.input = {LengthDistribution::Kind::kLogNormal, 700, 1.0, 1, 6000};
  config_.workload.output = {LengthDistribution::Kind::kLogNormal, 100, 1.0, 2, 1000};
  config_.window_s = 5;
  config_.percentile_mode = PercentileMode::kExact;
  const ServeMetrics exact = Run().metrics;
  config_.percentile_mode = PercentileMode::kHistogram;
  const ServeMetrics histogram = Run().metrics;
  EXPECT_EQ(histogram.output_tokens_per_s, exact.output_tokens_per_s);
  EXPECT_EQ(histogram.iterations, exact.iterations);
  const double bound = 1.0 / 2048 + 1e-12;
  for (auto field : {&ServeMetrics::ttft_ms, &ServeMetrics::tpot_ms, &ServeMetrics::e2e_ms,
                     &ServeMetrics::itl_ms}) {
    const LatencySummary& want = exact.*field;
    const LatencySummary& got = histogram.*field;
    EXPECT_EQ(got.mean, want.mean);
    EXPECT_NEAR(got.p50, want.p50, bound * want.p50);
    EXPECT_NEAR(got.p90, want.p90, bound * want.p90);
    EXPECT_NEAR(got.p99, want.p99, bound * want.p99);
  }
  ASSERT_EQ(histogram.windows.size(), exact.windows.size());
  ASSERT_GT(exact.windows.size(), 2u);
  for (std::size_t i = 0; i < exact.windows.size(); ++i) {
    const WindowMetrics& want = exact.windows[i];
    const WindowMetrics& got = histogram.windows[i];
    EXPECT_EQ(got.first_tokens, want.first_tokens);
    EXPECT_NEAR(got.ttft_p50_ms, want.ttft_p50_ms, bound * want.ttft_p50_ms);
    EXPECT_NEAR(got.ttft_p99_ms, want.ttft_p99_ms, bound * want.ttft_p99_ms);
  }
}

TEST_F(ToyServing, LongPromptsArePrefilledInChunksOfTheTokenBudget) {
  Fixed(20000, 2, 1);  // 8192 + 8192 + 3616
  const ServeResult r = Run();
  EXPECT_DOUBLE_EQ(r.metrics.ttft_ms.mean, 30.0);
  EXPECT_DOUBLE_EQ(r.metrics.e2e_ms.mean, 40.0);
}

TEST_F(ToyServing, WithoutChunkingAPromptWaitsForABudgetItFits) {
  config_.scheduler.chunked_prefill = false;
  config_.scheduler.max_num_tokens = 1000;
  Fixed(600, 3, 2);  // the second prompt does not fit next to the first
  const ServeResult r = Run();
  EXPECT_DOUBLE_EQ(r.requests[0].first_token * 1e-6, 10.0);
  EXPECT_DOUBLE_EQ(r.requests[1].first_token * 1e-6, 20.0);
}

TEST_F(ToyServing, BatchLimitsAreNeverExceeded) {
  config_.scheduler.max_batch_size = 32;
  config_.scheduler.max_num_tokens = 2048;
  config_.keep_iterations = true;
  config_.workload.kind = WorkloadSpec::Kind::kPoisson;
  config_.workload.rate = 200;
  config_.workload.num_requests = 2000;
  config_.workload.input = {LengthDistribution::Kind::kLogNormal, 700, 1.0, 1, 6000};
  config_.workload.output = {LengthDistribution::Kind::kLogNormal, 100, 1.0, 1, 1000};
  const ServeResult r = Run();
  std::int64_t requested = 0, produced = 0;
  for (const Request& q : r.requests) {
    requested += q.output_tokens;
    EXPECT_TRUE(q.Finished());
    EXPECT_LE(q.arrival, q.first_token);
    EXPECT_LE(q.first_token, q.finish);
  }
  for (const IterationRecord& it : r.iterations) {
    EXPECT_LE(it.batch.Tokens(), 2048);
    EXPECT_LE(it.batch.Sequences(), 32);
    EXPECT_LE(it.kv_blocks_used, it.kv_blocks_total);
    produced += it.batch.decode_sequences + it.batch.prefill_completions;
  }
  EXPECT_EQ(produced, requested);  // every output token comes from exactly one iteration
  EXPECT_EQ(r.metrics.output_tokens, requested);
}

TEST_F(ToyServing, OutOfKvBlocksPreemptsByRecomputeAndStillFinishesEverything) {
  toy_.KvRoom(4096);  // 512 bytes per token
  Fixed(500, 400, 40);
  const ServeResult on_demand = Run();
  EXPECT_GT(on_demand.metrics.preemptions, 0);
  EXPECT_EQ(on_demand.metrics.requests_completed, 40);
  EXPECT_EQ(on_demand.metrics.output_tokens, 40 * 400);
  EXPECT_LE(on_demand.metrics.kv_peak_utilization, 1.0);

  config_.scheduler.kv_admission = KvAdmission::kReserveFull;
  const ServeResult reserved = Run();
  EXPECT_EQ(reserved.metrics.preemptions, 0);
  EXPECT_EQ(reserved.metrics.requests_completed, 40);
}

TEST_F(ToyServing, ARequestLargerThanTheKvCacheIsAnError) {
  toy_.KvRoom(1000);
  Fixed(2000, 10, 1);
  const InstanceCostModel cost = Cost();
  Simulation sim(cost, config_);
  auto r = sim.Run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("KV cache"), std::string::npos) << r.error().message;
}

TEST_F(ToyServing, SameSeedSameResultsBitForBit) {
  config_.workload.kind = WorkloadSpec::Kind::kGamma;
  config_.workload.rate = 50;
  config_.workload.cv = 2;
  config_.workload.num_requests = 500;
  config_.workload.input = {LengthDistribution::Kind::kLogNormal, 500, 0.8, 1, 4000};
  config_.workload.output = {LengthDistribution::Kind::kLogNormal, 80, 0.8, 1, 500};
  config_.seed = 7;
  const ServeResult a = Run();
  const ServeResult b = Run();
  ASSERT_EQ(a.requests.size(), b.requests.size());
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    EXPECT_EQ(a.requests[i].arrival, b.requests[i].arrival);
    EXPECT_EQ(a.requests[i].finish, b.requests[i].finish);
  }
  EXPECT_EQ(a.metrics.ttft_ms.p99, b.metrics.ttft_ms.p99);
  config_.seed = 8;
  const ServeResult c = Run();
  EXPECT_NE(a.metrics.ttft_ms.p99, c.metrics.ttft_ms.p99);
}

TEST_F(ToyServing, LittlesLawHoldsOnSimulatedOutput) {
  config_.replicas = 3;
  config_.router = RouterPolicy::kLeastOutstanding;
  config_.workload.kind = WorkloadSpec::Kind::kPoisson;
  config_.workload.rate = 30;
  config_.workload.num_requests = 3000;
  config_.workload.input = {LengthDistribution::Kind::kLogNormal, 800, 0.7, 1, 8000};
  config_.workload.output = {LengthDistribution::Kind::kLogNormal, 150, 0.7, 1, 1500};
  const ServeMetrics m = Run().metrics;
  const double little = m.requests_per_s * m.e2e_ms.mean / 1000.0;
  EXPECT_NEAR(m.mean_in_system, little, 0.02 * little);
}

TEST_F(ToyServing, ClosedLoopKeepsConcurrencyRequestsInFlight) {
  config_.workload.kind = WorkloadSpec::Kind::kClosed;
  config_.workload.concurrency = 8;
  Fixed(100, 11, 80);
  const ServeMetrics m = Run().metrics;
  // 8 requests in lock step: 10 rounds of 1 prefill + 10 decode iterations of 10 ms.
  EXPECT_EQ(m.requests_completed, 80);
  EXPECT_DOUBLE_EQ(m.e2e_ms.mean, 110.0);
  EXPECT_NEAR(m.mean_in_system, 8.0, 1e-9);
}

TEST_F(ToyServing, RoundRobinSpreadsRequestsOverReplicas) {
  config_.replicas = 4;
  Fixed(100, 5, 40);
  const ServeResult r = Run();
  std::vector<int> per(4, 0);
  for (const Request& q : r.requests) ++per[q.instance];
  EXPECT_EQ(per, std::vector<int>({10, 10, 10, 10}));
  EXPECT_EQ(r.metrics.num_gpus, 4);
}

}  // namespace
}  // namespace tokenfab
