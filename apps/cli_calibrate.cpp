// `tokenfab calibrate`: fits an engine profile's free constants to the `fit` rows of the
// measured table and writes them, with the rows used and the fit, to data/calibration/; or,
// with --from, to one `tokenfab bench` measurement.
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "cli_commands.h"
#include "tokenfab/io/results.h"
#include "tokenfab/study/bench_fit.h"
#include "tokenfab/study/calibrate.h"

namespace tokenfab::cli {
namespace {

struct CalibrateArgs {
  CalibrateOptions options;
  std::string data;
  std::string split_file;
  std::string out;
  std::string from;  // a `tokenfab bench --json` measurement to fit instead of the table
};

std::string CommandLine(const CalibrateArgs& a) {
  const CalibrateOptions& o = a.options;
  std::string c = "tokenfab calibrate --profile " + o.profile;
  auto add = [&](const char* flag, const std::string& v) {
    if (!v.empty()) c += fmt::format(" {} {}", flag, v);
  };
  add("--data", a.data);
  add("--split-file", a.split_file);
  add("--gpu", o.gpu);
  if (o.per_gpu) c += " --per-gpu";
  if (o.per_architecture) c += " --per-architecture";
  for (const std::string& name : o.constants) add("--constant", name);
  for (const std::string& name : o.per_gpu_constants) add("--per-gpu-constant", name);
  add("--class", o.metric_class);
  add("--filter", o.filter);
  add("--max-requests", std::to_string(o.max_requests));
  if (o.max_rows > 0) add("--max-rows", std::to_string(o.max_rows));
  add("--max-evaluations", std::to_string(o.max_evaluations));
  return c;
}

std::string DefaultOut(const CalibrateOptions& o) {
  const std::string name = o.gpu.empty() ? o.profile : o.profile + "-" + o.gpu;
  return DisplayPath(Catalog::DefaultDataDir() + "/calibration/" + name + ".yaml");
}

void PrintBenchFit(const nlohmann::json& f, const std::string& from) {
  std::printf("tokenfab calibrate: %s on %s, engine %s, fitted to %s\n",
              f["model"].get<std::string>().c_str(), f["gpu"].get<std::string>().c_str(),
              f["profile"].get<std::string>().c_str(), from.c_str());
  for (const auto& [name, value] : f["constants"].items()) {
    std::printf("  %-22s %.4g (was %.4g)\n", name.c_str(), value.get<double>(),
                f["initial"][name].get<double>());
  }
  for (const auto& [name, t] : f["targets"].items()) {
    std::printf("  %-22s measured %.3f, twin %.3f before, %.3f after\n", (name + " mean").c_str(),
                t["measured"].get<double>(), t["before"].get<double>(), t["after"].get<double>());
  }
  std::printf("  rms log error          %.4f before, %.4f after (%d simulations, %s)\n",
              f["rms_log_error_before"].get<double>(), f["rms_log_error_after"].get<double>(),
              f["evaluations"].get<int>(), ConvergenceText(f["converged"].get<bool>()));
}

// --from: a bench measurement; the calibration file is written only when --out is given.
void RunCalibrateFromBench(const CalibrateArgs& a, const Catalog& catalog) {
  std::ifstream in(a.from, std::ios::binary);
  if (!in) return Fail(kExitInput, "cannot open '" + a.from + "'");
  const nlohmann::json bench = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (bench.is_discarded()) return Fail(kExitInput, a.from + ": not valid JSON");
  BenchFitOptions options;
  options.constants = a.options.constants;
  options.max_evaluations = a.options.max_evaluations;
  auto fit = FitProfileFromBench(bench, catalog, options);
  if (!fit) return Fail(kExitInput, a.from + ": " + fit.error().message);
  PrintBenchFit(*fit, a.from);
  if (a.out.empty()) return;
  std::string command = "tokenfab calibrate --from " + a.from;
  for (const std::string& c : a.options.constants) command += " --constant " + c;
  if (auto w = WriteText(a.out, BenchFitYaml(*fit, command)); !w) {
    return Fail(kExitOutput, w.error().message);
  }
  std::printf("wrote %s (apply with --calibration %s)\n", a.out.c_str(), a.out.c_str());
}

void RunCalibrateCommand(const CalibrateArgs& a) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return Fail(kExitInput, catalog.error().message);
  if (!a.from.empty()) return RunCalibrateFromBench(a, *catalog);
  const std::string data = a.data.empty() ? DefaultMeasuredPath() : a.data;
  auto table = LoadMeasuredTable(data, a.split_file);
  if (!table) return Fail(kExitInput, table.error().message);
  auto result = Calibrate(*table, *catalog, a.options);
  if (!result) return Fail(kExitInput, result.error().message);
  const std::string out = a.out.empty() ? DefaultOut(a.options) : a.out;
  if (auto w = WriteText(out, CalibrationYaml(*result, a.options, CommandLine(a))); !w) {
    return Fail(kExitOutput, w.error().message);
  }
  std::fputs(CalibrationText(*result).c_str(), stdout);
  std::printf("wrote %s (apply with --calibration %s)\n", out.c_str(), out.c_str());
}

}  // namespace

void AddCalibrate(CLI::App& app) {
  auto a = std::make_shared<CalibrateArgs>();
  CalibrateOptions& o = a->options;
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "fit an engine profile's free constants to the fit rows of the measured table");
  cmd->add_option("--profile", o.profile, "engine profile to calibrate (default trtllm)");
  cmd->add_option("--data", a->data, "measured table (CSV); default: data/validation/measured.csv");
  cmd->add_option("--split-file", a->split_file,
                  "fit/holdout split; default: split.csv beside the table");
  cmd->add_option("--gpu", o.gpu, "fit only this GPU's rows (written under gpus:)");
  cmd->add_flag("--per-gpu", o.per_gpu, "after the all-GPU fit, refit each GPU with enough rows");
  cmd->add_flag("--per-architecture", o.per_architecture,
                "with --per-gpu: refit the GPUs of one catalog architecture together (written "
                "under each of its GPUs)");
  cmd->add_option(
      "--constant", o.constants,
      "constant to fit (repeatable; default all: iteration_overhead_s, gemm_efficiency, "
      "memory_efficiency, attention_efficiency, network_efficiency, host_time_per_sequence_s, "
      "grouped_gemm_efficiency, compute_memory_overlap, collective_latency_s, kv_read_efficiency)");
  cmd->add_option("--per-gpu-constant", o.per_gpu_constants,
                  "with --per-gpu: constant refitted per GPU (repeatable; default: those of "
                  "--constant)");
  cmd->add_option("--class", o.metric_class, "fit only rows of this metric class")
      ->check(CLI::IsMember({"throughput", "ttft", "tpot", "other"}));
  cmd->add_option("--filter", o.filter, "fit only rows whose id, model or gpu contains TEXT");
  cmd->add_option("--max-requests", o.max_requests,
                  "requests per simulation while fitting (default 200)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-rows", o.max_rows,
                  "fit an evenly spaced subset of at most N rows (default all)");
  cmd->add_option("--max-evaluations", o.max_evaluations,
                  "objective evaluations per fit (default 200)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", o.threads, "worker threads (default: one per core)");
  cmd->add_option("--from", a->from,
                  "fit to a `tokenfab bench --json` measurement instead (default constants: "
                  "gemm_efficiency, memory_efficiency; see docs/emulate.md)");
  cmd->add_option("--out", a->out,
                  "output YAML; default data/calibration/<profile>[-<gpu>].yaml (with --from: "
                  "written only when given)");
  cmd->callback([a] { RunCalibrateCommand(*a); });
}

}  // namespace tokenfab::cli
