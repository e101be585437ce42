#include "tokenfab/core/random.h"

#include <cmath>

namespace tokenfab {
namespace {

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// FNV-1a: a stable hash of the purpose string, independent of std::hash.
std::uint64_t HashPurpose(std::string_view purpose) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : purpose) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

}  // namespace

RandomStream::RandomStream(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& s : s_) s = SplitMix64(state);
}

RandomStream RandomStream::Derive(std::uint64_t seed, std::string_view purpose) {
  std::uint64_t state = seed ^ HashPurpose(purpose);
  return RandomStream(SplitMix64(state));
}

std::uint64_t RandomStream::NextU64() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double RandomStream::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double RandomStream::UniformOpen() {
  return (static_cast<double>(NextU64() >> 12) + 0.5) * 0x1.0p-52;
}

double RandomStream::Exponential(double mean) { return -mean * std::log(UniformOpen()); }

double RandomStream::Normal(double mean, double stddev) {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return mean + stddev * spare_normal_;
  }
  // Marsaglia polar method.
  double u, v, s;
  do {
    u = 2.0 * Uniform() - 1.0;
    v = 2.0 * Uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_normal_ = true;
  return mean + stddev * u * f;
}

double RandomStream::LogNormal(double mu, double sigma) { return std::exp(Normal(mu, sigma)); }

double RandomStream::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Boost to shape + 1, then scale down (Marsaglia and Tsang).
    const double u = UniformOpen();
    return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = Normal(0.0, 1.0);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = UniformOpen();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

std::uint64_t RandomStream::UniformInt(std::uint64_t lo, std::uint64_t hi) {
  const std::uint64_t span = hi - lo + 1;
  if (span == 0) return NextU64();
  // Rejection keeps the result unbiased.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  std::uint64_t x;
  do {
    x = NextU64();
  } while (x >= limit);
  return lo + x % span;
}

}  // namespace tokenfab
