// Results out: the metrics JSON (stable keys, see docs/metrics.md), per-request and
// per-iteration CSV tables, and the human summary.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tokenfab/core/status.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab {

// {"config": ..., "throughput": {...}, "latency": {...}, ...}
nlohmann::json MetricsJson(const ServeMetrics& metrics, const nlohmann::json& config);

// Writes DIR/requests.csv and DIR/iterations.csv (creating DIR).
Result<bool> WriteCsvTables(const ServeResult& result, const std::string& dir);

// Writes text to a path, or to stdout when path is "-".
Result<bool> WriteText(const std::string& path, const std::string& text);

std::string SummaryText(const ServeMetrics& metrics, const nlohmann::json& config);

}  // namespace tokenfab
