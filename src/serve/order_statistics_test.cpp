#include "order_statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace tokenfab {
namespace {

void ExpectSortedOrder(std::vector<double> values, const std::vector<std::size_t>& ranks) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out;
  OrderStatistics(values, ranks, out);
  ASSERT_EQ(out.size(), ranks.size());
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    EXPECT_EQ(out[i], sorted[ranks[i]]) << "rank " << ranks[i] << " of " << sorted.size();
  }
}

std::vector<std::size_t> PercentileRanks(std::size_t n) {
  std::vector<std::size_t> ranks;
  for (double p : {0.50, 0.90, 0.99}) {
    const auto lo = static_cast<std::size_t>(p * static_cast<double>(n - 1));
    ranks.push_back(lo);
    ranks.push_back(std::min(n - 1, lo + 1));
  }
  ranks.push_back(0);
  ranks.push_back(n - 1);
  return ranks;
}

TEST(OrderStatistics, MatchesASortAtEveryScaleAndShape) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(4.0, 0.6);
  std::uniform_int_distribution<int> coarse(0, 40);
  for (std::size_t n : {1, 2, 3, 1000, 65535, 65536, 300000, 1000000}) {
    std::vector<double> smooth(n), ties(n), mixed(n);
    for (std::size_t i = 0; i < n; ++i) {
      smooth[i] = latency(rng);
      ties[i] = coarse(rng) * 0.25;  // few distinct values: ranks fall inside big buckets
      mixed[i] = (i % 3 == 0 ? -1.0 : 1.0) * latency(rng);
    }
    ExpectSortedOrder(smooth, PercentileRanks(n));
    ExpectSortedOrder(ties, PercentileRanks(n));
    ExpectSortedOrder(mixed, PercentileRanks(n));
  }
}

TEST(OrderStatistics, RepeatedAndUnorderedRanks) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> gap(1.0);
  std::vector<double> values(200000);
  for (double& v : values) v = gap(rng);
  ExpectSortedOrder(values, {199999, 5, 5, 100000, 0, 100001, 6});
}

TEST(OrderStatistics, AllEqual) {
  ExpectSortedOrder(std::vector<double>(100000, 3.5), {0, 50000, 99999});
}

}  // namespace
}  // namespace tokenfab
