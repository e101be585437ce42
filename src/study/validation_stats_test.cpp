#include "tokenfab/study/validation_stats.h"

#include <gtest/gtest.h>

#include "nelder_mead.h"

namespace tokenfab {
namespace {

TEST(ValidationStats, AbsolutePercentageError) {
  EXPECT_DOUBLE_EQ(AbsolutePercentageError(110, 100), 10.0);
  EXPECT_DOUBLE_EQ(AbsolutePercentageError(75, 100), 25.0);
  EXPECT_DOUBLE_EQ(AbsolutePercentageError(3, 2), 50.0);
}

TEST(ValidationStats, QuantilesInterpolateLinearly) {
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.9), 3.7);
  EXPECT_DOUBLE_EQ(Quantile({5}, 0.9), 5);
  EXPECT_DOUBLE_EQ(Quantile({}, 0.5), 0);
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.9), 10);
}

TEST(ValidationStats, SummaryOfKnownNumbers) {
  const ErrorSummary s = SummarizeErrors({10, 30, 20, 40, 0}, {1.1, 0.7, 1.2, 1.4, 1.0});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.median_ape, 20);
  EXPECT_DOUBLE_EQ(s.p90_ape, 36);  // 30 + 0.6 * (40 - 30)
  EXPECT_DOUBLE_EQ(s.max_ape, 40);
  EXPECT_DOUBLE_EQ(s.median_ratio, 1.1);
}

TEST(MinimizeInBox, FindsAnInteriorMinimum) {
  auto f = [](const std::vector<double>& x) {
    return (x[0] - 0.3) * (x[0] - 0.3) + 10 * (x[1] - 0.002) * (x[1] - 0.002);
  };
  const BoxMinimum m = MinimizeInBox(f, {0.8, 0.0}, {0.2, 0.001}, {0, 0}, {1, 0.05}, 400, 1e-14);
  EXPECT_NEAR(m.x[0], 0.3, 1e-3);
  EXPECT_NEAR(m.x[1], 0.002, 1e-4);
  EXPECT_LE(m.evaluations, 400);
}

TEST(MinimizeInBox, SaysWhetherItConvergedOrRanOutOfEvaluations) {
  auto f = [](const std::vector<double>& x) {
    return (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 0.6) * (x[1] - 0.6);
  };
  const BoxMinimum done = MinimizeInBox(f, {0.8, 0.1}, {0.1, 0.1}, {0, 0}, {1, 1}, 1000, 1e-10);
  EXPECT_TRUE(done.converged);
  EXPECT_LT(done.evaluations, 1000);
  const BoxMinimum cut = MinimizeInBox(f, {0.8, 0.1}, {0.1, 0.1}, {0, 0}, {1, 1}, 10, 1e-10);
  EXPECT_FALSE(cut.converged);
  EXPECT_GE(cut.evaluations, 10);
  EXPECT_GT(cut.value, done.value);
}

TEST(MinimizeInBox, StopsAtTheBound) {
  auto f = [](const std::vector<double>& x) { return (x[0] - 2) * (x[0] - 2); };
  const BoxMinimum m = MinimizeInBox(f, {0.5}, {0.1}, {0.02}, {1.0}, 200, 1e-12);
  EXPECT_NEAR(m.x[0], 1.0, 1e-6);
}

}  // namespace
}  // namespace tokenfab
