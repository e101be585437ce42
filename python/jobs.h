// The jobs of the Python front end, JSON in and JSON out: each reads its scenario as the CLI
// does and fails with the CLI's message, so module.cpp binds a job with one line and the Python
// half (tokenfab/__init__.py) only converts JSON text. Tables travel as
// {"columns": [...], "rows": [[...], ...]}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab::python {

// The scenario at `path`, else the YAML (or JSON) text `yaml` (named "<dict>" in errors), else
// the built-in default; then the "key=value" overrides, as `tokenfab simulate --set`.
Result<Scenario> ReadScenario(const std::string& path, const std::string& yaml,
                              const std::vector<std::string>& overrides);

// `tokenfab simulate --json`, plus on request "tables": {"requests", "iterations"} with the rows
// and columns of `tokenfab simulate --csv` (under "tables" because the metrics have a
// "requests" section of their own).
Result<nlohmann::json> SimulateJob(const std::string& path, const std::string& yaml,
                                   const std::vector<std::string>& overrides,
                                   const std::vector<std::string>& calibration, bool requests,
                                   bool iterations);

// `tokenfab validate --json`, with the options of the CLI by the same names: "" for `data`
// and `split_file` mean the defaults, an empty `filter`, `metric_class` or `profile` selects all.
Result<nlohmann::json> ValidateJob(const std::string& data, const std::string& split_file,
                                   const std::string& split, const std::string& filter,
                                   const std::string& metric_class, const std::string& profile,
                                   const std::vector<std::string>& calibration,
                                   std::int64_t max_requests, int threads);

// {"gpus": {id: {...}}, "systems": ..., "models": ..., "engines": ...}, every entry with "sources".
Result<nlohmann::json> CatalogJob();

// The scenario keys table of `tokenfab keys`, columns key, type, default, help; the default
// is null where the value is derived.
Result<nlohmann::json> KeysJob();

nlohmann::json CatalogFieldsJson(const Catalog& catalog);
nlohmann::json RequestTable(const ServeResult& result);
nlohmann::json IterationTable(const ServeResult& result);

}  // namespace tokenfab::python
