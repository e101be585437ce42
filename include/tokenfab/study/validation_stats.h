// Error statistics of predictions against measurements.
#pragma once

#include <string>
#include <vector>

namespace tokenfab {

// Absolute percentage error: 100 * |predicted - measured| / measured. REQUIRES: measured > 0.
double AbsolutePercentageError(double predicted, double measured);

// Quantile of values by linear interpolation between closest ranks (numpy's default): the
// median of {1, 2, 3, 4} is 2.5, its 0.9-quantile 3.7. q in [0, 1]; 0 for no values.
double Quantile(std::vector<double> values, double q);

// Summary of one group of rows. APEs in percent.
struct ErrorSummary {
  int count = 0;
  double median_ape = 0;
  double p90_ape = 0;
  double max_ape = 0;
  double median_ratio = 0;  // median of predicted / measured: > 1 means the twin over-predicts
};

// REQUIRES: apes.size() == ratios.size().
ErrorSummary SummarizeErrors(const std::vector<double>& apes, const std::vector<double>& ratios);

}  // namespace tokenfab
