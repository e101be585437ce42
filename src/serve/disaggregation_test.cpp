// Disaggregated prefill/decode on the toy deployment (every iteration takes 10 ms): the KV
// transfer delays the decode start by exactly latency + bytes / bandwidth.
#include <gtest/gtest.h>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

class Disaggregation : public ::testing::Test {
 protected:
  // One prefill instance feeding one decode instance; 1 MB of KV per prompt token, so a
  // 100-token prompt moves 1e8 bytes at 1 GB/s: 100 ms, plus `latency_s`.
  ServeResult Run(int requests, double latency_s = 0.005) {
    toy_.FixedRequests(100, 3, requests);
    const InstanceCostModel cost = toy_.Cost();
    ServeConfig c = toy_.config;
    PoolConfig prefill{"toy/prefill", &cost, c.scheduler, 1, InstanceRole::kPrefill};
    PoolConfig decode{"toy/decode", &cost, c.scheduler, 1, InstanceRole::kDecode};
    c.pools = {prefill, decode};
    DeploymentConfig d;
    d.pool = 0;
    d.decode_pool = 1;
    d.kv_bytes_per_token = 1e6;
    d.kv_transfer_bandwidth = 1e9;
    d.kv_transfer_latency_s = latency_s;
    c.deployments = {d};
    Simulation sim(c);
    auto r = sim.Run();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return std::move(r).value();
  }
  ToyDeployment toy_;
};

TEST_F(Disaggregation, KvTransferDelaysTheDecodeStartByExactlyTheModelledTime) {
  const ServeResult r = Run(1);
  ASSERT_EQ(r.requests.size(), 1u);
  const Request& q = r.requests[0];
  // Prefill: one 10 ms iteration; transfer: 5 ms + 1e8 B / 1e9 B/s = 105 ms.
  EXPECT_EQ(q.kv_ready, 10'000'000 + 105'000'000);
  EXPECT_EQ(q.first_token, q.kv_ready);
  // The two remaining tokens: two 10 ms decode iterations right after the KV arrives.
  EXPECT_EQ(q.finish, q.kv_ready + 20'000'000);
  EXPECT_DOUBLE_EQ(r.metrics.kv_transfer_mean_ms, 105.0);
  EXPECT_EQ(r.metrics.kv_transfers, 1);
}

TEST_F(Disaggregation, LatencyAddsOneForOne) {
  const SimTime fast = Run(1, 0.0).requests[0].finish;
  const SimTime slow = Run(1, 0.250).requests[0].finish;
  EXPECT_EQ(slow - fast, 250'000'000);
}

TEST_F(Disaggregation, EveryRequestIsPrefilledOnceAndDecodedToTheEnd) {
  const ServeResult r = Run(50);
  ASSERT_EQ(r.metrics.requests_completed, 50);
  EXPECT_EQ(r.metrics.output_tokens, 150);
  EXPECT_EQ(r.metrics.kv_transfers, 50);
  ASSERT_EQ(r.metrics.pools.size(), 2u);
  for (const Request& q : r.requests) {
    EXPECT_GE(q.kv_ready, q.arrival + 10'000'000 + 105'000'000);
    EXPECT_GE(q.finish, q.kv_ready + 20'000'000);
  }
}

}  // namespace
}  // namespace tokenfab
