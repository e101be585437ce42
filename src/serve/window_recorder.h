// Metrics per window of simulated time (WindowMetrics): O(1) per signal, and memory bounded by
// the finished windows plus the TTFT samples of the open one. Private to the serve layer.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "latency_samples.h"
#include "tokenfab/catalog/engine_profile.h"
#include "tokenfab/core/sim_time.h"
#include "tokenfab/serve/metrics.h"
#include "wide_int.h"

namespace tokenfab {

// Signals arrive in time order: AdvanceTo(t) before the signals at time t.
class WindowRecorder {
 public:
  // window_s <= 0 disables the recorder. histogram: TTFT percentiles from a LogHistogram.
  WindowRecorder(double window_s, PercentileMethod method, bool histogram = false);

  bool enabled() const { return width_ > 0; }
  // End of the open window (signals before it count in it); the largest time when disabled.
  SimTime WindowEnd() const { return enabled() ? start_ + width_ : INT64_MAX; }
  // Time moves to t; `in_system` requests were in the system since the previous call.
  // Inline: once per event.
  void AdvanceTo(SimTime t, std::int64_t in_system) {
    if (!enabled()) return;
    if (t >= start_ + width_) CloseThrough(t, in_system);
    area_ns_ += static_cast<WideInt>(in_system) * (t - clock_);
    clock_ = t;
  }
  void OnArrival() { ++current_.arrivals; }
  void OnFirstToken(double ttft_ms);
  void OnFinish() { ++current_.completed; }
  void OnOutputTokens(std::int64_t n) { current_.output_tokens += n; }
  // Closes the open window (the run is over) and returns every window.
  std::vector<WindowMetrics> Finish();

 private:
  void Close();
  // Closes the windows that end by t, with `in_system` requests in the system since clock_.
  void CloseThrough(SimTime t, std::int64_t in_system);

  SimTime width_ = 0;
  PercentileMethod method_;
  SimTime start_ = 0;  // of the open window
  SimTime clock_ = 0;
  WideInt area_ns_ = 0;  // requests x ns in the open window, exact
  WindowMetrics current_;
  LatencySamples ttft_ms_;  // the open window's, reused
  std::vector<WindowMetrics> done_;
};

}  // namespace tokenfab
