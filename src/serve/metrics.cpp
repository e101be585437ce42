#include "tokenfab/serve/metrics.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {

double Percentile(const std::vector<double>& sorted, double p, PercentileMethod method) {
  if (sorted.empty()) return 0;
  const std::size_t n = sorted.size();
  if (method == PercentileMethod::kFloorIndex) {
    return sorted[std::min(n - 1, static_cast<std::size_t>(std::floor(n * p)))];
  }
  const double rank = p * static_cast<double>(n - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(n - 1, lo + 1);
  return sorted[lo] + (rank - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double WeightedPercentile(const std::vector<std::pair<double, double>>& sorted, double p,
                          PercentileMethod method) {
  double total = 0;
  for (const auto& [value, weight] : sorted) total += weight;
  if (total <= 0) return 0;
  // Treat the samples as total-many values in order; find the value at the requested rank.
  const double rank =
      method == PercentileMethod::kFloorIndex ? std::floor(total * p) : p * (total - 1);
  const double lo_rank = std::floor(rank);
  auto value_at = [&](double r) {
    double seen = 0;
    for (const auto& [value, weight] : sorted) {
      seen += weight;
      if (r < seen) return value;
    }
    return sorted.back().first;
  };
  const double lo = value_at(lo_rank);
  if (method == PercentileMethod::kFloorIndex) return lo;
  const double hi = value_at(std::min(total - 1, lo_rank + 1));
  return lo + (rank - lo_rank) * (hi - lo);
}

}  // namespace tokenfab
