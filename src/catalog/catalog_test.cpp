#include "tokenfab/catalog/catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tokenfab/catalog/precision.h"

namespace tokenfab {
namespace {

namespace fs = std::filesystem;

const std::string kDataDir = std::string(TOKENFAB_SOURCE_DIR) + "/data";

const Catalog& BuiltIn() {
  static const Catalog catalog = [] {
    Result<Catalog> loaded = Catalog::Load(kDataDir);
    if (!loaded.ok()) ADD_FAILURE() << loaded.error().message;
    return loaded.ok() ? std::move(loaded).value() : Catalog{};
  }();
  return catalog;
}

double Peak(const GpuSpec& gpu, Precision p) { return gpu.peak_flops[static_cast<std::size_t>(p)]; }

TEST(PrecisionTest, BytesAndNamesRoundTrip) {
  EXPECT_EQ(BytesPerElement(Precision::kFp4), 0.5);
  EXPECT_EQ(BytesPerElement(Precision::kFp8), 1.0);
  EXPECT_EQ(BytesPerElement(Precision::kFp16), 2.0);
  EXPECT_EQ(BytesPerElement(Precision::kBf16), 2.0);
  EXPECT_EQ(BytesPerElement(Precision::kFp32), 4.0);
  for (const std::string& name : PrecisionNames()) {
    const auto p = ParsePrecision(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(PrecisionName(*p), name);
  }
  EXPECT_EQ(PrecisionNames().size(), 5u);
  EXPECT_FALSE(ParsePrecision("int8").has_value());
}

TEST(GpuSpecTest, PeakFlopsFallsBackToNextWiderPrecision) {
  GpuSpec gpu;
  gpu.peak_flops[static_cast<std::size_t>(Precision::kBf16)] = 300;
  gpu.peak_flops[static_cast<std::size_t>(Precision::kFp32)] = 150;
  EXPECT_EQ(gpu.PeakFlops(Precision::kFp4), 300);
  EXPECT_EQ(gpu.PeakFlops(Precision::kFp8), 300);
  EXPECT_EQ(gpu.PeakFlops(Precision::kFp16), 300);
  EXPECT_EQ(gpu.PeakFlops(Precision::kFp32), 150);
  EXPECT_EQ(GpuSpec{}.PeakFlops(Precision::kFp8), 0);
  EXPECT_EQ(gpu.MatmulFormat(Precision::kFp8), Precision::kBf16);  // up-converted
  EXPECT_EQ(gpu.MatmulFormat(Precision::kFp32), Precision::kFp32);
}

TEST(CatalogTest, H100SxmHasTheSourcedNumbers) {
  const auto gpu = BuiltIn().Gpu("h100-sxm");
  ASSERT_TRUE(gpu.ok()) << gpu.error().message;
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kBf16), 989e12);
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kFp16), 989e12);
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kFp8), 1979e12);
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kFp32), 494.5e12);  // TF32 tensor cores
  EXPECT_EQ(Peak(*gpu, Precision::kFp4), 0);                     // no FP4 on Hopper...
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kFp4), 1979e12);    // ...so it runs as FP8
  EXPECT_DOUBLE_EQ(gpu->hbm_bandwidth, 3.35e12);
  EXPECT_DOUBLE_EQ(gpu->hbm_bytes, 81559.0 * 1024 * 1024);  // NVML total of an H100 80GB
  EXPECT_DOUBLE_EQ(gpu->scale_up_bandwidth, 450e9);
  EXPECT_DOUBLE_EQ(gpu->scale_out_bandwidth, 50e9);
  EXPECT_EQ(gpu->scale_up_domain, 8);
  EXPECT_DOUBLE_EQ(gpu->tdp_watts, 700);
  EXPECT_DOUBLE_EQ(gpu->achievable_matmul_flops[static_cast<std::size_t>(Precision::kBf16)],
                   794.5e12);
  EXPECT_NE(gpu->sources.find("ml-engineering"), std::string::npos);
  EXPECT_EQ(gpu->architecture, "hopper");
}

// GPUs on the same silicon share an architecture (calibrate --per-architecture fits them
// together).
TEST(CatalogTest, GpusOfOneChipShareAnArchitecture) {
  EXPECT_EQ(BuiltIn().Gpu("h200-sxm")->architecture, "hopper");
  EXPECT_EQ(BuiltIn().Gpu("gh200")->architecture, "hopper");
  EXPECT_EQ(BuiltIn().Gpu("b200")->architecture, BuiltIn().Gpu("gb200")->architecture);
  EXPECT_NE(BuiltIn().Gpu("b200")->architecture, "hopper");
}

// The GEMM ceiling is the MAMF measurement where there is one; other formats take the
// measured fraction of the nearest format of the same GPU, else the default fraction.
TEST(CatalogTest, AchievableMatmulFollowsTheMeasurements) {
  const auto h100 = BuiltIn().Gpu("h100-sxm");
  ASSERT_TRUE(h100.ok());
  EXPECT_DOUBLE_EQ(h100->AchievableMatmulFlops(Precision::kFp8), 1403e12);
  EXPECT_DOUBLE_EQ(h100->AchievableMatmulFlops(Precision::kBf16), 794.5e12);
  EXPECT_DOUBLE_EQ(h100->AchievableMatmulFlops(Precision::kFp16), 794.5e12);
  EXPECT_DOUBLE_EQ(h100->AchievableMatmulFlops(Precision::kFp4), 1403e12);  // runs as FP8
  const auto b200 = BuiltIn().Gpu("b200");
  ASSERT_TRUE(b200.ok());
  EXPECT_DOUBLE_EQ(b200->AchievableMatmulFlops(Precision::kFp4), 9000e12 * 3433.0 / 4500);
  const auto a100 = BuiltIn().Gpu("a100-sxm-80gb");
  ASSERT_TRUE(a100.ok());
  EXPECT_DOUBLE_EQ(a100->AchievableMatmulFlops(Precision::kFp16),
                   312e12 * GpuSpec::kDefaultMamfFraction);
}

TEST(CatalogTest, A100RunsFp8AtItsBf16Peak) {
  const auto gpu = BuiltIn().Gpu("a100-sxm-80gb");
  ASSERT_TRUE(gpu.ok()) << gpu.error().message;
  EXPECT_EQ(Peak(*gpu, Precision::kFp8), 0);
  EXPECT_DOUBLE_EQ(gpu->PeakFlops(Precision::kFp8), 312e12);
}

TEST(CatalogTest, EveryRequiredGpuIsPresentAndComplete) {
  for (const char* id : {"a100-sxm-80gb", "h100-sxm", "h200-sxm", "h200-nvl", "gh200", "h800",
                         "b200", "gb200", "b300", "gb300", "mi300x", "mi325x", "mi355x"}) {
    const auto gpu = BuiltIn().Gpu(id);
    ASSERT_TRUE(gpu.ok()) << id;
    EXPECT_EQ(gpu->id, id);
    EXPECT_GT(gpu->PeakFlops(Precision::kBf16), 0) << id;
    EXPECT_GT(gpu->hbm_bytes, 0) << id;
    EXPECT_GT(gpu->scale_out_bandwidth, 0) << id;
    EXPECT_FALSE(gpu->sources.empty()) << id;
  }
  EXPECT_EQ(BuiltIn().GpuIds().size(), 13u);
  EXPECT_DOUBLE_EQ(BuiltIn().Gpu("h800")->scale_up_bandwidth, 200e9);
  EXPECT_EQ(BuiltIn().Gpu("gb200")->scale_up_domain, 72);
}

TEST(CatalogTest, SystemsReferToCataloguedGpus) {
  const Catalog& c = BuiltIn();
  EXPECT_EQ(c.SystemIds().size(), 10u);
  for (const auto& [id, system] : c.systems()) {
    EXPECT_TRUE(c.Gpu(system.gpu).ok()) << id;
    EXPECT_GT(system.power_watts, 0) << id;
  }
  EXPECT_DOUBLE_EQ(c.System("hgx-h100")->power_watts, 10.2e3);
  EXPECT_DOUBLE_EQ(c.System("hgx-b200")->power_watts, 14.3e3);
  const auto nvl72 = c.System("gb200-nvl72");
  ASSERT_TRUE(nvl72.ok());
  EXPECT_EQ(nvl72->gpus, 72);
  EXPECT_EQ(nvl72->nvlink_domain, 72);
  EXPECT_DOUBLE_EQ(nvl72->power_watts, 120e3);
  EXPECT_DOUBLE_EQ(c.System("gb300-nvl72")->power_watts, 135e3);
}

TEST(CatalogTest, EngineProfilesCarryTheirDefaults) {
  const Catalog& c = BuiltIn();
  const auto trt = c.Engine("trtllm");
  ASSERT_TRUE(trt.ok()) << trt.error().message;
  EXPECT_EQ(trt->percentiles, PercentileMethod::kFloorIndex);
  EXPECT_EQ(trt->kv_block_size, 32);
  // The 0.58 ms measured for the PyTorch backend on B200 (TensorRT-LLM issue 13957); the
  // calibration keeps it and fits the rest (docs/cost-model.md, "Calibration").
  EXPECT_DOUBLE_EQ(trt->iteration_overhead_s, 0.58e-3);
  EXPECT_GT(trt->host_time_per_sequence_s, 0);
  // The TensorRT-engine runtime of older versions has its own fitted constants and the same
  // scheduler defaults.
  const auto engine = c.Engine("trtllm-engine");
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ(engine->kv_admission, "reserve_full");
  EXPECT_EQ(engine->batch_limits, "trtllm_bench");
  EXPECT_GT(engine->iteration_overhead_s, 0);
  EXPECT_LT(engine->iteration_overhead_s, 0.01);
  EXPECT_EQ(trt->kv_admission, "reserve_full");
  // Release 1.0 of the PyTorch backend schedules as the current one (and fuses the MoE
  // finalize); only its fitted constants differ.
  const auto v1 = c.Engine("trtllm-1.0");
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(v1->kv_admission, trt->kv_admission);
  EXPECT_EQ(v1->batch_limits, trt->batch_limits);
  EXPECT_EQ(v1->cuda_graph_batch_sizes, trt->cuda_graph_batch_sizes);
  EXPECT_DOUBLE_EQ(v1->iteration_overhead_s, 0.58e-3);
  EXPECT_TRUE(v1->moe_fused_finalize);
  const auto vllm = c.Engine("vllm");
  ASSERT_TRUE(vllm.ok());
  EXPECT_EQ(vllm->percentiles, PercentileMethod::kLinear);
  EXPECT_EQ(vllm->kv_block_size, 16);
  EXPECT_TRUE(vllm->chunked_prefill);
  EXPECT_EQ(vllm->kv_admission, "on_demand");
  // Only the PyTorch backend's CUTLASS MoE fuses the finalize; the KV read efficiency is 1
  // until a calibration sets it.
  EXPECT_TRUE(trt->moe_fused_finalize);
  EXPECT_FALSE(engine->moe_fused_finalize);
  EXPECT_FALSE(vllm->moe_fused_finalize);
  EXPECT_DOUBLE_EQ(vllm->kv_read_efficiency, 1.0);
  const auto sglang = c.Engine("sglang");
  ASSERT_TRUE(sglang.ok());
  EXPECT_EQ(sglang->percentiles, PercentileMethod::kLinear);
  EXPECT_GT(sglang->gemm_efficiency, 0);
  EXPECT_LE(sglang->gemm_efficiency, 1);
}

TEST(CatalogTest, UnknownIdsSuggestTheNearestOnes) {
  const auto gpu = BuiltIn().Gpu("h100");
  ASSERT_FALSE(gpu.ok());
  EXPECT_NE(gpu.error().message.find("did you mean: h100-sxm"), std::string::npos)
      << gpu.error().message;
  EXPECT_NE(gpu.error().message.find("valid: "), std::string::npos);
  const auto engine = BuiltIn().Engine("vlm");
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.error().message.find("vllm"), std::string::npos) << engine.error().message;
  EXPECT_FALSE(BuiltIn().System("hgx-h10").ok());
  const auto model = BuiltIn().Model("no-such-model");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("config.json"), std::string::npos);
}

TEST(CatalogTest, ModelsComeFromHfConfigs) {
  if (!fs::exists(kDataDir + "/catalog/models/models.yaml")) {
    GTEST_SKIP() << "data/catalog/models/models.yaml not written yet";
  }
  const auto model = BuiltIn().Model("llama-3.1-70b");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->id, "llama-3.1-70b");
  EXPECT_EQ(model->num_layers, 80);
  EXPECT_FALSE(model->source.empty());
}

TEST(CatalogTest, DefaultDataDirHonoursTheEnvironment) {
  const char* saved = std::getenv("TOKENFAB_DATA");
  const std::string restore = saved ? saved : "";
  setenv("TOKENFAB_DATA", "/some/where", 1);
  EXPECT_EQ(Catalog::DefaultDataDir(), "/some/where");
  unsetenv("TOKENFAB_DATA");
  EXPECT_TRUE(fs::is_directory(Catalog::DefaultDataDir()));
  if (saved) setenv("TOKENFAB_DATA", restore.c_str(), 1);
}

}  // namespace
}  // namespace tokenfab
