// The /metrics page of `tokenfab emulate` in the Prometheus text format (version 0.0.4).
// Private to the study layer.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/study/emulator.h"

namespace tokenfab {

// What the HTTP edge counts itself.
struct HttpCounters {
  std::int64_t requests = 0;   // HTTP requests answered, every endpoint
  std::int64_t in_flight = 0;  // completion requests being answered now
  std::int64_t errors_4xx = 0;
  std::int64_t errors_5xx = 0;
};

std::string PrometheusText(const EmulatorStats& stats, const HttpCounters& http,
                           const std::string& model_name);

}  // namespace tokenfab
