#include "window_recorder.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {

WindowRecorder::WindowRecorder(double window_s, PercentileMethod method, bool histogram)
    : width_(window_s > 0 ? std::max<SimTime>(1, std::llround(window_s * 1e9)) : 0),
      method_(method),
      ttft_ms_(histogram) {}

void WindowRecorder::CloseThrough(SimTime t, std::int64_t in_system) {
  while (t >= start_ + width_) {
    area_ns_ += static_cast<WideInt>(in_system) * (start_ + width_ - clock_);
    clock_ = start_ + width_;
    Close();
  }
}

void WindowRecorder::OnFirstToken(double ttft_ms) {
  ++current_.first_tokens;
  ttft_ms_.Add(ttft_ms);
}

void WindowRecorder::Close() {
  const double seconds = SimTimeToSeconds(width_);
  current_.start_s = SimTimeToSeconds(start_);
  current_.end_s = SimTimeToSeconds(start_ + width_);
  current_.output_tokens_per_s = static_cast<double>(current_.output_tokens) / seconds;
  const std::vector<double> ttft = ttft_ms_.Percentiles({0.50, 0.99}, method_);
  current_.ttft_p50_ms = ttft[0];
  current_.ttft_p99_ms = ttft[1];
  current_.mean_in_system = static_cast<double>(area_ns_) * 1e-9 / seconds;
  done_.push_back(current_);
  current_ = WindowMetrics{};
  ttft_ms_.Clear();
  area_ns_ = 0;
  start_ += width_;
}

std::vector<WindowMetrics> WindowRecorder::Finish() {
  if (!enabled()) return {};
  const bool counted = current_.arrivals || current_.first_tokens || current_.completed ||
                       current_.output_tokens || area_ns_ > 0;
  // The run ends with no request in the system, so the rest of the last window adds nothing.
  if (counted || done_.empty()) Close();
  return std::move(done_);
}

}  // namespace tokenfab
