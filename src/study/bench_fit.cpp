#include "tokenfab/study/bench_fit.h"

#include <cmath>

#include <fmt/format.h>

#include "nelder_mead.h"
#include "tokenfab/study/calibration.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab {
namespace {

using json = nlohmann::json;

constexpr const char* kTargets[] = {"ttft_ms", "tpot_ms"};

// Mean TTFT and TPOT the twin predicts for `resolved`, or an error.
Result<std::array<double, 2>> Predict(const ResolvedScenario& resolved) {
  auto out = RunSimulate(resolved);
  if (!out) return Error{out.error().message};
  const json& l = out->json["latency"];
  return std::array<double, 2>{l["ttft_ms"]["mean"].get<double>(),
                               l["tpot_ms"]["mean"].get<double>()};
}

double RmsLogError(const std::array<double, 2>& predicted, const std::array<double, 2>& measured) {
  double sum = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    const double e = std::log(std::max(predicted[i], 1e-9) / measured[i]);
    sum += e * e;
  }
  return std::sqrt(sum / 2);
}

// The engine of the scenario, wherever the simulation reads it.
void SetConstant(ResolvedScenario& r, const CalibratedConstant& c, double value) {
  r.engine.*(c.field) = value;
  for (DeploymentSpec& d : r.deployments) {
    if (d.engine.id == r.engine.id) d.engine.*(c.field) = value;
  }
}

}  // namespace

Result<ResolvedScenario> BenchScenario(const json& bench, const Catalog& catalog) {
  const json source = bench.contains("bench") ? bench["bench"].value("scenario", json()) : json();
  if (!source.is_object() || !source.contains("yaml") || !source["yaml"].is_string()) {
    return Error{"the JSON has no bench.scenario.yaml: it was not written by `tokenfab bench`"};
  }
  const std::string path = source.value("path", std::string());
  std::vector<std::string> overrides;
  if (source.contains("overrides")) overrides = source["overrides"].get<std::vector<std::string>>();
  auto scenario = ParseScenario(source["yaml"].get<std::string>(),
                                path.empty() ? "<built-in default>" : path, overrides);
  if (!scenario) return Error{scenario.error().message};
  return ResolveScenario(*scenario, catalog);
}

Result<json> FitProfileFromBench(const json& bench, const Catalog& catalog,
                                 const BenchFitOptions& options) {
  auto base = BenchScenario(bench, catalog);
  if (!base) return Error{base.error().message};
  ResolvedScenario resolved = std::move(base).value();
  if (options.max_requests > 0 && resolved.serve.workload.num_requests > options.max_requests) {
    resolved.serve.workload.num_requests = options.max_requests;
  }
  std::array<double, 2> measured{};
  for (std::size_t i = 0; i < 2; ++i) {
    const json& v = bench["latency"][kTargets[i]]["mean"];
    if (!v.is_number() || v.get<double>() <= 0) {
      return Error{fmt::format("the bench JSON has no positive latency.{}.mean", kTargets[i])};
    }
    measured[i] = v.get<double>();
  }
  std::vector<std::string> names = options.constants;
  if (names.empty()) names = {"gemm_efficiency", "memory_efficiency"};
  std::vector<const CalibratedConstant*> fitted;
  std::vector<double> x0, step, lower, upper;
  for (const std::string& name : names) {
    const int index = CalibratedConstantIndex(name);
    if (index < 0) return Error{"unknown constant '" + name + "'"};
    const CalibratedConstant& c = CalibratedConstants()[index];
    fitted.push_back(&c);
    x0.push_back(std::clamp(resolved.engine.*(c.field), c.min, c.max));
    lower.push_back(c.min);
    upper.push_back(c.max);
    step.push_back(std::max(0.1 * x0.back(), 0.02 * (c.max - c.min)));
  }
  auto before = Predict(resolved);
  if (!before) return Error{before.error().message};
  std::string failure;
  auto objective = [&](const std::vector<double>& x) {
    ResolvedScenario trial = resolved;
    for (std::size_t i = 0; i < fitted.size(); ++i) SetConstant(trial, *fitted[i], x[i]);
    auto p = Predict(trial);
    if (!p) {
      failure = p.error().message;
      return 1e9;
    }
    const double e = RmsLogError(*p, measured);
    return e * e;
  };
  const BoxMinimum best =
      MinimizeInBox(objective, x0, step, lower, upper, options.max_evaluations, 1e-10);
  ResolvedScenario final_scenario = resolved;
  json constants, initial;
  for (std::size_t i = 0; i < fitted.size(); ++i) {
    SetConstant(final_scenario, *fitted[i], best.x[i]);
    constants[std::string(fitted[i]->name)] = best.x[i];
    initial[std::string(fitted[i]->name)] = x0[i];
  }
  auto after = Predict(final_scenario);
  if (!after) return Error{after.error().message + (failure.empty() ? "" : "; " + failure)};
  json targets;
  for (std::size_t i = 0; i < 2; ++i) {
    targets[kTargets[i]] = {
        {"measured", measured[i]}, {"before", (*before)[i]}, {"after", (*after)[i]}};
  }
  return json{{"profile", resolved.engine.id},
              {"gpu", resolved.gpu.id},
              {"model", resolved.model.id},
              {"endpoint", bench["bench"].value("endpoint", std::string())},
              {"constants", constants},
              {"initial", initial},
              {"targets", targets},
              {"rms_log_error_before", RmsLogError(*before, measured)},
              {"rms_log_error_after", RmsLogError(*after, measured)},
              {"evaluations", best.evaluations},
              {"converged", best.converged}};
}

std::string BenchFitYaml(const json& fit, const std::string& command) {
  std::string constants;
  for (const auto& [name, value] : fit["constants"].items()) {
    constants +=
        fmt::format("{}{}: {:.6g}", constants.empty() ? "" : ", ", name, value.get<double>());
  }
  std::string s =
      fmt::format("# Fitted by: {}\n# to a `tokenfab bench` measurement of {} ({} on {}).\n",
                  command, fit["endpoint"].get<std::string>(), fit["model"].get<std::string>(),
                  fit["gpu"].get<std::string>());
  s += fmt::format("profile: {}\ngpus:\n  {}: {{{}}}\n", fit["profile"].get<std::string>(),
                   fit["gpu"].get<std::string>(), constants);
  s += "fit:\n";
  for (const auto& [name, t] : fit["targets"].items()) {
    s += fmt::format("  {}: {{measured: {:.6g}, before: {:.6g}, after: {:.6g}}}\n", name,
                     t["measured"].get<double>(), t["before"].get<double>(),
                     t["after"].get<double>());
  }
  s += fmt::format("  rms_log_error: {{before: {:.4g}, after: {:.4g}}}\n",
                   fit["rms_log_error_before"].get<double>(),
                   fit["rms_log_error_after"].get<double>());
  s += fmt::format("  converged: {}\n", fit["converged"].get<bool>());
  s += "rows: []\n";
  return s;
}

}  // namespace tokenfab
