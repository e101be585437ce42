// Published measurements the twin is checked against: data/validation/measured.csv (one row
// per measured number, in simulator-ready columns) and split.csv (fit or holdout per row).
// Column meanings are in data/validation/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/core/status.h"

namespace tokenfab {

// RFC 4180 CSV: fields separated by commas, optionally in double quotes (a quoted field may
// hold commas, newlines and "" for a quote). `lines[i]` is the 1-based line where rows[i] starts.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
};

// Fails on an unterminated quote or a row whose field count differs from the header's.
Result<CsvTable> ParseCsv(const std::string& text, const std::string& origin);

// One measured number with the configuration it was measured on. Empty cells are nullopt.
struct MeasuredRow {
  std::string id;
  bool simulatable = false;  // fixed lengths and a fully stated deployment
  std::string model;         // catalog ids
  std::string gpu;
  std::optional<int> num_gpus;  // GPUs the measured value covers
  std::optional<int> tp;
  std::optional<int> pp;
  std::optional<int> ep;
  bool attention_dp = false;
  std::optional<int> replicas;
  std::string precision;  // bf16, fp16, fp8, fp4
  std::string framework;  // trtllm, vllm, sglang, other
  std::string scenario;   // offline, closed, poisson
  std::optional<int> concurrency;
  std::optional<double> rate;  // requests per second
  std::optional<std::int64_t> num_requests;
  std::optional<int> input_tokens;
  std::optional<int> output_tokens;
  std::string metric;  // tokenfab metric name, e.g. throughput.output_tokens_per_s
  double value = 0;    // in the metric's unit
  std::string source;
  std::string split;  // "fit", "holdout", or "" when split.csv does not list the row
  // Engine settings the row's source documents beyond the table's columns (row_settings.csv):
  // scenario overrides "key=value" (e.g. "precision.kv_cache=bf16"), applied in file order.
  std::vector<std::string> settings;
};

// Reads the rows of a measured.csv; errors name origin:line and the column.
Result<std::vector<MeasuredRow>> ParseMeasuredRows(const std::string& csv_text,
                                                   const std::string& origin);
Result<std::vector<MeasuredRow>> LoadMeasuredRows(const std::string& path);

// split.csv: id -> "fit" | "holdout".
Result<std::map<std::string, std::string>> ParseSplit(const std::string& csv_text,
                                                      const std::string& origin);
Result<std::map<std::string, std::string>> LoadSplit(const std::string& path);
void AssignSplit(const std::map<std::string, std::string>& split, std::vector<MeasuredRow>& rows);

// row_settings.csv: id,key,value,source, one documented engine setting of a row per line
// (key a scenario key, value as for --set).
Result<std::map<std::string, std::vector<std::string>>> ParseRowSettings(
    const std::string& csv_text, const std::string& origin);
void AssignRowSettings(const std::map<std::string, std::vector<std::string>>& settings,
                       std::vector<MeasuredRow>& rows);

// The rows of a measured table with their split and the row_settings.csv beside the table
// (when there is one). `split_path` "" means the split.csv beside
// the table if there is one (else every row's split stays "").
Result<std::vector<MeasuredRow>> LoadMeasuredTable(const std::string& measured_path,
                                                   const std::string& split_path);

// <data dir>/validation/measured.csv and the split.csv beside a given table.
std::string DefaultMeasuredPath();
std::string SplitPathFor(const std::string& measured_path);
std::string RowSettingsPathFor(const std::string& measured_path);

Result<std::string> ReadTextFile(const std::string& path);

}  // namespace tokenfab
