// The validate job: one simulation per measured row (data/validation/measured.csv), the
// predicted value of the row's metric against the measured one, and error summaries.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/study/calibration.h"
#include "tokenfab/study/validation_data.h"
#include "tokenfab/study/validation_stats.h"

namespace tokenfab {

struct ValidateOptions {
  std::string split = "all";  // fit, holdout or all
  std::string filter;         // keep rows whose id, model or gpu contains it ("" = all)
  std::string metric_class;   // keep rows of this class ("" = all; see MetricClassOf)
  std::string profile;        // keep rows served by this engine profile ("" = all)
  // Offline and closed-loop rows simulate at most this many requests. The default covers the
  // largest published run (30,000 requests of 128/128), so every row runs its own count: an
  // offline run of a few KV-capacity batches ends in a partly filled last wave, and cutting
  // the count changes that tail (3,000 requests at batch 1,792 are two waves, 2,000 are not).
  std::int64_t max_requests = 30000;
  int threads = 0;  // 0: std::thread::hardware_concurrency()
  Calibration calibration;
};

// throughput (throughput.*), ttft (latency.ttft_ms.*), tpot (latency.tpot_ms.* and
// latency.itl_ms.*), or other.
std::string MetricClassOf(const std::string& metric);

// The engine profile that stands for a framework: trtllm, vllm, sglang; anything else vllm.
std::string EngineProfileFor(const std::string& framework);
// The profile a row runs: its documented engine.profile setting (row_settings.csv: e.g. the
// TensorRT-engine runtime of older TensorRT-LLM versions), else EngineProfileFor(framework).
std::string RowProfile(const MeasuredRow& row);

// Whether the row passes the options' split, filter, class and profile selection.
bool RowSelected(const MeasuredRow& row, const ValidateOptions& options);

// The scenario that reproduces a row's measurement. Fails when the row is not simulatable.
Result<Scenario> RowScenario(const MeasuredRow& row, std::int64_t max_requests);
// The same scenario as a YAML file for `tokenfab simulate`, the row's settings merged in, under
// a comment naming the row, its measured value and its source.
Result<std::string> RowScenarioFile(const MeasuredRow& row, std::int64_t max_requests);

// The value of a metric in a simulation's metrics JSON: a dotted path ("latency.ttft_ms.mean")
// or a derived metric (throughput.total_tokens_per_s = input + output tokens per second).
Result<double> MetricValue(const nlohmann::json& metrics, const std::string& metric);

// A row resolved against the catalog, ready to simulate (possibly many times, with different
// engine constants). `resolved` is empty when the row cannot be simulated; `skip_reason` says why.
struct PreparedRow {
  MeasuredRow row;
  std::optional<ResolvedScenario> resolved;
  std::string skip_reason;
};

struct RowOutcome {
  MeasuredRow row;
  bool simulated = false;
  double predicted = 0;
  double ape = 0;  // 100 * |predicted - measured| / measured
  std::string skip_reason;
};

std::vector<PreparedRow> PrepareRows(const std::vector<MeasuredRow>& rows, const Catalog& catalog,
                                     std::int64_t max_requests);
// Simulates every prepared row over `threads` threads; outcomes in the order of `rows`.
std::vector<RowOutcome> SimulateRows(const std::vector<PreparedRow>& rows,
                                     const Calibration& calibration, int threads);

struct ValidationRun {
  std::string data_path;
  std::string split_path;
  std::string calibration;  // files applied, comma-separated ("" = none)
  int table_rows = 0;       // rows in the table
  int not_simulatable = 0;  // rows marked simulatable=0 (variable lengths, unparsed deployment)
  ValidateOptions options;
  std::vector<RowOutcome> rows;  // selected simulatable rows, in table order
};

// Selects the simulatable rows that pass the options and simulates them.
ValidationRun RunValidation(const std::vector<MeasuredRow>& table, const Catalog& catalog,
                            const ValidateOptions& options);

// Summaries of the simulated rows: "overall", then groups keyed "<dimension>" -> value, for the
// dimensions split x class, class, metric, gpu, model, framework, source, split.
struct GroupSummary {
  std::string dimension;
  std::string value;
  ErrorSummary errors;
};
std::vector<GroupSummary> Summaries(const std::vector<RowOutcome>& rows);
ErrorSummary SummarizeRows(const std::vector<RowOutcome>& rows);

// The accuracy goal (the validation issue's definition of done): on held-out throughput rows,
// median APE <= 10 % and p90 APE <= 25 %. TTFT and TPOT rows are reported, not held to it.
inline constexpr double kGoalMedianApe = 10.0;
inline constexpr double kGoalP90Ape = 25.0;
// Summary of the simulated held-out throughput rows of a run.
ErrorSummary HoldoutThroughput(const std::vector<RowOutcome>& rows);
bool MeetsGoal(const ErrorSummary& holdout_throughput);

}  // namespace tokenfab
