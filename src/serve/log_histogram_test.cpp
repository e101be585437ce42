#include "log_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "latency_samples.h"
#include "order_statistics.h"

namespace tokenfab {
namespace {

TEST(LogHistogram, RanksAreWithinTheRelativeErrorOfTheExactOrderStatistics) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ms(4.0, 1.5);  // ~0.5 ms to ~10 s
  std::vector<double> values;
  LogHistogram h;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(ms(rng));
    h.Add(values.back());
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<std::int64_t> ranks = {0, 1, 99999, 100000, 179999, 197999, 199999};
  const std::vector<double> got = h.AtRanks(ranks);
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const double want = sorted[static_cast<std::size_t>(ranks[i])];
    EXPECT_LE(std::abs(got[i] - want), LogHistogram::kRelativeError * want) << ranks[i];
  }
  // The extremes are exact: the midpoints are clamped to the smallest and largest value.
  EXPECT_EQ(got.front(), sorted.front());
  EXPECT_EQ(got.back(), sorted.back());
  EXPECT_EQ(h.total(), 200000);
}

TEST(LogHistogram, OneRepeatedValueIsExactAndWeightsCountAsRepeats) {
  LogHistogram h;
  h.Add(12.345, 3);
  h.Add(12.345);
  EXPECT_EQ(h.total(), 4);
  EXPECT_EQ(h.AtRanks({0, 3}), (std::vector<double>{12.345, 12.345}));
}

TEST(LogHistogram, ZeroAndValuesFarApartGrowTheRangeBothWays) {
  LogHistogram h;
  h.Add(1.0);
  h.Add(1e9);
  h.Add(0.0);
  h.Add(1e-6);
  const std::vector<double> got = h.AtRanks({0, 1, 2, 3});
  EXPECT_EQ(got[0], 0.0);
  EXPECT_NEAR(got[1], 1e-6, 1e-6 * LogHistogram::kRelativeError);
  EXPECT_NEAR(got[2], 1.0, LogHistogram::kRelativeError);
  EXPECT_EQ(got[3], 1e9);
}

TEST(LatencySamples, HistogramModeKeepsTheExactMeanAndPercentilesWithinTheBound) {
  std::mt19937_64 rng(11);
  std::gamma_distribution<double> ms(2.0, 40.0);
  LatencySamples exact(false), histogram(true);
  for (int i = 0; i < 50000; ++i) {
    const double v = ms(rng);
    exact.Add(v);
    histogram.Add(v);
  }
  for (PercentileMethod m : {PercentileMethod::kFloorIndex, PercentileMethod::kLinear}) {
    LatencySamples e = exact, h = histogram;
    const LatencySummary want = e.Summarize(m), got = h.Summarize(m);
    EXPECT_EQ(got.mean, want.mean);  // the same sum in the same order
    EXPECT_NEAR(got.p50, want.p50, want.p50 * LogHistogram::kRelativeError);
    EXPECT_NEAR(got.p90, want.p90, want.p90 * LogHistogram::kRelativeError);
    EXPECT_NEAR(got.p99, want.p99, want.p99 * LogHistogram::kRelativeError);
  }
}

TEST(LatencySamples, EmptyIsZeroInBothModes) {
  for (bool histogram : {false, true}) {
    LatencySamples s(histogram);
    const LatencySummary got = s.Summarize(PercentileMethod::kLinear);
    EXPECT_EQ(got.mean, 0);
    EXPECT_EQ(got.p99, 0);
  }
}

}  // namespace
}  // namespace tokenfab
