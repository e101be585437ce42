#include "metrics_collector.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {

bool MetricsCollector::UsesHistogram(const ServeConfig& config) {
  switch (config.percentile_mode) {
    case PercentileMode::kExact:
      return false;
    case PercentileMode::kHistogram:
      return true;
    case PercentileMode::kAuto:
      break;
  }
  return config.workload.num_requests > kExactPercentilesUpTo;
}

MetricsCollector::MetricsCollector(const ServeConfig& config, ServeResult* result)
    : config_(config),
      result_(result),
      histogram_(UsesHistogram(config)),
      classes_(config.workload.classes.size(), ClassSamples(histogram_)),
      windows_(config.window_s, config.pools.front().cost->engine().percentiles, histogram_),
      ttft_ms_(histogram_),
      tpot_ms_(histogram_),
      e2e_ms_(histogram_),
      itl_(histogram_) {
  std::size_t instances = 0;
  for (const PoolConfig& p : config.pools) instances += p.instances;
  instance_sums_.assign(instances, InstanceSums{});
  // Exact reservations: doubling growth would need twice the memory at factory scale.
  const auto n = static_cast<std::size_t>(
      std::clamp<std::int64_t>(config.workload.num_requests, 0, 200'000'000));
  ttft_ms_.Reserve(n);
  e2e_ms_.Reserve(n);
  tpot_ms_.Reserve(n);
}

void MetricsCollector::OnKvTransfer(const Request& r) {
  transfer_ms_sum_ += SimTimeToMillis(r.kv_ready - r.prefill_done);
  ++transfers_;
}

void MetricsCollector::OnArrival(const Request& r) {
  if (first_arrival_ < 0) first_arrival_ = r.arrival;
  ++in_system_;
  windows_.OnArrival();
}

void MetricsCollector::OnFirstToken(const Request& r) {
  windows_.OnFirstToken(SimTimeToMillis(r.first_token - r.arrival));
}

void MetricsCollector::OnFinish(const Request& r) {
  --in_system_;
  ++completed_;
  last_finish_ = std::max(last_finish_, r.finish);
  input_tokens_ += r.input_tokens;
  output_tokens_ += r.output_tokens;
  const double ttft = SimTimeToMillis(r.first_token - r.arrival);
  ttft_ms_.Add(ttft);
  e2e_ms_.Add(SimTimeToMillis(r.finish - r.arrival));
  double tpot = 0;
  if (r.output_tokens > 1) {
    tpot = SimTimeToMillis(r.finish - r.first_token) / (r.output_tokens - 1);
    tpot_ms_.Add(tpot);
    if (tpot > 0) {
      user_speed_sum_ += 1000.0 / tpot;
      ++user_speed_count_;
    }
  }
  double slo_ttft = config_.slo_ttft_ms, slo_tpot = config_.slo_tpot_ms;
  const auto& classes = config_.workload.classes;
  if (r.cls >= 0 && static_cast<std::size_t>(r.cls) < classes.size()) {
    if (classes[r.cls].slo_ttft_ms > 0) slo_ttft = classes[r.cls].slo_ttft_ms;
    if (classes[r.cls].slo_tpot_ms > 0) slo_tpot = classes[r.cls].slo_tpot_ms;
  }
  const bool good = (slo_ttft <= 0 || ttft <= slo_ttft) && (slo_tpot <= 0 || tpot <= slo_tpot);
  if (good) ++good_;
  windows_.OnFinish();
  if (static_cast<std::size_t>(r.cls) < classes_.size() && r.cls >= 0) {
    ClassSamples& c = classes_[r.cls];
    ++c.completed;
    c.output_tokens += r.output_tokens;
    c.good += good;
    c.ttft_ms.Add(ttft);
    c.e2e_ms.Add(SimTimeToMillis(r.finish - r.arrival));
    if (r.output_tokens > 1) c.tpot_ms.Add(tpot);
  }
}

void MetricsCollector::Finish(double wall_s) {
  ServeMetrics& m = result_->metrics;
  const PercentileMethod method = config_.pools.front().cost->engine().percentiles;
  m.requests_completed = completed_;
  m.input_tokens = input_tokens_;
  m.output_tokens = output_tokens_;
  m.num_gpus = 0;
  for (const PoolConfig& p : config_.pools) m.num_gpus += p.instances * p.cost->num_gpus();
  m.span_s = first_arrival_ < 0 ? 0 : SimTimeToSeconds(last_finish_ - first_arrival_);
  if (m.span_s > 0) {
    m.requests_per_s = completed_ / m.span_s;
    m.input_tokens_per_s = input_tokens_ / m.span_s;
    m.output_tokens_per_s = output_tokens_ / m.span_s;
    m.output_tokens_per_s_per_gpu = m.output_tokens_per_s / m.num_gpus;
    m.goodput_requests_per_s = good_ / m.span_s;
    m.mean_in_system = static_cast<double>(in_system_area_ns_) * 1e-9 / m.span_s;
  }
  m.output_tokens_per_s_per_user = user_speed_count_ ? user_speed_sum_ / user_speed_count_ : 0;
  m.ttft_ms = ttft_ms_.Summarize(method);
  m.tpot_ms = tpot_ms_.Summarize(method);
  m.e2e_ms = e2e_ms_.Summarize(method);
  m.itl_ms = itl_.SummarizeMillis(method);
  double kv_peak = 0;
  for (const InstanceSums& sums : instance_sums_) {
    if (sums.kv_used_peak < 0) continue;
    kv_peak = std::max(kv_peak,
                       static_cast<double>(sums.kv_used_peak) / static_cast<double>(sums.kv_total));
  }
  m.kv_peak_utilization = kv_peak;
  m.preemptions = preemptions_;
  m.iterations = iterations_;
  m.mean_batch_size = iterations_ ? static_cast<double>(batch_sum_) / iterations_ : 0;
  m.energy_j = 0;
  for (const InstanceSums& sums : instance_sums_) m.energy_j += sums.joules;
  std::vector<SimTime> pool_busy(config_.pools.size(), 0);
  std::vector<std::int64_t> pool_iterations(config_.pools.size(), 0);
  for (std::size_t i = 0; i < instance_sums_.size(); ++i) {
    pool_busy[result_->instance_pool[i]] += instance_sums_[i].busy;
    pool_iterations[result_->instance_pool[i]] += instance_sums_[i].iterations;
  }
  for (std::size_t p = 0; p < config_.pools.size(); ++p) {
    const PoolConfig& pool = config_.pools[p];
    const double busy_s = SimTimeToSeconds(pool_busy[p]);
    const double idle_seconds = std::max(0.0, m.span_s * pool.instances - busy_s);
    m.energy_j += pool.cost->IdleJoules(idle_seconds);
    PoolMetrics pm;
    pm.name = pool.name;
    pm.instances = pool.instances;
    pm.gpus = pool.instances * pool.cost->num_gpus();
    pm.utilization = m.span_s > 0 ? busy_s / (m.span_s * pool.instances) : 0;
    pm.iterations = pool_iterations[p];
    m.pools.push_back(pm);
  }
  m.kv_transfers = transfers_;
  m.kv_transfer_mean_ms = transfers_ ? transfer_ms_sum_ / transfers_ : 0;
  m.joules_per_output_token = output_tokens_ ? m.energy_j / output_tokens_ : 0;
  m.mean_power_w = m.span_s > 0 ? m.energy_j / m.span_s : 0;
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    ClassSamples& c = classes_[i];
    ClassMetrics cm;
    cm.name = config_.workload.classes[i].name;
    cm.completed = c.completed;
    cm.output_tokens = c.output_tokens;
    if (m.span_s > 0) {
      cm.requests_per_s = c.completed / m.span_s;
      cm.output_tokens_per_s = c.output_tokens / m.span_s;
      cm.goodput_requests_per_s = c.good / m.span_s;
    }
    cm.ttft_ms = c.ttft_ms.Summarize(method);
    cm.tpot_ms = c.tpot_ms.Summarize(method);
    cm.e2e_ms = c.e2e_ms.Summarize(method);
    m.classes.push_back(std::move(cm));
  }
  m.windows = windows_.Finish();
  m.events = events_;
  m.simulated_s = SimTimeToSeconds(clock_);
  m.wall_s = wall_s;
}

}  // namespace tokenfab
