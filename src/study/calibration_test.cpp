#include "tokenfab/study/calibration.h"

#include <gtest/gtest.h>

#include "tokenfab/study/calibrate.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

TEST(Calibration, AppliesConstantsThenPerGpuOverrides) {
  auto c = ParseProfileCalibration(
      "profile: trtllm\n"
      "constants: {iteration_overhead_s: 0.002, gemm_efficiency: 0.6}\n"
      "gpus:\n  h100-sxm: {gemm_efficiency: 0.5}\n"
      "rows: [a-1, a-2]\n",
      "cal.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->rows.size(), 2u);
  Calibration cal;
  cal.profiles["trtllm"] = *c;
  EngineProfile e;
  e.id = "trtllm";
  e.memory_efficiency = 0.77;
  ApplyCalibration(cal, "b200", e);
  EXPECT_DOUBLE_EQ(e.iteration_overhead_s, 0.002);
  EXPECT_DOUBLE_EQ(e.gemm_efficiency, 0.6);
  EXPECT_DOUBLE_EQ(e.memory_efficiency, 0.77);  // not calibrated: unchanged
  ApplyCalibration(cal, "h100-sxm", e);
  EXPECT_DOUBLE_EQ(e.gemm_efficiency, 0.5);
  EngineProfile other;
  other.id = "vllm";
  ApplyCalibration(cal, "h100-sxm", other);
  EXPECT_DOUBLE_EQ(other.gemm_efficiency, EngineProfile{}.gemm_efficiency);
}

TEST(Calibration, RejectsUnknownAndOutOfBoundsConstants) {
  auto unknown = ParseProfileCalibration("profile: vllm\nconstants: {gemm_eff: 0.5}\n", "c.yaml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("c.yaml:2"), std::string::npos) << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("gemm_efficiency"), std::string::npos);
  auto high =
      ParseProfileCalibration("profile: vllm\nconstants: {gemm_efficiency: 1.5}\n", "c.yaml");
  ASSERT_FALSE(high);
  EXPECT_NE(high.error().message.find("outside"), std::string::npos) << high.error().message;
}

MeasuredRow SmallRow(const std::string& id, const std::string& metric) {
  MeasuredRow r;
  r.id = id;
  r.simulatable = true;
  r.model = "llama-3.1-8b";
  r.gpu = "h100-sxm";
  r.num_gpus = 1;
  r.precision = "fp8";
  r.framework = "trtllm";
  r.scenario = "offline";
  r.num_requests = 100;
  r.input_tokens = 512;
  r.output_tokens = 64;
  r.metric = metric;
  r.split = "fit";
  return r;
}

// Rows "measured" on the twin itself with a known overhead: the fit must find it again.
TEST(Calibrate, RecoversAKnownIterationOverhead) {
  auto catalog = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
  ASSERT_TRUE(catalog) << catalog.error().message;
  std::vector<MeasuredRow> table = {SmallRow("s-1", "throughput.output_tokens_per_s"),
                                    SmallRow("s-2", "latency.ttft_ms.mean")};
  table[1].input_tokens = 2048;
  constexpr double kTruth = 0.003;
  for (MeasuredRow& row : table) {
    auto resolved = ResolveScenario(*RowScenario(row, 100), *catalog);
    ASSERT_TRUE(resolved) << resolved.error().message;
    Calibration truth;
    truth.profiles["trtllm"].constants[CalibratedConstantIndex("iteration_overhead_s")] = kTruth;
    ApplyCalibration(truth, *resolved);
    auto sim = RunSimulate(*resolved);
    ASSERT_TRUE(sim) << sim.error().message;
    row.value = *MetricValue(sim->json, row.metric);
  }
  CalibrateOptions o;
  o.profile = "trtllm";
  o.constants = {"iteration_overhead_s"};
  o.max_requests = 100;
  o.report_max_requests = 100;
  o.max_evaluations = 80;
  auto result = Calibrate(table, *catalog, o);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->fits.size(), 1u);
  ASSERT_TRUE(result->calibration.constants[0]);
  EXPECT_NEAR(*result->calibration.constants[0], kTruth, 0.05 * kTruth);
  EXPECT_LT(result->fits[0].rms_log_error_after, result->fits[0].rms_log_error_before);
  EXPECT_LT(result->fit_after.median_ape, 2.0);
  EXPECT_EQ(result->calibration.rows, (std::vector<std::string>{"s-1", "s-2"}));
  const std::string yaml = CalibrationYaml(*result, o, "tokenfab calibrate --test");
  EXPECT_NE(yaml.find(result->fits[0].converged ? "converged: true" : "converged: false"),
            std::string::npos)
      << yaml;
  auto back = ParseProfileCalibration(yaml, "written.yaml");
  ASSERT_TRUE(back) << back.error().message << "\n" << yaml;
  EXPECT_NEAR(*back->constants[0], *result->calibration.constants[0], 1e-6);
  EXPECT_EQ(back->rows.size(), 2u);
}

}  // namespace
}  // namespace tokenfab
