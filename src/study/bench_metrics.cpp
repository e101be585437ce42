// Client records of `tokenfab bench` into the twin's ServeMetrics.
#include <algorithm>
#include <numeric>

#include "tokenfab/study/bench_client.h"

namespace tokenfab {
namespace {

LatencySummary Summarize(std::vector<double> values, PercentileMethod method) {
  LatencySummary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.p50 = Percentile(values, 0.50, method);
  s.p90 = Percentile(values, 0.90, method);
  s.p99 = Percentile(values, 0.99, method);
  return s;
}

}  // namespace

ServeMetrics BenchMetrics(const std::vector<BenchRecord>& records, const ResolvedScenario& scenario,
                          double wall_s) {
  ServeMetrics m;
  const PercentileMethod method = scenario.engine.percentiles;
  std::vector<double> ttft, tpot, e2e, itl;
  double first_send = -1, last_end = 0, e2e_sum_s = 0, speed_sum = 0;
  std::int64_t speed_count = 0, good = 0;
  for (const BenchRecord& r : records) {
    if (!r.ok()) continue;
    ++m.requests_completed;
    m.input_tokens += r.input_tokens;
    m.output_tokens += r.completion_tokens;
    first_send = first_send < 0 ? r.send_s : std::min(first_send, r.send_s);
    last_end = std::max(last_end, r.end_s);
    const double ttft_ms = (r.first_token_s - r.send_s) * 1e3;
    const double e2e_ms = (r.end_s - r.send_s) * 1e3;
    ttft.push_back(ttft_ms);
    e2e.push_back(e2e_ms);
    e2e_sum_s += e2e_ms / 1e3;
    for (double g : r.itl_s) itl.push_back(g * 1e3);
    double tpot_ms = 0;
    if (r.completion_tokens > 1) {
      tpot_ms = (e2e_ms - ttft_ms) / (r.completion_tokens - 1);
      tpot.push_back(tpot_ms);
      if (tpot_ms > 0) {
        speed_sum += 1000.0 / tpot_ms;
        ++speed_count;
      }
    }
    const bool ttft_ok = scenario.serve.slo_ttft_ms <= 0 || ttft_ms <= scenario.serve.slo_ttft_ms;
    const bool tpot_ok = scenario.serve.slo_tpot_ms <= 0 || tpot_ms <= scenario.serve.slo_tpot_ms;
    if (ttft_ok && tpot_ok) ++good;
  }
  m.num_gpus = scenario.num_gpus;
  m.span_s = first_send < 0 ? 0 : last_end - first_send;
  if (m.span_s > 0) {
    m.requests_per_s = static_cast<double>(m.requests_completed) / m.span_s;
    m.input_tokens_per_s = static_cast<double>(m.input_tokens) / m.span_s;
    m.output_tokens_per_s = static_cast<double>(m.output_tokens) / m.span_s;
    m.output_tokens_per_s_per_gpu = m.num_gpus > 0 ? m.output_tokens_per_s / m.num_gpus : 0;
    m.goodput_requests_per_s = static_cast<double>(good) / m.span_s;
    m.mean_in_system = e2e_sum_s / m.span_s;  // SGLang's "concurrency"
  }
  m.output_tokens_per_s_per_user = speed_count ? speed_sum / static_cast<double>(speed_count) : 0;
  m.ttft_ms = Summarize(std::move(ttft), method);
  m.tpot_ms = Summarize(std::move(tpot), method);
  m.itl_ms = Summarize(std::move(itl), method);
  m.e2e_ms = Summarize(std::move(e2e), method);
  m.simulated_s = m.span_s;
  m.wall_s = wall_s;
  return m;
}

}  // namespace tokenfab
