// Self-contained HTML reports: one file with inline CSS, the embedded chart bundle (see
// web_assets.h) and the data as inline JSON, so it opens offline in any browser.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tokenfab/serve/simulation.h"

namespace tokenfab {

// What the simulation charts draw, small enough for big runs (at most `max_points` time
// buckets (default 500), at most kCdfPoints points per CDF):
//   {"cdf": {"ttft_ms"|"tpot_ms"|"e2e_ms": [[value, fraction of requests <= value], ...]},
//    "bucket_s": width of a time bucket, "t0_s": start of the first,
//    "series": {"t_s": bucket midpoints, "output_tokens_per_s", "in_system", "waiting"
//               (arrived, no first token yet; both time averages over the bucket), and when
//               `result.iterations` is not empty "kv_utilization" / "kv_utilization_max"
//               (mean / max used / total blocks of the iterations ending in the bucket),
//               "batch_sequences", "batch_tokens" (mean per iteration); null where a bucket
//               has no iteration}}
inline constexpr int kCdfPoints = 400;
nlohmann::json SimulationChartData(const ServeResult& result, int max_points = 500);

// A report of one simulation: summary, latency CDFs, throughput, requests in the system,
// KV-cache use and batch size over time. `metrics_json` is MetricsJson(...) (plus extras);
// the time series need `result.iterations` (ServeConfig::keep_iterations) for KV and batch.
std::string SimulationReportHtml(const nlohmann::json& metrics_json, const ServeResult& result);

// A report of a validation run: predicted against measured, per metric, and the error tables.
// `validation_json` is what `tokenfab validate --json` writes (rows with metric, measured,
// predicted, split; summaries; goal).
std::string ValidationReportHtml(const nlohmann::json& validation_json);

// The page around any report data: {"kind": "simulation"|"validation", ...}.
std::string ReportHtml(const std::string& title, const nlohmann::json& data);

// Text made safe inside HTML elements and double-quoted attributes.
std::string HtmlEscape(std::string_view text);

}  // namespace tokenfab
