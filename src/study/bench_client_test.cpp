// `tokenfab bench` against `tokenfab emulate` on 127.0.0.1: the measurement agrees with the
// twin's prediction for the same scenario, closed and open loop, and the emulator answers 500
// concurrent streams and reports them in /metrics.
#include "tokenfab/study/bench_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <regex>
#include <thread>

#include "emulate_testing.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

using emulate_testing::BenchAt;
using emulate_testing::Resolve;
using emulate_testing::StartEmulator;

// Llama-3.1-70B in BF16 on two H200 (TP2): a decode step takes ~20 ms and a prefill of a few
// thousand tokens hundreds of ms, so the host's scheduling jitter (ms) is small against them.
constexpr const char* kLargeModel = R"(
model: llama-3.1-70b
hardware: {gpu: h200-sxm, num_gpus: 2}
parallelism: {tp: 2}
precision: {weights: bf16}
engine: {profile: vllm}
)";

// Closed loop of 4 clients with fixed lengths: they move in lockstep (4 prefills batched, then
// decode together), which only holds if every follow-up request joins the iteration the twin
// puts it in; a miss staggers the loop for good.
const std::string kClosedLoop = std::string(kLargeModel) + R"(
workload: {kind: closed, concurrency: 4, num_requests: 8, input_tokens: {dist: fixed, mean: 512},
           output_tokens: {dist: fixed, mean: 12}}
)";

// Open loop: Poisson arrivals and lognormal lengths, drawn by bench with the scenario's seed as
// the twin draws them. Busy enough that requests queue and prefills mix with decodes (TTFT
// ~215 ms, TPOT ~58 ms), so the comparison covers the scheduler, not only the cost model.
const std::string kOpenLoop = std::string(kLargeModel) + R"(
workload: {kind: poisson, rate: 10, num_requests: 12,
           input_tokens: {dist: lognormal, mean: 1024, cv: 0.5},
           output_tokens: {dist: lognormal, mean: 12, cv: 0.5, min: 2}}
)";

// The emulator runs this many times slower than the twin. An open loop is the more sensitive:
// a request sent late by a stalled client can miss the iteration the twin puts it in, and the
// queue behind it shifts (TTFT +9% once in 10 loaded ctest runs at 4x, with a ~200 ms stall).
constexpr double kClosedLoopScale = 4;
constexpr double kOpenLoopScale = 8;

void ExpectAgreement(const ResolvedScenario& s, const BenchOutput& bench) {
  const auto twin = RunSimulate(s);
  ASSERT_TRUE(twin.ok()) << twin.error().message;
  const ServeMetrics& m = bench.metrics;
  const ServeMetrics& t = twin->result.metrics;
  EXPECT_EQ(bench.failed, 0) << bench.json["bench"]["errors"].dump();
  EXPECT_EQ(m.requests_completed, t.requests_completed);
  EXPECT_EQ(m.output_tokens, t.output_tokens);
  std::printf(
      "bench vs twin: TTFT %.2f vs %.2f ms, TPOT %.3f vs %.3f ms, %.1f vs %.1f output tok/s "
      "(%.1f s wall)\n",
      m.ttft_ms.mean, t.ttft_ms.mean, m.tpot_ms.mean, t.tpot_ms.mean, m.output_tokens_per_s,
      t.output_tokens_per_s, m.wall_s);
  EXPECT_NEAR(m.ttft_ms.mean, t.ttft_ms.mean, 0.05 * t.ttft_ms.mean);
  EXPECT_NEAR(m.tpot_ms.mean, t.tpot_ms.mean, 0.05 * t.tpot_ms.mean);
  EXPECT_NEAR(m.output_tokens_per_s, t.output_tokens_per_s, 0.05 * t.output_tokens_per_s);
  // The same JSON keys as `simulate --json`.
  for (const auto& [key, value] : twin->json.items()) {
    if (key != "memory") EXPECT_TRUE(bench.json.contains(key)) << key;
  }
}

TEST(BenchAgainstEmulate, AgreesWithTheTwinInAClosedLoop) {
  const ResolvedScenario s = Resolve(kClosedLoop);
  auto server = StartEmulator(s, 16, kClosedLoopScale);
  ASSERT_TRUE(server);
  auto bench = RunBench(s, BenchAt(*server));
  ASSERT_TRUE(bench.ok()) << bench.error().message;
  EXPECT_EQ(bench->time_scale, kClosedLoopScale);  // read from /v1/models
  EXPECT_EQ(bench->json["config"]["endpoint"], BenchAt(*server).endpoint);
  ExpectAgreement(s, *bench);
}

TEST(BenchAgainstEmulate, AgreesWithTheTwinInAnOpenLoop) {
  const ResolvedScenario s = Resolve(kOpenLoop);
  auto server = StartEmulator(s, 64, kOpenLoopScale);
  ASSERT_TRUE(server);
  auto bench = RunBench(s, BenchAt(*server));
  ASSERT_TRUE(bench.ok()) << bench.error().message;
  ExpectAgreement(s, *bench);
}

// The largest of `name`'s samples in a Prometheus page, or -1.
double MaxSample(const std::string& page, const std::string& name) {
  const std::regex re("\\n" + name + "\\{[^}]*\\} ([0-9.e+-]+)");
  double best = -1;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), re); it != std::sregex_iterator();
       ++it) {
    best = std::max(best, std::stod((*it)[1]));
  }
  return best;
}

// 500 streams at once (an offline batch, one connection each): every one is answered, and
// /metrics, scraped meanwhile, shows them running and waiting. 32-token answers keep requests
// running for about a second of the run: with 8 a loaded machine's scraper could miss it.
TEST(BenchAgainstEmulate, EmulatorAnswers500ConcurrentStreams) {
  const ResolvedScenario s = Resolve(
      "model: llama-3.1-8b\nhardware: {gpu: h100-sxm, num_gpus: 1}\nparallelism: {tp: 1}\n"
      "precision: {weights: bf16}\n",
      {"workload.kind=offline", "workload.num_requests=500",
       "workload.input_tokens={dist: fixed, mean: 128}",
       "workload.output_tokens={dist: fixed, mean: 32}", "engine.max_batch_size=128"});
  const long files = RaiseOpenFileLimit();
  ASSERT_TRUE(files < 0 || files >= 1200)
      << "500 streams need ~1010 open files, the limit is " << files;
  auto server = StartEmulator(s, 600);
  ASSERT_TRUE(server);
  std::atomic<bool> done{false};
  double max_running = 0, max_waiting = 0, max_in_flight = 0;
  std::thread scraper([&] {
    httplib::Client c("127.0.0.1", server->port());
    while (!done) {
      if (auto page = c.Get("/metrics"); page && page->status == 200) {
        max_running = std::max(max_running, MaxSample(page->body, "vllm:num_requests_running"));
        max_waiting = std::max(max_waiting, MaxSample(page->body, "vllm:num_requests_waiting"));
        max_in_flight =
            std::max(max_in_flight, MaxSample(page->body, "tokenfab_http_requests_in_flight"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  BenchOptions o = BenchAt(*server);
  o.max_connections = 500;
  auto bench = RunBench(s, o);
  done = true;
  scraper.join();
  ASSERT_TRUE(bench.ok()) << bench.error().message;
  EXPECT_EQ(bench->failed, 0) << bench->json["bench"]["errors"].dump();
  EXPECT_EQ(bench->metrics.requests_completed, 500);
  EXPECT_EQ(bench->metrics.output_tokens, 500 * 32);
  const EmulatorStats stats = server->emulator().Stats();
  EXPECT_EQ(stats.requests_received, 500);
  EXPECT_EQ(stats.requests_completed, 500);
  EXPECT_EQ(stats.generation_tokens, 500 * 32);
  // At most max_batch_size run; the others wait.
  EXPECT_GT(max_running, 0);
  EXPECT_LE(max_running, 128);
  EXPECT_GT(max_waiting, 0);
  EXPECT_GT(max_in_flight, 0);
  httplib::Client c("127.0.0.1", server->port());
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(
      metrics->body.find("tokenfab_requests_received_total{model_name=\"llama-3.1-8b\"} 500\n"),
      std::string::npos);
  EXPECT_EQ(MaxSample(metrics->body, "tokenfab_http_errors_total"), 0);
  std::printf(
      "500 streams: %.2f s wall, TTFT mean %.1f ms, peak running %.0f waiting %.0f in flight "
      "%.0f, %lld late iterations\n",
      bench->metrics.wall_s, bench->metrics.ttft_ms.mean, max_running, max_waiting, max_in_flight,
      static_cast<long long>(stats.late_iterations));
}

}  // namespace
}  // namespace tokenfab
