#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "report_test_util.h"
#include "tokenfab/io/report.h"
#include "tokenfab/io/web_assets.h"

namespace tokenfab {
namespace {

using testing::HandMadeResult;
using testing::SmallSimulation;

int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

double Sum(const nlohmann::json& values) {
  double s = 0;
  for (const auto& v : values) s += v.is_number() ? v.get<double>() : 0.0;
  return s;
}

TEST(SimulationChartDataTest, CdfsHoldEveryFinishedRequest) {
  const nlohmann::json d = SimulationChartData(HandMadeResult(), 10);
  // TTFTs 200 and 200 ms; E2Es 1000 and 200 ms; one TPOT (800 ms / 8 tokens).
  EXPECT_EQ(d["cdf"]["ttft_ms"], nlohmann::json::parse("[[200, 0.5], [200, 1]]"));
  EXPECT_EQ(d["cdf"]["e2e_ms"], nlohmann::json::parse("[[200, 0.5], [1000, 1]]"));
  EXPECT_EQ(d["cdf"]["tpot_ms"], nlohmann::json::parse("[[100, 1]]"));
}

TEST(SimulationChartDataTest, TimeSeriesConserveTokensAndRequestTime) {
  const nlohmann::json d = SimulationChartData(HandMadeResult(), 10);
  const nlohmann::json& s = d["series"];
  ASSERT_EQ(s["t_s"].size(), 10u);  // 0 to 1 s in buckets of 100 ms
  EXPECT_DOUBLE_EQ(d["bucket_s"].get<double>(), 0.1);
  for (const char* key : {"output_tokens_per_s", "in_system", "waiting", "kv_utilization",
                          "kv_utilization_max", "batch_sequences", "batch_tokens"}) {
    EXPECT_EQ(s[key].size(), 10u) << key;
  }
  // Every output token lands in some bucket: 9 + 1.
  EXPECT_NEAR(Sum(s["output_tokens_per_s"]) * 0.1, 10.0, 1e-9);
  // Little's law over the run: requests x seconds in the system = 1.0 + 0.2 + 0.5 (unfinished).
  EXPECT_NEAR(Sum(s["in_system"]) * 0.1, 1.7, 1e-9);
  // Waiting for a first token: 0.2 + 0.2 + 0.5.
  EXPECT_NEAR(Sum(s["waiting"]) * 0.1, 0.9, 1e-9);
  // Iterations end at 200, 300, 600 and 1000 ms; buckets with none are null.
  EXPECT_TRUE(s["batch_sequences"][0].is_null());
  EXPECT_DOUBLE_EQ(s["kv_utilization"][9].get<double>(), 0.11);
}

TEST(SimulationChartDataTest, BigRunsStayWithinThePointBudget) {
  const SimulateOutput out = SmallSimulation(200);
  const nlohmann::json d = SimulationChartData(out.result, 300);
  EXPECT_EQ(d["series"]["t_s"].size(), 300u);
  EXPECT_LE(d["cdf"]["ttft_ms"].size(), static_cast<std::size_t>(kCdfPoints));
  const double tokens = Sum(d["series"]["output_tokens_per_s"]) * d["bucket_s"].get<double>();
  EXPECT_NEAR(tokens, out.result.metrics.output_tokens, 1e-3 * out.result.metrics.output_tokens);
}

TEST(ReportHtmlTest, SimulationReportIsOneSelfContainedPage) {
  const SimulateOutput out = SmallSimulation();
  const std::string html = SimulationReportHtml(out.json, out.result);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find(R"("kind":"simulation")"), std::string::npos);
  EXPECT_NE(html.find(R"("output_tokens_per_s")"), std::string::npos);
  EXPECT_NE(html.find(out.json["config"]["model"].get<std::string>()), std::string::npos);
  EXPECT_NE(html.find(std::string(ReportBundleJs())), std::string::npos);
  // Nothing is fetched: no script, stylesheet or image from a URL.
  EXPECT_FALSE(std::regex_search(
      html, std::regex(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase)));
  EXPECT_EQ(Count(html, "<script"), 2);
  EXPECT_EQ(Count(html, "</script"), 2);
}

TEST(ReportHtmlTest, DataCannotCloseTheScriptElement) {
  nlohmann::json metrics = {{"config", {{"model", "</script><script>alert(1)</script>"}}}};
  const std::string html = SimulationReportHtml(metrics, HandMadeResult());
  EXPECT_EQ(Count(html, "</script"), 2);
  EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert(1)"), std::string::npos);
}

TEST(ReportHtmlTest, BundleHoldsTheChartLibraryAndNoClosingScriptTag) {
  const std::string_view js = ReportBundleJs();
  EXPECT_GT(js.size(), 50'000u);  // Chart.js itself
  EXPECT_EQ(Count(std::string(js), "</script"), 0);
  EXPECT_EQ(Count(std::string(AppBundleJs()), "</script"), 0);
  EXPECT_NE(std::string(AppPageHtml()).find("app.js"), std::string::npos);
}

TEST(ReportHtmlTest, ValidationReportCarriesTheRows) {
  const nlohmann::json v = {{"rows",
                             {{{"id", "h100-llama70b-row"},
                               {"metric", "throughput.output_tokens_per_s"},
                               {"measured", 1000.0},
                               {"predicted", 1100.0},
                               {"split", "holdout"},
                               {"ape_pct", 10.0}}}},
                            {"summaries", nlohmann::json::array()}};
  const std::string html = ValidationReportHtml(v);
  EXPECT_NE(html.find(R"("kind":"validation")"), std::string::npos);
  EXPECT_NE(html.find("h100-llama70b-row"), std::string::npos);
  EXPECT_EQ(Count(html, "</script"), 2);
}

}  // namespace
}  // namespace tokenfab
