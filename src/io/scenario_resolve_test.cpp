#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_test_util.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/perf/batch_limits.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

const std::string kSource = TOKENFAB_SOURCE_DIR;

using testing::Contains;
using testing::SimulateError;
using testing::SourceCatalog;

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

Result<ResolvedScenario> Resolve(const std::string& yaml,
                                 const std::vector<std::string>& overrides = {}) {
  return testing::ResolveYaml(yaml, overrides);
}

std::string ResolveError(const std::string& yaml, const std::vector<std::string>& o = {}) {
  return ErrorOf(Resolve(yaml, o));
}

TEST(ScenarioResolve, BuiltInDefaultResolves) {
  auto s = ParseScenario(DefaultScenarioYaml(), "<built-in default>");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  auto r = ResolveScenario(*s, SourceCatalog());
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->num_gpus, 8);
  EXPECT_EQ(r->serve.replicas, 1);
  EXPECT_EQ(r->config["num_gpus"], 8);
  EXPECT_EQ(r->config["model"], "llama-3.1-70b");
  EXPECT_EQ(r->config["hardware"]["gpu"], "h100-sxm");
}

// engine.iteration_overhead replaces the profile's calibrated constant, in every deployment's
// engine (`tokenfab emulate --set` uses it to play a slower server).
TEST(ScenarioResolve, IterationOverheadOverridesTheProfile) {
  auto base = Resolve("engine: {profile: vllm}\n");
  ASSERT_TRUE(base.ok()) << ErrorOf(base);
  auto r = Resolve("engine: {profile: vllm}\n", {"engine.iteration_overhead=2.5 ms"});
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_DOUBLE_EQ(r->engine.iteration_overhead_s, 0.0025);
  EXPECT_DOUBLE_EQ(r->deployments.front().engine.iteration_overhead_s, 0.0025);
  EXPECT_NE(base->engine.iteration_overhead_s, 0.0025);
  EXPECT_DOUBLE_EQ(r->config["engine"]["iteration_overhead_ms"].get<double>(), 2.5);
  EXPECT_TRUE(Contains(ResolveError("engine: {iteration_overhead: 60 ms}\n"), "from 0 to 50 ms"));
  EXPECT_FALSE(ResolveError("engine: {iteration_overhead: fast}\n").empty());
}

TEST(ScenarioResolve, PercentileModeKey) {
  auto r = Resolve("");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.percentile_mode, PercentileMode::kAuto);
  EXPECT_EQ(r->config["metrics"]["percentile_mode"], "auto");
  r = Resolve("metrics: {percentile_mode: histogram}\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.percentile_mode, PercentileMode::kHistogram);
  r = Resolve("metrics: {percentile_mode: exact}\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.percentile_mode, PercentileMode::kExact);
  const std::string e = ResolveError("metrics: {percentile_mode: sketch}\n");
  EXPECT_TRUE(Contains(e, "metrics.percentile_mode")) << e;
  EXPECT_TRUE(Contains(e, "histogram")) << e;
}

TEST(ScenarioResolve, ReplicasDerivedFromNumGpus) {
  auto r = Resolve("hardware:\n  num_gpus: 16\nparallelism:\n  tp: 4\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.replicas, 4);
  EXPECT_EQ(r->num_gpus, 16);
  EXPECT_EQ(r->config["parallelism"]["replicas"], 4);
}

TEST(ScenarioResolve, NumGpusDerivedFromReplicas) {
  auto r = Resolve("parallelism:\n  tp: 2\n  pp: 2\n  replicas: 3\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->num_gpus, 12);
  EXPECT_EQ(r->config["num_gpus"], 12);
  auto one = Resolve("parallelism:\n  tp: 8\n");
  ASSERT_TRUE(one.ok()) << ErrorOf(one);
  EXPECT_EQ(one->serve.replicas, 1);
  EXPECT_EQ(one->num_gpus, 8);
}

TEST(ScenarioResolve, ExpertParallelInstanceSpansMaxOfTpAndEp) {
  auto r = Resolve(
      "model: mixtral-8x7b\nhardware:\n  num_gpus: 16\n"
      "parallelism:\n  tp: 1\n  ep: 8\n  attention_dp: true\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.replicas, 2);
}

TEST(ScenarioResolve, NumGpusAndReplicasDisagreementExplained) {
  const std::string e =
      ResolveError("hardware:\n  num_gpus: 8\nparallelism:\n  tp: 8\n  replicas: 2\n");
  EXPECT_TRUE(Contains(e, "s.yaml")) << e;
  EXPECT_TRUE(Contains(e, "hardware.num_gpus = 8")) << e;
  EXPECT_TRUE(Contains(e, "parallelism.replicas = 2")) << e;
  EXPECT_TRUE(Contains(e, "make 16")) << e;
  EXPECT_TRUE(Contains(e, "max(tp, ep) x pp")) << e;
}

TEST(ScenarioResolve, NumGpusNotAMultipleOfInstanceExplained) {
  const std::string e = ResolveError("hardware:\n  num_gpus: 12\nparallelism:\n  tp: 8\n");
  EXPECT_TRUE(Contains(e, "hardware.num_gpus = 12 is not a multiple of the 8 GPUs")) << e;
}

TEST(ScenarioResolve, AbsurdParallelismDoesNotOverflow) {
  for (const char* o : {"parallelism.pp=65536", "parallelism.pp=100000000"}) {
    const std::string e = ResolveError("", {"parallelism.tp=65536", o, "hardware.num_gpus=8"});
    EXPECT_TRUE(Contains(e, "s.yaml")) << e;
    EXPECT_NE(ResolveError("", {"parallelism.tp=100000000", o}), "<ok>");
    EXPECT_NE(ResolveError("", {"parallelism.replicas=100000000", o}), "<ok>");
  }
}

TEST(ScenarioResolve, UnknownNamesSuggestNearestIds) {
  const std::string m = ResolveError("model: llama-3.1-7b\n");
  EXPECT_TRUE(Contains(m, "s.yaml")) << m;
  EXPECT_TRUE(Contains(m, "'model'")) << m;
  const std::size_t mean = m.find("did you mean: ");
  ASSERT_NE(mean, std::string::npos) << m;
  EXPECT_TRUE(Contains(m.substr(mean, m.find("?)") - mean), "llama-3.1-8b")) << m;
  EXPECT_TRUE(Contains(m, "config.json")) << m;
  const std::string g = ResolveError("hardware:\n  gpu: h100\n");
  EXPECT_TRUE(Contains(g, "'hardware.gpu'")) << g;
  EXPECT_TRUE(Contains(g, "h100-sxm")) << g;
  const std::string e = ResolveError("engine:\n  profile: vllm2\n");
  EXPECT_TRUE(Contains(e, "'engine.profile'")) << e;
  EXPECT_TRUE(Contains(e, "did you mean: vllm")) << e;
}

TEST(ScenarioResolve, ModelFromConfigJsonPath) {
  for (const std::string path : {std::string("data/catalog/models/llama-3.1-8b.json"),
                                 kSource + "/data/catalog/models/llama-3.1-8b.json"}) {
    auto r = Resolve("model: " + path + "\nparallelism:\n  tp: 1\n");
    ASSERT_TRUE(r.ok()) << ErrorOf(r);
    const ModelSpec& catalog_model = SourceCatalog().models().at("llama-3.1-8b");
    EXPECT_EQ(r->model.num_layers, catalog_model.num_layers);
    EXPECT_EQ(r->model.hidden_size, catalog_model.hidden_size);
    EXPECT_EQ(r->model.num_kv_heads, catalog_model.num_kv_heads);
    EXPECT_EQ(r->num_gpus, 1);
  }
  const std::string e = ResolveError("model: no/such/config.json\n");
  EXPECT_TRUE(Contains(e, "config.json")) << e;
}

TEST(ScenarioResolve, TraceRelativeToScenarioAndCut) {
  const std::string yaml =
      "workload:\n  kind: trace\n  trace: data/traces/azure_conv_first2000.csv\n";
  auto all = Resolve(yaml);
  ASSERT_TRUE(all.ok()) << ErrorOf(all);
  EXPECT_EQ(all->serve.workload.kind, WorkloadSpec::Kind::kTrace);
  EXPECT_EQ(all->serve.workload.trace.size(), 2000u);
  EXPECT_EQ(all->serve.workload.num_requests, 2000);
  auto cut = Resolve(yaml, {"workload.num_requests=100"});
  ASSERT_TRUE(cut.ok()) << ErrorOf(cut);
  EXPECT_EQ(cut->serve.workload.num_requests, 100);
  const std::string e = ResolveError("workload:\n  kind: trace\n  trace: missing.csv\n");
  EXPECT_TRUE(Contains(e, "missing.csv")) << e;
}

TEST(ScenarioResolve, LengthsBeyondContextWindowRejected) {
  const std::string e =
      ResolveError("workload:\n  input_tokens: {dist: uniform, min: 200000, max: 300000}\n");
  EXPECT_TRUE(Contains(e, "workload.input_tokens")) << e;
  EXPECT_TRUE(Contains(e, "context")) << e;
}

TEST(ScenarioResolve, TpNotDividingHeadsRejected) {
  const std::string e = SimulateError("", {"parallelism.tp=3", "hardware.num_gpus=3"});
  EXPECT_TRUE(Contains(e, "s.yaml")) << e;
  EXPECT_TRUE(Contains(e, "parallelism.tp = 3 does not divide the 64 attention heads")) << e;
}

TEST(ScenarioResolve, ExpertParallelOnDenseModelRejected) {
  const std::string e = SimulateError("", {"parallelism.tp=1", "parallelism.ep=8",
                                           "parallelism.attention_dp=true", "hardware.num_gpus=8"});
  EXPECT_TRUE(Contains(e, "parallelism.ep = 8")) << e;
  EXPECT_TRUE(Contains(e, "dense")) << e;
}

// DeepSeek-R1 NVFP4 on one B200 DEP4 instance (attention data-parallel + expert parallel).
const std::string kDeepSeekDep4 =
    "model: deepseek-r1\nhardware:\n  gpu: b200\n  num_gpus: 4\n"
    "parallelism:\n  tp: 1\n  ep: 4\n  attention_dp: true\n"
    "precision:\n  weights: fp4\n";
// trtllm-bench's offline run: all requests at once, limits from its heuristic.
const std::string kTrtllmBenchOffline =
    "engine:\n  profile: trtllm\n"
    "workload:\n  kind: offline\n  num_requests: 100\n  input_tokens: 1024\n"
    "  output_tokens: 1024\n";

// Regression: DeepSeek-R1 DEP4 on B200 ran with the heuristic's floor of 64 sequences for the
// whole instance (weights counted on one GPU, limits not per rank), 4x too slow.
TEST(ScenarioResolve, TrtllmBenchLimitsUnderAttentionDpArePerRank) {
  auto r = Resolve(kDeepSeekDep4 + kTrtllmBenchOffline);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const BatchLimits rank =
      TrtllmBenchLimits(r->model, r->gpu, {.tp = 1, .ep = 4, .attention_dp = true}, r->precision,
                        r->engine.gpu_memory_fraction, 1024, 1024, 1024);
  EXPECT_GT(rank.max_batch_size, 64);  // the weights are split over the 4 GPUs
  EXPECT_EQ(r->serve.scheduler.max_batch_size, 4 * rank.max_batch_size);
  EXPECT_EQ(r->serve.scheduler.max_num_tokens, 4 * rank.max_num_tokens);
}

// trtllm-bench captures CUDA graphs with padding at the listed sizes below the runtime
// max_batch_size (a rank's under attention DP) and at that maximum (engines.md 1.1-1.2).
TEST(ScenarioResolve, CudaGraphSizesEndAtTheRuntimeBatchLimit) {
  auto r = Resolve(kDeepSeekDep4 + kTrtllmBenchOffline);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const PoolSpec& pool = r->deployments[0].pools[0];
  const int rank_max = r->batch_limits.max_batch_size;
  const std::vector<int> sizes = PoolCostOptions(r->deployments[0], pool).cuda_graph_sizes;
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.back(), rank_max);
  EXPECT_EQ(pool.scheduler.max_batch_size, 4 * rank_max);
  EXPECT_EQ(sizes.front(), 1);
  EXPECT_TRUE(std::is_sorted(sizes.begin(), sizes.end()));
  EXPECT_EQ(r->config["engine"]["cuda_graph_batch_sizes"].size(),
            r->engine.cuda_graph_batch_sizes.size());
  EXPECT_EQ(CapturedGraphSizes({1, 2, 4, 8, 256, 512}, 300),
            (std::vector<int>{1, 2, 4, 8, 256, 300}));
  EXPECT_EQ(CapturedGraphSizes({}, 300), std::vector<int>{});

  auto off = Resolve(kDeepSeekDep4 + "engine:\n  profile: trtllm\n  cuda_graph_batch_sizes: []\n");
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_TRUE(
      PoolCostOptions(off->deployments[0], off->deployments[0].pools[0]).cuda_graph_sizes.empty());
  auto vllm = Resolve(
      "model: llama-3.1-8b\nhardware:\n  gpu: h100-sxm\n  num_gpus: 1\n"
      "parallelism:\n  tp: 1\nengine:\n  profile: vllm\n");
  ASSERT_TRUE(vllm.ok()) << ErrorOf(vllm);
  EXPECT_TRUE(PoolCostOptions(vllm->deployments[0], vllm->deployments[0].pools[0])
                  .cuda_graph_sizes.empty());
}

// TensorRT-LLM's max_batch_size / max_num_tokens are each attention-DP rank's; SGLang's the
// instance's (it divides them by the DP size). The config echoes them as given.
TEST(ScenarioResolve, AttentionWeightsFollowTheCheckpointUnlessSet) {
  const std::string oss =
      "model: gpt-oss-20b\nhardware:\n  gpu: b200\nprecision:\n  weights: fp4\n";
  auto checkpoint = Resolve(oss);
  ASSERT_TRUE(checkpoint.ok()) << ErrorOf(checkpoint);
  EXPECT_FALSE(checkpoint->precision.attention_weights.has_value());
  EXPECT_EQ(checkpoint->config["precision"]["attention_weights"], "bf16");
  auto set = Resolve(oss + "  attention_weights: fp8\n");
  ASSERT_TRUE(set.ok()) << ErrorOf(set);
  EXPECT_EQ(set->precision.attention_weights, Precision::kFp8);
  EXPECT_EQ(set->config["precision"]["attention_weights"], "fp8");
  auto llama = Resolve("model: llama-3.1-8b\nhardware:\n  gpu: b200\nprecision:\n  weights: fp4\n");
  ASSERT_TRUE(llama.ok()) << ErrorOf(llama);
  EXPECT_EQ(llama->config["precision"]["attention_weights"], "fp4");
  auto w4a16 = Resolve(oss + "  gemm_inputs: bf16\n");
  ASSERT_TRUE(w4a16.ok()) << ErrorOf(w4a16);
  EXPECT_EQ(w4a16->precision.gemm_inputs, Precision::kBf16);
  EXPECT_EQ(w4a16->config["precision"]["gemm_inputs"], "bf16");
  EXPECT_EQ(w4a16->config["precision"]["gemm_format"], "bf16");
  EXPECT_EQ(checkpoint->config["precision"]["gemm_inputs"], "auto");
  EXPECT_EQ(checkpoint->config["precision"]["gemm_format"], "fp4");  // B200 runs W4A4
  const std::string e = ResolveError(oss + "  attention_weights: int4\n");
  EXPECT_TRUE(Contains(e, "precision.attention_weights")) << e;
  EXPECT_TRUE(Contains(e, "auto, fp4, fp8")) << e;
}

TEST(ScenarioResolve, BatchLimitsScopeFollowsTheEngine) {
  const std::string dep4 =
      kDeepSeekDep4 + "workload:\n  kind: closed\n  input_tokens: 1024\n  output_tokens: 1024\n";
  auto trtllm = Resolve(dep4 + "engine:\n  profile: trtllm\n  max_batch_size: 384\n");
  ASSERT_TRUE(trtllm.ok()) << ErrorOf(trtllm);
  EXPECT_EQ(trtllm->serve.scheduler.max_batch_size, 4 * 384);
  EXPECT_EQ(trtllm->serve.scheduler.max_num_tokens, 4 * trtllm->engine.max_num_tokens);
  EXPECT_EQ(trtllm->deployments[0].pools[0].scheduler.max_batch_size, 4 * 384);
  EXPECT_EQ(trtllm->config["engine"]["max_batch_size"], 384);
  EXPECT_EQ(trtllm->config["engine"]["batch_limits_scope"], "rank");

  auto sglang = Resolve(dep4 + "engine:\n  profile: sglang\n  max_batch_size: 384\n");
  ASSERT_TRUE(sglang.ok()) << ErrorOf(sglang);
  EXPECT_EQ(sglang->serve.scheduler.max_batch_size, 384);
  EXPECT_EQ(sglang->config["engine"]["batch_limits_scope"], "instance");

  auto overridden = Resolve(dep4 +
                            "engine:\n  profile: trtllm\n  max_batch_size: 384\n"
                            "  batch_limits_scope: instance\n");
  ASSERT_TRUE(overridden.ok()) << ErrorOf(overridden);
  EXPECT_EQ(overridden->serve.scheduler.max_batch_size, 384);

  // Without attention DP an instance is one rank: the scope changes nothing.
  auto tp4 = Resolve(
      "model: llama-3.1-70b\nhardware:\n  gpu: h100-sxm\n  num_gpus: 4\n"
      "parallelism:\n  tp: 4\nengine:\n  profile: trtllm\n  max_batch_size: 384\n");
  ASSERT_TRUE(tp4.ok()) << ErrorOf(tp4);
  EXPECT_EQ(tp4->serve.scheduler.max_batch_size, 384);

  const std::string e = ResolveError(dep4 + "engine:\n  batch_limits_scope: node\n");
  EXPECT_TRUE(Contains(e, "engine.batch_limits_scope")) << e;
  EXPECT_TRUE(Contains(e, "instance")) << e;
}

// SGLang's initial new-token ratio: 0.7 x schedule_conservativeness, x 0.3 under DP attention,
// at most 1; profiles without a reserve stay at 0.
TEST(ScenarioResolve, ScheduleConservativeness) {
  auto ratio = [](const std::string& yaml) {
    auto r = Resolve(yaml);
    EXPECT_TRUE(r.ok()) << ErrorOf(r);
    return r.ok() ? r->deployments[0].pools[0].scheduler.new_token_ratio : -1.0;
  };
  EXPECT_DOUBLE_EQ(ratio("engine: {profile: sglang}\n"), 0.7);
  EXPECT_DOUBLE_EQ(ratio("engine: {profile: sglang, schedule_conservativeness: 0.5}\n"), 0.35);
  EXPECT_DOUBLE_EQ(ratio("engine: {profile: sglang, schedule_conservativeness: 3}\n"), 1.0);
  EXPECT_DOUBLE_EQ(ratio(kDeepSeekDep4 + "engine: {profile: sglang}\n"), 0.7 * 0.3);
  EXPECT_DOUBLE_EQ(ratio("engine: {profile: vllm}\n"), 0.0);
  auto r = Resolve("engine: {profile: sglang, schedule_conservativeness: 0.5}\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->config["engine"]["schedule_conservativeness"], 0.5);
  EXPECT_DOUBLE_EQ(r->config["engine"]["new_token_ratio"].get<double>(), 0.35);
  const std::string e = ResolveError("engine: {schedule_conservativeness: -1}\n");
  EXPECT_TRUE(Contains(e, "engine.schedule_conservativeness")) << e;
}

TEST(ScenarioResolve, AttentionDpBalanceKey) {
  auto r = Resolve("engine: {attention_dp_balance_iters: 60}\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->serve.scheduler.attention_dp_balance_iters, 60);
  EXPECT_EQ(r->deployments[0].pools[0].scheduler.attention_dp_balance_iters, 60);
  EXPECT_EQ(r->config["engine"]["attention_dp_balance_iters"], 60);
  auto off = Resolve("");
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_EQ(off->serve.scheduler.attention_dp_balance_iters, 0);
  const std::string e = ResolveError("engine: {attention_dp_balance_iters: -1}\n");
  EXPECT_TRUE(Contains(e, "engine.attention_dp_balance_iters")) << e;
}

// A disaggregated pool multiplies its own per-rank limit by its own ranks.
TEST(ScenarioResolve, PoolBatchLimitsArePerRankOfThePool) {
  auto r = Resolve(
      "model: deepseek-r1\nhardware:\n  gpu: gb200\n  num_gpus: 36\n"
      "parallelism:\n  tp: 1\n  ep: 4\n  attention_dp: true\n"
      "precision:\n  weights: fp4\n  kv_cache: fp8\nengine:\n  profile: trtllm\n"
      "serving:\n  mode: disaggregated\n"
      "  prefill: {instances: 1, tp: 1, ep: 4, attention_dp: true}\n"
      "  decode: {instances: 1, tp: 1, ep: 32, attention_dp: true, max_batch_size: 128}\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const auto& pools = r->deployments[0].pools;
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].scheduler.max_batch_size, 4 * r->engine.max_batch_size);
  EXPECT_EQ(pools[0].scheduler.max_num_tokens, 4 * r->engine.max_num_tokens);
  EXPECT_EQ(pools[1].scheduler.max_batch_size, 32 * 128);
  EXPECT_EQ(pools[1].scheduler.max_num_tokens, 32 * r->engine.max_num_tokens);
  EXPECT_EQ(r->config["serving"]["decode"]["max_batch_size"], 128);
}

TEST(ScenarioResolve, ModelThatDoesNotFitRejected) {
  const std::string e = SimulateError(
      "model: llama-3.1-405b\nprecision:\n  weights: bf16\n"
      "parallelism:\n  tp: 1\n");
  EXPECT_TRUE(Contains(e, "s.yaml")) << e;
  EXPECT_TRUE(Contains(e, "does not fit")) << e;
}

}  // namespace
}  // namespace tokenfab
