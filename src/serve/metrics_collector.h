// Observes a serving run's signals (arrival, first token, finish, iteration) and turns them
// into ServeMetrics. Private to the serve layer.
#pragma once

#include <utility>
#include <vector>

#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/simulation.h"
#include "weighted_durations.h"
#include "window_recorder.h"

namespace tokenfab {

class MetricsCollector {
 public:
  MetricsCollector(const ServeConfig& config, ServeResult* result);

  void AdvanceTo(SimTime t);
  void OnArrival(const Request& r);
  void OnFirstToken(const Request& r);
  void OnFinish(const Request& r);
  void OnKvTransfer(const Request& r);
  void OnIteration(const IterationRecord& it);
  void CountEvent() { ++events_; }
  void AddPreemptions(std::int64_t n) { preemptions_ += n; }
  // End of the open metrics window (iterations reported late must end before it).
  SimTime WindowEnd() const { return windows_.WindowEnd(); }
  void Finish(double wall_s);

 private:
  // One request class's samples (ServeMetrics::classes).
  struct ClassSamples {
    std::vector<double> ttft_ms, tpot_ms, e2e_ms;
    std::int64_t completed = 0, output_tokens = 0, good = 0;
  };

  const ServeConfig& config_;
  ServeResult* result_;
  std::vector<ClassSamples> classes_;
  WindowRecorder windows_;

  SimTime clock_ = 0;
  SimTime first_arrival_ = -1;
  SimTime last_finish_ = 0;
  std::int64_t in_system_ = 0;
  WideInt in_system_area_ns_ = 0;  // exact: independent of how often time moves
  std::int64_t events_ = 0;
  std::int64_t preemptions_ = 0;

  std::vector<double> ttft_ms_, tpot_ms_, e2e_ms_;
  WeightedDurations itl_;  // iteration durations weighted by decode tokens
  double user_speed_sum_ = 0;
  std::int64_t user_speed_count_ = 0;
  std::int64_t good_ = 0;
  std::int64_t input_tokens_ = 0, output_tokens_ = 0, completed_ = 0;

  // Iteration sums are exact or per instance, so they do not depend on the order in which
  // instances report iterations (fast-forwarded steps are reported late).
  std::int64_t iterations_ = 0;
  std::int64_t batch_sum_ = 0;
  std::vector<double> instance_joules_;
  std::vector<SimTime> instance_busy_;
  std::vector<std::int64_t> pool_iterations_;
  double transfer_ms_sum_ = 0;
  std::int64_t transfers_ = 0;
  double kv_peak_ = 0;
};

}  // namespace tokenfab
