// Deterministic random streams. Distributions are implemented here rather than taken from
// <random>, whose distributions differ between standard libraries: the same seed must give
// the same output everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace tokenfab {

// xoshiro256** seeded through splitmix64.
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed);
  // An independent stream for one source of randomness (arrivals, lengths, ...).
  static RandomStream Derive(std::uint64_t seed, std::string_view purpose);

  std::uint64_t NextU64();
  double Uniform();      // in [0, 1)
  double UniformOpen();  // in (0, 1)
  double Exponential(double mean);
  double Normal(double mean, double stddev);
  double LogNormal(double mu, double sigma);
  double Gamma(double shape, double scale);
  std::uint64_t UniformInt(std::uint64_t lo, std::uint64_t hi);  // inclusive bounds

 private:
  std::uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace tokenfab
