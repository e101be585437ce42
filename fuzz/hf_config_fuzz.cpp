// libFuzzer target: bytes as a Hugging Face config.json through ParseHfConfig, then the
// parameter and KV-cache counts of every config that parses.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tokenfab/catalog/hf_config.h"
#include "tokenfab/catalog/model.h"

namespace {

// Counts of an accepted config are finite and positive, and a token uses at most every weight.
void CheckCounts(const tokenfab::ModelSpec& m) {
  const tokenfab::ParameterCount c = tokenfab::CountParameters(m);
  const double kv = tokenfab::KvElementsPerTokenPerLayer(m);
  const bool ok = std::isfinite(c.total) && std::isfinite(c.active) && c.active > 0 &&
                  c.active <= c.total * (1 + 1e-12) && std::isfinite(kv) && kv > 0;
  if (!ok) {
    std::fprintf(stderr, "hf_config_fuzz: bad counts: total %g active %g kv %g\n", c.total,
                 c.active, kv);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto model = tokenfab::ParseHfConfig(text, "fuzz/config.json", "fuzz");
  if (model) CheckCounts(*model);
  return 0;
}
