#include "tokenfab/catalog/gpu.h"

#include <span>

namespace tokenfab {
namespace {

using P = Precision;
constexpr P kFromFp4[] = {P::kFp4, P::kFp8, P::kBf16, P::kFp16, P::kFp32};
constexpr P kFromFp8[] = {P::kFp8, P::kBf16, P::kFp16, P::kFp32};
constexpr P kFromBf16[] = {P::kBf16, P::kFp16, P::kFp32};
constexpr P kFromFp16[] = {P::kFp16, P::kBf16, P::kFp32};
constexpr P kFromFp32[] = {P::kFp32};

std::span<const Precision> WideningChain(Precision p) {
  switch (p) {
    case P::kFp4:
      return kFromFp4;
    case P::kFp8:
      return kFromFp8;
    case P::kBf16:
      return kFromBf16;
    case P::kFp16:
      return kFromFp16;
    case P::kFp32:
      return kFromFp32;
  }
  return kFromFp32;
}

}  // namespace

double GpuSpec::PeakFlops(Precision p) const {
  return peak_flops[static_cast<std::size_t>(MatmulFormat(p))];
}

// A format without tensor-core support runs at the next wider one the GPU has (FP8 weights
// on an A100 are up-converted to BF16), so the first one of the chain with a peak wins.
Precision GpuSpec::MatmulFormat(Precision p) const {
  for (const Precision q : WideningChain(p)) {
    if (peak_flops[static_cast<std::size_t>(q)] > 0) return q;
  }
  return p;
}

double GpuSpec::AchievableMatmulFlops(Precision p) const {
  const Precision run = MatmulFormat(p);
  const double peak = peak_flops[static_cast<std::size_t>(run)];
  if (peak <= 0) return 0;
  auto measured = [&](Precision q) { return achievable_matmul_flops[static_cast<std::size_t>(q)]; };
  auto ratio = [&](Precision q) {
    const double pk = peak_flops[static_cast<std::size_t>(q)];
    return pk > 0 && measured(q) > 0 ? measured(q) / pk : 0.0;
  };
  if (measured(run) > 0) return measured(run);
  // FP16 runs on the same tensor-core path as BF16.
  if (run == P::kFp16 && ratio(P::kBf16) > 0) return peak * ratio(P::kBf16);
  // Unmeasured format: the measured fraction of the nearest format of the same GPU
  // (FP4 -> FP8 -> BF16; BF16 -> FP8), else the default fraction.
  const Precision nearest[] = {P::kFp8, P::kBf16, P::kFp16};
  for (const Precision q : nearest) {
    if (ratio(q) > 0) return peak * ratio(q);
  }
  return peak * kDefaultMamfFraction;
}

}  // namespace tokenfab
