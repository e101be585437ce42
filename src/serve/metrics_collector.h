// Observes a serving run's signals (arrival, first token, finish, iteration) and turns them
// into ServeMetrics. Private to the serve layer.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "latency_samples.h"
#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/simulation.h"
#include "weighted_durations.h"
#include "window_recorder.h"

namespace tokenfab {

class MetricsCollector {
 public:
  MetricsCollector(const ServeConfig& config, ServeResult* result);

  // Inline: once per event.
  void AdvanceTo(SimTime t) {
    windows_.AdvanceTo(t, in_system_);
    in_system_area_ns_ += static_cast<WideInt>(in_system_) * (t - clock_);
    clock_ = t;
  }
  void OnArrival(const Request& r);
  void OnFirstToken(const Request& r);
  void OnFinish(const Request& r);
  void OnKvTransfer(const Request& r);
  void OnIteration(const IterationRecord& it) {
    OnStep(it, it.start, it.end, it.kv_blocks_used, it.output_tokens, it.joules);
    if (config_.keep_iterations) result_->iterations.push_back(it);
  }
  // An iteration whose instance, batch and KV total are base's and whose times, KV blocks
  // used, output tokens and energy are given: a fast-forwarded step, reported without
  // building its record. Inline: once per iteration, ~160 million times in a factory hour.
  void OnStep(const IterationRecord& base, SimTime start, SimTime end, std::int64_t kv_used,
              std::int64_t output_tokens, double joules) {
    ++iterations_;
    batch_sum_ += base.batch.Sequences();
    if (base.batch.decode_sequences > 0) {
      const std::int64_t tokens =
          static_cast<std::int64_t>(base.batch.decode_sequences) * base.batch.tokens_per_decode;
      const std::int64_t waited = base.waited * base.batch.tokens_per_decode;
      if (waited > 0) itl_.Add(end - base.wait_start, waited);
      if (tokens > waited) itl_.Add(end - start, tokens - waited);
    }
    windows_.OnOutputTokens(output_tokens);
    InstanceSums& sums = instance_sums_[base.instance];
    sums.joules += joules;
    sums.busy += end - start;
    ++sums.iterations;
    if (base.kv_blocks_total > 0) {
      sums.kv_used_peak = std::max(sums.kv_used_peak, kv_used);
      sums.kv_total = base.kv_blocks_total;
    }
  }
  void CountEvent() { ++events_; }
  void AddPreemptions(std::int64_t n) { preemptions_ += n; }
  // End of the open metrics window (iterations reported late must end before it).
  SimTime WindowEnd() const { return windows_.WindowEnd(); }
  void Finish(double wall_s);

 private:
  // One request class's samples (ServeMetrics::classes).
  struct ClassSamples {
    explicit ClassSamples(bool histogram)
        : ttft_ms(histogram), tpot_ms(histogram), e2e_ms(histogram) {}
    LatencySamples ttft_ms, tpot_ms, e2e_ms;
    std::int64_t completed = 0, output_tokens = 0, good = 0;
  };

  static bool UsesHistogram(const ServeConfig& config);

  const ServeConfig& config_;
  ServeResult* result_;
  bool histogram_;  // percentiles from LogHistograms (ServeConfig::percentile_mode)
  std::vector<ClassSamples> classes_;
  WindowRecorder windows_;

  SimTime clock_ = 0;
  SimTime first_arrival_ = -1;
  SimTime last_finish_ = 0;
  std::int64_t in_system_ = 0;
  WideInt in_system_area_ns_ = 0;  // exact: independent of how often time moves
  std::int64_t events_ = 0;
  std::int64_t preemptions_ = 0;

  LatencySamples ttft_ms_, tpot_ms_, e2e_ms_;
  WeightedDurations itl_;  // iteration durations weighted by decode tokens
  double user_speed_sum_ = 0;
  std::int64_t user_speed_count_ = 0;
  std::int64_t good_ = 0;
  std::int64_t input_tokens_ = 0, output_tokens_ = 0, completed_ = 0;

  // Iteration sums are exact or per instance, so they do not depend on the order in which
  // instances report iterations (fast-forwarded steps are reported late). An instance's sums
  // share one record: one cache line per iteration, not one per sum. The KV peak is kept as
  // blocks: with the total fixed per instance, the largest used/total ratio is the ratio of
  // the largest use (division is monotone), computed once in Finish.
  struct InstanceSums {
    double joules = 0;
    SimTime busy = 0;
    std::int64_t iterations = 0;
    std::int64_t kv_used_peak = -1;  // -1: no iteration with a KV total
    std::int64_t kv_total = 0;
  };
  std::int64_t iterations_ = 0;
  std::int64_t batch_sum_ = 0;
  std::vector<InstanceSums> instance_sums_;
  double transfer_ms_sum_ = 0;
  std::int64_t transfers_ = 0;
};

}  // namespace tokenfab
