#include "jobs.h"

#include <algorithm>

#include "tokenfab/core/sim_time.h"
#include "tokenfab/io/settings.h"
#include "tokenfab/study/calibration.h"
#include "tokenfab/study/simulate.h"
#include "tokenfab/study/validation_report.h"

namespace tokenfab::python {

Result<Scenario> ReadScenario(const std::string& path, const std::string& yaml,
                              const std::vector<std::string>& overrides) {
  if (!path.empty()) return LoadScenario(path, overrides);
  if (!yaml.empty()) return ParseScenario(yaml, "<dict>", overrides);
  return ParseScenario(DefaultScenarioYaml(), "<built-in default>", overrides);
}

Result<nlohmann::json> SimulateJob(const std::string& path, const std::string& yaml,
                                   const std::vector<std::string>& overrides,
                                   const std::vector<std::string>& calibration, bool requests,
                                   bool iterations) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return catalog.error();
  auto scenario = ReadScenario(path, yaml, overrides);
  if (!scenario) return scenario.error();
  auto resolved = ResolveScenario(*scenario, *catalog);
  if (!resolved) return resolved.error();
  auto constants = LoadCalibration(calibration);
  if (!constants) return constants.error();
  ApplyCalibration(*constants, *resolved);
  SimulateOptions options;
  options.keep_iterations = iterations;
  auto out = RunSimulate(*resolved, options);
  if (!out) return out.error();
  nlohmann::json j = std::move(out->json);
  if (requests) j["tables"]["requests"] = RequestTable(out->result);
  if (iterations) j["tables"]["iterations"] = IterationTable(out->result);
  return j;
}

Result<nlohmann::json> ValidateJob(const std::string& data, const std::string& split_file,
                                   const std::string& split, const std::string& filter,
                                   const std::string& metric_class, const std::string& profile,
                                   const std::vector<std::string>& calibration,
                                   std::int64_t max_requests, int threads) {
  if (split != "fit" && split != "holdout" && split != "all") {
    return Error{"split '" + split + "': must be fit, holdout or all"};
  }
  if (max_requests <= 0) return Error{"max_requests must be positive"};
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return catalog.error();
  const std::string data_path = data.empty() ? DefaultMeasuredPath() : data;
  auto table = LoadMeasuredTable(data_path, split_file);
  if (!table) return table.error();
  if (split != "all" && std::none_of(table->begin(), table->end(),
                                     [](const MeasuredRow& r) { return !r.split.empty(); })) {
    return Error{"--split " + split + ": no split file for '" + data_path +
                 "' (give --split-file)"};
  }
  ValidateOptions options;
  options.split = split;
  options.filter = filter;
  options.metric_class = metric_class;
  options.profile = profile;
  options.max_requests = max_requests;
  options.threads = threads;
  auto constants = LoadCalibration(calibration);
  if (!constants) return constants.error();
  options.calibration = std::move(constants).value();
  ValidationRun run = RunValidation(*table, *catalog, options);
  run.data_path = data_path;
  run.split_path = split_file.empty() ? SplitPathFor(data_path) : split_file;
  for (const std::string& f : calibration)
    run.calibration += (run.calibration.empty() ? "" : ", ") + f;
  return ValidationJson(run);
}

Result<nlohmann::json> CatalogJob() {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return catalog.error();
  return CatalogFieldsJson(*catalog);
}

Result<nlohmann::json> KeysJob() {
  nlohmann::json rows = nlohmann::json::array();
  for (const SettingInfo& s : ScenarioSettings()) {
    rows.push_back({s.key, SettingTypeName(s.type),
                    s.default_text.empty() ? nlohmann::json() : nlohmann::json(s.default_text),
                    s.help});
  }
  return nlohmann::json{{"columns", {"key", "type", "default", "help"}}, {"rows", std::move(rows)}};
}

// Same rows and columns as requests.csv of WriteCsvTables: finished requests only.
nlohmann::json RequestTable(const ServeResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Request& r : result.requests) {
    if (!r.Finished()) continue;
    rows.push_back({r.id, r.instance, SimTimeToSeconds(r.arrival), SimTimeToSeconds(r.first_token),
                    SimTimeToSeconds(r.finish), r.input_tokens, r.output_tokens,
                    SimTimeToMillis(r.first_token - r.arrival),
                    SimTimeToMillis(r.finish - r.arrival), r.preemptions});
  }
  return {{"columns",
           {"id", "instance", "arrival_s", "first_token_s", "finish_s", "input_tokens",
            "output_tokens", "ttft_ms", "e2e_ms", "preemptions"}},
          {"rows", std::move(rows)}};
}

// Same rows and columns as iterations.csv of WriteCsvTables.
nlohmann::json IterationTable(const ServeResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const IterationRecord& it : result.iterations) {
    rows.push_back({it.instance, SimTimeToSeconds(it.start), SimTimeToSeconds(it.end),
                    it.batch.Tokens(), it.batch.prefill_tokens, it.batch.prefill_sequences,
                    it.batch.decode_sequences, it.kv_blocks_used, it.kv_blocks_total, it.joules});
  }
  return {{"columns",
           {"instance", "start_s", "end_s", "batch_tokens", "prefill_tokens", "prefill_sequences",
            "decode_sequences", "kv_blocks_used", "kv_blocks_total", "joules"}},
          {"rows", std::move(rows)}};
}

}  // namespace tokenfab::python
