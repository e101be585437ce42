#include "tokenfab/study/validate.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "parallel_for.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

// A YAML scalar holding any text (JSON strings are YAML double-quoted scalars).
std::string Quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string ParallelismYaml(const MeasuredRow& row) {
  std::string y = "parallelism:\n";
  if (!row.tp && !row.pp && !row.ep) {
    y += fmt::format("  tp: {}\n", row.num_gpus.value_or(1));
  } else {
    y += fmt::format("  tp: {}\n  pp: {}\n  ep: {}\n", row.tp.value_or(1), row.pp.value_or(1),
                     row.ep.value_or(1));
  }
  y += fmt::format("  attention_dp: {}\n", row.attention_dp ? "true" : "false");
  if (row.replicas) y += fmt::format("  replicas: {}\n", *row.replicas);
  return y;
}

// The workload section; throws InputError when the row lacks what its scenario needs.
std::string WorkloadYaml(const MeasuredRow& row, std::int64_t max_requests) {
  std::string y = fmt::format("workload:\n  kind: {}\n", Quoted(row.scenario));
  std::int64_t requests = std::min(row.num_requests.value_or(max_requests), max_requests);
  if (row.scenario == "closed") {
    if (!row.concurrency) throw InputError("closed-loop row without a concurrency");
    const std::int64_t c = *row.concurrency;
    requests = std::max(std::min(row.num_requests.value_or(10 * c), max_requests), c);
    y += fmt::format("  concurrency: {}\n", c);
  } else if (row.scenario == "poisson") {
    if (!row.rate) throw InputError("poisson row without a rate");
    y += fmt::format("  rate: {}\n", *row.rate);
  } else if (row.scenario != "offline") {
    throw InputError(fmt::format("scenario '{}' is not offline, closed or poisson", row.scenario));
  }
  y += fmt::format("  num_requests: {}\n", std::max<std::int64_t>(requests, 1));
  y += fmt::format("  input_tokens: {}\n  output_tokens: {}\n", *row.input_tokens,
                   *row.output_tokens);
  return y;
}

std::string RowScenarioYaml(const MeasuredRow& row, std::int64_t max_requests) {
  if (!row.simulatable)
    throw InputError("not simulatable (variable lengths or unparsed deployment)");
  if (!row.input_tokens || !row.output_tokens) throw InputError("no fixed input/output lengths");
  std::string y =
      fmt::format("model: {}\nhardware:\n  gpu: {}\n", Quoted(row.model), Quoted(row.gpu));
  if (row.num_gpus) y += fmt::format("  num_gpus: {}\n", *row.num_gpus);
  y += ParallelismYaml(row);
  y += fmt::format("precision:\n  weights: {}\n", Quoted(row.precision));
  y += fmt::format("engine:\n  profile: {}\n", Quoted(RowProfile(row)));
  return y + WorkloadYaml(row, max_requests);
}

RowOutcome SimulateOne(const PreparedRow& p, const Calibration& calibration) {
  RowOutcome out;
  out.row = p.row;
  if (!p.resolved) {
    out.skip_reason = p.skip_reason;
    return out;
  }
  if (!(p.row.value > 0)) {
    out.skip_reason = "measured value is not positive";
    return out;
  }
  ResolvedScenario resolved = *p.resolved;
  ApplyCalibration(calibration, resolved);
  auto sim = RunSimulate(resolved);
  if (!sim) {
    out.skip_reason = "simulation failed: " + sim.error().message;
    return out;
  }
  auto predicted = MetricValue(sim->json, p.row.metric);
  if (!predicted) {
    out.skip_reason = predicted.error().message;
    return out;
  }
  out.simulated = true;
  out.predicted = *predicted;
  out.ape = AbsolutePercentageError(out.predicted, p.row.value);
  return out;
}

}  // namespace

std::string MetricClassOf(const std::string& metric) {
  auto starts = [&](const char* prefix) { return metric.rfind(prefix, 0) == 0; };
  if (starts("throughput.")) return "throughput";
  if (starts("latency.ttft_ms.")) return "ttft";
  if (starts("latency.tpot_ms.") || starts("latency.itl_ms.")) return "tpot";
  return "other";
}

std::string EngineProfileFor(const std::string& framework) {
  if (framework == "trtllm" || framework == "sglang") return framework;
  return "vllm";
}

std::string RowProfile(const MeasuredRow& row) {
  const std::string key = "engine.profile=";
  for (const std::string& s : row.settings) {
    if (s.rfind(key, 0) == 0) return s.substr(key.size());
  }
  return EngineProfileFor(row.framework);
}

bool RowSelected(const MeasuredRow& row, const ValidateOptions& o) {
  if (o.split != "all" && row.split != o.split) return false;
  if (!o.metric_class.empty() && MetricClassOf(row.metric) != o.metric_class) return false;
  if (!o.profile.empty() && RowProfile(row) != o.profile) return false;
  if (o.filter.empty()) return true;
  auto has = [&](const std::string& s) { return s.find(o.filter) != std::string::npos; };
  return has(row.id) || has(row.model) || has(row.gpu);
}

Result<Scenario> RowScenario(const MeasuredRow& row, std::int64_t max_requests) {
  auto yaml = CatchInputErrors([&] { return RowScenarioYaml(row, max_requests); });
  if (!yaml) return yaml.error();
  // The row's documented settings override the defaults its columns imply.
  return ParseScenario(*yaml, "measured row " + row.id, row.settings);
}

Result<std::string> RowScenarioFile(const MeasuredRow& row, std::int64_t max_requests) {
  auto checked = RowScenario(row, max_requests);  // the same checks and errors as validate's
  if (!checked) return checked.error();
  YAML::Node root = YAML::Load(RowScenarioYaml(row, max_requests));
  for (const std::string& setting : row.settings) {
    const std::size_t eq = setting.find('=');
    const std::string key = setting.substr(0, eq);
    YAML::Node node = root;
    std::size_t begin = 0;
    for (std::size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', begin)) {
      node.reset(node[key.substr(begin, dot - begin)]);
      begin = dot + 1;
    }
    YAML::Node value = YAML::Load(setting.substr(eq + 1));
    if (value.IsSequence()) value.SetStyle(YAML::EmitterStyle::Flow);
    node[key.substr(begin)] = value;
  }
  YAML::Emitter out;
  out << root;
  return fmt::format("# measured row {}: {} = {}\n# source: {}\n{}\n", row.id, row.metric,
                     row.value, row.source, out.c_str());
}

Result<double> MetricValue(const nlohmann::json& metrics, const std::string& metric) {
  if (metric == "throughput.total_tokens_per_s") {
    auto in = MetricValue(metrics, "throughput.input_tokens_per_s");
    auto out = MetricValue(metrics, "throughput.output_tokens_per_s");
    if (!in || !out) return Error{"no input or output throughput in the results"};
    return *in + *out;
  }
  std::string pointer = "/" + metric;
  std::replace(pointer.begin(), pointer.end(), '.', '/');
  const nlohmann::json::json_pointer ptr(pointer);
  if (!metrics.contains(ptr) || !metrics.at(ptr).is_number()) {
    return Error{fmt::format("metric '{}' is not in the simulation results", metric)};
  }
  return metrics.at(ptr).get<double>();
}

std::vector<PreparedRow> PrepareRows(const std::vector<MeasuredRow>& rows, const Catalog& catalog,
                                     std::int64_t max_requests) {
  std::vector<PreparedRow> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out[i].row = rows[i];
    auto scenario = RowScenario(rows[i], max_requests);
    if (!scenario) {
      out[i].skip_reason = scenario.error().message;
      continue;
    }
    auto resolved = ResolveScenario(*scenario, catalog);
    if (!resolved) {
      out[i].skip_reason = resolved.error().message;
      continue;
    }
    out[i].resolved = std::move(resolved).value();
  }
  return out;
}

std::vector<RowOutcome> SimulateRows(const std::vector<PreparedRow>& rows,
                                     const Calibration& calibration, int threads) {
  std::vector<RowOutcome> out(rows.size());
  ParallelFor(rows.size(), threads, [&](std::size_t i) {
    try {
      out[i] = SimulateOne(rows[i], calibration);
    } catch (const std::exception& e) {
      out[i] = RowOutcome{rows[i].row, false, 0, 0, std::string("simulation threw: ") + e.what()};
    }
  });
  return out;
}

ValidationRun RunValidation(const std::vector<MeasuredRow>& table, const Catalog& catalog,
                            const ValidateOptions& options) {
  ValidationRun run;
  run.options = options;
  run.table_rows = static_cast<int>(table.size());
  std::vector<MeasuredRow> selected;
  for (const MeasuredRow& row : table) {
    if (!row.simulatable) {
      ++run.not_simulatable;
    } else if (RowSelected(row, options)) {
      selected.push_back(row);
    }
  }
  run.rows = SimulateRows(PrepareRows(selected, catalog, options.max_requests), options.calibration,
                          options.threads);
  return run;
}

}  // namespace tokenfab
