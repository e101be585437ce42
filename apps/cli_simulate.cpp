#include <cstdio>
#include <memory>
#include <optional>

#include "cli_commands.h"
#include "tokenfab/io/perfetto_trace.h"
#include "tokenfab/io/report.h"
#include "tokenfab/io/results.h"
#include "tokenfab/study/calibration.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab::cli {
namespace {

int g_exit_code = kExitOk;

struct SimulateArgs {
  std::string scenario;
  std::vector<std::string> overrides;
  std::string json_path;
  std::string csv_dir;
  std::string report_path;
  std::string trace_path;
  std::vector<std::string> calibration;
  std::optional<long long> seed;
  bool quiet = false;
};

void RunSimulateCommand(const SimulateArgs& a) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return Fail(kExitInput, catalog.error().message);
  std::vector<std::string> overrides = a.overrides;
  if (a.seed) overrides.push_back("seed=" + std::to_string(*a.seed));
  auto scenario = a.scenario.empty()
                      ? ParseScenario(DefaultScenarioYaml(), "<built-in default>", overrides)
                      : LoadScenario(a.scenario, overrides);
  if (!scenario) return Fail(kExitInput, scenario.error().message);
  auto resolved = ResolveScenario(*scenario, *catalog);
  if (!resolved) return Fail(kExitInput, resolved.error().message);
  auto calibration = LoadCalibration(a.calibration);
  if (!calibration) return Fail(kExitInput, calibration.error().message);
  ApplyCalibration(*calibration, *resolved);  // every deployment's engine, which the run reads
  SimulateOptions options;
  options.keep_iterations = !a.csv_dir.empty() || !a.report_path.empty() || !a.trace_path.empty();
  options.keep_requests = options.keep_iterations;  // only tables, reports and traces need them
  auto out = RunSimulate(*resolved, options);
  if (!out) return Fail(kExitInput, out.error().message);
  const bool json_to_stdout = a.json_path == "-";
  if (!a.quiet && !json_to_stdout) {
    std::fputs(SummaryText(out->result.metrics, out->resolved.config).c_str(), stdout);
  }
  if (!a.json_path.empty()) {
    if (auto w = WriteText(a.json_path, out->json.dump(2) + "\n"); !w) {
      return Fail(kExitOutput, w.error().message);
    }
  }
  if (!a.csv_dir.empty()) {
    if (auto w = WriteCsvTables(out->result, a.csv_dir); !w)
      return Fail(kExitOutput, w.error().message);
  }
  if (!a.report_path.empty()) {
    const std::string html = SimulationReportHtml(out->json, out->result);
    if (auto w = WriteText(a.report_path, html); !w) return Fail(kExitOutput, w.error().message);
  }
  if (!a.trace_path.empty()) {
    const std::string trace = PerfettoTraceJson(out->result);
    if (auto w = WriteText(a.trace_path, trace); !w) return Fail(kExitOutput, w.error().message);
  }
}

}  // namespace

int ExitCode() { return g_exit_code; }
void SetExitCode(int code) { g_exit_code = code; }

void Fail(int code, const std::string& message) {
  std::fprintf(stderr, "tokenfab: error: %s\n", message.c_str());
  SetExitCode(code);
}

void AddSimulate(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "simulate a serving deployment described by a scenario file (or the built-in default)");
  cmd->add_option("scenario", args->scenario, "scenario YAML file; omitted: the built-in default");
  cmd->add_option("--set", args->overrides, "override a scenario key: KEY=VALUE (dotted key)")
      ->allow_extra_args(false);
  cmd->add_option("--json", args->json_path, "write the metrics as JSON to PATH, or - for stdout");
  cmd->add_option("--csv", args->csv_dir, "write requests.csv and iterations.csv into DIR");
  cmd->add_option("--report", args->report_path,
                  "write a self-contained HTML report (summary and charts) to PATH");
  cmd->add_option("--trace", args->trace_path,
                  "write a Chrome/Perfetto trace (JSON) of iterations and requests to PATH");
  cmd->add_option("--seed", args->seed, "override the scenario seed");
  cmd->add_option("--calibration", args->calibration,
                  "engine constants fitted by `tokenfab calibrate` (YAML; repeatable)");
  cmd->add_flag("--quiet,-q", args->quiet, "do not print the summary");
  cmd->callback([args] { RunSimulateCommand(*args); });
}

}  // namespace tokenfab::cli
