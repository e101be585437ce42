#include "tokenfab/core/sim_time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tokenfab {
namespace {

// The reference: what SecondsToSimTime computed with std::llround for every input.
SimTime ByLlround(double seconds) {
  const double ns = std::llround(seconds * 1e9);
  return ns < 1 ? 1 : static_cast<SimTime>(ns);
}

TEST(SecondsToSimTime, RoundsHalfAwayFromZeroAndAtLeastOneNanosecond) {
  EXPECT_EQ(SecondsToSimTime(0), 1);
  EXPECT_EQ(SecondsToSimTime(-1), 1);
  EXPECT_EQ(SecondsToSimTime(1.4e-9), 1);
  EXPECT_EQ(SecondsToSimTime(2.5e-9), 3);
  EXPECT_EQ(SecondsToSimTime(2.4999e-9), 2);
  EXPECT_EQ(SecondsToSimTime(0.025), 25'000'000);
  EXPECT_EQ(SecondsToSimTime(3600.0), 3'600'000'000'000);
}

TEST(SecondsToSimTime, EqualsLlroundEverywhere) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(-12, 9);
  for (int i = 0; i < 1'000'000; ++i) {
    const double s = std::pow(10.0, exponent(rng));
    ASSERT_EQ(SecondsToSimTime(s), ByLlround(s)) << s;
  }
  // Halves and their neighbours, where truncation and rounding part.
  for (std::int64_t ns : {1LL, 2LL, 12'345LL, 25'000'000LL, 1LL << 40, (1LL << 52) - 1}) {
    for (double x : {ns + 0.5, std::nextafter(ns + 0.5, 0.0), std::nextafter(ns + 0.5, 1e30)}) {
      ASSERT_EQ(SecondsToSimTime(x / 1e9), ByLlround(x / 1e9)) << x;
    }
  }
}

}  // namespace
}  // namespace tokenfab
