#include "tokenfab/core/units.h"

#include <gtest/gtest.h>

#include "tokenfab/core/names.h"
#include "tokenfab/core/random.h"
#include "tokenfab/core/status.h"

namespace tokenfab {
namespace {

TEST(ParseQuantity, ReadsUnitsIntoBaseUnits) {
  EXPECT_DOUBLE_EQ(ParseQuantity("3.35 TB/s", Dimension::kBytesPerSecond, "x"), 3.35e12);
  EXPECT_DOUBLE_EQ(ParseQuantity("80 GB", Dimension::kBytes, "x"), 80e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("1 GiB", Dimension::kBytes, "x"), 1073741824.0);
  EXPECT_DOUBLE_EQ(ParseQuantity("700 W", Dimension::kWatts, "x"), 700.0);
  EXPECT_DOUBLE_EQ(ParseQuantity("2 us", Dimension::kSeconds, "x"), 2e-6);
  EXPECT_DOUBLE_EQ(ParseQuantity("989 TFLOPS", Dimension::kFlopsPerSecond, "x"), 989e12);
  EXPECT_DOUBLE_EQ(ParseQuantity("400 Gb/s", Dimension::kBytesPerSecond, "x"), 50e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("1e3", Dimension::kWatts, "x"), 1000.0);
}

TEST(ParseQuantity, UnknownUnitNamesPlaceAndValidUnits) {
  try {
    ParseQuantity("3 TB/h", Dimension::kBytesPerSecond, "gpus.yaml:4 key hbm_bandwidth");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gpus.yaml:4 key hbm_bandwidth"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'TB/h'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("TB/s"), std::string::npos) << msg;
  }
  EXPECT_THROW(ParseQuantity("fast", Dimension::kWatts, "x"), InputError);
}

TEST(NearestNames, SuggestsCloseIds) {
  const std::vector<std::string> ids = {"h100-sxm", "h200-sxm", "b200", "a100-sxm-80gb"};
  const auto near = NearestNames("h100", ids);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near.front(), "h100-sxm");
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(RandomStream, IsDeterministicAndStreamsAreIndependent) {
  RandomStream a = RandomStream::Derive(42, "arrivals");
  RandomStream b = RandomStream::Derive(42, "arrivals");
  RandomStream c = RandomStream::Derive(42, "lengths");
  for (int i = 0; i < 100; ++i) {
    const auto x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    EXPECT_NE(x, c.NextU64());
  }
}

TEST(RandomStream, DistributionMeansAreRight) {
  RandomStream r(7);
  double exp_sum = 0, gamma_sum = 0, normal_sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    exp_sum += r.Exponential(2.0);
    gamma_sum += r.Gamma(0.5, 4.0);
    normal_sum += r.Normal(1.0, 3.0);
  }
  EXPECT_NEAR(exp_sum / n, 2.0, 0.03);
  EXPECT_NEAR(gamma_sum / n, 2.0, 0.05);
  EXPECT_NEAR(normal_sum / n, 1.0, 0.03);
}

TEST(IncreasingSizes, ParsesAndNamesTheFirstBadItem) {
  EXPECT_EQ(ParseIncreasingSizes({"1", "8", "256"}, "f:1"), (std::vector<int>{1, 8, 256}));
  EXPECT_TRUE(ParseIncreasingSizes({}, "f:1").empty());
  auto error = [](const std::vector<std::string>& items) {
    try {
      ParseIncreasingSizes(items, "f.yaml:3 key 'sizes'");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string expected = "; expected increasing positive integers, e.g. [1, 2, 4, 8]";
  EXPECT_EQ(error({"1", "8", "4"}),
            "f.yaml:3 key 'sizes': sizes must increase, got 4 after 8" + expected);
  EXPECT_EQ(error({"1", "two"}),
            "f.yaml:3 key 'sizes': 'two' is not a positive integer up to 10^6" + expected);
  EXPECT_EQ(error({"0"}),
            "f.yaml:3 key 'sizes': '0' is not a positive integer up to 10^6" + expected);
}

}  // namespace
}  // namespace tokenfab
