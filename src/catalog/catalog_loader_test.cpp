// Error reporting of the catalog loader, on a tiny catalog written to a temporary directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tokenfab/catalog/catalog.h"

namespace tokenfab {
namespace {

namespace fs = std::filesystem;

constexpr char kGpus[] = R"(gpus:
  test-gpu:
    name: Test GPU
    vendor: Test
    bf16_dense: 100 TFLOPS
    hbm: 10 GB
    hbm_bandwidth: 1 TB/s
    scale_up_bandwidth: 100 GB/s
    scale_up_domain: 8
    scale_out_bandwidth: 50 GB/s
    tdp: 500 W
    sources: unit test
)";

constexpr char kSystems[] = R"(systems:
  test-node:
    name: Test node
    gpu: test-gpu
    gpus: 8
    nvlink_domain: 8
    power: 6 kW
    sources: unit test
)";

constexpr char kEngines[] = R"(engines:
  test-engine:
    name: Test engine
    max_batch_size: 64
    max_num_tokens: 4096
    kv_block_size: 16
    chunked_prefill: true
    gpu_memory_fraction: 0.9
    percentiles: linear
    kv_admission: on_demand
    iteration_overhead: 0.1 ms
    per_sequence_overhead: 0 us
    gemm_efficiency: 0.7
    attention_efficiency: 0.5
    memory_efficiency: 0.8
    network_efficiency: 0.8
    collective_latency: 5 us
    sources: unit test
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class CatalogLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("tokenfab_catalog_") + info->name() + "_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "catalog");
    Write("gpus.yaml", kGpus);
    Write("systems.yaml", kSystems);
    Write("engines.yaml", kEngines);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "catalog" / name) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / "catalog" / name).string(); }

  // The error message of a load expected to fail.
  std::string LoadError() {
    const Result<Catalog> catalog = Catalog::Load(dir_.string());
    EXPECT_FALSE(catalog.ok());
    return catalog.ok() ? "" : catalog.error().message;
  }

  fs::path dir_;
};

TEST_F(CatalogLoaderTest, MinimalCatalogLoads) {
  const Result<Catalog> catalog = Catalog::Load(dir_.string());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_DOUBLE_EQ(catalog->Gpu("test-gpu")->PeakFlops(Precision::kFp8), 100e12);
  EXPECT_DOUBLE_EQ(catalog->System("test-node")->power_watts, 6e3);
  EXPECT_DOUBLE_EQ(catalog->Engine("test-engine")->iteration_overhead_s, 1e-4);
  EXPECT_TRUE(catalog->models().empty());  // no models.yaml: models are optional
  EXPECT_EQ(catalog->data_dir(), dir_.string());
}

TEST_F(CatalogLoaderTest, BrokenYamlNamesFileAndLine) {
  Write("gpus.yaml", "gpus:\n  test-gpu:\n    name: [unclosed\n    vendor: Test\n");
  const std::string error = LoadError();
  // yaml-cpp reports the unclosed flow sequence where it gives up, at the next key.
  EXPECT_NE(error.find(Path("gpus.yaml") + ":4: invalid YAML"), std::string::npos) << error;
}

TEST_F(CatalogLoaderTest, UnknownKeyNamesKeyAndValidKeys) {
  Write("gpus.yaml", Replace(kGpus, "hbm_bandwidth:", "hbm_bandwith:"));
  const std::string error = LoadError();
  EXPECT_NE(error.find(Path("gpus.yaml") + ":7: gpu 'test-gpu'"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown key 'hbm_bandwith'"), std::string::npos) << error;
  EXPECT_NE(error.find("(did you mean: hbm, hbm_bandwidth?)"), std::string::npos) << error;
  EXPECT_NE(error.find("valid: "), std::string::npos) << error;
  EXPECT_NE(error.find("scale_out_bandwidth"), std::string::npos) << error;
}

TEST_F(CatalogLoaderTest, UnknownUnitNamesTheUnit) {
  Write("gpus.yaml", Replace(kGpus, "1 TB/s", "1 TB/sec"));
  const std::string error = LoadError();
  EXPECT_NE(error.find(Path("gpus.yaml") + ":7"), std::string::npos) << error;
  EXPECT_NE(error.find("key 'hbm_bandwidth'"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown unit 'TB/sec'"), std::string::npos) << error;
}

TEST_F(CatalogLoaderTest, CudaGraphSizesMustIncrease) {
  Write("engines.yaml",
        Replace(kEngines, "    sources:", "    cuda_graph_batch_sizes: [1, 8, 4]\n    sources:"));
  const std::string error = LoadError();
  EXPECT_NE(error.find(Path("engines.yaml") + ":18"), std::string::npos) << error;
  EXPECT_NE(error.find("key 'cuda_graph_batch_sizes': sizes must increase, got 4 after 8"),
            std::string::npos)
      << error;
  Write("engines.yaml",
        Replace(kEngines, "    sources:", "    cuda_graph_batch_sizes: [1, 8, 16]\n    sources:"));
  const Result<Catalog> catalog = Catalog::Load(dir_.string());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_EQ(catalog->Engine("test-engine")->cuda_graph_batch_sizes, (std::vector<int>{1, 8, 16}));
}

TEST_F(CatalogLoaderTest, BareNumberNeedsAUnit) {
  Write("gpus.yaml", Replace(kGpus, "hbm: 10 GB", "hbm: 10"));
  EXPECT_NE(LoadError().find("needs a unit, e.g. '80 GB'"), std::string::npos);
}

TEST_F(CatalogLoaderTest, MissingKeyIsNamed) {
  Write("gpus.yaml", Replace(kGpus, "    tdp: 500 W\n", ""));
  EXPECT_NE(LoadError().find("missing key 'tdp'"), std::string::npos);
}

TEST_F(CatalogLoaderTest, DuplicateKeyIsRejected) {
  Write("gpus.yaml", Replace(kGpus, "    tdp: 500 W\n", "    tdp: 500 W\n    tdp: 600 W\n"));
  EXPECT_NE(LoadError().find("duplicate key 'tdp'"), std::string::npos);
}

TEST_F(CatalogLoaderTest, EveryNumberNeedsASource) {
  Write("gpus.yaml", Replace(kGpus, "sources: unit test",
                             "sources:\n      hbm: datasheet\n      tdp: datasheet"));
  const std::string error = LoadError();
  EXPECT_NE(error.find("no source for 'bf16_dense'"), std::string::npos) << error;
  Write("gpus.yaml", Replace(kGpus, "sources: unit test",
                             "sources:\n      default: datasheet\n      fp8_dense: x"));
  EXPECT_NE(LoadError().find("unknown field set by this entry 'fp8_dense'"), std::string::npos);
  Write("gpus.yaml", Replace(kGpus, "sources: unit test",
                             "sources:\n      default: spec page\n      tdp: datasheet"));
  const Result<Catalog> catalog = Catalog::Load(dir_.string());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_EQ(catalog->Gpu("test-gpu")->sources, "default: spec page; tdp: datasheet");
}

TEST_F(CatalogLoaderTest, SystemWithUnknownGpuSuggestsOne) {
  Write("systems.yaml", Replace(kSystems, "gpu: test-gpu", "gpu: test-gpx"));
  const std::string error = LoadError();
  EXPECT_NE(error.find(Path("systems.yaml") + ":4"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown gpu 'test-gpx' (did you mean: test-gpu?)"), std::string::npos)
      << error;
}

TEST_F(CatalogLoaderTest, EngineValuesAreValidated) {
  Write("engines.yaml", Replace(kEngines, "percentiles: linear", "percentiles: nearest"));
  EXPECT_NE(LoadError().find("valid: linear, floor_index"), std::string::npos);
  Write("engines.yaml", Replace(kEngines, "kv_admission: on_demand", "kv_admission: reserve"));
  EXPECT_NE(LoadError().find("did you mean: reserve_full"), std::string::npos);
  Write("engines.yaml", Replace(kEngines, "gemm_efficiency: 0.7", "gemm_efficiency: 70"));
  EXPECT_NE(LoadError().find("fraction in (0, 1]"), std::string::npos);
  Write("engines.yaml", Replace(kEngines, "chunked_prefill: true", "chunked_prefill: maybe"));
  EXPECT_NE(LoadError().find("expected true or false"), std::string::npos);
  Write("engines.yaml", Replace(kEngines, "max_batch_size: 64", "max_batch_size: 6.4"));
  EXPECT_NE(LoadError().find("expected a positive integer"), std::string::npos);
}

TEST_F(CatalogLoaderTest, MissingFileAndUnknownTopLevelKey) {
  fs::remove(Path("engines.yaml"));
  EXPECT_NE(LoadError().find(Path("engines.yaml") + ": cannot read"), std::string::npos);
  Write("engines.yaml", std::string(kEngines) + "engine:\n  x: 1\n");
  EXPECT_NE(LoadError().find("unknown top-level key 'engine' (did you mean: engines"),
            std::string::npos);
}

TEST_F(CatalogLoaderTest, ModelsYamlNamesABadConfigPath) {
  fs::create_directories(dir_ / "catalog" / "models");
  Write("models/models.yaml",
        "models:\n  m:\n    name: M\n    config: missing.json\n    source: test\n");
  const std::string error = LoadError();
  EXPECT_NE(error.find(Path("models/models.yaml") + ":4: model 'm' key 'config'"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace tokenfab
