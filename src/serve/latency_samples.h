// The samples of one latency metric (TTFT, TPOT or E2E, in ms), kept whole for exact
// percentiles or counted in a LogHistogram (ServeConfig::percentile_mode). The mean is the
// same either way: the sum in the order the samples came. Private to the serve layer.
#pragma once

#include <cstddef>
#include <vector>

#include "log_histogram.h"
#include "tokenfab/serve/metrics.h"

namespace tokenfab {

class LatencySamples {
 public:
  explicit LatencySamples(bool histogram = false) : histogram_(histogram) {}
  void Reserve(std::size_t n) {
    if (!histogram_) values_.reserve(n);
  }
  // Inline: once per finished request.
  void Add(double value) {
    if (histogram_) {
      sum_ += value;
      histogram_counts_.Add(value);
    } else {
      values_.push_back(value);
    }
  }
  // Mean and p50/p90/p99. Exact mode reorders the samples.
  LatencySummary Summarize(PercentileMethod method);
  // Percentile() at each of ps (0 each without samples). Exact mode reorders the samples.
  std::vector<double> Percentiles(const std::vector<double>& ps, PercentileMethod method);
  // No samples again, keeping the memory.
  void Clear() {
    values_.clear();
    sum_ = 0;
    histogram_counts_.Clear();
  }

 private:
  bool histogram_;
  std::vector<double> values_;
  double sum_ = 0;
  LogHistogram histogram_counts_;
};

}  // namespace tokenfab
