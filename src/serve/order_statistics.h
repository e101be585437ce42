// Exact order statistics of many doubles: the k-th smallest for a few ranks k, as
// std::nth_element would give them, in two sequential passes. Private to the serve layer.
//
// A factory hour keeps 67.5 million TTFT, TPOT and E2E samples; nth_element over them (a
// partition per rank, each a pass of data-dependent swaps) was 4% of the run. Here a first
// pass counts the values by their top 16 bits (a histogram that stays in the L2 cache), a
// second moves the values of the buckets holding the wanted ranks to the front, and
// nth_element runs on those few.
#pragma once

#include <cstddef>
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

}  // namespace tokenfab
