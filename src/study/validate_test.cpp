#include "tokenfab/study/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "tokenfab/study/simulate.h"
#include "tokenfab/study/validation_report.h"

namespace tokenfab {
namespace {

const std::string kHeader =
    "id,simulatable,model,gpu,num_gpus,tp,pp,ep,attention_dp,replicas,precision,framework,"
    "scenario,concurrency,rate,num_requests,input_tokens,output_tokens,metric,value,source\n";

// Two rows a small catalog model can run quickly, and one whose model is not in the catalog.
const std::string kTinyTable =
    kHeader +
    "t-1,1,llama-3.1-8b,h100-sxm,1,,,,0,,fp8,trtllm,offline,,,300,128,128,"
    "throughput.output_tokens_per_s,10000,\"vendor page, table 1\"\n"
    "t-2,1,llama-3.1-8b,h100-sxm,2,2,1,1,0,1,bf16,other,poisson,,2.5,100,467,64,"
    "latency.ttft_ms.mean,50,blog\n"
    "t-3,1,no-such-model,h100-sxm,1,1,1,1,0,1,fp8,trtllm,offline,,,100,128,128,"
    "throughput.output_tokens_per_s,1000,blog\n";

class Validate : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
    ASSERT_TRUE(c) << c.error().message;
    catalog_ = std::make_unique<Catalog>(std::move(c).value());
    auto rows = ParseMeasuredRows(kTinyTable, "tiny.csv");
    ASSERT_TRUE(rows) << rows.error().message;
    rows_ = *rows;
  }
  std::unique_ptr<Catalog> catalog_;
  std::vector<MeasuredRow> rows_;
};

TEST_F(Validate, RowScenarioMapsTheColumns) {
  auto s = RowScenario(rows_[0], 2000);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->parallelism.tp, 1);  // tp = num_gpus when no parallelism is given
  EXPECT_EQ(s->engine, "trtllm");
  EXPECT_EQ(s->workload_kind, "offline");
  EXPECT_EQ(s->workload.num_requests, 300);
  EXPECT_EQ(s->workload.input.mean, 128);
  auto capped = RowScenario(rows_[0], 50);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->workload.num_requests, 50);
  auto other = RowScenario(rows_[1], 2000);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->engine, "vllm");  // framework "other" runs the vLLM profile
  EXPECT_EQ(other->parallelism.tp, 2);
  EXPECT_EQ(other->workload_kind, "poisson");
  EXPECT_DOUBLE_EQ(other->workload.rate, 2.5);
  EXPECT_EQ(other->weights_precision, "bf16");
}

// The file `validate --scenario ID` prints parses to the scenario validate runs, settings and all.
TEST_F(Validate, RowScenarioFileMergesTheRowSettings) {
  MeasuredRow row = rows_[0];
  row.settings = {"engine.profile=trtllm-1.0", "parallelism.attention_dp=true",
                  "engine.cuda_graph_batch_sizes=[1, 2, 4]"};
  auto text = RowScenarioFile(row, 2000);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(text->rfind("# measured row t-1: throughput.output_tokens_per_s = 10000\n", 0), 0u)
      << *text;
  EXPECT_NE(text->find("cuda_graph_batch_sizes: [1, 2, 4]"), std::string::npos) << *text;
  auto parsed = ParseScenario(*text, "printed");
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto direct = RowScenario(row, 2000);
  ASSERT_TRUE(direct) << direct.error().message;
  EXPECT_EQ(parsed->engine, "trtllm-1.0");
  EXPECT_EQ(parsed->engine, direct->engine);
  EXPECT_EQ(parsed->parallelism.attention_dp, direct->parallelism.attention_dp);
  EXPECT_TRUE(parsed->parallelism.attention_dp);
  EXPECT_EQ(parsed->workload.num_requests, direct->workload.num_requests);
  EXPECT_EQ(parsed->cuda_graph_batch_sizes, (std::vector<int>{1, 2, 4}));
  MeasuredRow unsimulatable = rows_[0];
  unsimulatable.simulatable = false;
  EXPECT_FALSE(RowScenarioFile(unsimulatable, 2000));
}

TEST_F(Validate, ClosedLoopRowsNeedAConcurrency) {
  MeasuredRow row = rows_[0];
  row.scenario = "closed";
  EXPECT_FALSE(RowScenario(row, 2000));
  row.concurrency = 8;
  row.num_requests.reset();
  auto s = RowScenario(row, 2000);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->workload.concurrency, 8);
  EXPECT_EQ(s->workload.num_requests, 80);
}

TEST_F(Validate, PredictionsAndApeAreExact) {
  ValidateOptions options;
  options.threads = 2;
  const ValidationRun run = RunValidation(rows_, *catalog_, options);
  ASSERT_EQ(run.rows.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const RowOutcome& o = run.rows[i];
    ASSERT_TRUE(o.simulated) << o.row.id << ": " << o.skip_reason;
    auto resolved = ResolveScenario(*RowScenario(o.row, options.max_requests), *catalog_);
    ASSERT_TRUE(resolved);
    auto sim = RunSimulate(*resolved);
    ASSERT_TRUE(sim);
    EXPECT_DOUBLE_EQ(o.predicted, *MetricValue(sim->json, o.row.metric)) << o.row.id;
    EXPECT_GT(o.predicted, 0);
    EXPECT_DOUBLE_EQ(o.ape, 100 * std::abs(o.predicted - o.row.value) / o.row.value);
  }
}

// A row's settings override what its columns imply, and the report shows both: the request
// count of the columns and every setting, so each simulated condition can be read off the table.
TEST_F(Validate, RowSettingsApplyAndShowInTheReport) {
  std::vector<MeasuredRow> rows = {rows_[0]};
  rows[0].settings = {"workload.num_requests=40"};
  auto s = RowScenario(rows[0], 2000);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->workload.num_requests, 40);
  ValidateOptions options;
  options.threads = 1;
  const std::string md = ValidationMarkdown(RunValidation(rows, *catalog_, options), "cmd");
  EXPECT_NE(md.find("| offline 128/128, 300 req | workload.num_requests=40 |"), std::string::npos)
      << md;
}

TEST_F(Validate, UnknownModelIsSkippedWithTheReason) {
  const ValidationRun run = RunValidation(rows_, *catalog_, ValidateOptions{});
  const RowOutcome& o = run.rows[2];
  EXPECT_FALSE(o.simulated);
  EXPECT_NE(o.skip_reason.find("no-such-model"), std::string::npos) << o.skip_reason;
  const nlohmann::json j = ValidationJson(run);
  ASSERT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["skipped"][0]["id"], "t-3");
  EXPECT_EQ(j["rows"].size(), 2u);
}

TEST_F(Validate, OptionsSelectRows) {
  ValidateOptions options;
  options.filter = "t-2";
  EXPECT_FALSE(RowSelected(rows_[0], options));
  EXPECT_TRUE(RowSelected(rows_[1], options));
  options = {};
  options.metric_class = "ttft";
  EXPECT_TRUE(RowSelected(rows_[1], options));
  EXPECT_FALSE(RowSelected(rows_[0], options));
  options = {};
  options.split = "holdout";
  rows_[0].split = "holdout";
  EXPECT_TRUE(RowSelected(rows_[0], options));
  EXPECT_FALSE(RowSelected(rows_[1], options));
}

TEST(MetricValue, ReadsDottedPathsAndDerivedMetrics) {
  const nlohmann::json j = {
      {"throughput", {{"input_tokens_per_s", 300.0}, {"output_tokens_per_s", 100.0}}},
      {"latency", {{"ttft_ms", {{"mean", 12.5}}}}}};
  EXPECT_DOUBLE_EQ(*MetricValue(j, "latency.ttft_ms.mean"), 12.5);
  EXPECT_DOUBLE_EQ(*MetricValue(j, "throughput.total_tokens_per_s"), 400.0);
  EXPECT_FALSE(MetricValue(j, "latency.ttft_ms.p99"));
  EXPECT_EQ(MetricClassOf("latency.itl_ms.mean"), "tpot");
  EXPECT_EQ(MetricClassOf("throughput.total_tokens_per_s"), "throughput");
}

TEST(Summaries, GroupByDimension) {
  auto outcome = [](const char* gpu, const char* metric, const char* split, double ape) {
    RowOutcome o;
    o.row.gpu = gpu;
    o.row.metric = metric;
    o.row.split = split;
    o.row.framework = "trtllm";
    o.row.value = 100;
    o.predicted = 100 + ape;
    o.ape = ape;
    o.simulated = true;
    return o;
  };
  const std::vector<RowOutcome> rows = {
      outcome("a", "throughput.output_tokens_per_s", "holdout", 10),
      outcome("a", "throughput.output_tokens_per_s", "holdout", 30),
      outcome("b", "latency.ttft_ms.mean", "fit", 50),
  };
  std::vector<RowOutcome> with_profiles = rows;
  with_profiles[1].row.settings = {"engine.profile=trtllm-1.0"};
  const auto s = Summaries(with_profiles);
  ASSERT_EQ(s[0].dimension, "overall");
  EXPECT_EQ(s[0].errors.count, 3);
  EXPECT_DOUBLE_EQ(s[0].errors.median_ape, 30);
  const ErrorSummary goal = HoldoutThroughput(rows);
  EXPECT_EQ(goal.count, 2);
  EXPECT_DOUBLE_EQ(goal.median_ape, 20);
  EXPECT_FALSE(MeetsGoal(goal));
  bool found = false;
  for (const GroupSummary& g : s) {
    if (g.dimension == "gpu" && g.value == "b") {
      found = true;
      EXPECT_EQ(g.errors.count, 1);
      EXPECT_DOUBLE_EQ(g.errors.max_ape, 50);
    }
  }
  EXPECT_TRUE(found);
  // The profile dimension follows the row's engine.profile setting, else its framework's.
  std::map<std::string, int> by_profile;
  for (const GroupSummary& g : s) {
    if (g.dimension == "profile") by_profile[g.value] = g.errors.count;
  }
  EXPECT_EQ(by_profile, (std::map<std::string, int>{{"trtllm", 2}, {"trtllm-1.0", 1}}));
}

}  // namespace
}  // namespace tokenfab
