// Quantities written with their unit in data files ("3.35 TB/s", "700 W", "2 us") are read by
// one parser into SI base units: bytes, bytes/s, FLOP/s, seconds, watts, dollars.
// Decimal prefixes (k, M, G, T, P) are powers of 1000; binary ones (KiB, MiB, GiB, TiB) of 1024.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokenfab {

enum class Dimension { kBytes, kBytesPerSecond, kFlopsPerSecond, kSeconds, kWatts, kDimensionless };

// Parses "<number> <unit>" of the given dimension; a bare number is taken in the base unit.
// Throws InputError naming `where` (e.g. "data/catalog/gpus.yaml:12 key hbm_bandwidth").
double ParseQuantity(std::string_view text, Dimension dimension, const std::string& where);

std::string_view DimensionName(Dimension dimension);

// Parses a list of sizes as written in a data file or scenario (e.g. CUDA graph batch sizes):
// positive integers up to 10^6, each larger than the one before. Throws InputError naming
// `where`.
std::vector<int> ParseIncreasingSizes(const std::vector<std::string>& items,
                                      const std::string& where);

}  // namespace tokenfab
