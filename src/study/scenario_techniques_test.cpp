// Serving techniques reached through scenario keys (issue 5): each key changes the simulated
// mechanics, end to end from YAML to the metrics JSON.
#include <gtest/gtest.h>

#include "../io/scenario_test_util.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

using testing::Contains;
using testing::ResolveYaml;
using testing::SimulateError;

// The metrics JSON of `yaml` with `overrides`; fails the test when it does not run.
nlohmann::json Metrics(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  auto r = ResolveYaml(yaml, overrides);
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r) return {};
  auto sim = RunSimulate(*r);
  EXPECT_TRUE(sim.ok()) << sim.error().message;
  return sim ? sim->json : nlohmann::json{};
}

// A small agentic workload: 4-turn sessions whose prompts grow by 200 tokens a turn.
const char* kSessions = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm, num_gpus: 2}
parallelism: {tp: 1}
engine: {profile: vllm}
router: {policy: prefix_aware}
workload:
  kind: sessions
  rate: 2
  num_requests: 200
  input_tokens: 200
  output_tokens: 50
  sessions: {turns: 4, think_time_s: 1.5}
)";

TEST(ScenarioSessions, TurnsShareAGrowingPrefixThatTheCacheServes) {
  const nlohmann::json off = Metrics(kSessions);
  const nlohmann::json on = Metrics(kSessions, {"prefix_cache.enabled=true"});
  ASSERT_TRUE(off.contains("prefix_cache") && on.contains("prefix_cache"));
  EXPECT_EQ(off["prefix_cache"]["hit_rate"], 0.0);
  EXPECT_EQ(on["requests"]["completed"], 200);
  // Turn k's prompt is 250 (k - 1) + 200 tokens, of which 250 (k - 1) - 1 rounded down to
  // 16-token blocks were cached by turn k - 1: over turns 1-4, 1 - 800 / 2300 at most.
  const double hit = on["prefix_cache"]["hit_rate"].get<double>();
  EXPECT_GT(hit, 0.55);
  EXPECT_LT(hit, 1.0 - 800.0 / 2300.0);
  EXPECT_LT(on["latency"]["ttft_ms"]["mean"].get<double>(),
            off["latency"]["ttft_ms"]["mean"].get<double>());
  EXPECT_EQ(on["config"]["workload"]["sessions"]["think_time_s"], 1.5);
  EXPECT_EQ(on["config"]["prefix_cache"]["enabled"], true);
}

TEST(ScenarioSessions, ThinkTimeSpreadsTheTurns) {
  const double quick =
      Metrics(kSessions, {"workload.sessions.think_time_s=0"})["sim"]["span_s"].get<double>();
  const double slow =
      Metrics(kSessions, {"workload.sessions.think_time_s=30"})["sim"]["span_s"].get<double>();
  EXPECT_GT(slow, quick + 30);
}

TEST(ScenarioSessions, ClosedLoopUsersRunSessions) {
  const nlohmann::json j = Metrics(kSessions, {"workload.kind=closed", "workload.concurrency=8",
                                               "workload.sessions.enabled=true"});
  EXPECT_EQ(j["requests"]["completed"], 200);
  EXPECT_EQ(j["config"]["workload"]["sessions"]["enabled"], true);
}

TEST(ScenarioSessions, BadSessionKeysAreExplained) {
  EXPECT_TRUE(Contains(SimulateError(kSessions, {"workload.sessions.think_time_s=-1"}),
                       "workload.sessions.think_time_s"));
  EXPECT_TRUE(Contains(SimulateError(kSessions, {"workload.sessions.turns={dist: gauss}"}),
                       "workload.sessions.turns"));
  EXPECT_TRUE(Contains(SimulateError(kSessions, {"workload.kind=trace", "workload.trace=x.csv",
                                                 "workload.sessions.enabled=true"}),
                       "does not apply to workload.kind trace"));
}

const char* kDiurnal = R"(
model: llama-3.1-8b
hardware: {gpu: h100-sxm, num_gpus: 1}
parallelism: {tp: 1}
workload:
  kind: poisson
  num_requests: 3000
  input_tokens: 256
  output_tokens: 32
metrics: {window_s: 60}
)";
const std::vector<std::string> kCycle = {"workload.diurnal.trough_rate=1",
                                         "workload.diurnal.peak_rate=9",
                                         "workload.diurnal.period_s=600"};

// Arrivals follow the cycle: the windows around the peak (t = 300 s) receive several times
// those around the trough (t = 0 and 600 s).
TEST(ScenarioRateCurve, DiurnalArrivalsFollowTheCycle) {
  const nlohmann::json j = Metrics(kDiurnal, kCycle);
  ASSERT_TRUE(j.contains("windows"));
  const auto& w = j["windows"];
  ASSERT_GE(w.size(), 10u);
  const double trough = w[0]["arrivals"].get<double>();
  const double peak = w[4]["arrivals"].get<double>() + w[5]["arrivals"].get<double>();
  EXPECT_GT(peak / 2, 3 * trough);
  // Expected arrivals in [0, 600 s): the cycle's mean rate (1 + 9) / 2 times 600.
  double first_period = 0;
  for (int i = 0; i < 10; ++i) first_period += w[i]["arrivals"].get<double>();
  EXPECT_NEAR(first_period, 3000, 3 * std::sqrt(3000.0));
  EXPECT_EQ(j["config"]["workload"]["rate_period_s"], 600);
}

TEST(ScenarioRateCurve, PiecewiseCurveStopsWhenTheRateDropsToZero) {
  const nlohmann::json j =
      Metrics(kDiurnal, {"workload.rate_curve=[[0, 5], [100, 5], [100.001, 0]]"});
  // About 5 x 100 arrivals, then none: fewer than the 3000 asked for.
  const double n = j["requests"]["completed"].get<double>();
  EXPECT_NEAR(n, 500, 4 * std::sqrt(500.0));
}

TEST(ScenarioRateCurve, BadCurvesAreExplained) {
  const std::string plain = "workload: {kind: poisson}\n";
  EXPECT_TRUE(Contains(SimulateError(plain, {"workload.rate_curve=[[0, 1], [0, 2]]"}),
                       "workload.rate_curve"));
  EXPECT_TRUE(Contains(SimulateError(plain, {"workload.rate_curve=[[0, 1, 3]]"}), "[t_s, rate]"));
  EXPECT_TRUE(Contains(SimulateError(plain, {"workload.rate_curve=[[0, 0], [10, 0]]"}),
                       "workload.rate_curve"));
  EXPECT_TRUE(
      Contains(SimulateError(plain, {"workload.kind=closed", "workload.rate_curve=[[0, 1]]"}),
               "poisson, gamma or sessions"));
  EXPECT_TRUE(
      Contains(SimulateError(plain, {"workload.rate_period_s=10"}), "needs a workload.rate_curve"));
  EXPECT_TRUE(Contains(SimulateError(plain, {"workload.diurnal.trough_rate=1"}), "peak_rate"));
  EXPECT_TRUE(Contains(
      SimulateError(plain, {"workload.diurnal.peak_rate=1", "workload.diurnal.trough_rate=5"}),
      "must not exceed"));
}

const char* kSpeculative = R"(
model: llama-3.1-70b
hardware: {gpu: h100-sxm, num_gpus: 8}
parallelism: {tp: 8}
workload:
  kind: closed
  concurrency: 8
  num_requests: 64
  input_tokens: 512
  output_tokens: 128
)";

TEST(ScenarioSpeculative, DraftModelWithNoAcceptanceCostsMoreThanNone) {
  const nlohmann::json none = Metrics(kSpeculative);
  const std::vector<std::string> draft = {"speculative.num_tokens=3",
                                          "speculative.method=draft_model",
                                          "speculative.draft_model=llama-3.1-8b"};
  std::vector<std::string> zero = draft;
  zero.push_back("speculative.acceptance_rate=0");
  const nlohmann::json wasted = Metrics(kSpeculative, zero);
  EXPECT_GT(wasted["latency"]["tpot_ms"]["mean"].get<double>(),
            none["latency"]["tpot_ms"]["mean"].get<double>());
  // The draft's weights and KV come out of the target's KV cache.
  EXPECT_LT(wasted["memory"]["kv_capacity_tokens_per_instance"].get<double>(),
            none["memory"]["kv_capacity_tokens_per_instance"].get<double>());
  EXPECT_EQ(wasted["config"]["speculative"]["draft_model"], "llama-3.1-8b");

  std::vector<std::string> good = draft;
  good.push_back("speculative.acceptance_rate=0.8");
  EXPECT_LT(Metrics(kSpeculative, good)["latency"]["tpot_ms"]["mean"].get<double>(),
            none["latency"]["tpot_ms"]["mean"].get<double>());
}

TEST(ScenarioSpeculative, MtpWithNoAcceptanceCostsMoreThanNone) {
  const nlohmann::json none = Metrics(kSpeculative);
  const nlohmann::json wasted =
      Metrics(kSpeculative, {"speculative.num_tokens=2", "speculative.acceptance_rate=0"});
  EXPECT_GT(wasted["latency"]["tpot_ms"]["mean"].get<double>(),
            none["latency"]["tpot_ms"]["mean"].get<double>());
  EXPECT_EQ(wasted["config"]["speculative"]["method"], "mtp");
}

TEST(ScenarioSpeculative, BadDraftModelsAreExplained) {
  EXPECT_TRUE(Contains(
      SimulateError(kSpeculative, {"speculative.num_tokens=3", "speculative.method=draft_model"}),
      "needs speculative.draft_model"));
  EXPECT_TRUE(Contains(
      SimulateError(kSpeculative, {"speculative.num_tokens=3", "speculative.method=draft_model",
                                   "speculative.draft_model=llama-3.1-8c"}),
      "llama-3.1-8b"));
  EXPECT_TRUE(Contains(
      SimulateError(kSpeculative, {"speculative.num_tokens=3", "speculative.method=draft_model",
                                   "speculative.draft_model=qwen3-32b"}),
      "tokenizer"));
  EXPECT_TRUE(Contains(SimulateError(kSpeculative, {"speculative.method=medusa"}), "draft_model"));
}

}  // namespace
}  // namespace tokenfab
