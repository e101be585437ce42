// Counts of non-negative doubles in log-linear buckets: a bucket per value of the sign,
// exponent and top kMantissaBits mantissa bits (IEEE 754 order is value order for values
// >= 0), so every value of a bucket is within a relative 2^-(kMantissaBits + 1) of the
// bucket's midpoint. Percentiles at factory scale without keeping the samples: a factory hour's
// 67.5 million TTFT, TPOT and E2E samples and 211 million ITL samples took 2.9 GB, and
// writing them (page faults included) about a sixth of the run. Private to the serve layer.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

namespace tokenfab {

class LogHistogram {
 public:
  static constexpr int kMantissaBits = 10;
  // Every value of a bucket is within this fraction of the bucket's representative.
  static constexpr double kRelativeError = 1.0 / (1 << (kMantissaBits + 1));

  // REQUIRES: value >= 0 and finite, weight >= 1. Inline: once per sample.
  void Add(double value, std::int64_t weight = 1) {
    const std::int64_t bucket =
        static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(value) >> kShift);
    if (bucket < base_ || bucket >= base_ + static_cast<std::int64_t>(counts_.size())) Grow(bucket);
    counts_[static_cast<std::size_t>(bucket - base_)] += weight;
    total_ += weight;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  std::int64_t total() const { return total_; }
  // Empty again, keeping the buckets' memory.
  void Clear() {
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = 0;
    min_ = kNone;
    max_ = 0;
  }
  // The value at each 0-based rank (< total()) of the values in order, to within
  // kRelativeError: the bucket's midpoint, clamped to the smallest and largest value, which
  // are exact (ranks 0 and total() - 1).
  std::vector<double> AtRanks(const std::vector<std::int64_t>& ranks) const;

 private:
  static constexpr int kShift = 52 - kMantissaBits;
  static constexpr double kNone = std::numeric_limits<double>::infinity();  // min_ when empty
  void Grow(std::int64_t bucket);

  std::vector<std::int64_t> counts_;  // bucket base_ + i
  std::int64_t base_ = 0;
  std::int64_t total_ = 0;
  double min_ = kNone, max_ = 0;
};

}  // namespace tokenfab
