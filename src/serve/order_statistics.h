// Exact order statistics of many doubles: the k-th smallest for a few ranks k, as
// std::nth_element would give them, in two sequential passes. Private to the serve layer.
//
// A factory hour keeps 67.5 million TTFT, TPOT and E2E samples; nth_element over them (a
// partition per rank, each a pass of data-dependent swaps) was 4% of the run. Here a first
// pass counts the values by their top 16 bits (a histogram that stays in the L2 cache), a
// second moves the values of the buckets holding the wanted ranks to the front, and
// nth_element runs on those few.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tokenfab/serve/metrics.h"

namespace tokenfab {

// out[i] = the ranks[i]-th smallest of `values` (0-based). REQUIRES: every rank < size, no
// NaN. May reorder `values`. Values that compare equal (0.0 and -0.0) may come from either.
void OrderStatistics(std::vector<double>& values, const std::vector<std::size_t>& ranks,
                     std::vector<double>& out);

// Percentile() of the sorted values at each of ps, from one OrderStatistics call (0 each
// when values is empty). May reorder `values`.
std::vector<double> SelectPercentiles(std::vector<double>& values, const std::vector<double>& ps,
                                      PercentileMethod method);

// Percentile() at each of ps of `total` values in order (0 each when total is 0), given the
// values at 0-based ranks: the rank arithmetic of SelectPercentiles and WeightedPercentile.
template <typename AtRanks>
std::vector<double> PercentilesByRank(std::int64_t total, const std::vector<double>& ps,
                                      PercentileMethod method, AtRanks at_ranks) {
  std::vector<double> result(ps.size(), 0.0);
  if (total <= 0) return result;
  const bool interpolate = method != PercentileMethod::kFloorIndex;
  const double n = static_cast<double>(total);
  std::vector<double> rank(ps.size());
  std::vector<std::int64_t> at;  // low and high rank of each percentile
  for (std::size_t i = 0; i < ps.size(); ++i) {
    rank[i] = interpolate ? ps[i] * (n - 1) : std::floor(n * ps[i]);
    const std::int64_t lo = std::min(total - 1, static_cast<std::int64_t>(std::floor(rank[i])));
    at.push_back(lo);
    at.push_back(std::min(total - 1, lo + 1));
  }
  const std::vector<double> v = at_ranks(at);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const double low = v[2 * i], high = v[2 * i + 1];
    result[i] = interpolate ? low + (rank[i] - static_cast<double>(at[2 * i])) * (high - low) : low;
  }
  return result;
}

}  // namespace tokenfab
