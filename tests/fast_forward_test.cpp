// Fast-forward (Instance::FastForward) against step-by-step simulation: every metric and every
// request's times must be identical, bit for bit, on small scenarios that exercise what can
// cut or end a stretch (arrivals, finishes, KV shortage and preemption, metric windows,
// speculative decoding, reserve-full admission, disaggregated decode, closed loops, ties).
#include <gtest/gtest.h>

#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

const Catalog& TheCatalog() {
  static const Catalog catalog = *Catalog::Load(Catalog::DefaultDataDir());
  return catalog;
}

SimulateOutput Simulate(const std::vector<std::string>& overrides, bool fast_forward,
                        const std::string& yaml = DefaultScenarioYaml()) {
  auto scenario = ParseScenario(yaml, "<test scenario>", overrides);
  EXPECT_TRUE(scenario.ok()) << scenario.error().message;
  auto resolved = ResolveScenario(*scenario, TheCatalog());
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  resolved->serve.fast_forward = fast_forward;
  auto out = RunSimulate(*resolved);
  EXPECT_TRUE(out.ok()) << out.error().message;
  return std::move(out).value();
}

// Runs both ways; returns the events each needed (fast-forward, step by step).
std::pair<std::int64_t, std::int64_t> ExpectIdentical(
    const std::vector<std::string>& overrides, const std::string& yaml = DefaultScenarioYaml()) {
  const SimulateOutput ff = Simulate(overrides, true, yaml);
  const SimulateOutput step = Simulate(overrides, false, yaml);
  nlohmann::json a = ff.json, b = step.json;
  a.erase("sim");  // events and wall time
  b.erase("sim");
  EXPECT_EQ(a.dump(), b.dump());
  const auto& ra = ff.result.requests;
  const auto& rb = step.result.requests;
  EXPECT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < std::min(ra.size(), rb.size()); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ra[i].arrival, rb[i].arrival);
    EXPECT_EQ(ra[i].first_token, rb[i].first_token);
    EXPECT_EQ(ra[i].finish, rb[i].finish);
    EXPECT_EQ(ra[i].instance, rb[i].instance);
    EXPECT_EQ(ra[i].preemptions, rb[i].preemptions);
    EXPECT_EQ(ra[i].generated, rb[i].generated);
    if (::testing::Test::HasFailure()) break;
  }
  const ServeMetrics& ma = ff.result.metrics;
  const ServeMetrics& mb = step.result.metrics;
  EXPECT_EQ(ma.iterations, mb.iterations);
  EXPECT_EQ(ma.output_tokens, mb.output_tokens);
  EXPECT_EQ(ma.energy_j, mb.energy_j);
  EXPECT_EQ(ma.mean_in_system, mb.mean_in_system);
  return {ma.events, mb.events};
}

TEST(FastForward, DefaultScenarioIsIdenticalAndSkipsEvents) {
  const auto [ff, step] = ExpectIdentical({"workload.num_requests=3000", "metrics.window_s=20"});
  EXPECT_LT(ff, step * 3 / 4);
}

TEST(FastForward, ManyInstancesBehindLeastOutstandingRouter) {
  const auto [ff, step] =
      ExpectIdentical({"hardware.num_gpus=64", "workload.rate=60", "workload.num_requests=6000",
                       "router.policy=least_outstanding", "metrics.window_s=7"});
  EXPECT_LT(ff, step);
}

TEST(FastForward, KvShortageAndPreemption) {
  const std::vector<std::string> o = {"hardware.num_gpus=2",
                                      "parallelism.tp=2",
                                      "workload.rate=4",
                                      "workload.num_requests=400",
                                      "workload.input_tokens=6000",
                                      "workload.output_tokens=3000",
                                      "engine.kv_block_size=32",
                                      "engine.gpu_memory_fraction=0.6"};
  ExpectIdentical(o);
  EXPECT_GT(Simulate(o, true).result.metrics.preemptions, 0);
}

// SGLang's new-token reserve: the ratio follows the decode step, so planned steps decay it as
// steps run one by one do; outputs longer than the clip take the walk over the running set.
TEST(FastForward, NewTokenReserveUnderKvShortage) {
  const std::vector<std::string> o = {"engine.profile=sglang",
                                      "hardware.num_gpus=2",
                                      "parallelism.tp=2",
                                      "workload.rate=4",
                                      "workload.num_requests=400",
                                      "workload.input_tokens=6000",
                                      "workload.output_tokens={dist: lognormal, mean: 3000, "
                                      "cv: 0.8, max: 9000}",
                                      "engine.gpu_memory_fraction=0.6"};
  ExpectIdentical(o);
  EXPECT_GT(Simulate(o, true).result.metrics.preemptions, 0);
}

TEST(FastForward, SpeculativeDecoding) {
  ExpectIdentical({"workload.num_requests=1500", "speculative.num_tokens=3",
                   "speculative.acceptance_rate=0.7"});
}

TEST(FastForward, ReserveFullAdmissionOffline) {
  ExpectIdentical({"engine.profile=trtllm", "workload.kind=offline", "workload.num_requests=2000"});
}

TEST(FastForward, FixedLengthsTieAcrossInstances) {
  // Identical requests round-robin over identical instances: iterations end at equal times.
  ExpectIdentical({"hardware.num_gpus=32", "workload.kind=offline", "workload.num_requests=800",
                   "workload.input_tokens=512", "workload.output_tokens=300"});
}

TEST(FastForward, ClosedLoop) {
  ExpectIdentical({"hardware.num_gpus=16", "workload.kind=closed", "workload.concurrency=40",
                   "workload.num_requests=2000"});
}

TEST(FastForward, DisaggregatedDecodePool) {
  ExpectIdentical({"hardware.num_gpus=24", "serving.mode=disaggregated",
                   "serving.prefill.instances=1", "serving.prefill.tp=8",
                   "serving.decode.instances=2", "serving.decode.tp=8", "workload.rate=10",
                   "workload.num_requests=2000"});
}

// Requests reaching an instance mid-stretch, several within one step: the iteration after
// the step in flight is planned at the cut (Instance::PlanCut), undone and planned again
// when another request arrives before it starts, and left to an event when it would end
// after the 3-second metrics window. Fewer events than fast-forward with an event per cut.
// Attention-DP balance holds lone prompts beside running decodes; a cut planned while one is
// held and then undone must restore the count of iterations it has waited.
TEST(FastForward, AttentionDpBalanceHolds) {
  ExpectIdentical({"model=deepseek-r1", "hardware.gpu=gb200", "hardware.num_gpus=8",
                   "parallelism.tp=1", "parallelism.ep=4", "parallelism.attention_dp=true",
                   "precision.weights=fp4", "engine.profile=trtllm",
                   "engine.attention_dp_balance_iters=20", "workload.rate=6",
                   "workload.num_requests=1500", "router.policy=least_outstanding",
                   "workload.input_tokens={dist: lognormal, mean: 800, cv: 1, max: 8000}",
                   "workload.output_tokens={dist: lognormal, mean: 600, cv: 1, max: 4000}",
                   "metrics.window_s=5"});
}

// SGLang-style chunked prefill under attention DP: chunks held to a rank's share, prompts
// completing out of admission order.
TEST(FastForward, AttentionDpChunkedPrefill) {
  ExpectIdentical({"model=deepseek-r1", "hardware.gpu=h200-sxm", "hardware.num_gpus=16",
                   "parallelism.tp=1", "parallelism.ep=8", "parallelism.attention_dp=true",
                   "precision.weights=fp8", "engine.profile=sglang", "workload.rate=4",
                   "workload.num_requests=1200", "router.policy=least_outstanding",
                   "workload.input_tokens={dist: lognormal, mean: 2000, cv: 1, max: 16000}",
                   "workload.output_tokens={dist: lognormal, mean: 500, cv: 1, max: 4000}",
                   "metrics.window_s=5"});
}

// SGLang's prefill-first loop: iterations that prefill without the decodes, planned at cuts.
TEST(FastForward, UnmixedPrefill) {
  ExpectIdentical({"engine.profile=sglang", "hardware.num_gpus=32", "workload.rate=24",
                   "workload.num_requests=3000", "router.policy=least_outstanding",
                   "metrics.window_s=3"});
}

TEST(FastForward, CutsPlannedAndReplanned) {
  const auto [ff, step] =
      ExpectIdentical({"hardware.num_gpus=32", "workload.rate=24", "workload.num_requests=4000",
                       "router.policy=least_outstanding", "metrics.window_s=3"});
  EXPECT_LT(ff, step * 3 / 4);
}

// Two priorities with priority preemption: a cut whose waiting request outranks a running
// one is not planned (the preemption could not be undone); the others are.
TEST(FastForward, PriorityClassesAtCuts) {
  const std::string yaml = R"(
model: llama-3.1-70b
hardware: {gpu: h100-sxm, num_gpus: 8}
parallelism: {tp: 8}
precision: {weights: fp8, kv_cache: fp8}
engine: {profile: vllm}
workload:
  kind: poisson
  rate: 16
  num_requests: 3000
  input_tokens: {dist: lognormal, mean: 1024, cv: 0.75, max: 8192}
  output_tokens: {dist: lognormal, mean: 256, cv: 0.75, max: 2048}
classes:
  interactive: {share: 0.7, priority: 10}
  batch:
    share: 0.3
    priority: 0
    input_tokens: {dist: lognormal, mean: 2048, cv: 0.5, max: 16384}
    output_tokens: {dist: lognormal, mean: 2048, cv: 0.5, max: 8192}
seed: 1
)";
  ExpectIdentical({}, yaml);
}

}  // namespace
}  // namespace tokenfab
