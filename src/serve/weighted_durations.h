// Weighted samples of a duration (the ITL pool: one sample per decode iteration, weighted by
// the tokens it sampled), summarized exactly as WeightedPercentile() over the sorted samples
// would, in 8 bytes per sample and without a sort. Private to the serve layer.
//
// A factory hour has ~2.7 x 10^8 decode iterations: (double, double) pairs in a doubling
// vector would take 4.3 GB, and up to twice that while growing. Here a sample takes 6 bytes
// (a 32-bit duration in ns and a 16-bit weight, in fixed chunks appended in order; longer
// or heavier samples, rare, are kept apart), and percentiles come from two passes (a
// histogram of 2^20 buckets over the range, then the chosen buckets at 1 ns resolution).
// A histogram of weight per ns would use less memory but costs a cache miss per sample.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "log_histogram.h"
#include "tokenfab/core/sim_time.h"
#include "tokenfab/serve/metrics.h"
#include "wide_int.h"

namespace tokenfab {

class WeightedDurations {
 public:
  // histogram: count the samples in a LogHistogram instead (percentiles within 0.05%; the
  // mean stays exact).
  explicit WeightedDurations(bool histogram = false) : histogram_(histogram) {}

  // REQUIRES: duration >= 0, weight >= 1. Inline: once per decode iteration.
  void Add(SimTime duration, std::int64_t weight) {
    total_weight_ += weight;
    weighted_ns_ += static_cast<WideInt>(duration) * weight;
    if (histogram_) {
      counts_.Add(static_cast<double>(duration), weight);  // keeps its own extremes
      return;
    }
    min_ = std::min(min_, duration);
    max_ = std::max(max_, duration);
    const auto slot = static_cast<std::size_t>(size_) & (kChunk - 1);
    if (duration > UINT32_MAX || weight > UINT16_MAX || slot == 0) {
      AddSlow(duration, weight);
      return;
    }
    Chunk& chunk = *chunks_.back();
    chunk.duration[slot] = static_cast<std::uint32_t>(duration);
    chunk.weight[slot] = static_cast<std::uint16_t>(weight);
    ++size_;
  }
  // Samples kept (0 in histogram mode).
  std::int64_t size() const { return size_ + static_cast<std::int64_t>(wide_.size()); }
  // Mean and p50/p90/p99 in milliseconds (value = SimTimeToSeconds(duration) * 1e3), each
  // percentile equal to WeightedPercentile() over the sorted (value, weight) pairs.
  LatencySummary SummarizeMillis(PercentileMethod method) const;

 private:
  static constexpr std::size_t kChunk = std::size_t{1} << 20;
  struct Chunk {
    std::uint32_t duration[kChunk];  // ns, below ~4.3 s
    std::uint16_t weight[kChunk];
  };

  // Add's rare cases: a sample too large to pack, or the first of a chunk.
  void AddSlow(SimTime duration, std::int64_t weight);
  template <typename Visit>
  void ForEach(Visit visit) const;
  // Durations at the given 0-based weighted ranks (each rank < total weight).
  std::vector<SimTime> AtRanks(const std::vector<std::int64_t>& ranks) const;

  bool histogram_;
  LogHistogram counts_;  // histogram mode: durations in ns, by weight
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::int64_t size_ = 0;                               // packed samples
  std::vector<std::pair<SimTime, std::int64_t>> wide_;  // samples too large to pack
  std::int64_t total_weight_ = 0;
  WideInt weighted_ns_ = 0;  // exact, so the mean does not depend on order
  // Over the kept samples (INT64_MAX and 0 before the first: no sample is negative).
  SimTime min_ = INT64_MAX, max_ = 0;
};

}  // namespace tokenfab
