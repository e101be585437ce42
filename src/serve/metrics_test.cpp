#include "tokenfab/serve/metrics.h"

#include <gtest/gtest.h>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

TEST(MetricsClasses, TwoClassesSplitTheRunAndEachUsesItsOwnSlos) {
  ToyDeployment toy;
  ServeConfig& c = toy.config;
  c.workload.num_requests = 40;  // offline: all at t = 0, batched together
  c.workload.input = ToyDeployment::Fixed(100);
  c.workload.output = ToyDeployment::Fixed(11);
  RequestClass chat;
  chat.name = "chat";
  chat.slo_ttft_ms = 15;  // met: first tokens after one 10 ms iteration
  RequestClass batch;
  batch.name = "batch";
  batch.has_output = true;
  batch.output = ToyDeployment::Fixed(51);
  batch.slo_tpot_ms = 5;  // missed: a decode step takes 10 ms
  c.workload.classes = {chat, batch};
  c.slo_ttft_ms = 1000;
  const ServeMetrics m = toy.Run().metrics;
  ASSERT_EQ(m.classes.size(), 2u);
  const ClassMetrics& a = m.classes[0];
  const ClassMetrics& b = m.classes[1];
  EXPECT_EQ(a.name, "chat");
  EXPECT_EQ(b.name, "batch");
  EXPECT_GT(a.completed, 5);
  EXPECT_GT(b.completed, 5);
  EXPECT_EQ(a.completed + b.completed, m.requests_completed);
  EXPECT_EQ(a.output_tokens, 11 * a.completed);
  EXPECT_EQ(b.output_tokens, 51 * b.completed);
  EXPECT_DOUBLE_EQ(a.ttft_ms.p99, 10.0);
  EXPECT_DOUBLE_EQ(a.e2e_ms.mean, 110.0);
  EXPECT_DOUBLE_EQ(b.e2e_ms.mean, 510.0);
  EXPECT_DOUBLE_EQ(b.tpot_ms.p50, 10.0);
  EXPECT_DOUBLE_EQ(m.span_s, 0.51);
  EXPECT_DOUBLE_EQ(a.requests_per_s, a.completed / 0.51);
  EXPECT_DOUBLE_EQ(a.goodput_requests_per_s, a.requests_per_s);
  EXPECT_EQ(b.goodput_requests_per_s, 0.0);
  EXPECT_DOUBLE_EQ(m.goodput_requests_per_s, a.goodput_requests_per_s);  // per-class SLOs
}

TEST(MetricsClasses, NoClassesNoClassMetricsAndNoWindowsByDefault) {
  ToyDeployment toy;
  toy.config.workload.num_requests = 2;
  toy.config.workload.input = ToyDeployment::Fixed(10);
  toy.config.workload.output = ToyDeployment::Fixed(2);
  const ServeMetrics m = toy.Run().metrics;
  EXPECT_TRUE(m.classes.empty());
  EXPECT_TRUE(m.windows.empty());
}

TEST(MetricsWindows, OneRequestByHand) {
  ToyDeployment toy;
  toy.config.window_s = 0.05;
  toy.config.workload.num_requests = 1;
  toy.config.workload.input = ToyDeployment::Fixed(100);
  toy.config.workload.output = ToyDeployment::Fixed(10);  // first token at 10 ms, done at 100 ms
  const ServeMetrics m = toy.Run().metrics;
  ASSERT_EQ(m.windows.size(), 3u);
  const WindowMetrics& w0 = m.windows[0];
  EXPECT_DOUBLE_EQ(w0.start_s, 0.0);
  EXPECT_DOUBLE_EQ(w0.end_s, 0.05);
  EXPECT_EQ(w0.arrivals, 1);
  EXPECT_EQ(w0.first_tokens, 1);
  EXPECT_DOUBLE_EQ(w0.ttft_p50_ms, 10.0);
  EXPECT_DOUBLE_EQ(w0.ttft_p99_ms, 10.0);
  EXPECT_EQ(w0.output_tokens, 4);  // iterations ending at 10, 20, 30 and 40 ms
  EXPECT_DOUBLE_EQ(w0.output_tokens_per_s, 80.0);
  EXPECT_DOUBLE_EQ(w0.mean_in_system, 1.0);
  EXPECT_EQ(m.windows[1].output_tokens, 5);  // 50 ... 90 ms
  EXPECT_EQ(m.windows[1].completed, 0);
  EXPECT_DOUBLE_EQ(m.windows[1].mean_in_system, 1.0);
  EXPECT_EQ(m.windows[1].first_tokens, 0);
  EXPECT_EQ(m.windows[1].ttft_p99_ms, 0.0);
  EXPECT_EQ(m.windows[2].output_tokens, 1);  // the last token, at 100 ms
  EXPECT_EQ(m.windows[2].completed, 1);
  EXPECT_DOUBLE_EQ(m.windows[2].mean_in_system, 0.0);
}

TEST(MetricsWindows, WindowsTileTheRunAndSumToTheTotals) {
  ToyDeployment toy;
  ServeConfig& c = toy.config;
  c.window_s = 1.0;
  c.replicas = 2;
  c.router = RouterPolicy::kLeastOutstanding;
  c.workload.kind = WorkloadSpec::Kind::kPoisson;
  c.workload.rate = 40;
  c.workload.num_requests = 1500;
  c.workload.input = {LengthDistribution::Kind::kLogNormal, 800, 0.7, 1, 8000};
  c.workload.output = {LengthDistribution::Kind::kLogNormal, 150, 0.7, 1, 1500};
  const ServeMetrics m = toy.Run().metrics;
  ASSERT_FALSE(m.windows.empty());
  std::int64_t arrivals = 0, first = 0, completed = 0, tokens = 0;
  double area = 0;
  for (std::size_t i = 0; i < m.windows.size(); ++i) {
    const WindowMetrics& w = m.windows[i];
    EXPECT_DOUBLE_EQ(w.start_s, static_cast<double>(i));
    EXPECT_DOUBLE_EQ(w.end_s, static_cast<double>(i + 1));
    EXPECT_LE(w.ttft_p50_ms, w.ttft_p99_ms);
    arrivals += w.arrivals;
    first += w.first_tokens;
    completed += w.completed;
    tokens += w.output_tokens;
    area += w.mean_in_system * (w.end_s - w.start_s);
  }
  EXPECT_EQ(arrivals, 1500);
  EXPECT_EQ(first, 1500);
  EXPECT_EQ(completed, m.requests_completed);
  EXPECT_EQ(tokens, m.output_tokens);
  EXPECT_NEAR(area / m.span_s, m.mean_in_system, 1e-9 * m.mean_in_system);
  EXPECT_GE(m.windows.back().end_s, m.simulated_s);
  EXPECT_LT(m.windows.back().start_s, m.simulated_s);
}

}  // namespace
}  // namespace tokenfab
