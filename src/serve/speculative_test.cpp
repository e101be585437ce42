#include "tokenfab/perf/speculative.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

using test::InstanceDriver;

TEST(SpeculativeDecoding, ExpectedTokensPerStep) {
  EXPECT_DOUBLE_EQ(ExpectedTokensPerStep(0, 0.9), 1.0);
  EXPECT_DOUBLE_EQ(ExpectedTokensPerStep(3, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(ExpectedTokensPerStep(3, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(ExpectedTokensPerStep(1, 0.5), 1.5);
  EXPECT_NEAR(ExpectedTokensPerStep(2, 0.5), 1.75, 1e-12);
}

// With every draft accepted, k = 3 gives four tokens per step: the 40 tokens after the first
// take ceil(40 / 4) = 10 decode steps of 10 ms.
TEST(SpeculativeDecoding, AllDraftsAcceptedFourTokensPerStep) {
  ToyDeployment toy;
  toy.config.scheduler.spec_tokens = 3;
  toy.config.scheduler.spec_acceptance = 1.0;
  toy.FixedRequests(100, 41, 1);
  const ServeResult r = toy.Run();
  EXPECT_EQ(r.metrics.iterations, 11);
  EXPECT_DOUBLE_EQ(r.metrics.e2e_ms.mean, 110.0);
  EXPECT_DOUBLE_EQ(r.metrics.tpot_ms.mean, 100.0 / 40);
}

// E = 1.5 with one draft accepted half the time: C(s) = floor(1.5 s) reaches 30 after 20 steps.
TEST(SpeculativeDecoding, FractionalTokensPerStepAccumulate) {
  ToyDeployment toy;
  toy.config.scheduler.spec_tokens = 1;
  toy.config.scheduler.spec_acceptance = 0.5;
  toy.FixedRequests(100, 31, 1);
  EXPECT_DOUBLE_EQ(toy.Run().metrics.e2e_ms.mean, 10.0 + 20 * 10.0);
}

// Drafts that are never accepted still cost their drafting and verification: as many decode
// steps as without speculation, each one longer.
TEST(SpeculativeDecoding, AcceptanceZeroCostsMoreThanNone) {
  ToyDeployment toy;
  toy.gpu.peak_flops.fill(1e14);
  toy.gpu.hbm_bandwidth = 1e11;
  toy.FixedRequests(200, 60, 16);
  const InstanceCostModel plain = toy.Cost();
  const ServeResult none = toy.Run(plain);
  toy.config.scheduler.spec_tokens = 3;
  toy.config.scheduler.spec_acceptance = 0.0;
  InstanceCostModel mtp = toy.Cost();
  mtp.set_speculative({SpeculativeMethod::kMtp, 3, 0.0, nullptr});
  const ServeResult wasted = toy.Run(mtp);
  EXPECT_EQ(wasted.metrics.iterations, none.metrics.iterations);
  EXPECT_EQ(wasted.metrics.output_tokens, none.metrics.output_tokens);
  EXPECT_GT(wasted.metrics.e2e_ms.mean, none.metrics.e2e_ms.mean);
  EXPECT_GT(wasted.metrics.tpot_ms.mean, none.metrics.tpot_ms.mean);

  const InstanceCostModel draft_model = toy.Cost();
  InstanceCostModel with_draft = toy.Cost();
  with_draft.set_speculative({SpeculativeMethod::kDraftModel, 3, 0.0, &draft_model});
  EXPECT_GT(toy.Run(with_draft).metrics.e2e_ms.mean, none.metrics.e2e_ms.mean);
}

TEST(SpeculativeDecoding, DraftCostOnlyWhenTheBatchDecodes) {
  ToyDeployment toy;
  toy.gpu.peak_flops.fill(1e14);
  toy.gpu.hbm_bandwidth = 1e11;
  InstanceCostModel cost = toy.Cost();
  cost.set_speculative({SpeculativeMethod::kMtp, 2, 0.7, nullptr});
  BatchShape prefill;
  prefill.prefill_tokens = 100;
  prefill.prefill_sequences = 1;
  prefill.tokens_per_decode = 3;
  EXPECT_EQ(cost.Cost(prefill).draft_s, 0.0);
  BatchShape decode;
  decode.decode_sequences = 8;
  decode.tokens_per_decode = 3;
  decode.decode_context_tokens = 8000;
  const IterationCost c = cost.Cost(decode);
  EXPECT_GT(c.draft_s, 0.0);
  EXPECT_NEAR(c.seconds, c.gemm_s + c.attention_s + c.communication_s + c.overhead_s + c.draft_s,
              1e-15);
}

// Block accounting with every step advancing sequences by m tokens, including m > block size:
// after each iteration the instance holds exactly the blocks of the running requests' KV, and
// every output token is produced once.
class SpeculativeKv : public ::testing::TestWithParam<std::tuple<int, int, double>> {};

TEST_P(SpeculativeKv, BlocksMatchTheRunningRequestsKvAndTokensAreConserved) {
  const auto [block, k, a] = GetParam();
  ToyDeployment toy;
  toy.config.scheduler.kv_block_size = block;
  toy.config.scheduler.max_batch_size = 12;
  toy.config.scheduler.max_num_tokens = 600;
  toy.config.scheduler.spec_tokens = k;
  toy.config.scheduler.spec_acceptance = a;
  toy.KvRoom(4000);
  const InstanceCostModel cost = toy.Cost();
  InstanceDriver d(cost, toy.config.scheduler);
  std::mt19937 rng(11);
  std::int64_t requested = 0;
  for (int i = 0; i < 150; ++i) {
    const int output = 1 + static_cast<int>(rng() % 300);
    d.Add(10 + static_cast<int>(rng() % 500), output, static_cast<int>(rng() % 2));
    requested += output;
  }
  const auto blocks = [&](std::int64_t tokens) { return (tokens + block - 1) / block; };
  while (d.Step()) {
    std::map<RequestId, std::int32_t> decoding;
    d.instance().VisitDecoding(
        [&](RequestId id, std::int32_t generated) { decoding[id] = generated; });
    std::int64_t expected = 0;
    for (const Request& r : d.requests()) {
      if (r.Finished()) continue;
      const auto it = decoding.find(r.id);
      if (it != decoding.end()) {
        expected += blocks(r.input_tokens + it->second - 1);
      } else if (r.prefilled > 0) {
        expected += r.blocks;
      }
    }
    ASSERT_EQ(d.instance().used_blocks(), expected) << "at " << d.now();
  }
  EXPECT_GT(d.instance().preemptions(), 0);
  for (const Request& r : d.requests()) EXPECT_TRUE(r.Finished());
  EXPECT_EQ(d.produced(), requested);
  EXPECT_EQ(d.instance().used_blocks(), 0);
}

INSTANTIATE_TEST_SUITE_P(Steps, SpeculativeKv,
                         ::testing::Values(std::make_tuple(16, 0, 0.0),   // one token per step
                                           std::make_tuple(16, 3, 0.7),   // m in {2, 3}
                                           std::make_tuple(4, 7, 0.95),   // m in {6, 7} > B
                                           std::make_tuple(4, 3, 1.0)));  // m = B

TEST(SpeculativeDecoding, OutputTokensAreConservedUnderPreemption) {
  ToyDeployment toy;
  toy.config.keep_iterations = true;
  toy.config.scheduler.spec_tokens = 4;
  toy.config.scheduler.spec_acceptance = 0.7;
  toy.config.scheduler.max_batch_size = 32;
  toy.config.scheduler.max_num_tokens = 2048;
  toy.KvRoom(6000);
  toy.config.workload.kind = WorkloadSpec::Kind::kPoisson;
  toy.config.workload.rate = 200;
  toy.config.workload.num_requests = 1500;
  toy.config.workload.input = {LengthDistribution::Kind::kLogNormal, 500, 1.0, 1, 4000};
  toy.config.workload.output = {LengthDistribution::Kind::kLogNormal, 100, 1.0, 1, 1000};
  const ServeResult r = toy.Run();
  std::int64_t requested = 0, produced = 0;
  for (const Request& q : r.requests) {
    requested += q.output_tokens;
    EXPECT_TRUE(q.Finished());
    EXPECT_EQ(q.generated, q.output_tokens);
  }
  for (const IterationRecord& it : r.iterations) {
    produced += it.output_tokens;
    EXPECT_LE(it.kv_blocks_used, it.kv_blocks_total);
    if (it.batch.decode_sequences > 0) EXPECT_EQ(it.batch.tokens_per_decode, 5);
  }
  EXPECT_EQ(produced, requested);
  EXPECT_GT(r.metrics.preemptions, 0);
}

}  // namespace
}  // namespace tokenfab
