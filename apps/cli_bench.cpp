// `tokenfab bench`: a scenario's workload against any OpenAI-compatible endpoint, measured as
// the twin reports it (the JSON of `simulate --json`, plus "bench").
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "cli_commands.h"
#include "cli_scenario.h"
#include "tokenfab/io/results.h"
#include "tokenfab/study/bench_client.h"
#include "tokenfab/study/emulate_server.h"

namespace tokenfab::cli {
namespace {

struct BenchArgs {
  std::string scenario;
  std::vector<std::string> overrides;
  std::string json_path;
  BenchOptions options;
  bool quiet = false;
};

std::string ScenarioText(const std::string& path) {
  if (path.empty()) return DefaultScenarioYaml();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void RunBenchCommand(BenchArgs a) {
  auto resolved = LoadResolvedScenario(a.scenario, a.overrides);
  if (!resolved) return Fail(kExitInput, resolved.error().message);
  a.options.scenario_source = {
      {"path", a.scenario}, {"yaml", ScenarioText(a.scenario)}, {"overrides", a.overrides}};
  if (a.options.api_key.empty()) {
    if (const char* key = std::getenv("OPENAI_API_KEY")) a.options.api_key = key;
  }
  RaiseOpenFileLimit();  // one connection per request in flight
  auto out = RunBench(*resolved, a.options);
  if (!out) return Fail(kExitInput, out.error().message);
  const bool json_to_stdout = a.json_path == "-";
  if (!a.quiet && !json_to_stdout) {
    std::string text = SummaryText(out->metrics, out->json["config"]);
    const std::string from = "tokenfab simulate:";
    if (text.rfind(from, 0) == 0) {
      text.replace(0, from.size(),
                   fmt::format("tokenfab bench ({}, model {}):", a.options.endpoint, out->model));
    }
    // What a client cannot observe (KV cache, batch, energy) and the simulator's own line do
    // not apply to a measurement.
    for (const char* line : {"  KV cache", "  energy", "  simulator"}) {
      const auto at = text.find(line);
      if (at == std::string::npos) continue;
      const auto end = text.find('\n', at);
      text.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
    }
    std::fputs(text.c_str(), stdout);
    std::printf("  measured        %lld requests sent, %lld failed, %.1f s wall",
                static_cast<long long>(out->requests.size()), static_cast<long long>(out->failed),
                out->metrics.wall_s);
    if (out->time_scale != 1) std::printf(", times divided by %g", out->time_scale);
    std::printf("\n");
  }
  for (const auto& e : out->json["bench"]["errors"]) {
    std::fprintf(stderr, "tokenfab: warning: request failed: %s\n", e.get<std::string>().c_str());
  }
  if (!a.json_path.empty()) {
    if (auto w = WriteText(a.json_path, out->json.dump(2) + "\n"); !w) {
      return Fail(kExitOutput, w.error().message);
    }
  }
  if (out->metrics.requests_completed == 0) Fail(kExitInput, "no request succeeded");
}

}  // namespace

void AddBench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench",
                                     "drive an OpenAI-compatible endpoint with a scenario's "
                                     "workload and measure it as the twin reports");
  cmd->add_option("--endpoint", a->options.endpoint, "server URL, e.g. http://127.0.0.1:8000")
      ->required();
  cmd->add_option("scenario", a->scenario, "scenario YAML file; omitted: the built-in default");
  cmd->add_option("--set", a->overrides, "override a scenario key: KEY=VALUE (dotted key)")
      ->allow_extra_args(false);
  cmd->add_option("--json", a->json_path, "write the metrics as JSON to PATH, or - for stdout");
  cmd->add_option("--model", a->options.model, "model name to send (default: first of /v1/models)");
  cmd->add_flag("--chat", a->options.chat, "use /v1/chat/completions instead of /v1/completions");
  cmd->add_option("--max-connections", a->options.max_connections,
                  "open loop: requests in flight at most (default 1024)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--time-scale", a->options.time_scale,
                  "wall-clock seconds per server second: send and measure in the server's time "
                  "(default: what `tokenfab emulate` lists in /v1/models, else 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", a->options.timeout_s, "seconds one request may take (default 600)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet,-q", a->quiet, "do not print the summary");
  cmd->callback([a] { RunBenchCommand(*a); });
}

}  // namespace tokenfab::cli
