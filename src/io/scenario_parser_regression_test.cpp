// Scenarios that once crashed or hung tokenfab (UBSan: signed overflow of SimTime in the metrics
// collector; tens of millions of metric windows; exponential copies of deployments). The same
// inputs are in fuzz/corpus/scenario/regression_*.yaml.
#include <gtest/gtest.h>

#include <string>

#include "tokenfab/io/scenario.h"

namespace tokenfab {
namespace {

constexpr char kBase[] =
    "model: llama-3.1-8b\n"
    "parallelism: {tp: 1}\n";

// The error of parsing kBase + `yaml`; "<ok>" when it parses.
std::string ParseError(const std::string& yaml) {
  const Result<Scenario> s = ParseScenario(kBase + yaml, "s.yaml");
  return s.ok() ? "<ok>" : s.error().message;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// 3 requests at 1e-300 per second arrived ~1e300 s apart: llround overflowed SimTime.
TEST(ScenarioParserRegression, RateTooLowForSimulatedTimeIsRefused) {
  const std::string e = ParseError("workload: {kind: poisson, rate: 1e-300, num_requests: 3}\n");
  EXPECT_TRUE(Contains(e, "s.yaml:3: key 'workload.rate'")) << e;
  EXPECT_TRUE(Contains(e, "at most 1e+08 s")) << e;
  EXPECT_EQ(ParseError("workload: {kind: poisson, rate: 1e-7, num_requests: 10}\n"), "<ok>");
  // Closed loops and offline batches do not use the rate.
  EXPECT_EQ(ParseError("workload: {kind: closed, rate: 1e-300, num_requests: 3}\n"), "<ok>");
}

// cv 1e300 made the gamma shape 1 / cv^2 zero and every inter-arrival time NaN.
TEST(ScenarioParserRegression, GammaCvTooLargeIsRefused) {
  const std::string e = ParseError("workload: {kind: gamma, rate: 1, cv: 1e300}\n");
  EXPECT_TRUE(Contains(e, "key 'workload.cv' must be a number > 0 and at most 100")) << e;
  EXPECT_EQ(ParseError("workload: {kind: gamma, rate: 1, cv: 100}\n"), "<ok>");
}

// A KV transfer of 1e300 s, or at 1e-300 B/s, overflowed SimTime; a negative one ended the run
// with requests stuck ("internal error: ... requests outstanding").
TEST(ScenarioParserRegression, KvTransferOutOfRangeIsRefused) {
  const std::string serving = "serving: {mode: disaggregated, kv_transfer: ";
  EXPECT_TRUE(
      Contains(ParseError(serving + "{latency: 1e300 s}}\n"),
               "key 'serving.kv_transfer.latency' must be from 0 to 3600 s, got '1e300 s'"));
  EXPECT_TRUE(Contains(ParseError(serving + "{latency: -5 s}}\n"),
                       "key 'serving.kv_transfer.latency' must be from 0 to 3600 s"));
  EXPECT_TRUE(Contains(ParseError(serving + "{bandwidth: 1e-300 B/s}}\n"),
                       "key 'serving.kv_transfer.bandwidth' must be at least 1 MB/s"));
  EXPECT_TRUE(Contains(ParseError(serving + "{bandwidth: -5 GB/s}}\n"),
                       "key 'serving.kv_transfer.bandwidth' must be at least 1 MB/s"));
  EXPECT_EQ(ParseError(serving + "{bandwidth: 50 GB/s, latency: 5 us}}\n"), "<ok>");
}

// A window of 1e-300 s became 1 ns windows: tens of millions of them for a short run.
TEST(ScenarioParserRegression, MetricsWindowTooShortIsRefused) {
  const std::string e = ParseError("metrics: {window_s: 1e-300}\n");
  EXPECT_TRUE(Contains(e, "key 'metrics.window_s' must be 0 (off) or at least 0.001 s")) << e;
  EXPECT_EQ(ParseError("metrics: {window_s: 0}\n"), "<ok>");
  EXPECT_EQ(ParseError("metrics: {window_s: 0.5}\n"), "<ok>");
}

// Each deployment was read from a copy of the scenario holding the deployments read before it:
// 2^n copies, 20 deployments (a 400-byte file) took 129 s and 3.3 GB.
TEST(ScenarioParserRegression, DeploymentsDoNotCopyEachOther) {
  std::string yaml = std::string(kBase) + "deployments:\n";
  constexpr int kDeployments = 40;
  for (int i = 1; i <= kDeployments; ++i) {
    yaml += "  - {name: d" + std::to_string(i) +
            ", difficulty_max: " + std::to_string(static_cast<double>(i) / kDeployments) + "}\n";
  }
  const Result<Scenario> s = ParseScenario(yaml, "s.yaml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->deployments.size(), static_cast<std::size_t>(kDeployments));
  for (const Scenario& d : s->deployments) EXPECT_TRUE(d.deployments.empty()) << d.deployment_name;
}

}  // namespace
}  // namespace tokenfab
