// Every scenario in examples/ runs (with few requests), so the files users start from stay valid.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ExampleFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(TOKENFAB_SOURCE_DIR) / "examples")) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Examples, EveryExampleRuns) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const std::vector<std::string> files = ExampleFiles();
  ASSERT_FALSE(files.empty());
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    auto scenario = LoadScenario(file, {"workload.num_requests=100"});
    if (!scenario) {
      ADD_FAILURE() << scenario.error().message;
      continue;
    }
    auto resolved = ResolveScenario(*scenario, *catalog);
    if (!resolved) {
      ADD_FAILURE() << resolved.error().message;
      continue;
    }
    auto out = RunSimulate(*resolved);
    if (!out) {
      ADD_FAILURE() << out.error().message;
      continue;
    }
    EXPECT_EQ(out->result.metrics.requests_completed, 100);
    EXPECT_GT(out->result.metrics.output_tokens_per_s, 0);
  }
}

}  // namespace
}  // namespace tokenfab
