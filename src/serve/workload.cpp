#include "tokenfab/serve/workload.h"

#include <algorithm>
#include <cmath>

namespace tokenfab {

std::int32_t LengthDistribution::Sample(RandomStream& rng) const {
  double x = mean;
  switch (kind) {
    case Kind::kFixed:
      break;
    case Kind::kUniform:
      x = min + rng.Uniform() * (max - min + 1);
      break;
    case Kind::kLogNormal: {
      const double sigma2 = std::log1p(cv * cv);
      x = rng.LogNormal(std::log(mean) - sigma2 / 2, std::sqrt(sigma2));
      break;
    }
  }
  x = std::clamp(std::floor(x + (kind == Kind::kUniform ? 0.0 : 0.5)), std::max(1.0, min), max);
  return static_cast<std::int32_t>(x);
}

WorkloadSource::WorkloadSource(const WorkloadSpec& spec, std::uint64_t seed)
    : spec_(&spec),
      arrivals_(RandomStream::Derive(seed, "arrivals")),
      lengths_(RandomStream::Derive(seed, "lengths")),
      total_(spec.kind == WorkloadSpec::Kind::kTrace
                 ? std::min<std::int64_t>(spec.num_requests, spec.trace.size())
                 : spec.num_requests) {}

WorkloadSource::Draw WorkloadSource::Next() {
  Draw d;
  const WorkloadSpec& s = *spec_;
  switch (s.kind) {
    case WorkloadSpec::Kind::kTrace: {
      const TraceRecord& r = s.trace[issued_];
      d.arrival = static_cast<SimTime>(std::llround(r.arrival_s * 1e9));
      d.input_tokens = r.input_tokens;
      d.output_tokens = r.output_tokens;
      ++issued_;
      return d;
    }
    case WorkloadSpec::Kind::kPoisson:
      if (issued_ > 0) clock_s_ += arrivals_.Exponential(1.0 / s.rate);
      break;
    case WorkloadSpec::Kind::kGamma:
      // Gamma inter-arrivals with mean 1/rate and the given CV: shape 1/cv^2.
      if (issued_ > 0) {
        const double shape = 1.0 / (s.cv * s.cv);
        clock_s_ += arrivals_.Gamma(shape, 1.0 / (s.rate * shape));
      }
      break;
    case WorkloadSpec::Kind::kOffline:
    case WorkloadSpec::Kind::kClosed:
      break;
  }
  d.arrival = static_cast<SimTime>(std::llround(clock_s_ * 1e9));
  d.input_tokens = s.input.Sample(lengths_);
  d.output_tokens = s.output.Sample(lengths_);
  ++issued_;
  return d;
}

}  // namespace tokenfab
