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
  // A format without tensor-core support runs at the next wider one the GPU has (FP8 weights
  // on an A100 are up-converted to BF16), so the first non-zero entry of the chain wins.
  for (const Precision q : WideningChain(p)) {
    const double flops = peak_flops[static_cast<std::size_t>(q)];
    if (flops > 0) return flops;
  }
  return 0;
}

}  // namespace tokenfab
