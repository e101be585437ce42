#include "metrics_collector.h"

#include <algorithm>
#include <numeric>

namespace tokenfab {
namespace {

LatencySummary Summarize(std::vector<double>& values, PercentileMethod method) {
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

MetricsCollector::MetricsCollector(const InstanceCostModel& cost, const ServeConfig& config,
                                   ServeResult* result)
    : cost_(cost), config_(config), result_(result) {}

void MetricsCollector::AdvanceTo(SimTime t) {
  in_system_area_ns_ += static_cast<double>(in_system_) * static_cast<double>(t - clock_);
  clock_ = t;
}

void MetricsCollector::OnArrival(const Request& r) {
  if (first_arrival_ < 0) first_arrival_ = r.arrival;
  ++in_system_;
}

void MetricsCollector::OnFinish(const Request& r) {
  --in_system_;
  ++completed_;
  last_finish_ = std::max(last_finish_, r.finish);
  input_tokens_ += r.input_tokens;
  output_tokens_ += r.output_tokens;
  const double ttft = SimTimeToMillis(r.first_token - r.arrival);
  ttft_ms_.push_back(ttft);
  e2e_ms_.push_back(SimTimeToMillis(r.finish - r.arrival));
  double tpot = 0;
  if (r.output_tokens > 1) {
    tpot = SimTimeToMillis(r.finish - r.first_token) / (r.output_tokens - 1);
    tpot_ms_.push_back(tpot);
    if (tpot > 0) {
      user_speed_sum_ += 1000.0 / tpot;
      ++user_speed_count_;
    }
  }
  const bool ttft_ok = config_.slo_ttft_ms <= 0 || ttft <= config_.slo_ttft_ms;
  const bool tpot_ok = config_.slo_tpot_ms <= 0 || tpot <= config_.slo_tpot_ms;
  if (ttft_ok && tpot_ok) ++good_;
}

void MetricsCollector::OnIteration(const IterationRecord& it) {
  ++iterations_;
  const double seconds = SimTimeToSeconds(it.end - it.start);
  batch_sum_ += it.batch.Sequences();
  if (it.batch.decode_sequences > 0) {
    itl_ms_.emplace_back(seconds * 1e3, static_cast<double>(it.batch.decode_sequences) *
                                            it.batch.tokens_per_decode);
  }
  busy_joules_ += it.joules;
  busy_seconds_ += seconds;
  if (it.kv_blocks_total > 0) {
    kv_peak_ = std::max(kv_peak_, static_cast<double>(it.kv_blocks_used) /
                                      static_cast<double>(it.kv_blocks_total));
  }
  if (config_.keep_iterations) result_->iterations.push_back(it);
}

void MetricsCollector::Finish(double wall_s) {
  ServeMetrics& m = result_->metrics;
  const PercentileMethod method = cost_.engine().percentiles;
  m.requests_completed = completed_;
  m.input_tokens = input_tokens_;
  m.output_tokens = output_tokens_;
  m.num_gpus = cost_.num_gpus() * config_.replicas;
  m.span_s = first_arrival_ < 0 ? 0 : SimTimeToSeconds(last_finish_ - first_arrival_);
  if (m.span_s > 0) {
    m.requests_per_s = completed_ / m.span_s;
    m.input_tokens_per_s = input_tokens_ / m.span_s;
    m.output_tokens_per_s = output_tokens_ / m.span_s;
    m.output_tokens_per_s_per_gpu = m.output_tokens_per_s / m.num_gpus;
    m.goodput_requests_per_s = good_ / m.span_s;
    m.mean_in_system = in_system_area_ns_ * 1e-9 / m.span_s;
  }
  m.output_tokens_per_s_per_user = user_speed_count_ ? user_speed_sum_ / user_speed_count_ : 0;
  m.ttft_ms = Summarize(ttft_ms_, method);
  m.tpot_ms = Summarize(tpot_ms_, method);
  m.e2e_ms = Summarize(e2e_ms_, method);
  std::sort(itl_ms_.begin(), itl_ms_.end());
  double itl_weight = 0, itl_sum = 0;
  for (const auto& [v, w] : itl_ms_) {
    itl_weight += w;
    itl_sum += v * w;
  }
  m.itl_ms.mean = itl_weight > 0 ? itl_sum / itl_weight : 0;
  m.itl_ms.p50 = WeightedPercentile(itl_ms_, 0.50, method);
  m.itl_ms.p90 = WeightedPercentile(itl_ms_, 0.90, method);
  m.itl_ms.p99 = WeightedPercentile(itl_ms_, 0.99, method);
  m.kv_peak_utilization = kv_peak_;
  m.preemptions = preemptions_;
  m.iterations = iterations_;
  m.mean_batch_size = iterations_ ? batch_sum_ / iterations_ : 0;
  const double idle_seconds = std::max(0.0, m.span_s * config_.replicas - busy_seconds_);
  m.energy_j = busy_joules_ + cost_.IdleJoules(idle_seconds);
  m.joules_per_output_token = output_tokens_ ? m.energy_j / output_tokens_ : 0;
  m.mean_power_w = m.span_s > 0 ? m.energy_j / m.span_s : 0;
  m.events = events_;
  m.simulated_s = SimTimeToSeconds(clock_);
  m.wall_s = wall_s;
}

}  // namespace tokenfab
