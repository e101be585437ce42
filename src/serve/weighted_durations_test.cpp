#include "weighted_durations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace tokenfab {
namespace {

// The reference: (value in ms, weight) pairs sorted, as MetricsCollector used to keep them.
LatencySummary Reference(std::vector<std::pair<double, double>> samples, PercentileMethod m) {
  std::sort(samples.begin(), samples.end());
  LatencySummary s;
  s.p50 = WeightedPercentile(samples, 0.50, m);
  s.p90 = WeightedPercentile(samples, 0.90, m);
  s.p99 = WeightedPercentile(samples, 0.99, m);
  return s;
}

void ExpectSameAsReference(const std::vector<std::pair<SimTime, std::int64_t>>& samples) {
  WeightedDurations d;
  std::vector<std::pair<double, double>> ref;
  double sum = 0, weight = 0;
  for (const auto& [ns, w] : samples) {
    d.Add(ns, w);
    ref.emplace_back(SimTimeToSeconds(ns) * 1e3, static_cast<double>(w));
    sum += SimTimeToSeconds(ns) * 1e3 * w;
    weight += w;
  }
  for (PercentileMethod m : {PercentileMethod::kFloorIndex, PercentileMethod::kLinear}) {
    const LatencySummary got = d.SummarizeMillis(m);
    const LatencySummary want = Reference(ref, m);
    EXPECT_EQ(got.p50, want.p50);
    EXPECT_EQ(got.p90, want.p90);
    EXPECT_EQ(got.p99, want.p99);
    EXPECT_NEAR(got.mean, sum / weight, 1e-12 * sum / weight);
  }
}

TEST(WeightedDurations, PercentilesEqualTheSortedReference) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ms(std::log(20.0), 0.6);
  std::uniform_int_distribution<std::int64_t> w(1, 300);
  std::vector<std::pair<SimTime, std::int64_t>> samples;
  for (int i = 0; i < 200000; ++i) {
    samples.emplace_back(static_cast<SimTime>(ms(rng) * 1e6), w(rng));
  }
  ExpectSameAsReference(samples);
}

TEST(WeightedDurations, FewDistinctValuesAndWideSamples) {
  std::vector<std::pair<SimTime, std::int64_t>> samples = {
      {10'000'000, 5}, {10'000'000, 1},       {20'000'000, 3},
      {0, 1},          {SimTime{1} << 41, 2}, {10'000'001, std::int64_t{1} << 25}};
  ExpectSameAsReference(samples);
  ExpectSameAsReference({{7, 1}});
  ExpectSameAsReference({{10, 3'000'000'000}, {10, 3'000'000'000}, {11, 1}, {9, 2}});  // carry
  ExpectSameAsReference({{10'000'000, 4}, {10'000'000, 4}});
}

TEST(WeightedDurations, HistogramModeIsWithinTheBoundWithTheExactMean) {
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> ms(std::log(20.0), 0.6);
  std::uniform_int_distribution<std::int64_t> w(1, 300);
  WeightedDurations exact, histogram(true);
  for (int i = 0; i < 100000; ++i) {
    const auto ns = static_cast<SimTime>(ms(rng) * 1e6);
    const std::int64_t weight = w(rng);
    exact.Add(ns, weight);
    histogram.Add(ns, weight);
  }
  EXPECT_EQ(histogram.size(), 0);  // nothing kept
  for (PercentileMethod m : {PercentileMethod::kFloorIndex, PercentileMethod::kLinear}) {
    const LatencySummary want = exact.SummarizeMillis(m), got = histogram.SummarizeMillis(m);
    EXPECT_EQ(got.mean, want.mean);
    // The bound, plus the rounding of ns to ms.
    const double bound = LogHistogram::kRelativeError + 1e-12;
    EXPECT_NEAR(got.p50, want.p50, want.p50 * bound);
    EXPECT_NEAR(got.p90, want.p90, want.p90 * bound);
    EXPECT_NEAR(got.p99, want.p99, want.p99 * bound);
  }
}

TEST(WeightedDurations, EmptyIsZero) {
  const LatencySummary s = WeightedDurations().SummarizeMillis(PercentileMethod::kLinear);
  EXPECT_EQ(s.mean, 0);
  EXPECT_EQ(s.p99, 0);
}

}  // namespace
}  // namespace tokenfab
