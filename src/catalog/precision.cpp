#include "tokenfab/catalog/precision.h"

#include <array>

namespace tokenfab {
namespace {

struct PrecisionInfo {
  Precision precision;
  std::string_view name;
  double bytes;
};

// FP4 packs two elements per byte; scale factors of block formats (NVFP4, MXFP4) are ignored.
constexpr std::array<PrecisionInfo, 5> kPrecisions = {{
    {Precision::kFp4, "fp4", 0.5},
    {Precision::kFp8, "fp8", 1.0},
    {Precision::kFp16, "fp16", 2.0},
    {Precision::kBf16, "bf16", 2.0},
    {Precision::kFp32, "fp32", 4.0},
}};

const PrecisionInfo& Info(Precision p) { return kPrecisions[static_cast<std::size_t>(p)]; }

}  // namespace

double BytesPerElement(Precision p) { return Info(p).bytes; }

std::string_view PrecisionName(Precision p) { return Info(p).name; }

std::optional<Precision> ParsePrecision(std::string_view name) {
  for (const auto& info : kPrecisions) {
    if (info.name == name) return info.precision;
  }
  return std::nullopt;
}

std::vector<std::string> PrecisionNames() {
  std::vector<std::string> names;
  for (const auto& info : kPrecisions) names.emplace_back(info.name);
  return names;
}

}  // namespace tokenfab
