#include "tokenfab/study/validation_stats.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {

double AbsolutePercentageError(double predicted, double measured) {
  return 100.0 * std::abs(predicted - measured) / measured;
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

ErrorSummary SummarizeErrors(const std::vector<double>& apes, const std::vector<double>& ratios) {
  ErrorSummary s;
  s.count = static_cast<int>(apes.size());
  if (apes.empty()) return s;
  s.median_ape = Quantile(apes, 0.5);
  s.p90_ape = Quantile(apes, 0.9);
  s.max_ape = *std::max_element(apes.begin(), apes.end());
  s.median_ratio = Quantile(ratios, 0.5);
  return s;
}

}  // namespace tokenfab
