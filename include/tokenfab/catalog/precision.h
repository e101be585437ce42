// Numeric formats of weights, activations and the KV cache.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab {

enum class Precision { kFp4, kFp8, kFp16, kBf16, kFp32 };

double BytesPerElement(Precision p);
std::string_view PrecisionName(Precision p);
std::optional<Precision> ParsePrecision(std::string_view name);
std::vector<std::string> PrecisionNames();

}  // namespace tokenfab
